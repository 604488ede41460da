// The official JavaScript client (@kubernetes/client-node 1.4, the line that works on Node 20) against a
// real Skiff API server: typed create/list, a raw watch, and an informer that follows adds, updates and
// deletes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startTestServer, type TestServer } from '../apiserver/harness.js';

let s: TestServer;
let kc: k8s.KubeConfig;

before(async () => {
  s = await startTestServer();
  kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'skiff', server: s.url, caData: Buffer.from(s.ca).toString('base64') }],
    users: [{ name: 'admin', token: s.token }],
    contexts: [{ name: 'skiff', cluster: 'skiff', user: 'admin' }],
    currentContext: 'skiff',
  });
});
after(async () => {
  await s?.close();
});

async function until<T>(get: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('typed client: namespaces, configmaps, list with selectors', async () => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const nsList = await core.listNamespace();
  assert.ok(nsList.items.some((n) => n.metadata?.name === 'default'));
  await core.createNamespace({ body: { metadata: { name: 'client' } } });
  for (const i of [1, 2, 3]) {
    await core.createNamespacedConfigMap({ namespace: 'client', body: { metadata: { name: `cm-${i}`, labels: { n: String(i % 2) } }, data: { i: String(i) } } });
  }
  const odd = await core.listNamespacedConfigMap({ namespace: 'client', labelSelector: 'n=1' });
  assert.deepEqual(odd.items.map((c) => c.metadata?.name).sort(), ['cm-1', 'cm-3']);
  const paged = await core.listNamespacedConfigMap({ namespace: 'client', limit: 2 });
  assert.equal(paged.items.length, 2);
  assert.ok(paged.metadata?._continue, 'continue token for the next page');
  const rest = await core.listNamespacedConfigMap({ namespace: 'client', limit: 2, _continue: paged.metadata!._continue });
  assert.equal(rest.items.length, 1);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const d = await apps.createNamespacedDeployment({
    namespace: 'client',
    body: {
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'nginx' }] } } },
    },
  });
  assert.equal(d.spec?.replicas, 1, 'defaulted replicas');
  await assert.rejects(core.readNamespacedConfigMap({ namespace: 'client', name: 'missing' }), (e: unknown) => (e as { code?: number }).code === 404);
});

test('watch streams events from a resourceVersion', async () => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const list = await core.listNamespacedConfigMap({ namespace: 'client' });
  const seen: string[] = [];
  const watch = new k8s.Watch(kc);
  const req = await watch.watch(
    '/api/v1/namespaces/client/configmaps',
    { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
    (type: string, obj: k8s.V1ConfigMap) => seen.push(`${type} ${obj.metadata?.name}`),
    () => undefined,
  );
  await core.createNamespacedConfigMap({ namespace: 'client', body: { metadata: { name: 'watched' } } });
  await core.patchNamespacedConfigMap({ namespace: 'client', name: 'watched', body: { data: { a: 'b' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
  await core.deleteNamespacedConfigMap({ namespace: 'client', name: 'watched' });
  await until(() => (seen.length >= 3 ? true : undefined), 'three watch events');
  req.abort();
  assert.deepEqual(seen.slice(0, 3), ['ADDED watched', 'MODIFIED watched', 'DELETED watched']);
});

test('informer follows adds, updates and deletes', async () => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const informer = k8s.makeInformer(kc, '/api/v1/namespaces/client/configmaps', () => core.listNamespacedConfigMap({ namespace: 'client' }));
  const events: string[] = [];
  informer.on('add', (o: k8s.V1ConfigMap) => events.push(`add ${o.metadata?.name}`));
  informer.on('update', (o: k8s.V1ConfigMap) => events.push(`update ${o.metadata?.name}`));
  informer.on('delete', (o: k8s.V1ConfigMap) => events.push(`delete ${o.metadata?.name}`));
  await informer.start();
  try {
    await until(() => (informer.list().length >= 3 ? true : undefined), 'initial list');
    await core.createNamespacedConfigMap({ namespace: 'client', body: { metadata: { name: 'inf' } } });
    await until(() => informer.get('inf', 'client'), 'informer add');
    await core.replaceNamespacedConfigMap({ namespace: 'client', name: 'inf', body: { metadata: { name: 'inf' }, data: { x: 'y' } } });
    await until(() => (informer.get('inf', 'client')?.data?.['x'] === 'y' ? true : undefined), 'informer update');
    await core.deleteNamespacedConfigMap({ namespace: 'client', name: 'inf' });
    await until(() => (informer.get('inf', 'client') ? undefined : true), 'informer delete');
    assert.ok(events.includes('add inf') && events.includes('update inf') && events.includes('delete inf'), events.join(', '));
  } finally {
    await informer.stop();
  }
});
