import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { ConfigMap, Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { startTestServer, type TestServer } from '../apiserver/harness.js';
import { ApiClient, type ListResult } from '../../src/client/client.js';
import { HttpsTransport } from '../../src/client/transport.js';
import { ApiError, isAlreadyExists, isConflict, isNotFound, TransportError } from '../../src/client/errors.js';
import { configMaps, deployments, nodes, pods } from '../../src/client/resources.js';
import type { WatchEvent } from '../../src/client/watch-event.js';
import { clientConfigFor, clientFor } from './support.js';

let s: TestServer;
let client: ApiClient;

before(async () => {
  s = await startTestServer();
  client = clientFor(s);
});
after(async () => {
  client.close();
  await s.close();
});

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>): ConfigMap => ({
  metadata: { name, ...(labels ? { labels } : {}) },
  data,
});

test('create, get, update with optimistic concurrency, delete', async () => {
  const cms = client.typed(configMaps);
  const created = await cms.create(cm('crud', { a: '1' }));
  assert.equal(created.metadata?.namespace, 'default');
  assert.equal(created.kind, 'ConfigMap');
  await assert.rejects(cms.create(cm('crud')), (e) => isAlreadyExists(e) && e instanceof ApiError && e.code === 409);

  const got = await cms.get('crud');
  assert.deepEqual(got.data, { a: '1' });
  const updated = await cms.update({ ...got, data: { a: '2' } });
  assert.notEqual(updated.metadata?.resourceVersion, got.metadata?.resourceVersion);
  await assert.rejects(cms.update({ ...got, data: { a: 'stale' } }), isConflict, 'a stale resourceVersion conflicts');

  await assert.rejects(
    cms.delete('crud', { preconditions: { resourceVersion: got.metadata!.resourceVersion! } }),
    isConflict,
    'delete precondition on an old resourceVersion',
  );
  await cms.delete('crud', { propagationPolicy: 'Background', preconditions: { uid: got.metadata!.uid! } });
  await assert.rejects(cms.get('crud'), (e) => isNotFound(e) && (e as ApiError).status.reason === 'NotFound' && /crud/.test((e as Error).message));
});

test('createOnly and patchOnly resolve with nothing on success and reject with the ApiError otherwise; non-ASCII bodies arrive whole', async () => {
  const text = 'grüße ✓ 🚢 '.repeat(50);
  assert.equal(await client.createOnly(configMaps, cm('only', { text })), undefined);
  assert.equal((await client.get<ConfigMap>(configMaps, 'only')).data?.['text'], text, 'the body is sent with its UTF-8 byte length');
  await assert.rejects(client.createOnly(configMaps, cm('only')), (e) => isAlreadyExists(e) && e instanceof ApiError && /only/.test(e.message));
  assert.equal(await client.patchOnly(configMaps, 'only', { data: { more: '✓' } }, 'merge'), undefined);
  assert.equal((await client.get<ConfigMap>(configMaps, 'only')).data?.['more'], '✓');
  await assert.rejects(client.patchOnly(configMaps, 'absent', { data: {} }, 'merge'), isNotFound);
  await client.delete(configMaps, 'only');
});

test('list follows continue tokens unless asked for one page; selectors filter', async () => {
  for (let i = 0; i < 5; i++) await client.create(configMaps, cm(`page-${i}`, {}, { suite: 'paging', odd: String(i % 2) }));
  const all = await client.list<ConfigMap>(configMaps, { namespace: 'default', labelSelector: 'suite=paging', limit: 2 });
  assert.deepEqual(all.items.map((o) => o.metadata!.name), ['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
  assert.equal(all.continue, undefined);
  assert.match(all.resourceVersion, /^\d+$/);
  assert.equal(all.items[0]!.kind, 'ConfigMap', 'list items are self-describing');

  const one = await client.list(configMaps, { namespace: 'default', labelSelector: 'suite=paging', limit: 2, paginate: false });
  assert.equal(one.items.length, 2);
  assert.ok(one.continue);

  const odd = await client.list<ConfigMap>(configMaps, { labelSelector: 'suite=paging,odd=1' });
  assert.deepEqual(odd.items.map((o) => o.metadata!.name), ['page-1', 'page-3']);
  const byName = await client.list<ConfigMap>(configMaps, { namespace: 'default', fieldSelector: 'metadata.name=page-2' });
  assert.deepEqual(byName.items.map((o) => o.metadata!.name), ['page-2']);

  const res = await client.deleteCollection<ConfigMap>(configMaps, { labelSelector: 'suite=paging' });
  assert.equal((res as ListResult<ConfigMap>).items.length, 5);
  assert.equal((await client.list(configMaps, { labelSelector: 'suite=paging' })).items.length, 0);
});

test('patch: JSON patch, merge patch, strategic merge patch and server-side apply', async () => {
  const cms = client.typed(configMaps);
  await cms.create(cm('patchme', { a: '1', b: '2' }));
  let o = await cms.patch('patchme', [{ op: 'replace', path: '/data/a', value: 'json' }], 'json');
  assert.equal(o.data?.a, 'json');
  o = await cms.patch('patchme', { data: { b: null, c: '3' } }, 'merge');
  assert.deepEqual(o.data, { a: 'json', c: '3' });
  o = await cms.patch('patchme', { metadata: { labels: { smp: 'yes' } } }, 'strategic');
  assert.equal(o.metadata?.labels?.['smp'], 'yes');
  o = await cms.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { k: 'v' } }, { fieldManager: 'test' });
  assert.deepEqual(o.data, { k: 'v' });
  const managers = (o.metadata?.managedFields ?? []).map((m) => m.manager);
  assert.ok(managers.length === 0 || managers.includes('test'), `managedFields: ${managers}`);
});

