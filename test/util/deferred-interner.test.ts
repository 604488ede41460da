// DeferredInterner (util/deferred-interner.ts) on a fake clock: an object is interned only once it has stayed
// its key's current one for the delay, superseded or deleted versions never are, the pass works in short
// slices and rests between them, and stop() leaves no timer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/client/clock.js';
import { DeferredInterner } from '../../src/util/deferred-interner.js';
import { ValueInterner } from '../../src/util/value-interner.js';

type Obj = { metadata: { name: string; labels: Record<string, string> }; spec: { containers: { name: string; image: string }[] } };

const make = (name: string): Obj => ({ metadata: { name, labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'c', image: 'pause' }] } });

/** Records what it interns. */
class SpyInterner extends ValueInterner {
  readonly seen: object[] = [];
  override intern<T extends object>(obj: T): T {
    this.seen.push(obj);
    return super.intern(obj);
  }
}

/** sliceClock: the time a pass measures its slices by; by default it stands still (no slice ends early on a loaded machine). */
function setup(opts: { sliceClock?: () => number } = { sliceClock: () => 0 }) {
  const clock = new FakeClock(0);
  const interner = new SpyInterner();
  interner.intern(make('warm')); // its strings are pooled: from now on equal subtrees are shared
  interner.seen.length = 0;
  const current = new Map<string, Obj>();
  const d = new DeferredInterner<Obj>({ interner, isCurrent: (k, o) => current.get(k) === o, delayMs: 20_000, clock, elapsed: opts.sliceClock });
  const put = (o: Obj) => {
    current.set(o.metadata.name, o);
    d.note(o.metadata.name, o);
  };
  return { clock, interner, current, d, put };
}

describe('DeferredInterner', () => {
  it('interns an object once it has stayed current for the delay, sharing values with an equal one', () => {
    const { clock, interner, d, put } = setup();
    const a = make('a');
    const b = make('b');
    put(a);
    put(b);
    clock.step(19_999);
    assert.deepEqual(interner.seen, [], 'nothing before the delay');
    assert.notEqual(a.spec, b.spec);
    clock.step(1);
    assert.deepEqual(interner.seen, [a, b]);
    assert.equal(a.spec, b.spec, 'equal subtrees are one object');
    assert.equal(a.metadata.labels, b.metadata.labels);
    assert.deepEqual(b, make('b'), 'content unchanged');
    assert.deepEqual(d.stats, { pending: 0, armed: false, interned: 2, skipped: 0 });
    assert.equal(clock.waiters, 0, 'no timer once nothing waits');
  });

  it('never interns a superseded or deleted version', () => {
    const { clock, interner, current, d, put } = setup();
    const a1 = make('a');
    const b = make('b');
    const c = make('c');
    put(a1);
    put(b);
    put(c);
    clock.step(10_000);
    const a2 = make('a');
    put(a2); // a1 superseded
    current.delete('b');
    d.forget('b'); // b deleted
    clock.step(10_000);
    assert.deepEqual(interner.seen, [c]);
    clock.step(10_000);
    assert.deepEqual(interner.seen, [c, a2]);
    assert.equal(a2.spec, c.spec);
    assert.notEqual(a1.spec, c.spec, 'the superseded version keeps its own values');
    assert.deepEqual(d.stats, { pending: 0, armed: false, interned: 2, skipped: 0 });
  });

  it('skips an object the cache replaced without telling it', () => {
    const { clock, interner, current, d, put } = setup();
    const a = make('a');
    put(a);
    current.set('a', make('a')); // e.g. a relist that shared the new object's values already
    clock.step(20_000);
    assert.deepEqual(interner.seen, []);
    assert.deepEqual(d.stats, { pending: 0, armed: false, interned: 0, skipped: 1 });
  });

  it('works in slices of a few ms, resting between them, until everything due is done', () => {
    let t = 0;
    const { clock, interner, d, put } = setup({ sliceClock: () => (t += 1) }); // each interning "takes" 1 ms
    for (let i = 0; i < 10; i++) put(make(`p${i}`));
    clock.step(20_000);
    const first = interner.seen.length;
    assert.ok(first > 0 && first < 10, `one slice does part of the work (${first})`);
    assert.deepEqual(d.stats, { pending: 10 - first, armed: true, interned: first, skipped: 0 });
    clock.step(10); // the rest between slices
    assert.ok(interner.seen.length > first, 'the next slice goes on');
    clock.step(100);
    assert.equal(interner.seen.length, 10);
    assert.equal(clock.waiters, 0);
  });

  it('stop() drops what waits and leaves no timer; a later note arms it again', () => {
    const { clock, interner, d, put } = setup();
    put(make('a'));
    assert.equal(clock.waiters, 1);
    d.stop();
    assert.equal(clock.waiters, 0);
    assert.deepEqual(d.stats, { pending: 0, armed: false, interned: 0, skipped: 0 });
    clock.step(30_000);
    assert.deepEqual(interner.seen, []);
    put(make('b'));
    assert.equal(d.stats.armed, true);
    clock.step(20_000);
    assert.equal(interner.seen.length, 1);
  });

  it('with nothing due soon it waits for the earliest entry, not a fixed tick', () => {
    const { clock, interner, put } = setup();
    put(make('a'));
    clock.step(15_000);
    put(make('b'));
    clock.step(5_000); // a due
    assert.equal(interner.seen.length, 1);
    assert.equal(clock.waiters, 1);
    clock.step(14_999);
    assert.equal(interner.seen.length, 1);
    clock.step(1); // b due
    assert.equal(interner.seen.length, 2);
  });
});
