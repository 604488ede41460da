// pods/binding as upstream's BindingREST: the decision functions (table tests) and the subresource against a
// real server: nodeName and PodScheduled set once, annotations merged, no pod validation, admission or
// managed-fields entry for the binding, Conflicts on pods/binding with upstream's messages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { bindingRefusal, boundPod, checkBinding, withPodScheduled } from '../../src/apiserver/rest/binding.js';
import { StatusError } from '../../src/api/errors.js';
import { startTestServer, type TestServer } from './harness.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';

test('withPodScheduled: upstream UpdatePodCondition for PodScheduled=True', () => {
  const cases: { name: string; in?: { type: string; status: string; reason?: string; message?: string; lastProbeTime?: string | null; lastTransitionTime?: string | null }[]; out: unknown[] }[] = [
    { name: 'no conditions', in: undefined, out: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: T1 }] },
    {
      name: 'appended after others',
      in: [{ type: 'Ready', status: 'False' }],
      out: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: T1 }],
    },
    {
      name: 'False (Unschedulable) replaced in place; reason and message dropped',
      in: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available', lastTransitionTime: T0 }, { type: 'Ready', status: 'False' }],
      out: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: T1 }, { type: 'Ready', status: 'False' }],
    },
    {
      name: 'already True keeps its transition time',
      in: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: T0 }],
      out: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: T0 }],
    },
  ];
  for (const c of cases) {
    const before = JSON.stringify(c.in);
    assert.deepEqual(withPodScheduled(c.in, T1), c.out, c.name);
    assert.equal(JSON.stringify(c.in), before, `${c.name}: input unchanged`);
  }
});

test('checkBinding: target and name checks with upstream messages', () => {
  const ok = checkBinding({ metadata: { name: 'p', annotations: { a: 'b' }, uid: 'u1' }, target: { kind: 'Node', name: 'n1' } }, 'p');
  assert.deepEqual(ok, { node: 'n1', annotations: { a: 'b' }, uid: 'u1', resourceVersion: undefined });
  assert.equal(checkBinding({ target: { name: 'n1' } }, 'p').node, 'n1', 'kind and name may be left out');
  const cases: { body: unknown; code: number; message: string }[] = [
    { body: [], code: 400, message: 'the body must be a Binding' },
    { body: { metadata: { name: 'q' }, target: { name: 'n1' } }, code: 400, message: 'name in URL does not match name in Binding object' },
    { body: { metadata: { name: 'p' }, target: {} }, code: 422, message: 'Binding "p" is invalid: target.name: Required value' },
    {
      body: { target: { kind: 'Pod', name: 'n1' } },
      code: 422,
      message: 'Binding "p" is invalid: target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"',
    },
  ];
  for (const c of cases) {
    assert.throws(
      () => checkBinding(c.body, 'p'),
      (err: unknown) => err instanceof StatusError && err.code === c.code && err.message === c.message,
      JSON.stringify(c.body),
    );
  }
});

const pod = (extra: { metadata?: Record<string, unknown>; spec?: Record<string, unknown> } = {}): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'u1', resourceVersion: '7', ...extra.metadata },
    spec: { containers: [{ name: 'c', image: 'i' }], ...extra.spec },
    status: { phase: 'Pending' },
  }) as KubeObject;

test('bindingRefusal: why a pod cannot be bound, as upstream says it', () => {
  const b = { node: 'n1', annotations: {} };
  const cases: { name: string; pod: KubeObject; binding?: Partial<typeof b> & { uid?: string; resourceVersion?: string }; want?: string }[] = [
    { name: 'unbound pod', pod: pod() },
    { name: 'bound', pod: pod({ spec: { nodeName: 'n2' } }), want: 'pod p is already assigned to node "n2"' },
    { name: 'deleting', pod: pod({ metadata: { deletionTimestamp: T0 } }), want: 'pod p is being deleted, cannot be assigned to a host' },
    { name: 'gated', pod: pod({ spec: { schedulingGates: [{ name: 'g' }] } }), want: 'pod p has non-empty .spec.schedulingGates' },
    { name: 'empty gates', pod: pod({ spec: { schedulingGates: [] } }) },
    { name: 'uid precondition', pod: pod(), binding: { uid: 'other' }, want: 'Precondition failed: UID in precondition: other, UID in object meta: u1' },
    { name: 'uid precondition met', pod: pod(), binding: { uid: 'u1' } },
    { name: 'rv precondition', pod: pod(), binding: { resourceVersion: '6' }, want: 'Precondition failed: ResourceVersion in precondition: 6, ResourceVersion in object meta: 7' },
  ];
  for (const c of cases) assert.equal(bindingRefusal(c.pod, { ...b, ...c.binding }), c.want, c.name);
});

test('boundPod: a new object; the input (the watch cache copy) is left as it was', () => {
  const p = pod({ metadata: { annotations: { x: '1' } } });
  const before = JSON.stringify(p);
  const out = boundPod(p, { node: 'n1', annotations: { y: '2' } }, T1) as KubeObject & { spec: { nodeName: string }; status: { phase: string; conditions: unknown[] } };
  assert.equal(JSON.stringify(p), before);
  assert.notEqual(out.metadata, p.metadata);
  assert.equal(out.spec.nodeName, 'n1');
  assert.deepEqual(out.metadata.annotations, { x: '1', y: '2' });
  assert.equal(out.status.phase, 'Pending');
  assert.deepEqual(out.status.conditions, [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: T1 }]);
});

