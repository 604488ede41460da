// Endpoints and EndpointSlice controllers against a real API server: pods' readiness and deletion show up
// in both objects; labels, owner references and headless marking as upstream.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import * as resources from '../../../src/client/resources.js';
import { registration as endpointsRegistration } from '../../../src/controllers/endpoints/register.js';
import { registration as sliceRegistration } from '../../../src/controllers/endpointslice/register.js';
import type { Controller } from '../../../src/controllers/manager.js';
import { eventually, getOrUndefined } from '../support.js';
import { startWithController, type SingleControllerEnv } from '../endpoints/env.js';

let env: SingleControllerEnv;
before(async () => {
  env = await startWithController((ctx) => {
    const cs: Controller[] = [endpointsRegistration.create(ctx), sliceRegistration.create(ctx)];
    return { start: async () => void (await Promise.all(cs.map((c) => c.start()))), stop: async () => void (await Promise.all(cs.map((c) => c.stop()))) };
  });
});
after(async () => env?.close());

async function makePod(name: string, ip: string, ready: boolean, port = 8080): Promise<void> {
  const c = env.client;
  const p = await c.create<Pod>(resources.pods, {
    metadata: { name, labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: port }] }] },
  });
  await c.updateStatus<Pod>(resources.pods, { ...p, status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });
}

async function setReady(name: string, ready: boolean): Promise<void> {
  const p = await env.client.get<Pod>(resources.pods, name);
  p.status!.conditions = [{ type: 'Ready', status: ready ? 'True' : 'False' }];
  await env.client.updateStatus(resources.pods, p);
}

const slices = async (svc: string) =>
  (await env.client.list<EndpointSlice>(resources.endpointSlices, { labelSelector: `kubernetes.io/service-name=${svc}` })).items;
const conds = (ss: EndpointSlice[]) =>
  ss
    .flatMap((s) => (s.endpoints ?? []).map((e) => `${e.targetRef?.name}:${e.addresses[0]}:${s.ports?.[0]?.port}:${e.conditions?.ready}/${e.conditions?.serving}/${e.conditions?.terminating}`))
    .sort();

test('service with selector: Endpoints and EndpointSlices follow pod readiness', async () => {
  const svc = await env.client.create<Service>(resources.services, {
    metadata: { name: 'web', labels: { tier: 'front' } },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  });
  await makePod('a', '10.42.0.1', true);
  await makePod('b', '10.42.0.2', false);
  await makePod('c', '10.42.0.3', true, 9090);

  const ep = await eventually(
    () => getOrUndefined(env.client.get<Endpoints>(resources.endpoints, 'web')),
    (e) => (e?.subsets ?? []).flatMap((s) => [...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])]).length === 3,
    'endpoints with 3 addresses',
  );
  assert.equal(ep!.metadata?.labels?.['tier'], 'front');
  const s8080 = ep!.subsets!.find((s) => s.ports?.[0]?.port === 8080)!;
  assert.deepEqual(s8080.addresses?.map((a) => a.ip), ['10.42.0.1']);
  assert.deepEqual(s8080.notReadyAddresses?.map((a) => a.ip), ['10.42.0.2']);
  assert.deepEqual(s8080.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);

  const ss = await eventually(() => slices('web'), (x) => conds(x).length === 3, 'slices with 3 endpoints');
  assert.deepEqual(conds(ss), ['a:10.42.0.1:8080:true/true/false', 'b:10.42.0.2:8080:false/false/false', 'c:10.42.0.3:9090:true/true/false']);
  for (const s of ss) {
    assert.equal(s.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.equal(s.metadata?.labels?.['tier'], 'front');
    assert.equal(s.addressType, 'IPv4');
    assert.deepEqual(s.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]), [['Service', 'web', svc.metadata?.uid, true]]);
    assert.match(s.metadata!.name!, /^web-/);
  }
  assert.equal(ss.length, 2, 'one slice per port set');

  await setReady('b', true);
  await eventually(() => slices('web'), (x) => conds(x).includes('b:10.42.0.2:8080:true/true/false'), 'b ready in slice');
  await eventually(
    () => env.client.get<Endpoints>(resources.endpoints, 'web'),
    (e) => (e.subsets ?? []).find((s) => s.ports?.[0]?.port === 8080)?.addresses?.length === 2,
    'b ready in endpoints',
  );

  // A pod with a finalizer stays terminating: slices show it, Endpoints drop it.
  const a = await env.client.get<Pod>(resources.pods, 'a');
  a.metadata!.finalizers = ['example.com/hold'];
  await env.client.update(resources.pods, a);
  await env.client.delete(resources.pods, 'a');
  await eventually(() => slices('web'), (x) => conds(x).includes('a:10.42.0.1:8080:false/true/true'), 'a terminating in slice');
  await eventually(
    () => env.client.get<Endpoints>(resources.endpoints, 'web'),
    (e) => !JSON.stringify(e.subsets).includes('10.42.0.1'),
    'a gone from endpoints',
  );
  const a2 = await env.client.get<Pod>(resources.pods, 'a');
  a2.metadata!.finalizers = [];
  await env.client.update(resources.pods, a2);
  await eventually(() => slices('web'), (x) => !conds(x).some((c) => c.startsWith('a:')), 'a gone from slices');

  // Settled: no further writes.
  const rvs = async () => [...(await slices('web')).map((x) => x.metadata?.resourceVersion), (await env.client.get<Endpoints>(resources.endpoints, 'web')).metadata?.resourceVersion].join(',');
  const before = await rvs();
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(await rvs(), before, 'no churn');
});

test('headless service, services without selectors, and service deletion', async () => {
  await env.client.create(resources.services, { metadata: { name: 'hl' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } });
  const ss = await eventually(() => slices('hl'), (x) => conds(x).length > 0, 'headless slices');
  assert.equal(ss[0]!.metadata?.labels?.['service.kubernetes.io/headless'], '');
  const ep = await eventually(() => getOrUndefined(env.client.get<Endpoints>(resources.endpoints, 'hl')), (e) => !!e, 'headless endpoints');
  assert.equal(ep!.metadata?.labels?.['service.kubernetes.io/headless'], '');

  await env.client.create(resources.services, { metadata: { name: 'manual' }, spec: { ports: [{ port: 80 }] } });
  await env.client.create(resources.services, { metadata: { name: 'empty' }, spec: { selector: { app: 'nothing' }, ports: [{ port: 80 }] } });
  const placeholder = await eventually(() => slices('empty'), (x) => x.length === 1, 'placeholder slice');
  assert.deepEqual(placeholder[0]!.endpoints ?? [], []);
  const emptyEp = await eventually(() => getOrUndefined(env.client.get<Endpoints>(resources.endpoints, 'empty')), (e) => !!e, 'empty endpoints');
  assert.equal(emptyEp!.subsets, undefined);
  assert.equal(await getOrUndefined(env.client.get(resources.endpoints, 'manual')), undefined, 'selectorless service: no Endpoints');
  assert.equal((await slices('manual')).length, 0);

  await env.client.delete(resources.services, 'hl');
  await eventually(() => getOrUndefined(env.client.get(resources.endpoints, 'hl')), (e) => e === undefined, 'endpoints deleted with the service');
});
