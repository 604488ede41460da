// The watch cache's new version of an object this server has just written (ObjectStorage.deriveForCache):
// copied from the written object instead of parsed from its JSON, equal to what parsing gives, sharing what did
// not change with the version it replaces, never holding a node of the writer's object, and leaving the
// replaced version (kept by the event history) untouched. A real SQLite store underneath.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { ObjectStorage } from '../../src/apiserver/object-storage.js';
import { builtinResources } from '../../src/api/kinds/index.js';
import { ResourceRegistry } from '../../src/apiserver/resource-registry.js';
import { cloneJson } from '../../src/apiserver/patch/json-value.js';
import type { KubeObject } from '../../src/api/types.js';
import type { ResourceType } from '../../src/api/resource.js';
import type { CacheEvent, WatchCache } from '../../src/storage/watch-cache.js';
import type { KeyValue } from '../../src/storage/store.js';

interface Env {
  storage: ObjectStorage;
  rt: ResourceType;
  cache: WatchCache;
  key: string;
  events: CacheEvent[];
  /** What the event's watchers were given as the object's JSON (the write's), by revision. */
  served: Map<number, string | undefined>;
  /** Writes `obj` as the write path does (encodeForWrite, the store, wrote) and waits for the cache. */
  write(obj: KubeObject, prevRevision?: number): Promise<KeyValue>;
  /** How many stored values the cache has parsed so far. */
  parsed(): number;
}

