import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../../src/client/backoff.js';
import { FakeClock } from '../../src/client/clock.js';

test('delays double to the cap, reset after a quiet period or reset()', () => {
  const clock = new FakeClock();
  const b = new Backoff({ initialMs: 100, maxMs: 1000, resetAfterMs: 5000, clock });
  assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 800, 1000, 1000]);
  clock.step(5001);
  assert.equal(b.next(), 100, 'quiet period starts again from the initial delay');
  b.next();
  b.reset();
  assert.equal(b.next(), 100);
});

test('jitter adds up to jitter × delay', () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 1, random: () => 0.5, clock: new FakeClock() });
  assert.deepEqual([b.next(), b.next()], [150, 300]);
});
