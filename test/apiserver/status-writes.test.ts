// Status writes (PUT, merge and strategic PATCH on pods/status) change status only: spec and metadata sent
// with them are reset to the stored ones, a write that changes nothing keeps the resourceVersion, and the
// object served afterwards (from the watch cache) is exactly what was written; the stored spec is neither
// defaulted nor pruned by them (upstream's status strategy puts it back).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './harness.js';

let s: TestServer;
const NS = 'status';
const P = `/api/v1/namespaces/${NS}/pods`;
before(async () => {
  s = await startTestServer();
  assert.equal((await s.request('POST', '/api/v1/namespaces', { body: { metadata: { name: NS } } })).status, 201);
});
after(async () => {
  await s?.close();
});

const createPod = async (name: string) => {
  const r = await s.request('POST', P, { body: { metadata: { name, labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
  assert.equal(r.status, 201, r.body);
  return r.json();
};

test('status PUT: spec and labels in the body are ignored, status is written', async () => {
  const pod = await createPod('put');
  const body = structuredClone(pod);
  body.spec.containers[0].image = 'changed';
  body.spec.activeDeadlineSeconds = 5;
  body.metadata.labels = { app: 'changed' };
  body.status = { ...body.status, phase: 'Running', podIP: '10.0.0.9' };
  const r = await s.request('PUT', `${P}/put/status`, { body });
  assert.equal(r.status, 200, r.body);
  const got = (await s.request('GET', `${P}/put`)).json();
  for (const o of [r.json(), got]) {
    assert.deepEqual(o.spec, pod.spec);
    assert.deepEqual(o.metadata.labels, { app: 'x' });
    assert.equal(o.status.phase, 'Running');
    assert.equal(o.status.podIP, '10.0.0.9');
  }
  assert.equal(got.metadata.resourceVersion, r.json().metadata.resourceVersion);
  assert.equal(body.spec.containers[0].image, 'changed', 'the request body is not changed by the server');
});

test('status PATCH (merge, strategic): spec in the patch ignored; a no-op keeps the resourceVersion; GET serves the write', async () => {
  const pod = await createPod('patch');
  const merge = await s.request('PATCH', `${P}/patch/status`, {
    body: { spec: { activeDeadlineSeconds: 5 }, status: { phase: 'Running', podIPs: [{ ip: '10.0.0.7' }] } },
    contentType: 'application/merge-patch+json',
  });
  assert.equal(merge.status, 200, merge.body);
  assert.deepEqual(merge.json().spec, pod.spec);
  assert.equal(merge.json().status.phase, 'Running');

  const strategic = await s.request('PATCH', `${P}/patch/status`, {
    body: { metadata: { uid: pod.metadata.uid }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    contentType: 'application/strategic-merge-patch+json',
  });
  assert.equal(strategic.status, 200, strategic.body);
  const written = strategic.json();
  assert.deepEqual(written.spec, pod.spec);
  assert.equal(written.status.phase, 'Running', 'the merge patch result is kept');
  assert.ok(written.status.conditions.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'));

  const again = await s.request('PATCH', `${P}/patch/status`, {
    body: { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    contentType: 'application/strategic-merge-patch+json',
  });
  assert.equal(again.status, 200, again.body);
  assert.equal(again.json().metadata.resourceVersion, written.metadata.resourceVersion, 'nothing changed: no write');

  const got = (await s.request('GET', `${P}/patch`)).json();
  assert.deepEqual(got, written);
  const list = (await s.request('GET', `${P}?fieldSelector=metadata.name%3Dpatch`)).json();
  assert.deepEqual({ metadata: list.items[0].metadata, spec: list.items[0].spec, status: list.items[0].status }, { metadata: written.metadata, spec: written.spec, status: written.status });
});

test('managed fields: the status a create sets is nobody’s (reset, as upstream); the kubelet’s status patches own status, the creator’s entry stays as created', async () => {
  const pod = await createPod('owners');
  assert.equal(pod.status.phase, 'Pending');
  const created = pod.metadata.managedFields;
  assert.equal(created.length, 1);
  assert.ok(created[0].fieldsV1['f:spec'], 'the creator owns the spec');
  assert.equal(created[0].fieldsV1['f:status'], undefined, 'but not the status its create was given');
  for (const [status, type] of [
    [{ phase: 'Pending', conditions: [{ type: 'Initialized', status: 'True' }], containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }, 'application/strategic-merge-patch+json'],
    [{ phase: 'Running', podIP: '10.0.0.8', containerStatuses: [{ name: 'c', image: 'busybox', imageID: 'x', ready: true, restartCount: 0, state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }] }, 'application/merge-patch+json'],
  ] as const) {
    const r = await s.request('PATCH', `${P}/owners/status?fieldManager=kubelet`, { body: { metadata: { uid: pod.metadata.uid }, status }, contentType: type });
    assert.equal(r.status, 200, r.body);
    const mf = r.json().metadata.managedFields;
    assert.equal(mf.length, 2);
    assert.deepEqual(mf.find((e: { manager: string }) => e.manager === created[0].manager), created[0], 'the creator’s entry is as created');
    const kubelet = mf.find((e: { manager: string }) => e.manager === 'kubelet');
    assert.equal(kubelet.subresource, 'status');
    assert.ok(kubelet.fieldsV1['f:status']['f:containerStatuses']);
  }
  const got = (await s.request('GET', `${P}/owners`)).json();
  const kubelet = got.metadata.managedFields.find((e: { manager: string }) => e.manager === 'kubelet');
  assert.ok(kubelet.fieldsV1['f:status']['f:phase'] && kubelet.fieldsV1['f:status']['f:podIP'], 'the phase it changed and the IP it added are the kubelet’s');
});

/** A pod written straight to the store (no defaults, no managed fields), as an older server may have left it. */
async function storedUndefaulted(name: string, extraSpec: Record<string, unknown> = {}): Promise<void> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, uid: `uid-${name}`, creationTimestamp: '2024-01-01T00:00:00Z', labels: { app: 'x' } },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...extraSpec },
    status: { phase: 'Pending' },
  };
  await s.store.create(`/registry/pods/${NS}/${name}`, JSON.stringify(pod));
  // The watch cache has it once a read sees it.
  for (let i = 0; i < 100 && (await s.request('GET', `${P}/${name}`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 10));
}

const storedJson = async (name: string) => JSON.parse((await s.store.get(`/registry/pods/${NS}/${name}`))!.value);

test('status writes neither default nor prune the stored spec, and the cache keeps serving exactly what is stored', async () => {
  const writes: [string, string, unknown, string?][] = [
    ['strategic', 'PATCH', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, 'application/strategic-merge-patch+json'],
    ['merge', 'PATCH', { status: { phase: 'Running', podIP: '10.0.0.3' } }, 'application/merge-patch+json'],
    ['ignore', 'PATCH', { status: { phase: 'Running', bogus: 1 } }, 'application/merge-patch+json'],
    ['put', 'PUT', undefined],
  ];
  for (const [name, method, body, contentType] of writes) {
    await storedUndefaulted(`raw-${name}`);
    const before = await storedJson(`raw-${name}`);
    const sent = body ?? { ...(await s.request('GET', `${P}/raw-${name}`)).json<Record<string, unknown>>(), status: { phase: 'Running' } };
    const query = name === 'ignore' ? '?fieldValidation=Ignore' : '';
    const r = await s.request(method, `${P}/raw-${name}/status${query}`, { body: sent, ...(contentType ? { contentType } : {}) });
    assert.equal(r.status, 200, `${name}: ${r.body}`);
    const stored = await storedJson(`raw-${name}`);
    const got = (await s.request('GET', `${P}/raw-${name}`)).json();
    assert.equal(stored.status.phase, 'Running', name);
    // As upstream's status strategy, which puts the stored spec back after defaulting: no restartPolicy etc.
    assert.deepEqual(stored.spec, before.spec, `${name}: the stored spec is not defaulted by a status write`);
    assert.deepEqual(r.json().spec, before.spec, name);
    assert.deepEqual(got.spec, before.spec, `${name}: the cache serves the stored spec`);
    assert.deepEqual(got.status, stored.status, name);
    if (name === 'ignore') assert.equal(stored.status.bogus, undefined, 'unknown status fields are pruned');
  }
});
