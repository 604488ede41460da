// recordUpdate's create path (createdFieldsV1, one walk) gives exactly what the general path gives
// (compareObjects from nothing, ownership, identity fields stripped, toFieldsV1): same entries, same key order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JsonObject, KubeObject } from '../../../src/api/types.js';
import { SchemaRegistry } from '../../../src/api/schema/registry.js';
import { applyUpdateOwnership, encodeManagedFields, recordUpdate, STATUS_RESET } from '../../../src/apiserver/patch/managed-fields.js';
import { resolve } from '../../../src/apiserver/patch/schema-shape.js';
import { deploymentSchema, liveDeployment, resolver as fixtureResolver } from './fixtures.js';

const registry = new SchemaRegistry();
const T = '2026-01-01T00:00:00Z';

const pod = (): JsonObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'p',
    namespace: 'ns',
    uid: 'u',
    generation: 1,
    creationTimestamp: T,
    labels: { app: 'x', 'pod-template-hash': 'abc' },
    annotations: {},
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }],
    finalizers: ['a/b', 'a/b'],
  },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'i',
        ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 80, protocol: 'UDP' }],
        env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
        resources: { requests: { cpu: '100m' }, limits: {} },
        args: ['a', 'b'],
      },
      { name: 'side', image: 'j', command: [] },
    ],
    volumes: [{ name: 'v', emptyDir: {} }],
    nodeSelector: null,
    tolerations: [{ key: 'k', operator: 'Exists' }],
    schedulingGates: [],
    dnsPolicy: 'ClusterFirst',
  },
  status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] },
});

const cases: { name: string; obj: () => JsonObject; group: string; version: string; kind: string; fixture?: boolean }[] = [
  { name: 'pod', obj: pod, group: '', version: 'v1', kind: 'Pod' },
  {
    name: 'service',
    obj: () => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { app: 'x' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], clusterIPs: ['10.0.0.1'] } }),
    group: '',
    version: 'v1',
    kind: 'Service',
  },
  {
    name: 'event',
    obj: () => ({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'ns' }, involvedObject: { kind: 'Pod', name: 'p' }, reason: 'Scheduled', firstTimestamp: null, count: 0, source: { component: 'x' } }),
    group: '',
    version: 'v1',
    kind: 'Event',
  },
  { name: 'configmap with an empty data map', obj: () => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: {} }), group: '', version: 'v1', kind: 'ConfigMap' },
  { name: 'no schema (custom resource without one)', obj: () => ({ apiVersion: 'x/v1', kind: 'Thing', metadata: { name: 't', labels: { a: 'b' } }, spec: { list: [1, 2], m: { a: { b: null } } } }), group: 'x', version: 'v1', kind: 'Thing' },
  { name: 'only identity fields', obj: () => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' } }), group: '', version: 'v1', kind: 'ConfigMap' },
  { name: 'deployment (fixture schema)', obj: () => liveDeployment() as JsonObject, group: 'apps', version: 'v1', kind: 'Deployment', fixture: true },
  {
    name: 'a list item without its key',
    obj: () => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' } }, spec: { dnsPolicy: 'x', containers: [{ image: 'no-name' }] } }),
    group: '',
    version: 'v1',
    kind: 'Pod',
  },
  {
    // After a case that throws half way: long levels (sorted otherwise), long lists with repeated items.
    name: 'many labels, a long env list with repeats, many ports',
    obj: () => {
      const p = pod() as any;
      p.metadata.labels = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`l${(i * 7) % 40}`, String(i)]));
      p.spec.containers[0].env = Array.from({ length: 50 }, (_, i) => ({ name: `E${i % 37}`, value: String(i) }));
      p.spec.containers[1].ports = Array.from({ length: 20 }, (_, i) => ({ containerPort: 1000 + (i % 17), protocol: i % 2 ? 'UDP' : 'TCP' }));
      p.spec.containers[1].env = [{ name: 'Z' }, { name: 'A' }, { name: 'Z', value: 'again' }];
      return p;
    },
    group: '',
    version: 'v1',
    kind: 'Pod',
  },
];

test('create: createdFieldsV1 equals the general ownership path', () => {
  for (const c of cases) {
    const resolver = c.fixture ? fixtureResolver : registry;
    const schema = c.fixture ? deploymentSchema : registry.forKind(c.group, c.version, c.kind);
    const fast = c.obj() as unknown as KubeObject;
    recordUpdate({ obj: fast, manager: 'm', apiVersion: `${c.group ? c.group + '/' : ''}${c.version}`, time: T, schema, resolver });
    let general: unknown;
    try {
      const entries = applyUpdateOwnership({ entries: [], from: {}, to: c.obj(), manager: 'm', apiVersion: `${c.group ? c.group + '/' : ''}${c.version}`, time: T, schema, resolver });
      const encoded = encodeManagedFields(entries);
      general = encoded.length > 0 ? encoded : undefined;
    } catch {
      general = undefined;
    }
    assert.equal(JSON.stringify(fast.metadata.managedFields), JSON.stringify(general), c.name);
  }
  assert.ok(resolve(registry.forKind('', 'v1', 'Pod'), registry), 'the Pod schema is there, so the pod case exercises list keys');
});

test('create with reset status (a kind with a status subresource): the create path equals the general path with status ignored', () => {
  for (const c of cases) {
    const resolver = c.fixture ? fixtureResolver : registry;
    const schema = c.fixture ? deploymentSchema : registry.forKind(c.group, c.version, c.kind);
    const apiVersion = `${c.group ? c.group + '/' : ''}${c.version}`;
    const fast = c.obj() as unknown as KubeObject;
    recordUpdate({ obj: fast, manager: 'm', apiVersion, time: T, schema, resolver, ignoredFields: STATUS_RESET });
    let general: unknown;
    try {
      const entries = applyUpdateOwnership({ entries: [], from: {}, to: c.obj(), manager: 'm', apiVersion, time: T, schema, resolver, ignoredFields: STATUS_RESET });
      const encoded = encodeManagedFields(entries);
      general = encoded.length > 0 ? encoded : undefined;
    } catch {
      general = undefined;
    }
    assert.equal(JSON.stringify(fast.metadata.managedFields), JSON.stringify(general), c.name);
    assert.equal(JSON.stringify(fast.metadata.managedFields ?? []).includes('f:status'), false, `${c.name}: status is nobody's`);
  }
  // The pod case does hold a status, which the creator would own without the reset.
  const owned = pod() as unknown as KubeObject;
  recordUpdate({ obj: owned, manager: 'm', apiVersion: 'v1', time: T, schema: registry.forKind('', 'v1', 'Pod'), resolver: registry });
  assert.ok(JSON.stringify(owned.metadata.managedFields).includes('f:status'));
});
