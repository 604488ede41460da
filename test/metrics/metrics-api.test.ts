// The metrics APIs against a real API server scraping simulated nodes over HTTPS: NodeMetrics/PodMetrics
// from pod usage annotations, label selectors, 404s, custom and external metrics by convention, and the
// real kubectl's `top` and `get --raw` output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { resources } from '../../src/client/index.js';
import { cpuUsageAnnotation, memoryUsageAnnotation } from '../../src/runtime/sim/index.js';
import { startMetricsEnv, type MetricsEnv } from './env.js';
import { eventually } from '../controllers/support.js';

const run = promisify(execFile);
let env: MetricsEnv;

const pod = (name: string, node: string, cpu: string, mem: string, labels: Record<string, string>, containers = ['app']): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels, annotations: { [cpuUsageAnnotation]: cpu, [memoryUsageAnnotation]: mem, 'custom.metrics.skiff.dev/requests_per_second': '42' } },
  spec: { nodeName: node, containers: containers.map((c) => ({ name: c, image: 'busybox', resources: { requests: { cpu: '100m' } } })) },
});

before(async () => {
  env = await startMetricsEnv({ nodes: 2 });
  await env.client.create(resources.pods, pod('web-1', 'sim-node-0', '250m', '64Mi', { app: 'web' }));
  await env.client.create(resources.pods, pod('web-2', 'sim-node-1', '50m', '32Mi', { app: 'web' }, ['a', 'b']));
  await env.client.create(resources.pods, pod('db-1', 'sim-node-1', '10m', '16Mi', { app: 'db' }));
  await eventually(() => env.client.list<Pod>(resources.pods), (l) => l.items.every((p) => p.status?.phase === 'Running'), 'pods running');
  await env.server.metrics!.scrapeNow();
});
after(async () => env?.close());

const get = <T>(path: string) => env.client.call<T>('GET', path);

