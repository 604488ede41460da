// Sanity of the committed, generated built-in definitions (scripts/gen-builtin-schemas.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinDefinitions, SchemaRegistry } from '../../../src/api/schema/registry.js';
import type { Schema } from '../../../src/api/schema/types.js';

const defs = builtinDefinitions();
const registry = new SchemaRegistry();
const prop = (def: string, field: string): Schema => {
  const s = defs[def]?.properties?.[field];
  assert.ok(s, `${def}.${field} exists`);
  return s;
};

test('Deployment carries its GVK and upstream-style refs', () => {
  const d = defs['io.k8s.api.apps.v1.Deployment']!;
  assert.deepEqual(d['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
  assert.deepEqual(prop('io.k8s.api.apps.v1.Deployment', 'spec').allOf, [
    { $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec' },
  ]);
  assert.equal(registry.forKind('apps', 'v1', 'Deployment'), d);
  assert.ok(registry.forKind('', 'v1', 'Pod'));
  assert.ok(registry.forKind('autoscaling', 'v1', 'Scale'));
  assert.ok(registry.forKind('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition'));
});

test('descriptions reach nested fields (kubectl explain deployment.spec.strategy)', () => {
  const strategy = prop('io.k8s.api.apps.v1.DeploymentSpec', 'strategy');
  assert.match(strategy.description ?? '', /deployment strategy/);
  const resolved = registry.resolve(strategy)!;
  assert.match(resolved.properties?.type?.description ?? '', /Recreate/);
});

test('list semantics from upstream Go tags', () => {
  const containers = prop('io.k8s.api.core.v1.PodSpec', 'containers');
  assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
  assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
  const ports = prop('io.k8s.api.core.v1.Container', 'ports');
  assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
  assert.equal(ports['x-kubernetes-patch-merge-key'], 'containerPort');
  assert.equal(ports['x-kubernetes-list-type'], 'map');
  assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'volumes')['x-kubernetes-patch-strategy'], 'merge,retainKeys');
  assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'tolerations')['x-kubernetes-list-type'], 'atomic');
  assert.deepEqual(prop('io.k8s.api.core.v1.ServiceSpec', 'ports')['x-kubernetes-list-map-keys'], ['port', 'protocol']);
  assert.equal(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'finalizers')['x-kubernetes-list-type'], 'set');
  assert.equal(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'ownerReferences')['x-kubernetes-patch-merge-key'], 'uid');
  assert.equal(defs['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector']!['x-kubernetes-map-type'], 'atomic');
  assert.equal(prop('io.k8s.api.apps.v1.DeploymentStatus', 'conditions')['x-kubernetes-patch-merge-key'], 'type');
});

test('scalar types and formats', () => {
  const labels = prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'labels');
  assert.equal(labels.type, 'object');
  assert.deepEqual(labels.additionalProperties, { type: 'string' });
  assert.deepEqual(
    { type: prop('io.k8s.api.apps.v1.DeploymentSpec', 'replicas').type, format: prop('io.k8s.api.apps.v1.DeploymentSpec', 'replicas').format },
    { type: 'integer', format: 'int32' },
  );
  assert.equal(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'generation').format, 'int64');
  assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'terminationGracePeriodSeconds').format, 'int64');
  assert.equal(prop('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps', 'maximum').type, 'number');
  assert.deepEqual(defs['io.k8s.apimachinery.pkg.apis.meta.v1.Time'], {
    description: defs['io.k8s.apimachinery.pkg.apis.meta.v1.Time']!.description,
    type: 'string',
    format: 'date-time',
  });
  assert.equal(defs['io.k8s.apimachinery.pkg.util.intstr.IntOrString']!['x-kubernetes-int-or-string'], true);
  assert.equal(defs['io.k8s.apimachinery.pkg.runtime.RawExtension']!['x-kubernetes-preserve-unknown-fields'], true);
  // CRDs keep their x-kubernetes-* schema extensions through pruning.
  assert.ok(prop('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps', 'x-kubernetes-preserve-unknown-fields'));
});

test('every $ref resolves', () => {
  const refs = new Set<string>();
  JSON.stringify(defs, (k, v: unknown) => {
    if (k === '$ref' && typeof v === 'string') refs.add(v);
    return v;
  });
  for (const r of refs) assert.ok(registry.resolve({ $ref: r }), r);
});
