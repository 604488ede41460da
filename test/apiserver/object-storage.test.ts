// ObjectStorage's write path: one serialization per write feeds the store, the response and the watch events
// of the write (the cache parses what was written); a real SQLite store underneath.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { ObjectStorage } from '../../src/apiserver/object-storage.js';
import { builtinResources } from '../../src/api/kinds/index.js';
import { ResourceRegistry } from '../../src/apiserver/resource-registry.js';
import type { KubeObject } from '../../src/api/types.js';
import type { ResourceType } from '../../src/api/resource.js';
import type { RestDeps } from '../../src/apiserver/rest/types.js';
import { create } from '../../src/apiserver/rest/create.js';
import { update } from '../../src/apiserver/rest/update.js';
import { patch } from '../../src/apiserver/rest/patch.js';
import { systemRequest } from '../../src/apiserver/rest/system-request.js';
import { startTestServer } from './harness.js';

async function withStorage(fn: (s: ObjectStorage, leases: ResourceType) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-object-storage-'));
  const store = await openSqliteStore(join(dir, 'state.db'));
  const storage = new ObjectStorage(store);
  try {
    const rt = new ResourceRegistry(builtinResources()).lookup('coordination.k8s.io', 'v1', 'leases')!;
    await fn(storage, rt);
  } finally {
    storage.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function lease(name: string, extra: Record<string, unknown> = {}): KubeObject {
  return { metadata: { name, namespace: 'ns', ...extra }, spec: { holderIdentity: name, renewTime: '2026-01-01T00:00:00.000000Z' } } as KubeObject;
}

const tick = () => new Promise((r) => setImmediate(r));

test('encodeForWrite gives exactly the storage form encode gives, wherever resourceVersion sits', async () => {
  await withStorage(async (storage, rt) => {
    const cases: KubeObject[] = [
      lease('a'),
      lease('b', { resourceVersion: '7' }),
      { metadata: { resourceVersion: '9', name: 'c', namespace: 'ns' }, spec: {} } as KubeObject,
      { metadata: { name: 'd', namespace: 'ns', resourceVersion: '3', labels: { resourceVersion: 'x' } }, spec: { note: '"resourceVersion":"1"' } } as KubeObject,
    ];
    for (const [i, obj] of cases.entries()) {
      const expected = storage.encode(rt, structuredClone(obj));
      const key = `/registry/leases/ns/x${i}`;
      const rvBefore = obj.metadata.resourceVersion;
      assert.equal(storage.encodeForWrite(rt, key, obj), expected, `case ${i}`);
      assert.equal(obj.metadata.resourceVersion, rvBefore, `case ${i}: resourceVersion restored`);
      obj.metadata.resourceVersion = '42';
      assert.equal(storage.servedJson(obj), JSON.stringify(obj), `case ${i}: served JSON`);
      storage.writeFailed(key, obj);
      assert.equal(storage.servedJson(obj), undefined, `case ${i}: forgotten after a failed write`);
    }
  });
});

test('the response and the watch cache\'s object reuse the JSON of the write', async () => {
  await withStorage(async (storage, rt) => {
    const cache = await storage.cache(rt);
    const key = storage.key(rt, 'ns', 'a');
    const obj = lease('a');
    // What the event's watchers get, asked while the event is dispatched (as the watch handler does).
    let forWatchers: string | undefined;
    const w = cache.watch(key, 0, undefined, { onEvent: (e) => (forWatchers ??= storage.servedJson(e.object)), onClose: () => undefined });
    const kv = await storage.store.create(key, storage.encodeForWrite(rt, key, obj));
    const answered = storage.wrote(obj, kv.modRevision);
    await cache.waitFor(kv.modRevision, 1000);
    assert.equal(answered, obj);
    assert.equal(obj.metadata.resourceVersion, String(kv.modRevision));
    const held = cache.get(key)!;
    assert.notEqual(held, obj, 'the cache parses what was written (a compact object of its own)');
    assert.deepEqual(held, storage.decode(kv));
    w.close();
    assert.ok(forWatchers !== undefined, 'watchers of the event get the write\'s JSON');
    assert.deepEqual(JSON.parse(forWatchers!), held);
    await tick();
    assert.equal(storage.servedJson(held), undefined, 'not kept once the event is dispatched');
    const json = storage.servedJson(obj, true);
    assert.equal(json, JSON.stringify(obj));
    assert.equal(storage.servedJson(obj), undefined, 'taken by the response');

    // A write this server did not prepare (another server's): parsed, nothing remembered.
    const other = lease('a', { labels: { from: 'elsewhere' } });
    const kv2 = await storage.store.update(key, storage.encode(rt, other), kv.modRevision);
    await cache.waitFor(kv2.modRevision, 1000);
    assert.deepEqual(cache.get(key)!.metadata.labels, { from: 'elsewhere' });
    assert.equal(storage.servedJson(cache.get(key)!), undefined);
  });
});

test('two writers of identical content: each answer carries its own revision, the cache history stays right', async () => {
  await withStorage(async (storage, rt) => {
    const cache = await storage.cache(rt);
    const key = storage.key(rt, 'ns', 'a');
    const first = await storage.store.create(key, storage.encode(rt, lease('a')));
    await cache.waitFor(first.modRevision, 1000);
    const events: { rv: string | undefined; revision: number }[] = [];
    const w = cache.watch(key, first.modRevision, undefined, { onEvent: (e) => events.push({ rv: e.object.metadata.resourceVersion, revision: e.revision }), onClose: () => undefined });
    // Both prepare the same JSON; A's event arrives while B's write is the pending one for the key.
    const a = lease('a', { labels: { v: '2' } });
    const b = lease('a', { labels: { v: '2' } });
    const jsonA = storage.encodeForWrite(rt, key, a);
    const jsonB = storage.encodeForWrite(rt, key, b);
    assert.equal(jsonA, jsonB);
    const kvA = await storage.store.update(key, jsonA, first.modRevision);
    const answerA = storage.wrote(a, kvA.modRevision);
    await tick();
    const kvB = await storage.store.update(key, jsonB, kvA.modRevision);
    const answerB = storage.wrote(b, kvB.modRevision);
    await cache.waitFor(kvB.modRevision, 1000);
    await tick();
    w.close();
    assert.equal(answerA.metadata.resourceVersion, String(kvA.modRevision));
    assert.equal(answerB.metadata.resourceVersion, String(kvB.modRevision));
    assert.deepEqual(events, [
      { rv: String(kvA.modRevision), revision: kvA.modRevision },
      { rv: String(kvB.modRevision), revision: kvB.modRevision },
    ]);
    assert.equal(cache.get(key)!.metadata.resourceVersion, String(kvB.modRevision));
    if (storage.servedJson(answerB) !== undefined) assert.equal(storage.servedJson(answerB), JSON.stringify(answerB));
  });
});

/** V8's collector, made callable for this test (`--expose-gc` set at run time). */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

test('a written object whose answer never takes its JSON (a binding\'s pod) is not held by it', async () => {
  await withStorage(async (storage, rt) => {
    const cache = await storage.cache(rt);
    const key = storage.key(rt, 'ns', 'a');
    let obj: KubeObject | undefined = lease('a');
    const kv = await storage.store.create(key, storage.encodeForWrite(rt, key, obj));
    storage.wrote(obj, kv.modRevision);
    await cache.waitFor(kv.modRevision, 1000);
    await tick();
    assert.ok(storage.servedJson(obj) !== undefined, 'kept for a response while the object lives');
    const ref = new WeakRef(obj);
    obj = undefined;
    const gc = collector();
    for (let i = 0; i < 5 && ref.deref() !== undefined; i++) {
      await tick();
      gc();
    }
    assert.equal(ref.deref(), undefined, 'collected with nothing but its served JSON left');
  });
});

// guaranteedUpdate starts from the watch cache's copy; these make that copy stale on purpose (a store write
// whose event has not been delivered yet: the store publishes it in a microtask) and check that every
// decision is taken again on the store's object.
async function withServer(fn: (deps: RestDeps, rt: ResourceType, key: string) => Promise<void>): Promise<void> {
  const s = await startTestServer();
  try {
    const deps = s.server.deps;
    const rt = deps.registry.lookup('', 'v1', 'configmaps')!;
    const created = await create(deps, systemRequest(rt, 'create', { namespace: 'default', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: '1' } } }));
    const key = deps.storage.key(rt, 'default', 'cm');
    await (await deps.storage.cache(rt)).waitFor(Number((created.object as KubeObject).metadata.resourceVersion), 1000);
    await fn(deps, rt, key);
  } finally {
    await s.close();
  }
}

