import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { startTestServer, type TestServer } from '../apiserver/harness.js';
import { ApiClient } from '../../src/client/client.js';
import { Informer, type EventHandlers } from '../../src/client/informer.js';
import { InformerFactory } from '../../src/client/informer-factory.js';
import { configMaps } from '../../src/client/resources.js';
import { clientConfigFor, clientFor, eventually } from './support.js';
import { startTcpProxy } from './tcp-proxy.js';

const fastBackoff = { initialMs: 20, maxMs: 200, factor: 2 };
const quiet = () => {};

type Ev = string;
function recorder(): { events: Ev[]; handlers: EventHandlers<ConfigMap> } {
  const events: Ev[] = [];
  return {
    events,
    handlers: {
      onAdd: (o, initial) => events.push(`add ${o.metadata!.name}${initial ? ' (initial)' : ''}`),
      onUpdate: (old, o) => events.push(`update ${o.metadata!.name} ${old.data?.['v']}->${o.data?.['v']}`),
      onDelete: (o, { finalStateUnknown }) => events.push(`delete ${o.metadata!.name} ${o.data?.['v']}${finalStateUnknown ? ' (unknown)' : ''}`),
    },
  };
}
const cm = (name: string, v: string): ConfigMap => ({ metadata: { name }, data: { v } });

let s: TestServer;
let client: ApiClient;
before(async () => {
  s = await startTestServer({ watch: { bookmarkIntervalMs: 100 } });
  client = clientFor(s);
});
after(async () => {
  client.close();
  await s.close();
});

test('informer lists, then sees adds, updates and deletes; indexes and late handlers work', async (t) => {
  await client.create(configMaps, cm('pre', '0'), { namespace: 'inf1' }).catch(async () => {
    await client.create({ group: '', version: 'v1', resource: 'namespaces', namespaced: false }, { metadata: { name: 'inf1' } });
    await client.create(configMaps, cm('pre', '0'), { namespace: 'inf1' });
  });
  const inf = new Informer<ConfigMap>(client, configMaps, {
    namespace: 'inf1',
    backoff: fastBackoff,
    log: quiet,
    indexers: { byValue: (o) => [o.data?.['v'] ?? ''] },
  });
  t.after(() => inf.stop());
  const r = recorder();
  inf.addEventHandler(r.handlers);
  inf.start();
  await inf.waitForSync();
  assert.ok(inf.hasSynced());
  assert.deepEqual(r.events, ['add pre (initial)']);

  await client.create(configMaps, cm('x', '1'), { namespace: 'inf1' });
  await client.patch(configMaps, 'x', { data: { v: '2' } }, 'merge', { namespace: 'inf1' });
  await client.delete(configMaps, 'pre', { namespace: 'inf1' });
  await client.create(configMaps, cm('other-ns', '1'), { namespace: 'default' });
  await eventually(() => r.events.length === 4, `events: ${r.events}`);
  assert.deepEqual(r.events, ['add pre (initial)', 'add x', 'update x 1->2', 'delete pre 0']);
  assert.deepEqual(inf.indexer.listKeys(), ['inf1/x']);
  assert.deepEqual(inf.indexer.byIndex('byValue', '2').map((o) => o.metadata!.name), ['x']);

  const late = recorder();
  inf.addEventHandler(late.handlers);
  assert.deepEqual(late.events, ['add x (initial)'], 'a late handler is told about cached objects');

  // Bookmarks move the resourceVersion forward although nothing in inf1 changed.
  const rvBefore = Number(inf.lastSyncResourceVersion());
  const other = await client.create<ConfigMap>(configMaps, cm('other-ns-2', '1'), { namespace: 'default' });
  await eventually(() => Number(inf.lastSyncResourceVersion()) >= Number(other.metadata!.resourceVersion), 'bookmark advances rv');
  assert.ok(Number(inf.lastSyncResourceVersion()) > rvBefore);
  await inf.stop();
  assert.equal(inf.counters().lists, 1);
});

