// SettleQueue and nextWake (util/settle-queue.ts): which noted versions fall due when, that a newer version
// or a deletion drops the older entry, and how a background pass paces its turns.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextWake, SettleQueue } from '../../src/util/settle-queue.js';

type Op = ['note', string, string, number] | ['forget', string] | ['clear'] | ['take', number, number?];

/** Runs ops on a queue with delay 10; returns what each take handed back ("key=value"), and the final size. */
function run(ops: Op[]): { taken: string[][]; size: number; nextDue: number | undefined } {
  const q = new SettleQueue<string>(10);
  const taken: string[][] = [];
  for (const op of ops) {
    if (op[0] === 'note') q.note(op[1], op[2], op[3]);
    else if (op[0] === 'forget') q.forget(op[1]);
    else if (op[0] === 'clear') q.clear();
    else {
      const got: string[] = [];
      const max = op[2] ?? Infinity;
      const n = q.takeDue(op[1], (e) => got.push(`${e.key}=${e.value}`) < max);
      assert.equal(n, got.length, 'takeDue counts what it handed out');
      taken.push(got);
    }
  }
  return { taken, size: q.size, nextDue: q.nextDue() };
}

describe('SettleQueue', () => {
  const cases: { name: string; ops: Op[]; taken: string[][]; size: number; nextDue: number | undefined }[] = [
    { name: 'empty', ops: [['take', 100]], taken: [[]], size: 0, nextDue: undefined },
    { name: 'not due before the delay', ops: [['note', 'a', 'a1', 0], ['take', 9]], taken: [[]], size: 1, nextDue: 10 },
    { name: 'due at exactly the delay', ops: [['note', 'a', 'a1', 0], ['take', 10]], taken: [['a=a1']], size: 0, nextDue: undefined },
    {
      name: 'in the order they were noted, only the due ones',
      ops: [['note', 'a', 'a1', 0], ['note', 'b', 'b1', 3], ['note', 'c', 'c1', 7], ['take', 13], ['take', 20]],
      taken: [['a=a1', 'b=b1'], ['c=c1']],
      size: 0,
      nextDue: undefined,
    },
    {
      name: 'a newer version replaces the older and restarts the delay',
      ops: [['note', 'a', 'a1', 0], ['note', 'b', 'b1', 2], ['note', 'a', 'a2', 5], ['take', 12], ['take', 15]],
      taken: [['b=b1'], ['a=a2']],
      size: 0,
      nextDue: undefined,
    },
    {
      name: 'a version superseded again and again is never due (a Lease renewed faster than the delay)',
      ops: [['note', 'l', 'l1', 0], ['note', 'l', 'l2', 8], ['take', 10], ['note', 'l', 'l3', 16], ['take', 18], ['take', 24]],
      taken: [[], [], []],
      size: 1,
      nextDue: 26,
    },
    {
      name: 'noted twice at the same time: taken once, with the newer value',
      ops: [['note', 'a', 'a1', 0], ['note', 'b', 'b1', 0], ['note', 'a', 'a2', 0], ['take', 10], ['take', 20]],
      taken: [['a=a2', 'b=b1'], []],
      size: 0,
      nextDue: undefined,
    },
    {
      name: 'taken, then noted again: due again after the delay from the new note',
      ops: [['note', 'a', 'a1', 0], ['take', 10], ['note', 'a', 'a2', 12], ['take', 21], ['take', 22]],
      taken: [['a=a1'], [], ['a=a2']],
      size: 0,
      nextDue: undefined,
    },
    { name: 'forget drops the entry', ops: [['note', 'a', 'a1', 0], ['note', 'b', 'b1', 1], ['forget', 'a'], ['take', 20]], taken: [['b=b1']], size: 0, nextDue: undefined },
    { name: 'forget of an unknown key is harmless', ops: [['forget', 'x'], ['note', 'a', 'a1', 0]], taken: [], size: 1, nextDue: 10 },
    { name: 'clear drops everything', ops: [['note', 'a', 'a1', 0], ['note', 'b', 'b1', 1], ['clear'], ['take', 20]], taken: [[]], size: 0, nextDue: undefined },
    {
      name: 'a visitor returning false stops the pass after taking that entry',
      ops: [['note', 'a', 'a1', 0], ['note', 'b', 'b1', 1], ['note', 'c', 'c1', 2], ['take', 20, 2], ['take', 20, 2]],
      taken: [['a=a1', 'b=b1'], ['c=c1']],
      size: 0,
      nextDue: undefined,
    },
    {
      name: 'the earliest pending entry tells when to look again',
      ops: [['note', 'a', 'a1', 0], ['note', 'b', 'b1', 4], ['take', 10]],
      taken: [['a=a1']],
      size: 1,
      nextDue: 14,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(run(c.ops), { taken: c.taken, size: c.size, nextDue: c.nextDue });
    });
  }
});

describe('SettleQueue at scale', () => {
  it('keys re-noted faster than the delay never fall due; the ones that settle do, each once, in order', () => {
    const q = new SettleQueue<number>(20);
    const taken: string[] = [];
    const take = (now: number) => q.takeDue(now, (e) => taken.push(`${e.key}=${e.value}`) > 0);
    // 3,000 "Leases" re-noted every 10 and 3,000 "pods" noted once, over 100 time units, taking as it goes.
    for (let t = 0; t <= 100; t++) {
      for (let i = 0; i < 3000; i++) if ((i + t) % 10 === 0) q.note(`lease-${i}`, t, t);
      if (t < 30) for (let i = t * 100; i < (t + 1) * 100; i++) q.note(`pod-${i}`, t, t);
      take(t);
    }
    assert.equal(taken.filter((s) => s.startsWith('lease-')).length, 0);
    assert.equal(taken.length, 3000);
    assert.deepEqual(taken.slice(0, 2), ['pod-0=0', 'pod-1=0']);
    assert.equal(taken[2999], 'pod-2999=29');
    assert.equal(q.size, 3000);
    for (let i = 0; i < 3000; i++) q.forget(`lease-${i}`);
    assert.equal(q.size, 0);
    assert.equal(q.nextDue(), undefined);
  });
});

describe('nextWake', () => {
  const pacing = { restMs: 10, batchMs: 1_000 };
  const cases: { name: string; nextDue: number | undefined; now: number; want: number | undefined }[] = [
    { name: 'nothing waits: no timer', nextDue: undefined, now: 0, want: undefined },
    { name: 'due entries remain: rest, then go on', nextDue: 500, now: 500, want: 10 },
    { name: 'overdue entries remain: rest, then go on', nextDue: 100, now: 500, want: 10 },
    { name: 'next due far ahead: wait until then', nextDue: 20_000, now: 0, want: 20_000 },
    { name: 'next due soon: wait at least a batch', nextDue: 1, now: 0, want: 1_000 },
    { name: 'next due exactly a batch away', nextDue: 1_500, now: 500, want: 1_000 },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(nextWake(c.nextDue, c.now, pacing), c.want));
  }
});
