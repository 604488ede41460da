// LimitRanger admission: container defaults and the limit-ranger annotation, min/max/ratio checks per
// Container, Pod and PersistentVolumeClaim (table-driven), and the plugin against a real API server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LimitRange, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { AdmissionPlugin } from '../../src/apiserver/admission/admission.js';
import { applyPodDefaults, limitRangerAnnotation, limitRangerPlugin, podViolations, pvcViolations } from '../../src/apiserver/admission/limit-range.js';
import { startTestServer, type TestServer } from './harness.js';

const lr = (...limits: NonNullable<LimitRange['spec']>['limits']): LimitRange => ({ metadata: { name: 'lr' }, spec: { limits } });
const pod = (res: { requests?: Record<string, string>; limits?: Record<string, string> }[]): Pod => ({
  metadata: { name: 'p' },
  spec: { containers: res.map((r, i) => ({ name: `c${i}`, image: 'x', resources: r })) },
});

test('container defaults and the annotation', () => {
  const p = pod([{}, { requests: { cpu: '50m' }, limits: { memory: '1Gi' } }]);
  const ranges = [lr({ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' } })];
  assert.equal(applyPodDefaults(p, ranges), true);
  assert.deepEqual(p.spec!.containers[0]!.resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
  assert.deepEqual(p.spec!.containers[1]!.resources, { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '50m', memory: '128Mi' } });
  assert.equal(p.metadata!.annotations![limitRangerAnnotation],
    'LimitRanger plugin set: cpu, memory request for container c0; cpu, memory limit for container c0; memory request for container c1; cpu limit for container c1');
  const full = pod([{ requests: { cpu: '1' }, limits: { cpu: '1' } }]);
  assert.equal(applyPodDefaults(full, [lr({ type: 'Container', default: { cpu: '2' } })]), false);
  assert.equal(full.metadata!.annotations, undefined, 'nothing set, no annotation');
  assert.equal(applyPodDefaults(pod([{}]), [lr({ type: 'Pod', max: { cpu: '2' } })]), false, 'Pod items give no defaults');
});

test('pod constraints', () => {
  const cases: [string, LimitRange, Pod, string[]][] = [
    ['min request', lr({ type: 'Container', min: { cpu: '100m' } }), pod([{ requests: { cpu: '50m' } }]), ['minimum cpu usage per Container is 100m, but request is 50m']],
    ['min, no request', lr({ type: 'Container', min: { cpu: '100m' } }), pod([{}]), ['minimum cpu usage per Container is 100m.  No request is specified']],
    ['min limit', lr({ type: 'Container', min: { cpu: '100m' } }), pod([{ requests: { cpu: '100m' }, limits: { cpu: '50m' } }]), ['minimum cpu usage per Container is 100m, but limit is 50m']],
    ['max limit', lr({ type: 'Container', max: { memory: '1Gi' } }), pod([{ limits: { memory: '2Gi' } }]), ['maximum memory usage per Container is 1Gi, but limit is 2Gi']],
    ['max, no limit', lr({ type: 'Container', max: { memory: '1Gi' } }), pod([{ requests: { memory: '1Gi' } }]), ['maximum memory usage per Container is 1Gi.  No limit is specified']],
    ['within bounds', lr({ type: 'Container', min: { cpu: '100m' }, max: { cpu: '1' } }), pod([{ requests: { cpu: '200m' }, limits: { cpu: '1' } }]), []],
    ['ratio', lr({ type: 'Container', maxLimitRequestRatio: { cpu: '2' } }), pod([{ requests: { cpu: '100m' }, limits: { cpu: '300m' } }]), ['cpu max limit to request ratio per Container is 2, but provided ratio is 3.000000']],
    ['ratio, no request', lr({ type: 'Container', maxLimitRequestRatio: { cpu: '2' } }), pod([{ limits: { cpu: '300m' } }]), ['cpu max limit to request ratio per Container is 2, but no request is specified or request is 0']],
    ['pod max sums containers', lr({ type: 'Pod', max: { cpu: '1' } }), pod([{ limits: { cpu: '600m' } }, { limits: { cpu: '600m' } }]), ['maximum cpu usage per Pod is 1, but limit is 1200m']],
    ['every container checked', lr({ type: 'Container', min: { cpu: '1' } }), pod([{ requests: { cpu: '1' } }, { requests: { cpu: '10m' } }, { requests: { cpu: '20m' } }]),
      ['minimum cpu usage per Container is 1, but request is 10m', 'minimum cpu usage per Container is 1, but request is 20m']],
  ];
  for (const [name, range, p, want] of cases) assert.deepEqual(podViolations(p, [range]), want, name);
});

test('PVC constraints', () => {
  const pvc = (storage?: string): PersistentVolumeClaim => ({ spec: { resources: storage ? { requests: { storage } } : {} } });
  const range = lr({ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '10Gi' } });
  assert.deepEqual(pvcViolations(pvc('500Mi'), [range]), ['minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi']);
  assert.deepEqual(pvcViolations(pvc('20Gi'), [range]), ['maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi']);
  assert.deepEqual(pvcViolations(pvc('5Gi'), [range]), []);
});

let server: TestServer;
before(async () => {
  server = await startTestServer();
  const admission = server.server.deps.admission;
  const present = (admission as unknown as { plugins: AdmissionPlugin[] }).plugins.some((p) => p.name === 'LimitRanger');
  if (!present) admission.register(limitRangerPlugin(server.server.deps.registry, server.server.deps.storage));
});
after(async () => server?.close());

async function eventually(fn: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 5000;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('against the API server: defaults applied, violations refused with 403', async () => {
  const ns = '/api/v1/namespaces/default';
  let r = await server.request('POST', `${ns}/limitranges`, {
    body: { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'limits' }, spec: { limits: [{ type: 'Container', default: { cpu: '500m' }, min: { cpu: '100m' }, max: { cpu: '1' } }, { type: 'PersistentVolumeClaim', max: { storage: '1Gi' } }] } },
  });
  assert.equal(r.status, 201, r.body);
  // The LimitRange itself is defaulted by the API server (defaultRequest from default).
  assert.deepEqual(r.json().spec.limits[0].defaultRequest, { cpu: '500m' });

  const mk = (name: string, resources: object) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'x', resources }] } });
  // Wait for the watch cache to see the LimitRange.
  await eventually(async () => (await server.request('POST', `${ns}/pods?dryRun=All`, { body: mk('probe', {}) })).json().spec?.containers?.[0]?.resources?.limits?.cpu === '500m');

  r = await server.request('POST', `${ns}/pods`, { body: mk('defaulted', {}) });
  assert.equal(r.status, 201, r.body);
  const p = r.json();
  assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: '500m' }, requests: { cpu: '500m' } });
  assert.equal(p.metadata.annotations[limitRangerAnnotation], 'LimitRanger plugin set: cpu request for container c; cpu limit for container c');

  r = await server.request('POST', `${ns}/pods`, { body: mk('small', { requests: { cpu: '50m' } }) });
  assert.equal(r.status, 403, r.body);
  assert.equal(r.json().message, 'pods "small" is forbidden: minimum cpu usage per Container is 100m, but request is 50m');

  r = await server.request('POST', `${ns}/pods`, { body: mk('big', { limits: { cpu: '2' } }) });
  assert.equal(r.status, 403, r.body);
  assert.equal(r.json().message, 'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2');

  r = await server.request('POST', `${ns}/persistentvolumeclaims`, {
    body: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } },
  });
  assert.equal(r.status, 403, r.body);
  assert.equal(r.json().message, 'persistentvolumeclaims "data" is forbidden: maximum storage usage per PersistentVolumeClaim is 1Gi, but request is 5Gi');

  // Other namespaces are not affected.
  await server.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'free' } } });
  r = await server.request('POST', '/api/v1/namespaces/free/pods', { body: mk('any', { requests: { cpu: '1m' } }) });
  assert.equal(r.status, 201, r.body);
  assert.equal(r.json().metadata.annotations?.[limitRangerAnnotation], undefined);
});
