// Decode-time validation of built-in kinds: unknown fields as dotted paths, Go-style type errors and the
// 400 message upstream returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaRegistry } from '../../../src/api/schema/registry.js';
import { decodeError, validateObject, unknownFieldWarnings } from '../../../src/api/schema/validate.js';

const registry = new SchemaRegistry();
const deploymentSchema = registry.forKind('apps', 'v1', 'Deployment')!;

function deployment(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', labels: { app: 'x' } }, spec, ...extra };
}
const podSpec = (container: Record<string, unknown>) => ({
  selector: { matchLabels: { app: 'x' } },
  template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'main', image: 'nginx', ...container }] } },
});

test('a valid deployment has no errors', () => {
  const obj = deployment({
    ...podSpec({
      ports: [{ containerPort: 80 }],
      resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: 1 } },
      env: [{ name: 'A', value: 'b' }],
    }),
    replicas: 3,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
  });
  (obj.metadata as Record<string, unknown>).creationTimestamp = '2024-01-02T03:04:05Z';
  assert.deepEqual(validateObject(obj, deploymentSchema, registry, { unknownFields: 'Strict' }), { typeErrors: [], unknownFields: [] });
});

const cases: { name: string; obj: Record<string, unknown>; unknown?: string[]; message?: string }[] = [
  {
    name: 'unknown spec field',
    obj: deployment({ ...podSpec({}), foo: 1 }),
    unknown: ['spec.foo'],
    message: 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"',
  },
  {
    name: 'unknown fields in list items and metadata',
    obj: deployment(podSpec({ foo: 'x', ports: [{ containerPort: 80, bar: 1 }] }), { status2: {} }),
    unknown: ['spec.template.spec.containers[0].foo', 'spec.template.spec.containers[0].ports[0].bar', 'status2'],
    message:
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.containers[0].foo", unknown field "spec.template.spec.containers[0].ports[0].bar", unknown field "status2"',
  },
  {
    name: 'string into int32',
    obj: deployment({ ...podSpec({}), replicas: 'three' }),
    message:
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
  },
  {
    name: 'number into string inside a list',
    obj: deployment(podSpec({ image: 5 })),
    message:
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.image of type string',
  },
  {
    name: 'fractional int32',
    obj: deployment({ ...podSpec({}), replicas: 1.5 }),
    message:
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32',
  },
  {
    name: 'string where a struct is expected',
    obj: deployment('nope' as unknown as Record<string, unknown>),
    message:
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field Deployment.spec of type v1.DeploymentSpec',
  },
  {
    name: 'object where a list is expected',
    obj: deployment({ selector: {}, template: { spec: { containers: {} } } }),
    message:
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container',
  },
  {
    name: 'number label value',
    obj: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', labels: { a: 1 } } },
    message:
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
  },
  {
    name: 'bad quantity',
    obj: deployment(podSpec({ resources: { limits: { cpu: 'lots' } } })),
    message:
      "Deployment in version \"v1\" cannot be handled as a Deployment: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
  },
  {
    name: 'bad quantity suffix',
    obj: deployment(podSpec({ resources: { limits: { memory: '1Mk' } } })),
    message: 'Deployment in version "v1" cannot be handled as a Deployment: unable to parse quantity\'s suffix',
  },
  {
    name: 'int-or-string given a bool',
    obj: deployment({ ...podSpec({}), strategy: { rollingUpdate: { maxSurge: true } } }),
    message: 'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal bool into Go value of type int32',
  },
  {
    name: 'bad time',
    obj: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', creationTimestamp: 'yesterday' } },
    message:
      'Deployment in version "v1" cannot be handled as a Deployment: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"',
  },
];

for (const c of cases) {
  test(`decode: ${c.name}`, () => {
    const result = validateObject(c.obj, deploymentSchema, registry, { unknownFields: 'Strict' });
    if (c.unknown) assert.deepEqual(result.unknownFields, c.unknown);
    assert.equal(decodeError('Deployment', 'v1', result, 'Strict')?.message, c.message);
    assert.equal(decodeError('Deployment', 'v1', result, 'Strict')?.code, 400);
  });
}

test('Warn and Ignore do not fail on unknown fields', () => {
  const obj = deployment({ ...podSpec({}), foo: 1 });
  const warn = validateObject(obj, deploymentSchema, registry, { unknownFields: 'Warn' });
  assert.equal(decodeError('Deployment', 'v1', warn, 'Warn'), undefined);
  assert.deepEqual(unknownFieldWarnings(warn), ['unknown field "spec.foo"']);
  const ignore = validateObject(obj, deploymentSchema, registry, { unknownFields: 'Ignore' });
  assert.deepEqual(ignore.unknownFields, []);
});

