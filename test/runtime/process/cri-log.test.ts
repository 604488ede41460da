import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CriLineSplitter, rfc3339Nano } from '../../../src/runtime/process/cri-log.js';

test('rfc3339Nano drops trailing zeros like Go', () => {
  const cases: [bigint, string][] = [
    [1_700_000_000_000_000_000n, '2023-11-14T22:13:20Z'],
    [1_700_000_000_123_000_000n, '2023-11-14T22:13:20.123Z'],
    [1_700_000_000_123_456_789n, '2023-11-14T22:13:20.123456789Z'],
    [1_700_000_000_000_000_100n, '2023-11-14T22:13:20.0000001Z'],
  ];
  for (const [ns, want] of cases) assert.equal(rfc3339Nano(ns), want);
});

test('CriLineSplitter cuts output into full and partial records', () => {
  const T = 'T';
  const cases: { name: string; chunks: string[]; end?: boolean; max?: number; want: string[] }[] = [
    { name: 'one line', chunks: ['hello\n'], want: ['T stdout F hello'] },
    { name: 'line over chunks', chunks: ['hel', 'lo\nwor', 'ld\n'], want: ['T stdout F hello', 'T stdout F world'] },
    { name: 'empty line', chunks: ['\n'], want: ['T stdout F '] },
    { name: 'CRLF', chunks: ['a\r\n'], want: ['T stdout F a'] },
    { name: 'unterminated at end is partial', chunks: ['tail'], end: true, want: ['T stdout P tail'] },
    { name: 'nothing pending at end', chunks: ['x\n'], end: true, want: ['T stdout F x'] },
    { name: 'long line split at max', chunks: ['abcdefgh\n'], max: 3, want: ['T stdout P abc', 'T stdout P def', 'T stdout F gh'] },
    { name: 'exactly max', chunks: ['abc\n'], max: 3, want: ['T stdout F abc'] },
    { name: 'long over chunks', chunks: ['ab', 'cd', 'e\n'], max: 3, want: ['T stdout P abc', 'T stdout F de'] },
  ];
  for (const c of cases) {
    const s = new CriLineSplitter('stdout', c.max ?? 16384, () => T);
    const out: Buffer[] = [];
    for (const ch of c.chunks) out.push(...s.push(Buffer.from(ch)));
    if (c.end) out.push(...s.end());
    assert.deepEqual(out.map((b) => b.toString()), c.want.map((w) => `${w}\n`), c.name);
  }
});

test('CriLineSplitter keeps bytes intact (no re-encoding of invalid UTF-8)', () => {
  const s = new CriLineSplitter('stderr', 16384, () => 'T');
  const [rec] = s.push(Buffer.from([0xff, 0xfe, 0x0a]));
  assert.deepEqual([...rec.subarray(rec.length - 3)], [0xff, 0xfe, 0x0a]);
  assert.equal(rec.subarray(0, 11).toString(), 'T stderr F ');
});