test('PodMetrics: per-container usage from the simulated nodes, label selectors, 404', async () => {
  const one = await get<{ kind: string; containers: { name: string; usage: { cpu: string; memory: string } }[]; window: string; metadata: { labels: Record<string, string> } }>('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-1');
  assert.equal(one.kind, 'PodMetrics');
  assert.deepEqual(one.containers, [{ name: 'app', usage: { cpu: '250m', memory: '64Mi' } }]);
  assert.equal(one.window, '15s');
  assert.deepEqual(one.metadata.labels, { app: 'web' });
  const two = await get<{ containers: { name: string; usage: { cpu: string } }[] }>('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-2');
  assert.deepEqual(two.containers.map((c) => [c.name, c.usage.cpu]), [['a', '25m'], ['b', '25m']]);
  const web = await get<{ kind: string; items: { metadata: { name: string } }[] }>('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dweb');
  assert.equal(web.kind, 'PodMetricsList');
  assert.deepEqual(web.items.map((i) => i.metadata.name), ['web-1', 'web-2']);
  const all = await get<{ items: unknown[] }>('/apis/metrics.k8s.io/v1beta1/pods');
  assert.equal(all.items.length, 3);
  await assert.rejects(get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope'), (e: { code?: number; message?: string }) => e.code === 404 && /podmetrics.metrics.k8s.io "default\/nope" not found/.test(e.message ?? ''));
  await assert.rejects(env.client.call('POST', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods', { body: {} }), (e: { code?: number }) => e.code === 405);
});

test('NodeMetrics: the sum of the node\'s pods; usage follows annotation changes at the next scrape', async () => {
  const n1 = await get<{ usage: { cpu: string; memory: string } }>('/apis/metrics.k8s.io/v1beta1/nodes/sim-node-1');
  assert.deepEqual(n1.usage, { cpu: '60m', memory: '48Mi' });
  await env.client.patch(resources.pods, 'db-1', { metadata: { annotations: { [cpuUsageAnnotation]: '1500m' } } }, 'merge', { namespace: 'default' });
  await eventually(async () => {
    // Staggered as the periodic scrape is.
    await env.server.metrics!.scrapeNow({ stagger: true });
    return get<{ usage: { cpu: string } }>('/apis/metrics.k8s.io/v1beta1/nodes/sim-node-1');
  }, (n) => n.usage.cpu === '1550m', 'node usage follows the annotation');
  const list = await get<{ items: { metadata: { name: string } }[] }>('/apis/metrics.k8s.io/v1beta1/nodes');
  assert.deepEqual(list.items.map((i) => i.metadata.name), ['sim-node-0', 'sim-node-1']);
});

test('discovery lists the metrics groups', async () => {
  const groups = await get<{ groups: { name: string; preferredVersion: { version: string } }[] }>('/apis');
  const names = groups.groups.map((g) => `${g.name}/${g.preferredVersion.version}`);
  for (const g of ['metrics.k8s.io/v1beta1', 'custom.metrics.k8s.io/v1beta2', 'external.metrics.k8s.io/v1beta1']) assert.ok(names.includes(g), g);
  const rl = await get<{ resources: { name: string; kind: string; verbs: string[] }[] }>('/apis/metrics.k8s.io/v1beta1');
  assert.deepEqual(rl.resources.map((r) => [r.name, r.kind, r.verbs.join(',')]), [['nodes', 'NodeMetrics', 'get,list'], ['pods', 'PodMetrics', 'get,list']]);
});

test('custom metrics: pods and objects by annotation; external metrics from labelled ConfigMaps', async () => {
  const pods = await get<{ kind: string; items: { describedObject: { kind: string; name: string }; metric: { name: string }; value: string }[] }>(
    '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/requests_per_second?labelSelector=app%3Dweb',
  );
  assert.equal(pods.kind, 'MetricValueList');
  assert.deepEqual(pods.items.map((i) => [i.describedObject.kind, i.describedObject.name, i.metric.name, i.value]), [['Pod', 'web-1', 'requests_per_second', '42'], ['Pod', 'web-2', 'requests_per_second', '42']]);
  await env.client.create(resources.services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'front', annotations: { 'custom.metrics.skiff.dev/hits': '2500m' } }, spec: { ports: [{ port: 80 }] } }, { namespace: 'default' });
  const obj = await get<{ items: { describedObject: { kind: string; name: string; apiVersion: string }; value: string }[] }>('/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/services/front/hits');
  assert.deepEqual(obj.items.map((i) => [i.describedObject.kind, i.describedObject.apiVersion, i.describedObject.name, i.value]), [['Service', '/v1', 'front', '2500m']]);
  await assert.rejects(get('/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/services/front/nothing'), (e: { code?: number }) => e.code === 404);
  await env.client.create(resources.configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'queue', labels: { 'external.metrics.skiff.dev/source': 'true', queue: 'orders' } }, data: { queue_depth: '30' } }, { namespace: 'default' });
  const ext = await get<{ kind: string; items: { metricName: string; metricLabels: Record<string, string>; value: string }[] }>('/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth?labelSelector=queue%3Dorders');
  assert.equal(ext.kind, 'ExternalMetricValueList');
  assert.deepEqual(ext.items.map((i) => [i.metricName, i.metricLabels, i.value]), [['queue_depth', { queue: 'orders' }, '30']]);
  await assert.rejects(get('/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth?labelSelector=queue%3Dother'), (e: { code?: number }) => e.code === 404);
});

test('kubectl top pods / nodes print from the metrics API', { skip: existsSync('/usr/bin/kubectl') ? false : 'kubectl not installed' }, async () => {
  const kc = ['--kubeconfig', env.kubeconfig];
  const pods = await run('kubectl', [...kc, 'top', 'pods', '-l', 'app=web']);
  assert.match(pods.stdout, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*\n/);
  assert.match(pods.stdout, /web-1\s+250m\s+64Mi/);
  assert.match(pods.stdout, /web-2\s+50m\s+32Mi/);
  assert.doesNotMatch(pods.stdout, /db-1/);
  const containers = await run('kubectl', [...kc, 'top', 'pods', 'web-2', '--containers']);
  assert.match(containers.stdout, /web-2\s+a\s+25m\s+16Mi/);
  const nodes = await run('kubectl', [...kc, 'top', 'nodes']);
  assert.match(nodes.stdout, /^NAME\s+CPU\(cores\)\s+CPU(%|\(%\))\s+MEMORY\(bytes\)\s+MEMORY(%|\(%\))/);
  assert.match(nodes.stdout, /sim-node-0\s+250m\s+6%\s+64Mi\s+0%/);
  const table = await run('kubectl', [...kc, 'get', 'podmetrics', 'web-1']);
  assert.match(table.stdout, /NAME\s+CPU\s+MEMORY\s+WINDOW\s*\nweb-1\s+250m\s+64Mi\s+15s/);
});