test('status subresource, pods/binding and pods/eviction', async () => {
  const node = await client.create<Node>(nodes, { metadata: { name: 'node-a' } });
  assert.equal(node.metadata?.namespace, undefined);
  const withStatus = await client.updateStatus<Node>(nodes, { ...node, status: { capacity: { cpu: '4' } } });
  assert.equal(withStatus.status?.capacity?.['cpu'], '4');

  const podsClient = client.typed(pods);
  await podsClient.create({ metadata: { name: 'bindme' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  await client.createSubresource(pods, 'bindme', 'binding', {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: 'bindme' },
    target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' },
  });
  assert.equal((await podsClient.get('bindme')).spec?.nodeName, 'node-a');

  await client.createSubresource(pods, 'bindme', 'eviction', {
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name: 'bindme', namespace: 'default' },
  });
  const after = await podsClient.get('bindme').catch((e) => e as Error);
  assert.ok(isNotFound(after) || (after as Pod).metadata?.deletionTimestamp, 'evicted pod is gone or terminating');
});

test('scale subresource', async () => {
  const d: Deployment = {
    metadata: { name: 'web' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    },
  };
  await client.create(deployments, d);
  const scale = await client.getScale(deployments, 'web');
  assert.equal(scale.spec?.replicas, 1);
  const updated = await client.updateScale(deployments, 'web', { ...scale, spec: { replicas: 3 } });
  assert.equal(updated.spec?.replicas, 3);
  assert.equal((await client.typed(deployments).get('web')).spec?.replicas, 3);
});

test('watch delivers ADDED, MODIFIED, DELETED in order from a resourceVersion; close() ends it', async () => {
  const start = await client.list(configMaps, { namespace: 'default' });
  const w = await client.watch<ConfigMap>(configMaps, { namespace: 'default', resourceVersion: start.resourceVersion, labelSelector: 'w=1' });
  const seen: Array<[string, string]> = [];
  const done = (async () => {
    for await (const ev of w) {
      if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') seen.push([ev.type, ev.object.data?.['v'] ?? '']);
      if (ev.type === 'DELETED') break;
    }
  })();
  await client.create(configMaps, cm('watched', { v: '1' }, { w: '1' }));
  await client.create(configMaps, cm('unwatched', { v: 'x' }, { w: '2' }));
  await client.patch(configMaps, 'watched', { data: { v: '2' } }, 'merge');
  await client.delete(configMaps, 'watched');
  await done;
  assert.deepEqual(seen, [
    ['ADDED', '1'],
    ['MODIFIED', '2'],
    ['DELETED', '2'],
  ]);

  const w2 = await client.watch(configMaps, { namespace: 'default', resourceVersion: start.resourceVersion, name: 'nothing-here' });
  const it = (async () => {
    const evs: WatchEvent[] = [];
    for await (const ev of w2) evs.push(ev);
    return evs;
  })();
  w2.close();
  assert.deepEqual(await it, [], 'close() ends iteration without an error');

  const w3 = await client.watch(configMaps, { namespace: 'default', name: 'nothing-here', timeoutSeconds: 1 });
  const t0 = Date.now();
  for await (const ev of w3) assert.fail(`unexpected ${ev.type}`);
  assert.ok(Date.now() - t0 >= 900, 'the server ends the watch after timeoutSeconds, cleanly');
});

test('resourceFor uses discovery', async () => {
  assert.deepEqual(await client.resourceFor('apps/v1', 'Deployment'), { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true, kind: 'Deployment' });
  assert.deepEqual(await client.resourceFor('v1', 'Node'), { group: '', version: 'v1', resource: 'nodes', namespaced: false, kind: 'Node' });
  await assert.rejects(client.resourceFor('v1', 'Nope'), (e) => isNotFound(e) && /no matches for kind "Nope"/.test((e as Error).message));
  await assert.rejects(client.resourceFor('nope.example/v1', 'X'), isNotFound);
});

test('connection failures are TransportErrors, not ApiErrors; the next server is tried', async () => {
  const dead = await unusedPort();
  const offline = new ApiClient(new HttpsTransport({ ...clientConfigFor(s), servers: [`https://127.0.0.1:${dead}`] }));
  await assert.rejects(offline.get(configMaps, 'x'), (e) => e instanceof TransportError && e.kind === 'connect' && !(e instanceof ApiError));
  offline.close();

  const failover = clientFor(s, [`https://127.0.0.1:${dead}`, s.url]);
  await assert.rejects(failover.get(configMaps, 'missing'), isNotFound, 'reached the live server');
  failover.close();

  const slow = new ApiClient(new HttpsTransport(clientConfigFor(s), { timeoutMs: 1 }));
  await assert.rejects(slow.list(configMaps), (e) => e instanceof TransportError && e.kind === 'timeout');
  slow.close();

  const ac = new AbortController();
  ac.abort();
  await assert.rejects(client.list(configMaps, { signal: ac.signal }), (e) => e instanceof TransportError && e.kind === 'aborted');

  const badToken = ApiClient.fromConfig({ ...clientConfigFor(s), token: 'wrong' });
  await assert.rejects(badToken.list(configMaps), (e) => e instanceof ApiError && e.code === 401);
  badToken.close();
});

test('client certificates authenticate', async () => {
  const c = ApiClient.fromConfig({ servers: [s.url], ca: s.ca, cert: s.adminCert, key: s.adminKey, namespace: 'default' });
  const list = await c.list(namespaces());
  assert.ok(list.items.some((n) => n.metadata?.name === 'default'));
  c.close();
});

function namespaces() {
  return { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
}

function unusedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}
