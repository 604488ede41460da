// The concurrency limit: never more than n tasks in flight, FIFO start order, results and errors passed
// through, and a slot freed however a task ends (resolved, rejected, thrown).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter } from '../../src/util/limiter.js';

/** A task the test ends by hand. */
function gate<T>() {
  let open!: (v: T) => void;
  let fail!: (e: unknown) => void;
  const p = new Promise<T>((res, rej) => {
    open = res;
    fail = rej;
  });
  return { p, open, fail };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Limiter', () => {
  it('runs at most n tasks at once and starts the rest in FIFO order', async () => {
    const l = new Limiter(2);
    const gates = Array.from({ length: 5 }, () => gate<number>());
    const started: number[] = [];
    let running = 0;
    let peak = 0;
    const results = gates.map((g, i) =>
      l.run(async () => {
        started.push(i);
        peak = Math.max(peak, ++running);
        try {
          return await g.p;
        } finally {
          running--;
        }
      }),
    );
    await tick();
    assert.deepEqual(started, [0, 1]);
    assert.equal(l.pending, 5);
    gates[1]!.open(11);
    await tick();
    assert.deepEqual(started, [0, 1, 2]);
    for (const [i, g] of gates.entries()) g.open(i * 10 + (i === 1 ? 1 : 0));
    assert.deepEqual(await Promise.all(results), [0, 11, 20, 30, 40]);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.equal(peak, 2);
    assert.equal(l.pending, 0);
  });

  const endings: { name: string; task: () => Promise<number> }[] = [
    { name: 'rejects', task: () => Promise.reject(new Error('boom')) },
    {
      name: 'throws before returning a promise',
      task: () => {
        throw new Error('boom');
      },
    },
  ];
  for (const e of endings) {
    it(`a task that ${e.name} fails its run() and frees its slot (started at once or after waiting)`, async () => {
      const l = new Limiter(1);
      const first = gate<number>();
      const a = l.run(() => first.p);
      const b = l.run(e.task);
      const c = l.run(async () => 3);
      first.open(1);
      assert.equal(await a, 1);
      await assert.rejects(b, /boom/);
      assert.equal(await c, 3);
      await assert.rejects(l.run(e.task), /boom/);
      assert.equal(await l.run(async () => 4), 4);
      assert.equal(l.pending, 0);
    });
  }
});
