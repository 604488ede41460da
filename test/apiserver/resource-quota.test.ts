// ResourceQuota admission against a real API server with the ResourceQuota controller running: object
// counts and compute quotas refused with upstream's 403 messages, "must specify" for pods lacking limits,
// concurrent creates never overshooting, and usage released when objects go away.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import type { AdmissionPlugin } from '../../src/apiserver/admission/admission.js';
import { resourceQuotaPlugin } from '../../src/apiserver/admission/resource-quota.js';
import { registration } from '../../src/controllers/resourcequota/register.js';
import { resourceQuotas } from '../../src/controllers/resourcequota/resourcequota-controller.js';
import { fromRegistration, startWithController, type SingleControllerEnv } from '../controllers/endpoints/env.js';
import { eventually } from '../controllers/support.js';
import { startTestServer, type TestServer } from './harness.js';

let server: TestServer;
let env: SingleControllerEnv;
before(async () => {
  server = await startTestServer();
  const admission = server.server.deps.admission;
  const present = (admission as unknown as { plugins: AdmissionPlugin[] }).plugins.some((p) => p.name === 'ResourceQuota');
  if (!present) admission.register(resourceQuotaPlugin(server.server.deps.registry, server.server.deps.storage));
  env = await startWithController(fromRegistration(registration), { server });
});
after(async () => {
  await env?.close();
  await server?.close();
});

const pod = (name: string, resources: object = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'x', resources }] } });

async function namespaceWithQuota(ns: string, name: string, hard: Record<string, string>, spec: object = {}): Promise<void> {
  assert.equal((await server.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } })).status, 201);
  const r = await server.request('POST', `/api/v1/namespaces/${ns}/resourcequotas`, { body: { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec: { hard, ...spec } } });
  assert.equal(r.status, 201, r.body);
  await usedOf(ns, name, (u) => Object.keys(u).length === Object.keys(hard).length);
}

function usedOf(ns: string, name: string, check: (u: Record<string, string>) => boolean): Promise<Record<string, string>> {
  return eventually(
    () => env.client.get<ResourceQuota>(resourceQuotas, name, { namespace: ns }).then((q) => (q.status?.used ?? {}) as Record<string, string>),
    check,
    `quota ${ns}/${name} used`,
  );
}

test('object counts: third pod refused with the upstream message; deleting frees room', async () => {
  await namespaceWithQuota('counts', 'q', { pods: '2', 'count/configmaps': '1' });
  for (const n of ['a', 'b']) assert.equal((await server.request('POST', '/api/v1/namespaces/counts/pods', { body: pod(n) })).status, 201);
  let r = await server.request('POST', '/api/v1/namespaces/counts/pods', { body: pod('c') });
  assert.equal(r.status, 403, r.body);
  assert.equal(r.json().reason, 'Forbidden');
  assert.equal(r.json().message, 'pods "c" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2');

  const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
  assert.equal((await server.request('POST', '/api/v1/namespaces/counts/configmaps', { body: cm('one') })).status, 201);
  r = await server.request('POST', '/api/v1/namespaces/counts/configmaps', { body: cm('two') });
  assert.equal(r.json().message, 'configmaps "two" is forbidden: exceeded quota: q, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1');
  // dry-run is checked but not charged
  assert.equal((await server.request('POST', '/api/v1/namespaces/counts/pods?dryRun=All', { body: pod('c') })).status, 403);

  assert.deepEqual(await usedOf('counts', 'q', (u) => u['pods'] === '2' && u['count/configmaps'] === '1'), { 'count/configmaps': '1', pods: '2' });
  assert.equal((await server.request('DELETE', '/api/v1/namespaces/counts/pods/a?gracePeriodSeconds=0')).status, 200);
  await usedOf('counts', 'q', (u) => u['pods'] === '1');
  assert.equal((await server.request('POST', '/api/v1/namespaces/counts/pods', { body: pod('c') })).status, 201);
});

test('compute quotas: must specify limits, exceeded requests, status.hard mirrors spec', async () => {
  await namespaceWithQuota('compute', 'compute', { 'requests.cpu': '1', 'limits.cpu': '2', 'requests.memory': '1Gi' });
  let r = await server.request('POST', '/api/v1/namespaces/compute/pods', { body: pod('nolimits', { requests: { cpu: '100m', memory: '64Mi' } }) });
  assert.equal(r.status, 403, r.body);
  assert.equal(r.json().message, 'pods "nolimits" is forbidden: failed quota: compute: must specify limits.cpu for: c');
  r = await server.request('POST', '/api/v1/namespaces/compute/pods', { body: pod('ok', { requests: { cpu: '800m', memory: '512Mi' }, limits: { cpu: '1' } }) });
  assert.equal(r.status, 201, r.body);
  r = await server.request('POST', '/api/v1/namespaces/compute/pods', { body: pod('more', { requests: { cpu: '300m', memory: '512Mi' }, limits: { cpu: '300m' } }) });
  assert.equal(r.status, 403, r.body);
  assert.equal(r.json().message, 'pods "more" is forbidden: exceeded quota: compute, requested: requests.cpu=300m, used: requests.cpu=800m, limited: requests.cpu=1');
  const q = await env.client.get<ResourceQuota>(resourceQuotas, 'compute', { namespace: 'compute' });
  assert.deepEqual(q.status?.hard, { 'limits.cpu': '2', 'requests.cpu': '1', 'requests.memory': '1Gi' });
  assert.deepEqual(await usedOf('compute', 'compute', (u) => u['requests.cpu'] === '800m'), { 'limits.cpu': '1', 'requests.cpu': '800m', 'requests.memory': '512Mi' });
});

test('concurrent creates never overshoot', async () => {
  await namespaceWithQuota('race', 'q', { pods: '5' });
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) => server.request('POST', '/api/v1/namespaces/race/pods', { body: pod(`p${i}`) })));
  const codes = results.map((r) => r.status).sort();
  assert.deepEqual(codes.filter((c) => c === 201).length, 5, JSON.stringify(codes));
  assert.ok(codes.every((c) => c === 201 || c === 403));
  const list = await server.request('GET', '/api/v1/namespaces/race/pods');
  assert.equal(list.json().items.length, 5);
});

test('scoped quota: BestEffort only counts best-effort pods', async () => {
  await namespaceWithQuota('scoped', 'be', { pods: '1' }, { scopes: ['BestEffort'] });
  assert.equal((await server.request('POST', '/api/v1/namespaces/scoped/pods', { body: pod('be1') })).status, 201);
  const r = await server.request('POST', '/api/v1/namespaces/scoped/pods', { body: pod('be2') });
  assert.equal(r.json().message, 'pods "be2" is forbidden: exceeded quota: be, requested: pods=1, used: pods=1, limited: pods=1');
  assert.equal((await server.request('POST', '/api/v1/namespaces/scoped/pods', { body: pod('burst', { requests: { cpu: '10m' } }) })).status, 201);
  assert.deepEqual(await usedOf('scoped', 'be', (u) => u['pods'] === '1'), { pods: '1' });
});
