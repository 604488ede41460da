import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtobufObject, PROTOBUF_MAGIC } from '../../../src/apiserver/protobuf.js';
import { StatusError } from '../../../src/api/errors.js';
import { messageForKind } from '../../../src/apiserver/protobuf/descriptors.js';
import { encodeObject, envelope, key, lenField, varint } from './encode.js';

const CORE = 'k8s.io.api.core.v1';

// Objects in JSON form that must survive encode → decode unchanged: every special JSON form and every shape
// (maps, lists, nested lists, inlined structs, pointer zeros).
const roundTrips: [string, string, Record<string, unknown>][] = [
  ['ConfigMap with data, binaryData and an empty value', `${CORE}.ConfigMap`, {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: 'cm', namespace: 'ns', labels: { a: 'b', empty: '' }, annotations: { 'x/y': 'z' } },
    data: { a: '1', empty: '' }, binaryData: { bin: Buffer.from([0, 255, 10]).toString('base64') }, immutable: false,
  }],
  ['Secret data bytes', `${CORE}.Secret`, {
    apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'dg==', zero: '' }, type: 'Opaque',
  }],
  ['Deployment with replicas 0 (a pointer zero), IntOrString both ways, probes (inlined handler)', 'k8s.io.api.apps.v1.Deployment', {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', generateName: 'd-', finalizers: ['f1'] },
    spec: {
      replicas: 0, revisionHistoryLimit: 0,
      selector: { matchLabels: { app: 'd' }, matchExpressions: [{ key: 'k', operator: 'In', values: ['a', 'b'] }] },
      template: {
        metadata: { labels: { app: 'd' } },
        spec: {
          containers: [{
            name: 'main', image: 'nginx', args: ['', 'x'],
            ports: [{ containerPort: 80, protocol: 'TCP' }],
            resources: { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '0' } },
            readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
            livenessProbe: { tcpSocket: { port: 8080 } },
            env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'a', optional: false } } }],
          }],
          volumes: [{ name: 'scratch', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cm', defaultMode: 420 } }],
          terminationGracePeriodSeconds: 0,
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
    },
    status: {},
  }],
  ['Service with a nodePort and a named target port', `${CORE}.Service`, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' },
    spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080 }], selector: { app: 'x' } },
    status: { loadBalancer: {} },
  }],
  ['PVC asking for no storage class (a pointer "")', `${CORE}.PersistentVolumeClaim`, {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName: '', resources: { requests: { storage: '1Gi' } } },
    status: {},
  }],
  ['Event with Time and MicroTime', `${CORE}.Event`, {
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', creationTimestamp: '2024-05-06T07:08:09Z' },
    involvedObject: { kind: 'Pod', name: 'p' }, reason: 'R', source: {},
    firstTimestamp: '2024-05-06T07:08:09Z', lastTimestamp: '1999-12-31T23:59:59Z', count: 3,
    eventTime: '2024-05-06T07:08:09.123456Z',
  }],
  ['PriorityClass value 0 (no omitempty) and globalDefault true', 'k8s.io.api.scheduling.v1.PriorityClass', {
    apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'pc' }, value: 0, globalDefault: true,
  }],
  ['ControllerRevision with RawExtension data', 'k8s.io.api.apps.v1.ControllerRevision', {
    apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, data: { spec: { a: [1, 'x', null] } }, revision: 7,
  }],
  ['SubjectAccessReview extra (ExtraValue → list)', 'k8s.io.api.authorization.v1.SubjectAccessReview', {
    apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
    spec: { nonResourceAttributes: { path: '/x', verb: 'get' }, user: 'u', extra: { scopes: ['a', 'b'], none: [] } },
  }],
  ['Eviction with DeleteOptions and preconditions', 'k8s.io.api.policy.v1.Eviction', {
    apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p', namespace: 'ns' },
    deleteOptions: { gracePeriodSeconds: 0, preconditions: { uid: 'u-1' }, dryRun: ['All'] },
  }],
  ['Ingress (inlined rule value, renamed apiGroup)', 'k8s.io.api.networking.v1.Ingress', {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'i' },
    spec: { rules: [{ host: 'h', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { resource: { apiGroup: 'g', kind: 'K', name: 'n' } } }] } }] },
    status: { loadBalancer: {} },
  }],
  ['Lease with MicroTime', 'k8s.io.api.coordination.v1.Lease', {
    apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l' },
    spec: { holderIdentity: 'me', leaseDurationSeconds: 15, renewTime: '2030-01-02T03:04:05.000007Z' },
  }],
  ['ManagedFields with FieldsV1', `${CORE}.Namespace`, {
    apiVersion: 'v1', kind: 'Namespace',
    metadata: { name: 'n', managedFields: [{ manager: 'm', operation: 'Update', time: '2024-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }] },
    spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' },
  }],
];

for (const [name, message, obj] of roundTrips) {
  test(`round trip: ${name}`, () => {
    assert.deepEqual(decodeProtobufObject(encodeObject(message, obj)), obj);
  });
}

// Plain Go fields gogo always writes: zeros the JSON form drops (omitempty) or keeps (no omitempty).
const zeros: [string, string, Record<string, unknown>, Record<string, unknown>][] = [
  ['omitempty plain zeros are dropped', `${CORE}.Pod`,
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', generation: 0, uid: '' },
      spec: { containers: [{ name: 'c', image: '', ports: [{ containerPort: 80, hostPort: 0, name: '' }], stdin: false, tty: false }], hostNetwork: false } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] } }],
  ['required plain zeros and pointer zeros are kept, like Go prints them', 'k8s.io.api.autoscaling.v1.HorizontalPodAutoscaler',
    { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'd', apiVersion: '' }, maxReplicas: 0 }, status: { currentReplicas: 0, desiredReplicas: 0, currentCPUUtilizationPercentage: 0 } },
    { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'd' }, maxReplicas: 0 }, status: { currentReplicas: 0, desiredReplicas: 0, currentCPUUtilizationPercentage: 0 } }],
  ['zero times are unset: Go zero time, the epoch, an empty message', `${CORE}.Event`,
    { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', creationTimestamp: '0001-01-01T00:00:00Z' }, involvedObject: {}, source: {}, firstTimestamp: '1970-01-01T00:00:00Z' },
    { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' }, involvedObject: {}, source: {} }],
];

for (const [name, message, input, want] of zeros) {
  test(`zero values: ${name}`, () => {
    assert.deepEqual(decodeProtobufObject(encodeObject(message, input)), want);
  });
}

test('wire-level details: unknown fields skipped, merged messages, packed lists, big and negative ints', () => {
  const meta = lenField(1, lenField(1, [...new TextEncoder().encode('p')]));
  const raw = [
    ...meta,
    ...key(99, 0), ...varint(5), // unknown varint
    ...lenField(98, [1, 2, 3]), // unknown bytes
    ...key(97, 5), 1, 2, 3, 4, // unknown fixed32
    ...key(96, 1), 1, 2, 3, 4, 5, 6, 7, 8, // unknown fixed64
    // spec (PodSpec, field 2) in two pieces that protobuf merges
    ...lenField(2, [...key(4, 0), ...varint(-1)]), // terminationGracePeriodSeconds -1 (int64)
    ...lenField(2, [...lenField(14, [...key(2, 0), ...varint(2 ** 60), ...lenField(4, [...varint(1000), ...varint(-5)])])]), // securityContext runAsUser, supplementalGroups packed
  ];
  const out = decodeProtobufObject(envelope('v1', 'Pod', raw));
  assert.deepEqual(out, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
    spec: { terminationGracePeriodSeconds: -1, securityContext: { runAsUser: 2 ** 60, supplementalGroups: [1000, -5] } },
  });
  // a negative int32 (10-byte varint) and a repeated message occurrence
  const pc = decodeProtobufObject(envelope('scheduling.k8s.io/v1', 'PriorityClass', [...key(2, 0), ...varint(-7)]));
  assert.equal(pc.value, -7);
});

test('map keys are own properties, even __proto__', () => {
  const obj = decodeProtobufObject(encodeObject(`${CORE}.ConfigMap`, { apiVersion: 'v1', kind: 'ConfigMap', data: { ['__proto__']: 'x', a: 'b' } }));
  const data = obj.data as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(data), Object.prototype);
  assert.deepEqual(Object.keys(data), ['__proto__', 'a']);
  assert.equal(JSON.parse(JSON.stringify(data)).__proto__, 'x');
});