/** Writes `data` straight to the store and starts `op` before the watch cache hears of it. */
async function behindTheCache<T>(deps: RestDeps, rt: ResourceType, key: string, data: Record<string, string>, op: () => Promise<T>): Promise<{ written: number; result: T }> {
  const stored = await deps.storage.get(rt, 'default', 'cm');
  const obj = { ...stored!, data };
  const writing = deps.storage.store.update(key, deps.storage.encode(rt, obj), Number(stored!.metadata.resourceVersion));
  const result = op(); // runs synchronously up to its first await: it reads the cache before the event lands
  const kv = await writing;
  return { written: kv.modRevision, result: await result };
}

test('a stale cached copy: a client precondition on the newer revision succeeds', async () => {
  await withServer(async (deps, rt, key) => {
    const stored = await deps.storage.get(rt, 'default', 'cm');
    const nextRv = String(Number(stored!.metadata.resourceVersion) + 1);
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', resourceVersion: nextRv }, data: { a: '3' } };
    const { written, result } = await behindTheCache(deps, rt, key, { a: '2' }, () => update(deps, systemRequest(rt, 'update', { namespace: 'default', name: 'cm', body })));
    assert.equal(String(written), nextRv);
    assert.equal(result.status, 200);
    assert.deepEqual((result.object as KubeObject)['data'], { a: '3' });
    assert.ok(Number((result.object as KubeObject).metadata.resourceVersion) > written);
  });
});

test('a stale cached copy: a patch that looks like a no-op against it is still written', async () => {
  await withServer(async (deps, rt, key) => {
    const patchBody = { data: { a: '1' } }; // equal to the cached copy, not to the store's object
    const { written, result } = await behindTheCache(deps, rt, key, { a: '2' }, () =>
      patch(deps, systemRequest(rt, 'patch', { namespace: 'default', name: 'cm', body: patchBody, contentType: 'application/merge-patch+json' })),
    );
    const obj = result.object as KubeObject;
    assert.deepEqual(obj['data'], { a: '1' });
    assert.ok(Number(obj.metadata.resourceVersion) > written, 'written after the other write');
    assert.deepEqual((await deps.storage.get(rt, 'default', 'cm'))!['data'], { a: '1' });
  });
});

test('a stale cached copy: a patch without precondition applies on top of the newer object', async () => {
  await withServer(async (deps, rt, key) => {
    const patchBody = { data: { b: 'x' } };
    const { result } = await behindTheCache(deps, rt, key, { a: '2' }, () =>
      patch(deps, systemRequest(rt, 'patch', { namespace: 'default', name: 'cm', body: patchBody, contentType: 'application/merge-patch+json' })),
    );
    assert.deepEqual((result.object as KubeObject)['data'], { a: '2', b: 'x' });
  });
});
