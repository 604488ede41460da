// The two timestamp wire formats, and that the one-entry memo of each never returns a stale text.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { microTime, rfc3339 } from '../../src/util/wire-time.js';

describe('rfc3339', () => {
  const cases: { ms: number; want: string }[] = [
    { ms: 0, want: '1970-01-01T00:00:00Z' },
    { ms: 999, want: '1970-01-01T00:00:00Z' },
    { ms: 1000, want: '1970-01-01T00:00:01Z' },
    { ms: 1_767_225_599_999, want: '2025-12-31T23:59:59Z' },
    { ms: 1_767_225_600_000, want: '2026-01-01T00:00:00Z' },
    { ms: 1_767_225_600_000.7, want: '2026-01-01T00:00:00Z' },
    { ms: -1, want: '1969-12-31T23:59:59Z' },
    { ms: -1000, want: '1969-12-31T23:59:59Z' },
    { ms: -1001, want: '1969-12-31T23:59:58Z' },
  ];
  for (const c of cases) it(`${c.ms} → ${c.want}`, () => assert.equal(rfc3339(c.ms), c.want));

  it('agrees with the unmemoized formatting over a walk back and forth across second boundaries', () => {
    const base = 1_780_000_000_000;
    const steps = [0, 1, 998, 999, 1000, 1001, 999, 5000, 4999, 0, -1, 3_600_000, 0];
    for (const d of steps) assert.equal(rfc3339(base + d), new Date(base + d).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  });

  it('an invalid time throws as Date does, every time', () => {
    assert.throws(() => rfc3339(Number.NaN), RangeError);
    assert.throws(() => rfc3339(Number.NaN), RangeError);
  });
});

describe('microTime', () => {
  const cases: { ms: number; want: string }[] = [
    { ms: 0, want: '1970-01-01T00:00:00.000000Z' },
    { ms: 1_767_225_600_123, want: '2026-01-01T00:00:00.123000Z' },
    { ms: 1_767_225_600_123.9, want: '2026-01-01T00:00:00.123000Z' },
    { ms: 1_767_225_600_124, want: '2026-01-01T00:00:00.124000Z' },
    { ms: 1_767_225_600_123, want: '2026-01-01T00:00:00.123000Z' },
  ];
  for (const c of cases) it(`${c.ms} → ${c.want}`, () => assert.equal(microTime(c.ms), c.want));

  it('an invalid time throws, every time', () => {
    assert.throws(() => microTime(Number.NaN), RangeError);
    assert.throws(() => microTime(Number.NaN), RangeError);
  });
});