test('kinds map to messages by group and version', () => {
  const table: [string, string, string | undefined][] = [
    ['v1', 'Pod', `${CORE}.Pod`],
    ['apps/v1', 'Deployment', 'k8s.io.api.apps.v1.Deployment'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'k8s.io.api.rbac.v1.ClusterRole'],
    ['networking.k8s.io/v1', 'Ingress', 'k8s.io.api.networking.v1.Ingress'],
    ['autoscaling/v2', 'HorizontalPodAutoscaler', 'k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler'],
    ['policy/v1', 'Eviction', 'k8s.io.api.policy.v1.Eviction'],
    ['v1', 'DeleteOptions', 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions'],
    ['apps/v1', 'DeleteOptions', 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions'],
    ['v1', 'PodSpec', undefined],
    ['v1', 'ObjectMeta', undefined],
    ['apps/v1beta1', 'Deployment', undefined],
    ['example.com/v1', 'Widget', undefined],
  ];
  for (const [apiVersion, kind, want] of table) {
    const got = messageForKind(apiVersion, kind);
    assert.equal(got.found ? got.message : undefined, want, `${apiVersion} ${kind}`);
  }
});

const isStatus = (code: number) => (e: unknown) => e instanceof StatusError && e.code === code;

test('a kind not registered for a known version is a 400; custom resources are 415', () => {
  assert.throws(() => decodeProtobufObject(envelope('v1', 'PodSpec', [])), isStatus(400));
  assert.throws(() => decodeProtobufObject(envelope('stable.example.com/v1', 'CronTab', [])), isStatus(415));
  assert.throws(() => decodeProtobufObject(envelope('', 'Pod', [])), isStatus(400));
});

test('malformed bodies are 400s', () => {
  const cases: [string, number[]][] = [
    ['string field as varint', [...lenField(1, [...key(1, 0), 5])]],
    ['message field as varint', [...key(1, 0), 5]],
    ['int field as bytes', [...lenField(2, lenField(1, [...key(1, 0), 1]))]],
    ['truncated nested length', [...lenField(1, [...key(1, 2), 50, 1])]],
    ['bad UTF-8 in a name', [...lenField(1, lenField(1, [0xc3, 0x28]))]],
    ['IntOrString of an impossible type', [...lenField(2, lenField(1, lenField(1, [...lenField(2, lenField(1, [...key(1, 0), 7]))])))]],
    ['time out of range', [...lenField(1, lenField(8, [...key(1, 0), ...varint(2 ** 52)]))]],
    ['varint past 64 bits', [...key(5, 0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]],
  ];
  for (const [name, raw] of cases) {
    const kind = name.startsWith('IntOrString') ? ['policy/v1', 'PodDisruptionBudget'] : ['v1', 'Pod'];
    assert.throws(() => decodeProtobufObject(envelope(kind[0]!, kind[1]!, raw)), isStatus(400), name);
  }
  // RawExtension that is not JSON (an embedded protobuf object) is refused, not passed on as garbage
  const cr = [...lenField(2, lenField(1, [...PROTOBUF_MAGIC, 1, 2]))];
  assert.throws(() => decodeProtobufObject(envelope('apps/v1', 'ControllerRevision', cr)), isStatus(400));
  // a content encoding we do not know
  const enc = Uint8Array.from([...PROTOBUF_MAGIC, ...lenField(1, [...lenField(1, [0x76, 0x31]), ...lenField(2, [0x50, 0x6f, 0x64])]), ...lenField(3, [0x67, 0x7a])]);
  assert.throws(() => decodeProtobufObject(enc), isStatus(400));
});

test('deep nesting cannot overflow the stack', () => {
  // No message in the tables is recursive, so real nesting is bounded by the schema (and MAX_DEPTH guards
  // anyway). 2000 levels of field 1 inside a Pod end at ObjectMeta.name, a string: read as such, no recursion.
  let inner: number[] = [];
  for (let i = 0; i < 2000; i++) inner = lenField(1, inner);
  let out: unknown;
  try {
    out = decodeProtobufObject(envelope('v1', 'Pod', inner));
  } catch (e) {
    out = e;
  }
  assert.ok(out instanceof StatusError ? out.code === 400 : typeof (out as { metadata?: { name?: unknown } }).metadata?.name === 'string', String(out));
});

test('every truncation and every single-byte change of a real body decodes or is a 400/415', () => {
  const body = encodeObject('k8s.io.api.apps.v1.Deployment', roundTrips[2]![2]);
  const check = (b: Uint8Array, what: string) => {
    try {
      decodeProtobufObject(b);
    } catch (e) {
      // 415 when the change lands in the apiVersion and names a group with no protobuf schema
      assert.ok(e instanceof StatusError && (e.code === 400 || e.code === 415), `${what}: ${String(e)}`);
    }
  };
  for (let i = 0; i < body.length; i++) check(body.subarray(0, i), `prefix ${i}`);
  for (let i = 4; i < body.length; i++) {
    for (const v of [0x00, 0x7f, 0x80, 0xff]) {
      const b = Uint8Array.from(body);
      b[i] = v;
      check(b, `byte ${i} = ${v}`);
    }
  }
});

test('many repeated occurrences decode in linear time', () => {
  const labels: number[] = [];
  for (let i = 0; i < 50_000; i++) labels.push(...lenField(11, [...lenField(1, [...new TextEncoder().encode(`k${i}`)]), ...lenField(2, [0x76])]));
  const merged: number[] = [];
  for (let i = 0; i < 50_000; i++) merged.push(...lenField(1, lenField(1, [0x6e])));
  const started = Date.now();
  const a = decodeProtobufObject(envelope('v1', 'ConfigMap', lenField(1, labels)));
  const b = decodeProtobufObject(envelope('v1', 'ConfigMap', merged));
  assert.equal(Object.keys((a.metadata as { labels: object }).labels).length, 50_000);
  assert.deepEqual(b.metadata, { name: 'n' });
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
});
