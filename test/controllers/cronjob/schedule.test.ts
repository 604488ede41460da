// Table-driven tests of cron schedule parsing and next-run computation (UTC and IANA time zones, DST).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedule, ScheduleError } from '../../../src/controllers/cronjob/schedule.js';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString().replace('.000Z', 'Z'));

function runs(spec: string, from: string, n: number, tz?: string): string[] {
  const s = parseSchedule(spec);
  const out: string[] = [];
  let t = Date.parse(from);
  for (let i = 0; i < n; i++) {
    const next = s.next(t, tz);
    if (next === undefined) break;
    out.push(iso(next)!);
    t = next;
  }
  return out;
}

describe('cron schedule', () => {
  it('next runs', () => {
    const cases: Array<[string, string, string[], string?]> = [
      ['* * * * *', '2024-01-01T00:00:30Z', ['2024-01-01T00:01:00Z', '2024-01-01T00:02:00Z']],
      ['*/15 * * * *', '2024-01-01T00:14:59Z', ['2024-01-01T00:15:00Z', '2024-01-01T00:30:00Z', '2024-01-01T00:45:00Z', '2024-01-01T01:00:00Z']],
      ['5/20 * * * *', '2024-01-01T00:00:00Z', ['2024-01-01T00:05:00Z', '2024-01-01T00:25:00Z', '2024-01-01T00:45:00Z', '2024-01-01T01:05:00Z']],
      ['0 9-17/4 * * *', '2024-01-01T00:00:00Z', ['2024-01-01T09:00:00Z', '2024-01-01T13:00:00Z', '2024-01-01T17:00:00Z', '2024-01-02T09:00:00Z']],
      ['0 0 * * MON-FRI', '2024-01-05T12:00:00Z', ['2024-01-08T00:00:00Z', '2024-01-09T00:00:00Z']],
      ['30 6 1,15 * *', '2024-01-10T00:00:00Z', ['2024-01-15T06:30:00Z', '2024-02-01T06:30:00Z']],
      ['0 0 1 jan,Jul *', '2024-02-01T00:00:00Z', ['2024-07-01T00:00:00Z', '2025-01-01T00:00:00Z']],
      // Both day fields restricted: either matches (the 13th, or a Friday).
      ['0 0 13 * 5', '2024-09-01T00:00:00Z', ['2024-09-06T00:00:00Z', '2024-09-13T00:00:00Z', '2024-09-20T00:00:00Z']],
      ['0 0 29 2 *', '2024-03-01T00:00:00Z', ['2028-02-29T00:00:00Z']],
      ['0 0 31 * *', '2024-01-31T00:00:00Z', ['2024-03-31T00:00:00Z']],
      ['@hourly', '2024-01-01T00:59:59Z', ['2024-01-01T01:00:00Z', '2024-01-01T02:00:00Z']],
      ['@daily', '2024-01-01T00:00:00Z', ['2024-01-02T00:00:00Z']],
      ['@midnight', '2024-01-01T23:59:00Z', ['2024-01-02T00:00:00Z']],
      ['@weekly', '2024-01-01T00:00:00Z', ['2024-01-07T00:00:00Z', '2024-01-14T00:00:00Z']],
      ['@monthly', '2024-01-15T00:00:00Z', ['2024-02-01T00:00:00Z']],
      ['@yearly', '2024-01-15T00:00:00Z', ['2025-01-01T00:00:00Z']],
      ['@annually', '2024-01-15T00:00:00Z', ['2025-01-01T00:00:00Z']],
      ['@every 90s', '2024-01-01T00:00:00Z', ['2024-01-01T00:01:30Z', '2024-01-01T00:03:00Z']],
      ['? * * * ?', '2024-01-01T00:00:00Z', ['2024-01-01T00:01:00Z']],
      // Time zones: 09:00 in Berlin (UTC+1 in winter, +2 in summer).
      ['0 9 * * *', '2024-03-30T00:00:00Z', ['2024-03-30T08:00:00Z', '2024-03-31T07:00:00Z'], 'Europe/Berlin'],
      // 02:30 does not exist in New York on 2024-03-10: runs at 03:30 EDT.
      ['30 2 * * *', '2024-03-09T12:00:00Z', ['2024-03-10T07:30:00Z', '2024-03-11T06:30:00Z'], 'America/New_York'],
      // 01:30 happens twice on 2024-11-03: runs once, at the first.
      ['30 1 * * *', '2024-11-02T12:00:00Z', ['2024-11-03T05:30:00Z', '2024-11-04T06:30:00Z'], 'America/New_York'],
      ['0 0 * * *', '2024-01-01T00:00:00Z', ['2024-01-01T15:00:00Z'], 'Asia/Tokyo'],
    ];
    for (const [spec, from, want, tz] of cases) assert.deepEqual(runs(spec, from, want.length, tz), want, `${spec} ${tz ?? ''} from ${from}`);
  });

  it('rejects what upstream rejects', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty spec string/],
      ['* * * *', /expected exactly 5 fields, found 4/],
      ['* * * * * *', /expected exactly 5 fields, found 6/],
      ['60 * * * *', /end of range \(60\) above maximum \(59\)/],
      ['* 24 * * *', /above maximum \(23\)/],
      ['* * 0 * *', /below minimum \(1\)/],
      ['* * * 13 *', /above maximum \(12\)/],
      ['* * * * 7', /above maximum \(6\)/],
      ['5-1 * * * *', /beyond end of range/],
      ['*/0 * * * *', /positive number/],
      ['x * * * *', /failed to parse int from x/],
      ['@fortnightly', /unrecognized descriptor/],
      ['TZ=UTC * * * * *', /cannot use TZ or CRON_TZ/],
      ['CRON_TZ=Europe/Berlin 0 * * * *', /cannot use TZ or CRON_TZ/],
    ];
    for (const [spec, re] of cases) assert.throws(() => parseSchedule(spec), (e: unknown) => e instanceof ScheduleError && re.test(e.message), spec);
  });
});