test('whole-namespace PodMetrics lists (served from the cached body) follow label changes, new and deleted pods', async () => {
  type List = { items: { metadata: { name: string; labels?: Record<string, string>; creationTimestamp: string } }[] };
  const base = '/apis/metrics.k8s.io/v1beta1';
  const names = (l: List) => l.items.map((i) => i.metadata.name);
  const before = await get<List>(`${base}/namespaces/default/pods`);
  assert.deepEqual(names(before), ['db-1', 'web-1', 'web-2']);
  assert.deepEqual(names(await get<List>(`${base}/pods`)), ['db-1', 'web-1', 'web-2']);
  // A label change shows at once (no scrape needed), in the all-namespaces list too.
  await env.client.patch(resources.pods, 'web-1', { metadata: { labels: { tier: 'front' } } }, 'merge', { namespace: 'default' });
  await eventually(() => get<List>(`${base}/namespaces/default/pods`), (l) => l.items[1]?.metadata.labels?.['tier'] === 'front', 'label change in the namespace list');
  await eventually(() => get<List>(`${base}/pods`), (l) => l.items[1]?.metadata.labels?.['tier'] === 'front', 'label change in the all-namespaces list');
  // A new pod appears after the scrape that samples it; a deleted one leaves with the next scrape.
  await env.client.create(resources.pods, pod('cache-1', 'sim-node-0', '5m', '8Mi', { app: 'cache' }));
  await env.client.delete(resources.pods, 'db-1', { namespace: 'default', gracePeriodSeconds: 0 });
  await eventually(async () => {
    await env.server.metrics!.scrapeNow();
    return get<List>(`${base}/namespaces/default/pods`);
  }, (l) => names(l).join() === 'cache-1,web-1,web-2', 'new pod listed, deleted pod gone');
  // The table (kubectl get podmetrics) and metadata-only shapes still come from the objects.
  const table = await env.client.call<{ kind: string; rows: { cells: string[] }[] }>('GET', `${base}/namespaces/default/pods`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
  assert.equal(table.kind, 'Table');
  assert.deepEqual(table.rows.map((r) => r.cells[0]), ['cache-1', 'web-1', 'web-2']);
  const meta = await env.client.call<{ kind: string; items: { metadata: { name: string } }[] }>('GET', `${base}/pods`, { accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' });
  assert.equal(meta.kind, 'PartialObjectMetadataList');
  assert.deepEqual(meta.items.map((i) => i.metadata.name), ['cache-1', 'web-1', 'web-2']);
  if (existsSync('/usr/bin/kubectl')) {
    // What `kubectl top pods -A` asks: the all-namespaces list, from the cached body.
    const top = await run('kubectl', ['--kubeconfig', env.kubeconfig, 'top', 'pods', '-A']);
    assert.match(top.stdout, /^NAMESPACE\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*\n/);
    assert.deepEqual(top.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/).slice(0, 2).join('/')), ['default/cache-1', 'default/web-1', 'default/web-2']);
    assert.match(top.stdout, /default\s+cache-1\s+5m\s+8Mi/);
  }
});

test('label-selected PodMetrics lists follow label changes and keep pods whose other fields change', async () => {
  type List = { items: { metadata: { name: string; labels?: Record<string, string> } }[] };
  const selected = async (selector: string) =>
    (await get<List>(`/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=${encodeURIComponent(selector)}`)).items.map((i) => i.metadata.name);
  assert.deepEqual(await selected('app=web'), ['web-1', 'web-2']);
  // Labels unchanged (an annotation and a status write): still selected, and the newest object is served.
  await env.client.patch(resources.pods, 'web-2', { metadata: { annotations: { note: 'x' } } }, 'merge', { namespace: 'default' });
  await env.client.patch(resources.pods, 'web-2', { status: { message: 'still here' } }, 'merge', { namespace: 'default', subresource: 'status' });
  await env.client.patch(resources.pods, 'web-2', { metadata: { labels: { app: 'web' } } }, 'merge', { namespace: 'default' });
  assert.deepEqual(await selected('app=web'), ['web-1', 'web-2']);
  // A label change moves the pod between selections.
  await env.client.patch(resources.pods, 'web-2', { metadata: { labels: { app: 'api', extra: 'y' } } }, 'merge', { namespace: 'default' });
  await eventually(() => selected('app=web'), (names) => names.join() === 'web-1', 'web-2 leaves app=web');
  assert.deepEqual(await selected('app=api'), ['web-2']);
  assert.deepEqual(await selected('extra=y'), ['web-2']);
  const one = await get<{ metadata: { labels: Record<string, string> } }>('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-2');
  assert.deepEqual(one.metadata.labels, { app: 'api', extra: 'y' });
});