let s: TestServer;
const NS = 'bind';
const P = `/api/v1/namespaces/${NS}/pods`;
before(async () => {
  s = await startTestServer();
  assert.equal((await s.request('POST', '/api/v1/namespaces', { body: { metadata: { name: NS } } })).status, 201);
});
after(async () => {
  await s?.close();
});

const createPod = async (name: string, spec: Record<string, unknown> = {}) => {
  const r = await s.request('POST', P, { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } } });
  assert.equal(r.status, 201, r.body);
  return r.json();
};
const bindTo = (name: string, node: string, extra: Record<string, unknown> = {}) =>
  s.request('POST', `${P}/${name}/binding`, { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, ...extra }, target: { kind: 'Node', name: node } } });

test('binding sets nodeName and PodScheduled once, merges annotations, records no managed fields', async () => {
  const created = await createPod('a');
  const r = await bindTo('a', 'n1', { annotations: { 'example.com/why': 'bench' } });
  assert.equal(r.status, 201, r.body);
  assert.deepEqual(r.json(), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  const got = (await s.request('GET', `${P}/a`)).json();
  assert.equal(got.spec.nodeName, 'n1');
  assert.equal(got.metadata.annotations['example.com/why'], 'bench');
  assert.notEqual(got.metadata.resourceVersion, created.metadata.resourceVersion);
  const scheduled = got.status.conditions.filter((c: { type: string }) => c.type === 'PodScheduled');
  assert.equal(scheduled.length, 1);
  assert.equal(scheduled[0].status, 'True');
  // As upstream (the binding writes through storage, not the field manager): only the creator's entry.
  assert.deepEqual(
    got.metadata.managedFields.map((e: { manager: string; operation: string }) => `${e.manager}/${e.operation}`),
    created.metadata.managedFields.map((e: { manager: string; operation: string }) => `${e.manager}/${e.operation}`),
  );

  const again = await bindTo('a', 'n2');
  assert.equal(again.status, 409);
  assert.equal(again.json().message, 'Operation cannot be fulfilled on pods/binding "a": pod a is already assigned to node "n1"');
});

test('binding: the bindings resource, dry run, missing pod, gates, deletion and preconditions', async () => {
  const b = await createPod('b');
  const dry = await s.request('POST', `${P}/b/binding?dryRun=All`, { body: { metadata: { name: 'b' }, target: { name: 'n1' } } });
  assert.equal(dry.status, 201, dry.body);
  assert.equal((await s.request('GET', `${P}/b`)).json().spec.nodeName, undefined, 'dry run writes nothing');

  const wrongUid = await bindTo('b', 'n1', { uid: 'not-the-uid' });
  assert.equal(wrongUid.status, 409);
  assert.equal(wrongUid.json().message, `Operation cannot be fulfilled on pods/binding "b": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${b.metadata.uid}`);

  const viaBindings = await s.request('POST', `/api/v1/namespaces/${NS}/bindings`, { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'b', uid: b.metadata.uid }, target: { name: 'n3' } } });
  assert.equal(viaBindings.status, 201, viaBindings.body);
  assert.equal((await s.request('GET', `${P}/b`)).json().spec.nodeName, 'n3');

  const missing = await bindTo('nope', 'n1');
  assert.equal(missing.status, 404);
  assert.equal(missing.json().reason, 'NotFound');

  await createPod('gated', { schedulingGates: [{ name: 'example.com/wait' }] });
  const gated = await bindTo('gated', 'n1');
  assert.equal(gated.status, 409);
  assert.equal(gated.json().message, 'Operation cannot be fulfilled on pods/binding "gated": pod gated has non-empty .spec.schedulingGates');

  await createPod('doomed', {});
  const withFinalizer = await s.request('PATCH', `${P}/doomed`, { body: { metadata: { finalizers: ['example.com/hold'] } }, contentType: 'application/merge-patch+json' });
  assert.equal(withFinalizer.status, 200, withFinalizer.body);
  assert.equal((await s.request('DELETE', `${P}/doomed`)).status, 200);
  const deleting = await bindTo('doomed', 'n1');
  assert.equal(deleting.status, 409);
  assert.equal(deleting.json().message, 'Operation cannot be fulfilled on pods/binding "doomed": pod doomed is being deleted, cannot be assigned to a host');
  const release = await s.request('PATCH', `${P}/doomed`, { body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' });
  assert.equal(release.status, 200, release.body);

  const badName = await bindTo('b', 'n1', { name: 'other' });
  assert.equal(badName.status, 400);
});

test('concurrent bindings of one pod: exactly one wins', async () => {
  await createPod('race');
  const results = await Promise.all(['n1', 'n2', 'n3', 'n4'].map((n) => bindTo('race', n)));
  assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409, 409]);
  const winner = ['n1', 'n2', 'n3', 'n4'][results.findIndex((r) => r.status === 201)];
  assert.equal((await s.request('GET', `${P}/race`)).json().spec.nodeName, winner);
});
