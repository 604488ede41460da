import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareLogTime, formatLogTime, logTimeFromMs, parseCriLine, parseLogTime } from '../../../src/agent/logs/cri-format.js';

test('RFC 3339 timestamps parse to seconds + nanoseconds and print as Go RFC3339Nano', () => {
  const cases: [string, { sec: number; nsec: number } | undefined, string | undefined][] = [
    ['2024-05-01T10:00:00.123456789Z', { sec: 1714557600, nsec: 123456789 }, '2024-05-01T10:00:00.123456789Z'],
    ['2024-05-01T10:00:00.5Z', { sec: 1714557600, nsec: 500000000 }, '2024-05-01T10:00:00.5Z'],
    ['2024-05-01T10:00:00Z', { sec: 1714557600, nsec: 0 }, '2024-05-01T10:00:00Z'],
    ['2024-05-01T12:00:00.010+02:00', { sec: 1714557600, nsec: 10000000 }, '2024-05-01T10:00:00.01Z'],
    ['2024-05-01 10:00:00Z', undefined, undefined],
    ['yesterday', undefined, undefined],
  ];
  for (const [input, want, printed] of cases) {
    const t = parseLogTime(input);
    assert.deepEqual(t, want, input);
    if (t) assert.equal(formatLogTime(t), printed, input);
  }
  assert.deepEqual(logTimeFromMs(1714557600123, 456), { sec: 1714557600, nsec: 123000456 });
  assert.ok(compareLogTime({ sec: 1, nsec: 2 }, { sec: 1, nsec: 3 }) < 0);
  assert.ok(compareLogTime({ sec: 2, nsec: 0 }, { sec: 1, nsec: 999999999 }) > 0);
});

test('CRI log lines', () => {
  const line = (s: string) => parseCriLine(Buffer.from(s));
  const e = line('2024-05-01T10:00:00.000000001Z stdout F hello world');
  assert.equal(e?.stream, 'stdout');
  assert.equal(e?.partial, false);
  assert.equal(e?.content.toString(), 'hello world');
  assert.deepEqual(e?.time, { sec: 1714557600, nsec: 1 });
  assert.equal(line('2024-05-01T10:00:00Z stderr P part')?.partial, true);
  assert.equal(line('2024-05-01T10:00:00Z stdout F')?.content.length, 0);
  assert.equal(line('2024-05-01T10:00:00Z stdout F:x more')?.content.toString(), 'more');
  assert.equal(line('2024-05-01T10:00:00Z stdout F  two spaces')?.content.toString(), ' two spaces');
  for (const bad of ['', 'garbage', '2024-05-01T10:00:00Z stdin F x', '2024-05-01T10:00:00Z stdout X x', 'notatime stdout F x']) {
    assert.equal(line(bad), undefined, bad);
  }
});
