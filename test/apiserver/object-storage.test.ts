// ObjectStorage's write hand-over: the watch cache takes the object a write just encoded instead of parsing
// its JSON again (SQLite notifies synchronously), and only that object, only for that write.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { builtinResources } from '../../src/api/kinds/index.js';
import type { KubeObject } from '../../src/api/types.js';
import { ObjectStorage } from '../../src/apiserver/object-storage.js';
import { ResourceRegistry } from '../../src/apiserver/resource-registry.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import type { Store } from '../../src/storage/store.js';

describe('ObjectStorage write hand-over to the watch cache', () => {
  let dir: string;
  let store: Store;
  let storage: ObjectStorage;
  const rt = new ResourceRegistry(builtinResources()).lookup('', 'v1', 'configmaps')!;
  const cm = (name: string, v: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { v } }) as KubeObject;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-object-storage-'));
    store = await openSqliteStore(join(dir, 'state.db'));
    storage = new ObjectStorage(store);
    await storage.cache(rt);
  });
  after(async () => {
    storage.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the cache holds the written object itself, with the store revision as resourceVersion', async () => {
    const obj = cm('a', '1');
    const key = storage.key(rt, 'default', 'a');
    const kv = await store.create(key, storage.encodeForWrite(rt, obj));
    storage.writeDone();
    const cached = (await storage.cache(rt)).get(key);
    assert.equal(cached, obj);
    assert.equal(cached?.metadata.resourceVersion, String(kv.modRevision));
  });

  it('a write that fails hands nothing over: the next write of other content is parsed', async () => {
    const key = storage.key(rt, 'default', 'a');
    const stale = cm('a', 'never-written');
    await assert.rejects(store.create(key, storage.encodeForWrite(rt, stale)));
    storage.writeDone();
    const current = (await storage.cache(rt)).get(key)!;
    const other = structuredClone(current);
    other.data = { v: '2' };
    await store.update(key, storage.encode(rt, other), Number(current.metadata.resourceVersion));
    const cached = (await storage.cache(rt)).get(key)!;
    assert.notEqual(cached, other, 'written with plain encode: parsed, not shared');
    assert.notEqual(cached, stale);
    assert.deepEqual(cached.data, { v: '2' });
  });

  it('a store that notifies asynchronously (etcd: consistentCacheReads false) hands nothing over', async () => {
    const async = new ObjectStorage(store, { consistentCacheReads: false });
    try {
      await async.cache(rt);
      const obj = cm('b', '1');
      const key = async.key(rt, 'default', 'b');
      await store.create(key, async.encodeForWrite(rt, obj));
      async.writeDone();
      const cached = (await async.cache(rt)).get(key);
      assert.notEqual(cached, obj);
      assert.deepEqual(cached?.data, { v: '1' });
    } finally {
      async.close();
    }
  });

  it('plain reads never take a pending object', async () => {
    const key = storage.key(rt, 'default', 'a');
    const current = (await storage.cache(rt)).get(key)!;
    const pending = structuredClone(current);
    storage.encodeForWrite(rt, pending);
    const read = await storage.get(rt, 'default', 'a');
    storage.writeDone();
    assert.notEqual(read, pending);
    assert.deepEqual(read?.data, current.data);
  });
});