test('null is accepted as the zero value and preserve-unknown subtrees are not reported', () => {
  const obj = deployment({ ...podSpec({}), replicas: null, strategy: null });
  assert.deepEqual(validateObject(obj, deploymentSchema, registry, { unknownFields: 'Strict' }).typeErrors, []);
  const rev = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, revision: 1, data: { any: { thing: 1 } } };
  const res = validateObject(rev, registry.forKind('apps', 'v1', 'ControllerRevision')!, registry, { unknownFields: 'Strict' });
  assert.deepEqual(res, { typeErrors: [], unknownFields: [] });
});

test('custom resource schemas get OpenAPI-style type causes', () => {
  registry.setCustomResource('example.com', 'v1', 'Widget', {
    type: 'object',
    properties: {
      metadata: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
      spec: { type: 'object', properties: { replicas: { type: 'integer' } } },
    },
  });
  const res = validateObject({ metadata: {}, spec: { replicas: 'string' } }, registry.forKind('example.com', 'v1', 'Widget')!, registry, {
    unknownFields: 'Strict',
  });
  assert.deepEqual(res.typeErrors, [
    {
      reason: 'FieldValueTypeInvalid',
      field: 'spec.replicas',
      message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    },
  ]);
});

test('unknown fields reported for custom schemas match what pruning drops', async () => {
  const { prune } = await import('../../../src/api/schema/prune.js');
  const schema = {
    type: 'object' as const,
    properties: {
      metadata: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
      spec: {
        type: 'object' as const,
        properties: {
          empty: { type: 'object' as const },
          free: { type: 'object' as const, 'x-kubernetes-preserve-unknown-fields': true },
          tpl: { type: 'object' as const, 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' as const } } },
        },
      },
    },
  };
  const obj = {
    metadata: { name: 'a' },
    spec: { empty: { x: 1 }, free: { y: 2 }, tpl: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {}, z: 3 }, w: 4 },
  };
  const res = validateObject(obj, schema, registry, { unknownFields: 'Strict', style: 'openapi' });
  const removed = prune(structuredClone(obj), schema, registry);
  assert.deepEqual(res.unknownFields.sort(), removed.sort());
  assert.deepEqual(res.unknownFields, ['spec.empty.x', 'spec.tpl.z', 'spec.w']);
});

test('with the stored object (old), only what differs from it is checked', () => {
  const stored = deployment({ ...podSpec({}), replicas: 1, minReadySeconds: 5 });
  const cases: { name: string; obj: Record<string, unknown>; typeErrors: number; unknown: string[] }[] = [
    { name: 'unchanged object', obj: structuredClone(stored), typeErrors: 0, unknown: [] },
    { name: 'a changed scalar is checked', obj: deployment({ ...podSpec({}), replicas: 'x', minReadySeconds: 5 }), typeErrors: 1, unknown: [] },
    { name: 'a new unknown scalar is reported', obj: deployment({ ...podSpec({}), replicas: 1, minReadySeconds: 5, foo: 1 }), typeErrors: 0, unknown: ['spec.foo'] },
    { name: 'a changed list item is checked', obj: deployment(podSpec({ ports: [{ containerPort: 'x' }] })), typeErrors: 1, unknown: [] },
    { name: 'null stays accepted', obj: deployment({ ...podSpec({}), replicas: null, minReadySeconds: 5 }), typeErrors: 0, unknown: [] },
  ];
  for (const c of cases) {
    const res = validateObject(c.obj, deploymentSchema, registry, { unknownFields: 'Strict', old: stored });
    assert.equal(res.typeErrors.length, c.typeErrors, c.name);
    assert.deepEqual(res.unknownFields, c.unknown, c.name);
  }
  // What equals the stored value at the same place is not checked again: a stored value a newer schema no
  // longer accepts does not fail an unrelated change (as an equal object did not before).
  const legacy = deployment({ ...podSpec({}), replicas: 'legacy' });
  const res = validateObject(deployment({ ...podSpec({}), replicas: 'legacy', paused: true }), deploymentSchema, registry, { unknownFields: 'Strict', old: legacy });
  assert.deepEqual(res, { typeErrors: [], unknownFields: [] });
});
