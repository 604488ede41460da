import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/client/clock.js';
import { ItemExponentialRateLimiter } from '../../src/client/rate-limiter.js';
import { runWorkers, WorkQueue } from '../../src/client/workqueue.js';

const drain = (q: WorkQueue) => {
  const out: string[] = [];
  for (let k = q.tryGet(); k !== undefined; k = q.tryGet()) out.push(k);
  return out;
};

test('keys come out in order, each once while queued', () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  for (const k of ['a', 'b', 'a', 'c', 'b']) q.add(k);
  assert.equal(q.len(), 3);
  assert.deepEqual(drain(q), ['a', 'b', 'c']);
});

test('a key being processed is not handed out again until done(); re-adds are queued after done()', () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('a');
  assert.equal(q.tryGet(), 'a');
  q.add('a');
  q.add('a');
  q.add('b');
  assert.deepEqual(drain(q), ['b'], 'a is still processing');
  q.done('b');
  q.done('a');
  assert.deepEqual(drain(q), ['a'], 'a comes back exactly once');
  q.done('a');
  assert.equal(q.tryGet(), undefined);
});

test('get() waits for a key and ends with undefined after shutdown', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  const pending = q.get();
  q.add('x');
  assert.equal(await pending, 'x');
  const waiting = q.get();
  q.add('y');
  q.shutdown();
  assert.equal(await waiting, 'y', 'items queued before shutdown are still handed out');
  assert.equal(await q.get(), undefined);
  q.add('z');
  assert.equal(q.len(), 0, 'adds after shutdown are ignored');
});

test('shutdownWithDrain resolves once processing keys are done', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('a');
  const k = q.tryGet()!;
  let drained = false;
  const p = q.shutdownWithDrain().then(() => (drained = true));
  await Promise.resolve();
  assert.equal(drained, false);
  q.done(k);
  await p;
  assert.equal(drained, true);
});

test('addAfter: keys become ready at their time, the earliest of several adds wins', () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addAfter('late', 100);
  q.addAfter('early', 50);
  q.addAfter('late', 30); // earlier: replaces
  q.addAfter('early', 80); // later: ignored
  q.addAfter('now', 0);
  assert.deepEqual(drain(q), ['now']);
  clock.step(29);
  assert.deepEqual(drain(q), []);
  clock.step(1);
  assert.deepEqual(drain(q), ['late']);
  clock.step(20);
  assert.deepEqual(drain(q), ['early']);
  clock.step(1000);
  assert.deepEqual(drain(q), [], 'replaced timers do not fire again');
});

test('addAfter: many delayed keys wait under one timer and come out in time order, ties in add order, each once', () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  const want: { key: string; at: number; seq: number }[] = [];
  let x = 7;
  for (let i = 0; i < 500; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const ms = 1 + (x % 200);
    q.addAfter(`k${i}`, ms);
    want.push({ key: `k${i}`, at: ms, seq: i });
  }
  // Half of them again: later times are ignored, earlier ones replace.
  for (let i = 0; i < 500; i += 2) {
    const ms = i % 4 === 0 ? 500 : 1 + (i % 13);
    q.addAfter(`k${i}`, ms);
    if (ms < want[i]!.at) want[i] = { key: `k${i}`, at: ms, seq: 500 + i };
  }
  assert.equal(clock.waiters, 1, 'one timer for all delayed keys');
  want.sort((a, b) => a.at - b.at || a.seq - b.seq);
  const got: string[] = [];
  for (let t = 0; t < 600; t++) {
    clock.step(1);
    got.push(...drain(q));
    for (const w of want) if (w.at <= t + 1) assert.ok(got.includes(w.key), `${w.key} ready by ${w.at} ms`);
  }
  assert.deepEqual(got, want.map((w) => w.key));
  assert.equal(clock.waiters, 0, 'no timer left once every key is out');
});