test('informer resumes the watch after the connection is cut, without relisting', async (t) => {
  const proxy = await startTcpProxy(s.port);
  const c = ApiClient.fromConfig({ ...clientConfigFor(s), servers: [proxy.url] });
  const inf = new Informer<ConfigMap>(c, configMaps, { namespace: 'default', labelSelector: 'cut=1', backoff: fastBackoff, log: quiet });
  t.after(async () => {
    await inf.stop();
    c.close();
    await proxy.close();
  });
  const r = recorder();
  inf.addEventHandler(r.handlers);
  inf.start();
  await inf.waitForSync();
  const withLabel = (o: ConfigMap): ConfigMap => ({ ...o, metadata: { ...o.metadata, labels: { cut: '1' } } });
  await client.create(configMaps, withLabel(cm('c1', '1')));
  await eventually(() => r.events.length === 1, 'c1 seen');

  proxy.refuse(true);
  proxy.cutAll();
  // Changes while the informer is disconnected arrive when its watch resumes.
  await client.patch(configMaps, 'c1', { data: { v: '2' } }, 'merge');
  await client.create(configMaps, withLabel(cm('c2', '1')));
  await new Promise((res) => setTimeout(res, 150));
  assert.deepEqual(r.events, ['add c1']);
  proxy.refuse(false);
  await eventually(() => r.events.length === 3, `events: ${r.events}`);
  assert.deepEqual(r.events, ['add c1', 'update c1 1->2', 'add c2']);
  const counts = inf.counters();
  assert.equal(counts.lists, 1, 'no relist after a cut');
  assert.ok(counts.watches >= 2, `watches: ${counts.watches}`);

});

test('informer relists after 410 Expired and reports deletions it missed with the last known state', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-client-410-'));
  const a = await startTestServer({ dataDir });
  const proxy = await startTcpProxy(a.port);
  const c = ApiClient.fromConfig({ ...clientConfigFor(a), servers: [proxy.url] });
  const seed = clientFor(a);
  await seed.create(configMaps, cm('keep', '1'));
  await seed.create(configMaps, cm('gone', '1'));
  seed.close();
  const inf = new Informer<ConfigMap>(c, configMaps, { namespace: 'default', backoff: fastBackoff, log: quiet });
  const r = recorder();
  inf.addEventHandler(r.handlers);
  inf.start();
  await inf.waitForSync();
  assert.deepEqual(r.events.sort(), ['add gone (initial)', 'add keep (initial)']);

  // The server restarts with a watch-cache window of 2 events; the 3 changes below push the
  // informer's resourceVersion out of it, so the watch gets 410 and the informer must relist.
  proxy.refuse(true);
  proxy.cutAll();
  await a.close();
  const b = await startTestServer({ dataDir, watchCacheCapacity: 2 });
  try {
    const cb = clientFor(b);
    await cb.delete(configMaps, 'gone');
    await cb.patch(configMaps, 'keep', { data: { v: '2' } }, 'merge');
    await cb.create(configMaps, cm('new', '1'));
    cb.close();
    proxy.retarget(b.port);
    proxy.refuse(false);
    await eventually(() => r.events.length === 5, `events: ${r.events}`);
    assert.deepEqual(r.events.slice(2).sort(), ['add new', 'delete gone 1 (unknown)', 'update keep 1->2']);
    assert.equal(inf.counters().lists, 2, 'exactly one relist');
    assert.deepEqual(inf.indexer.listKeys().sort(), ['default/keep', 'default/new']);
  } finally {
    await inf.stop();
    c.close();
    await proxy.close();
    await b.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('InformerFactory shares one informer per resource and scope', async (t) => {
  const f = new InformerFactory(client, { backoff: fastBackoff, log: quiet });
  t.after(() => f.stop());
  const i1 = f.informerFor(configMaps, { namespace: 'default' });
  const i2 = f.informerFor(configMaps, { namespace: 'default' });
  const i3 = f.informerFor(configMaps, { namespace: 'default', labelSelector: 'a=b' });
  assert.equal(i1, i2);
  assert.notEqual(i1, i3);
  f.start();
  const late = f.informerFor(configMaps, { namespace: 'kube-system' });
  await f.waitForSync();
  assert.ok(i1.hasSynced() && i3.hasSynced() && late.hasSynced(), 'informers created after start() run too');
  await f.stop();
});
