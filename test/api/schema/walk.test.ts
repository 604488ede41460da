// isDateTime: RFC 3339 date-times as upstream's time decoding accepts them, scanned by hand; checked here
// against the regular-expression definition it replaced, on a table of valid and invalid strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDateTime } from '../../../src/api/schema/walk.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
function reference(s: string): boolean {
  const m = RFC3339.exec(s);
  if (!m) return false;
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && se < 61;
}

const valid = [
  '2024-01-02T03:04:05Z',
  '2024-01-02t03:04:05z',
  '2024-12-31T23:59:60Z',
  '2024-01-02T03:04:05.123456Z',
  '2024-01-02T03:04:05.1+05:30',
  '2024-01-02T03:04:05-08:00',
  '0000-01-01T00:00:00Z',
];
const invalid = [
  '',
  '2024-01-02',
  '2024-01-02 03:04:05Z',
  '2024-13-02T03:04:05Z',
  '2024-00-02T03:04:05Z',
  '2024-01-32T03:04:05Z',
  '2024-01-00T03:04:05Z',
  '2024-01-02T24:04:05Z',
  '2024-01-02T03:60:05Z',
  '2024-01-02T03:04:61Z',
  '2024-01-02T03:04:05',
  '2024-01-02T03:04:05.Z',
  '2024-01-02T03:04:05.12',
  '2024-01-02T03:04:05+0530',
  '2024-01-02T03:04:05+05:3',
  '2024-01-02T03:04:05+05:300',
  '2024-01-02T03:04:05ZZ',
  '2024-1-02T03:04:05Z',
  '20240-01-02T03:04:05Z',
  '2024-01-02T03:04:05Z ',
  ' 2024-01-02T03:04:05Z',
  '2024/01/02T03:04:05Z',
  '2024-01-02T03-04-05Z',
  '2024-01-02T03:04:05.1a2Z',
  '2024-01-02T03:04:05＋05:30',
  '２024-01-02T03:04:05Z',
  'abcd-ef-ghTij:kl:mnZ',
];

test('isDateTime accepts exactly what the RFC 3339 pattern with range checks accepts', () => {
  for (const s of valid) assert.equal(isDateTime(s), true, s);
  for (const s of invalid) assert.equal(isDateTime(s), false, s);
  for (const s of [...valid, ...invalid]) assert.equal(isDateTime(s), reference(s), s);
});

test('isDateTime agrees with the pattern on every one-character change of valid date-times', () => {
  const alphabet = ['0', '1', '5', '9', '-', ':', '.', 'T', 't', 'Z', 'z', '+', ' ', 'a'];
  for (const base of valid) {
    for (let i = 0; i <= base.length; i++) {
      for (const c of alphabet) {
        for (const s of [base.slice(0, i) + c + base.slice(i + 1), base.slice(0, i) + c + base.slice(i), base.slice(0, i) + base.slice(i + 1)]) {
          assert.equal(isDateTime(s), reference(s), JSON.stringify(s));
        }
      }
    }
  }
});
