// The kubelet's restart back-off: immediate first restart, then 10 s doubling to 5 min, reset after 10 min up.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RestartBackoff, goDuration } from '../../src/agent/restart-backoff.js';

describe('RestartBackoff', () => {
  it('restarts at once, then waits 10 s, 20 s, 40 s ... capped at 5 min', () => {
    const b = new RestartBackoff();
    let t = 1_000_000;
    assert.deepEqual(b.decide('p/app', t, t), { restartNow: true });
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      t += 1000; // the container ran 1 s and failed again
      const d = b.decide('p/app', t, t);
      assert.equal(d.restartNow, false);
      if (!d.restartNow) {
        waits.push(d.backoffMs);
        t += d.waitMs;
        assert.deepEqual(b.decide('p/app', t - d.waitMs, t), { restartNow: true });
      }
    }
    assert.deepEqual(waits, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });

  it('waits only what is left of the back-off since the container finished', () => {
    const b = new RestartBackoff();
    b.decide('k', 0, 0);
    const d = b.decide('k', 5_000, 8_000);
    assert.deepEqual(d, { restartNow: false, waitMs: 7_000, backoffMs: 10_000 });
  });

  it('forgets the back-off once a container ran clean for twice the maximum', () => {
    const b = new RestartBackoff();
    b.decide('k', 0, 0);
    b.decide('k', 0, 10_000); // restarted after its 10 s: backoff 20 s now
    assert.equal(b.current('k'), 20_000);
    const later = 10_000 + 601_000;
    assert.deepEqual(b.decide('k', later, later), { restartNow: true });
    assert.equal(b.current('k'), 10_000);
  });

  it('keeps pods apart and drops a pod with gc', () => {
    const b = new RestartBackoff();
    b.decide('a/app', 0, 0);
    b.decide('b/app', 0, 0);
    b.gc(1, 'a/');
    assert.equal(b.current('a/app'), 0);
    assert.equal(b.current('b/app'), 10_000);
  });
});

describe('goDuration', () => {
  for (const [ms, want] of [[10_000, '10s'], [80_000, '1m20s'], [300_000, '5m0s']] as const) {
    it(`${ms} ms → ${want}`, () => assert.equal(goDuration(ms), want));
  }
});
