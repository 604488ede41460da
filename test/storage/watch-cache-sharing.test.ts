// The WatchCache's value sharing against a real in-memory SqliteStore, on a fake clock: listed objects share
// values at once; a watched object only once it has stayed its key's current version for shareValuesAfterMs,
// and a version superseded or deleted before that is never interned (what it has in common with the version
// that replaced it is that version's, shared at once); stop() leaves no timer.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { FakeClock } from '../../src/client/clock.js';
import { openSqliteStore, type SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import type { KeyValue } from '../../src/storage/store.js';
import { WatchCache, type CacheEvent } from '../../src/storage/watch-cache.js';

const PREFIX = '/registry/pods/';
const key = (name: string) => `${PREFIX}ns/${name}`;
const tick = () => new Promise((resolve) => setImmediate(resolve));

function decode(kv: KeyValue): KubeObject {
  const o = JSON.parse(kv.value) as KubeObject;
  o.metadata.resourceVersion = String(kv.modRevision);
  return o;
}

type Pod = KubeObject & { spec: { containers: { name: string; image: string }[]; tolerations: unknown[] } };

function pod(name: string, annotations: Record<string, string> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: 'ns', name, labels: { app: 'web' }, annotations },
    spec: {
      containers: [{ name: 'c', image: 'pause' }],
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    },
  });
}

describe('WatchCache value sharing', () => {
  let store: SqliteStore;
  let cache: WatchCache;
  let clock: FakeClock;
  const get = (name: string) => cache.get(key(name)) as Pod;

  beforeEach(async () => {
    store = await openSqliteStore(':memory:');
    clock = new FakeClock(0);
    for (const n of ['l0', 'l1', 'l2']) await store.create(key(n), pod(n));
    cache = new WatchCache(store, { prefix: PREFIX, decode, shareValuesAfterMs: 20_000, shareClock: clock });
    await cache.start();
  });
  afterEach(async () => {
    cache.stop();
    await store.close();
  });

  it('shares listed objects at once', () => {
    // The first object's strings are new to the pool; from the second on values are shared.
    assert.equal(get('l1').spec, get('l2').spec);
    assert.equal(get('l1').metadata.labels, get('l2').metadata.labels);
    assert.deepEqual(cache.sharing, { pending: 0, armed: false, interned: 0, skipped: 0 });
  });

  it('shares a watched object once it has stayed current for the delay; a superseded version never', async () => {
    const events: CacheEvent[] = [];
    cache.watch(PREFIX, 0, undefined, { onEvent: (e) => void events.push(e), onClose: () => {} });
    const a1 = await store.create(key('a'), pod('a'));
    await store.create(key('b'), pod('b'));
    await tick();
    const a1obj = get('a');
    assert.notEqual(get('b').spec, get('l1').spec, 'not shared on arrival');
    clock.step(10_000);
    await store.update(key('a'), pod('a', { v: '2' }), a1.modRevision);
    await tick();
    assert.equal(get('a').spec, a1obj.spec, 'what did not change is shared with the replaced version at once');
    assert.notEqual(get('a').metadata, a1obj.metadata);
    assert.deepEqual(cache.sharing, { pending: 2, armed: true, interned: 0, skipped: 0 });
    clock.step(10_000);
    assert.equal(get('b').spec, get('l1').spec, 'b shared after 20 s');
    assert.equal(get('b').metadata.labels, get('l1').metadata.labels);
    assert.notEqual(get('a').spec, get('l1').spec, "a's second version is 10 s old");
    clock.step(10_000);
    assert.equal(get('a').spec, get('l1').spec, "a's second version shared after 20 s");
    assert.equal(get('a').metadata.labels, get('l1').metadata.labels);
    assert.deepEqual(a1obj.metadata.annotations, get('l1').metadata.annotations);
    assert.notEqual(a1obj.metadata.annotations, get('l1').metadata.annotations, 'the superseded version was never interned');
    assert.deepEqual(cache.sharing, { pending: 0, armed: false, interned: 2, skipped: 0 });
    // What watchers got is the same objects, content unchanged.
    assert.deepEqual(
      events.map((e) => `${e.type} ${e.object.metadata.name}`),
      ['ADDED a', 'ADDED b', 'MODIFIED a'],
    );
    assert.equal(events[2]!.object, get('a'));
    assert.equal(events[2]!.prev, a1obj);
    assert.deepEqual(get('a'), decode({ key: key('a'), value: pod('a', { v: '2' }), modRevision: Number(get('a').metadata.resourceVersion) } as KeyValue));
    assert.equal(clock.waiters, 0);
  });

  it('a version deleted before the delay is never interned', async () => {
    const c = await store.create(key('c'), pod('c'));
    await tick();
    assert.equal(cache.sharing.pending, 1);
    await store.delete(key('c'), c.modRevision);
    await tick();
    assert.deepEqual(cache.sharing, { pending: 0, armed: true, interned: 0, skipped: 0 });
    clock.step(30_000);
    assert.deepEqual(cache.sharing, { pending: 0, armed: false, interned: 0, skipped: 0 });
    assert.equal(clock.waiters, 0);
  });

  it('stop() drops what waits and leaves no timer', async () => {
    await store.create(key('d'), pod('d'));
    await tick();
    assert.deepEqual(cache.sharing, { pending: 1, armed: true, interned: 0, skipped: 0 });
    assert.equal(clock.waiters, 1);
    cache.stop();
    assert.deepEqual(cache.sharing, { pending: 0, armed: false, interned: 0, skipped: 0 });
    assert.equal(clock.waiters, 0);
    clock.step(30_000);
    assert.notEqual(get('d').spec, get('l1').spec);
  });
});