test('addAfter: a timer that fires before the earliest key is due adds nothing and waits for the rest', () => {
  let now = 1000;
  const timers: { fn: () => void; ms: number }[] = [];
  const clock = {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      timers.push({ fn, ms });
      return { id: timers.length };
    },
    clearTimeout: () => {},
  };
  const q = new WorkQueue({ clock });
  q.addAfter('a', 10);
  assert.equal(timers.at(-1)!.ms, 10);
  now = 1008; // a real timer may fire a little early by the wall clock
  timers.at(-1)!.fn();
  assert.deepEqual(drain(q), []);
  assert.equal(timers.at(-1)!.ms, 2, 're-armed for the remaining time');
  now = 1010;
  timers.at(-1)!.fn();
  assert.deepEqual(drain(q), ['a']);
});

test('shutdown drops delayed keys and their timer', () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addAfter('a', 10);
  q.addAfter('b', 20);
  q.shutdown();
  assert.equal(clock.waiters, 0);
  clock.step(100);
  assert.deepEqual(drain(q), []);
});

test('addRateLimited: per-item back-off doubles from 5 ms and forget() resets it', () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = clock.now();
    q.addRateLimited('k');
    let waited = 0;
    while (q.len() === 0) {
      clock.step(1);
      waited++;
    }
    delays.push(clock.now() - start);
    assert.equal(q.tryGet(), 'k');
    q.done('k');
    assert.ok(waited > 0);
  }
  assert.deepEqual(delays, [5, 10, 20, 40, 80]);
  assert.equal(q.numRequeues('k'), 5);
  q.forget('k');
  assert.equal(q.numRequeues('k'), 0);
});

test('default limiter: overall token bucket (10 qps, burst 100) throttles many different keys', () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  for (let i = 0; i < 110; i++) q.addRateLimited(`k${i}`);
  clock.step(5);
  assert.equal(q.len(), 100, 'the burst goes through after the 5 ms item delay');
  clock.step(100 - 5);
  assert.equal(q.len(), 101, 'then one per 100 ms');
  clock.step(900);
  assert.equal(q.len(), 110);
});

test('item back-off is capped', () => {
  const l = new ItemExponentialRateLimiter(5, 1_000_000);
  const table: Array<[number, number]> = [
    [1, 5],
    [2, 10],
    [18, 655_360],
    [19, 1_000_000],
    [100, 1_000_000],
  ];
  let n = 0;
  for (const [nth, want] of table) {
    let d = 0;
    while (n < nth) {
      d = l.when('x');
      n++;
    }
    assert.equal(d, want, `failure #${nth}`);
  }
});

test('runWorkers: forget on success, back-off requeue on error, requeueAfterMs, stop on shutdown', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  const calls: string[] = [];
  let failures = 2;
  const errors: string[] = [];
  const done = runWorkers(
    q,
    2,
    async (key) => {
      calls.push(key);
      if (key === 'flaky' && failures-- > 0) throw new Error('boom');
      if (key === 'later' && calls.filter((c) => c === 'later').length === 1) return { requeueAfterMs: 1000 };
    },
    { onError: (k) => errors.push(k) },
  );
  q.add('ok');
  q.add('flaky');
  q.add('later');
  const settle = async () => {
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  };
  await settle();
  assert.deepEqual(calls.sort(), ['flaky', 'later', 'ok']);
  assert.equal(q.numRequeues('flaky'), 1);
  clock.step(5);
  await settle();
  assert.equal(calls.filter((c) => c === 'flaky').length, 2);
  clock.step(10);
  await settle();
  assert.equal(calls.filter((c) => c === 'flaky').length, 3);
  assert.equal(q.numRequeues('flaky'), 0, 'forgotten after success');
  assert.deepEqual(errors, ['flaky', 'flaky']);
  assert.equal(calls.filter((c) => c === 'later').length, 1);
  clock.step(1000);
  await settle();
  assert.equal(calls.filter((c) => c === 'later').length, 2);
  q.shutdown();
  await done;
});
