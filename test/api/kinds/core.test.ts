import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  configMapStrategy,
  limitRangeStrategy,
  namespaceStrategy,
  nodeStrategy,
  persistentVolumeClaimStrategy,
  podStrategy,
  secretStrategy,
  serviceStrategy,
} from '../../../src/api/kinds/core.js';
import type { KubeObject } from '../../../src/api/types.js';

const o = (fields: Record<string, unknown>, name = 'x'): KubeObject => ({ metadata: { name, namespace: 'default' }, ...fields });
const messages = (causes: { field?: string; message?: string }[]) => causes.map((c) => `${c.field}: ${c.message}`);

test('namespace: finalizer, phase and name label', () => {
  const ns = o({}, 'team-a');
  namespaceStrategy.defaults!(ns);
  namespaceStrategy.prepareForCreate!(ns);
  assert.deepEqual(ns.metadata.labels, { 'kubernetes.io/metadata.name': 'team-a' });
  assert.deepEqual(ns['spec'], { finalizers: ['kubernetes'] });
  assert.deepEqual(ns['status'], { phase: 'Active' });
  const upd = structuredClone(ns);
  (upd['spec'] as any).finalizers = [];
  namespaceStrategy.prepareForUpdate!(upd, ns);
  assert.deepEqual(upd['spec'], { finalizers: ['kubernetes'] }, 'finalizers change only through /finalize');
  assert.equal(namespaceStrategy.fieldSelectors!['status.phase']!(ns), 'Active');
});

test('service defaults', () => {
  const svc = o({ spec: { selector: { app: 'x' }, ports: [{ port: 80 }, { name: 'named', port: 443, targetPort: 'https' }] } });
  serviceStrategy.defaults!(svc);
  serviceStrategy.prepareForCreate!(svc);
  const spec = svc['spec'] as any;
  assert.equal(spec.type, 'ClusterIP');
  assert.equal(spec.sessionAffinity, 'None');
  assert.equal(spec.internalTrafficPolicy, 'Cluster');
  assert.equal(spec.ipFamilyPolicy, 'SingleStack');
  assert.deepEqual(spec.ipFamilies, ['IPv4']);
  assert.deepEqual(spec.ports[0], { port: 80, protocol: 'TCP', targetPort: 80 });
  assert.equal(spec.ports[1].targetPort, 'https');
  assert.deepEqual(svc['status'], { loadBalancer: {} });
  const np = o({ spec: { type: 'NodePort', ports: [{ port: 80 }] } });
  serviceStrategy.defaults!(np);
  assert.equal((np['spec'] as any).externalTrafficPolicy, 'Cluster');
});

test('service validation and clusterIP immutability', () => {
  const two = o({ spec: { ports: [{ port: 80 }, { port: 81 }] } });
  serviceStrategy.defaults!(two);
  assert.ok(messages(serviceStrategy.validate!(two, {})).includes('spec.ports[0].name: Required value'));
  const none = o({ spec: {} });
  serviceStrategy.defaults!(none);
  assert.ok(messages(serviceStrategy.validate!(none, {})).includes('spec.ports: Required value'));
  const old = o({ spec: { clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'], ports: [{ port: 80 }] } });
  serviceStrategy.defaults!(old);
  const changed = structuredClone(old);
  (changed['spec'] as any).clusterIP = '10.43.0.11';
  (changed['spec'] as any).clusterIPs = ['10.43.0.11'];
  assert.ok(messages(serviceStrategy.validate!(changed, { old })).includes('spec.clusterIPs[0]: Invalid value: []string{"10.43.0.11"}: may not change once set'));
  const omitted = o({ spec: { ports: [{ port: 80 }] } });
  serviceStrategy.defaults!(omitted);
  serviceStrategy.prepareForUpdate!(omitted, old);
  assert.equal((omitted['spec'] as any).clusterIP, '10.43.0.10', 'an update without clusterIP keeps the allocated one');
  assert.deepEqual(serviceStrategy.validate!(omitted, { old }), []);
});

test('configmaps and secrets: keys, immutability, type', () => {
  const cm = o({ data: { 'good.key': 'v', 'bad key': 'v' } });
  assert.equal(messages(configMapStrategy.validate!(cm, {}))[0]!.startsWith('data[bad key]: Invalid value: "bad key": a valid config key must consist'), true);
  const frozen = o({ immutable: true, data: { a: '1' } });
  const edit = o({ immutable: true, data: { a: '2' } });
  assert.deepEqual(messages(configMapStrategy.validate!(edit, { old: frozen })), ['data: Forbidden: field is immutable when `immutable` is set']);
  const s = o({ stringData: { password: 'hunter2' } });
  secretStrategy.defaults!(s);
  assert.equal(s['type'], 'Opaque');
  assert.deepEqual(s['data'], { password: Buffer.from('hunter2').toString('base64') });
  assert.equal(s['stringData'], undefined);
  const tls = o({ type: 'kubernetes.io/tls', data: {} });
  assert.deepEqual(messages(secretStrategy.validate!(tls, {})), ['data[tls.crt]: Required value', 'data[tls.key]: Required value']);
  const retyped = o({ type: 'kubernetes.io/basic-auth', data: { username: 'YQ==' } });
  assert.ok(messages(secretStrategy.validate!(retyped, { old: s })).includes('type: Invalid value: "kubernetes.io/basic-auth": field is immutable'));
  assert.equal(secretStrategy.fieldSelectors!['type']!(s), 'Opaque');
});

test('nodes, PVCs, limit ranges', () => {
  const n = o({ spec: { unschedulable: true }, status: { capacity: { cpu: '4' } } }, 'n1');
  nodeStrategy.defaults!(n);
  assert.deepEqual((n['status'] as any).allocatable, { cpu: '4' });
  assert.equal(nodeStrategy.fieldSelectors!['spec.unschedulable']!(n), 'true');
  const pvc = o({ spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
  persistentVolumeClaimStrategy.defaults!(pvc);
  assert.equal((pvc['spec'] as any).volumeMode, 'Filesystem');
  assert.equal((pvc['status'] as any).phase, 'Pending');
  assert.deepEqual(persistentVolumeClaimStrategy.validate!(pvc, {}), []);
  const lr = o({ spec: { limits: [{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } }] } });
  limitRangeStrategy.defaults!(lr);
  assert.deepEqual((lr['spec'] as any).limits[0].default, { cpu: '2' });
  assert.deepEqual((lr['spec'] as any).limits[0].defaultRequest, { cpu: '2', memory: '64Mi' });
});

test('pods: the spec is validated on create and update, not on status writes (ValidatePodStatusUpdate)', () => {
  const bad = o({ spec: { containers: [{ name: 'c', image: 'i' }], restartPolicy: 'Sometimes' } });
  const old = o({ spec: { containers: [{ name: 'c', image: 'i' }], restartPolicy: 'Sometimes' } });
  const cases: { name: string; ctx: { old?: KubeObject; subresource?: string }; invalid: boolean }[] = [
    { name: 'create', ctx: {}, invalid: true },
    { name: 'update', ctx: { old }, invalid: true },
    { name: 'status', ctx: { old, subresource: 'status' }, invalid: false },
  ];
  for (const c of cases) {
    const causes = podStrategy.validate!(bad, c.ctx);
    assert.equal(causes.length > 0, c.invalid, `${c.name}: ${messages(causes).join('; ')}`);
  }
});