async function withCache(fn: (env: Env) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-watch-derive-'));
  const store = await openSqliteStore(join(dir, 'state.db'));
  const storage = new ObjectStorage(store);
  try {
    const rt = new ResourceRegistry(builtinResources()).lookup('coordination.k8s.io', 'v1', 'leases')!;
    const cache = await storage.cache(rt);
    const key = storage.key(rt, 'ns', 'a');
    let parses = 0;
    const decode = storage.decode.bind(storage);
    storage.decode = (kv) => (parses++, decode(kv));
    const events: CacheEvent[] = [];
    const served = new Map<number, string | undefined>();
    const w = cache.watch(key, 0, undefined, {
      onEvent: (e) => {
        events.push(e);
        served.set(e.revision, storage.servedJson(e.object));
      },
      onClose: () => undefined,
    });
    const write = async (obj: KubeObject, prevRevision?: number): Promise<KeyValue> => {
      const json = storage.encodeForWrite(rt, key, obj);
      const kv = prevRevision === undefined ? await store.create(key, json) : await store.update(key, json, prevRevision);
      storage.wrote(obj, kv.modRevision);
      await cache.waitFor(kv.modRevision, 1000);
      return kv;
    };
    await fn({ storage, rt, cache, key, events, served, write, parsed: () => parses });
    w.close();
  } finally {
    storage.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function lease(name: string): KubeObject {
  return {
    metadata: { name, namespace: 'ns', labels: { app: 'x', tier: 'y' }, annotations: { note: 'n'.repeat(40) } },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' },
  } as KubeObject;
}

/** Every object or array node under t. */
function nodesOf(t: unknown, out = new Set<object>()): Set<object> {
  if (typeof t === 'object' && t !== null) {
    out.add(t);
    for (const v of Object.values(t)) nodesOf(v, out);
  }
  return out;
}

test('a new version of a cached object is copied from the written object, equal to parsing what was stored', async () => {
  await withCache(async ({ storage, cache, key, events, served, write, parsed }) => {
    const created = await write(lease('a'));
    assert.equal(parsed(), 1, 'a created object is parsed');
    const prev = cache.get(key)!;
    const prevJson = JSON.stringify(prev);

    // As guaranteedUpdate does: a private copy of the cached object, changed, then written.
    const next = cloneJson(prev);
    (next['spec'] as Record<string, unknown>)['renewTime'] = '2026-01-01T00:00:10.000000Z';
    next.metadata.resourceVersion = prev.metadata.resourceVersion;
    const kv = await write(next, created.modRevision);
    assert.equal(parsed(), 1, 'the new version is not parsed');

    const held = cache.get(key)!;
    assert.notEqual(held, next);
    assert.deepEqual(held, storage.decode(kv), 'the same as parsing what was stored');
    assert.equal(held.metadata.resourceVersion, String(kv.modRevision));
    assert.equal(JSON.stringify(prev), prevJson, 'the replaced version (in the history) is unchanged');
    // What did not change is the replaced version's; nothing is the writer's.
    assert.equal(held.metadata.labels, prev.metadata.labels);
    assert.equal(held.metadata.annotations, prev.metadata.annotations);
    assert.notEqual(held['spec'], prev['spec']);
    const writers = nodesOf(next);
    for (const n of nodesOf(held)) assert.ok(!writers.has(n), 'no node of the written object is held');
    (next['spec'] as Record<string, unknown>)['renewTime'] = 'changed by the writer afterwards';
    next.metadata.labels!['app'] = 'changed';
    assert.deepEqual(held, storage.decode(kv), 'the writer changing its object later changes nothing held');

    // The event carries the held object and its watchers were given the write's JSON for it.
    const e = events.at(-1)!;
    assert.equal(e.type, 'MODIFIED');
    assert.equal(e.object, held);
    assert.equal(e.prev, prev);
    const json = served.get(kv.modRevision);
    assert.ok(json !== undefined, 'the watchers got the write\'s JSON');
    assert.deepEqual(JSON.parse(json), held);
  });
});

test('a write that changes nothing but the revision: a new object and metadata, the old version untouched', async () => {
  await withCache(async ({ storage, cache, key, write }) => {
    const created = await write(lease('a'));
    const prev = cache.get(key)!;
    const prevRv = prev.metadata.resourceVersion;
    const kv = await write(cloneJson(prev), created.modRevision);
    const held = cache.get(key)!;
    assert.notEqual(held, prev);
    assert.notEqual(held.metadata, prev.metadata);
    assert.equal(held.metadata.resourceVersion, String(kv.modRevision));
    assert.equal(prev.metadata.resourceVersion, prevRv);
    assert.equal(held['spec'], prev['spec']);
    assert.equal(held.metadata.labels, prev.metadata.labels);
    assert.deepEqual(held, storage.decode(kv));
  });
});

test('a written object JSON would not give back as it is: parsed from what was stored instead', async () => {
  await withCache(async ({ storage, cache, key, write, parsed }) => {
    const created = await write(lease('a'));
    const next = cloneJson(cache.get(key)!);
    (next['spec'] as Record<string, unknown>)['renewTime'] = new Date(Date.UTC(2026, 0, 1));
    (next['spec'] as Record<string, unknown>)['leaseDurationSeconds'] = undefined;
    const kv = await write(next, created.modRevision);
    assert.equal(parsed(), 2);
    const held = cache.get(key)!;
    assert.equal((held['spec'] as Record<string, unknown>)['renewTime'], '2026-01-01T00:00:00.000Z');
    assert.equal('leaseDurationSeconds' in (held['spec'] as object), false);
    assert.deepEqual(held, storage.decode(kv));
  });
});

test('a write this server did not prepare, and a created object: parsed', async () => {
  await withCache(async ({ storage, rt, cache, key, write }) => {
    const obj = lease('a');
    const created = await write(obj);
    assert.notEqual(cache.get(key), obj);
    const prev = cache.get(key)!;
    const other = cloneJson(prev);
    other.metadata.labels = { from: 'elsewhere' };
    const kv = await storage.store.update(key, storage.encode(rt, other), created.modRevision);
    await cache.waitFor(kv.modRevision, 1000);
    const held = cache.get(key)!;
    assert.deepEqual(held, storage.decode(kv));
    assert.equal(held['spec'], prev['spec'], 'shared with the previous version all the same');
  });
});
