import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaRegistry, customDefinitionName } from '../../../src/api/schema/registry.js';

test('custom resources: set, replace, remove, generation', () => {
  const r = new SchemaRegistry();
  const g0 = r.generation;
  assert.equal(r.forKind('example.com', 'v1', 'Widget'), undefined);
  r.setCustomResource('example.com', 'v1', 'Widget', { type: 'object', properties: { spec: { type: 'object' } } });
  assert.equal(customDefinitionName('example.com', 'v1', 'Widget'), 'com.example.v1.Widget');
  const s = r.forKind('example.com', 'v1', 'Widget');
  assert.deepEqual(s?.['x-kubernetes-group-version-kind'], [{ group: 'example.com', version: 'v1', kind: 'Widget' }]);
  assert.ok(r.definitions()['com.example.v1.Widget']);
  assert.ok(r.isCustomResource('example.com', 'v1', 'Widget'));
  const g1 = r.generation;
  assert.notEqual(g1, g0);
  r.setCustomResource('example.com', 'v1', 'Widget', { type: 'object', properties: { spec: { type: 'object' } } });
  assert.equal(r.generation, g1, 'same schema does not bump the generation');
  r.removeCustomResource('example.com', 'v1', 'Widget');
  assert.equal(r.forKind('example.com', 'v1', 'Widget'), undefined);
  assert.equal(r.definitions()['com.example.v1.Widget'], undefined);
  assert.notEqual(r.generation, g1);
});

test('resolve follows $ref and single allOf wrappers', () => {
  const r = new SchemaRegistry();
  const meta = r.resolve({ allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }], description: 'x' });
  assert.ok(meta?.properties?.labels);
  assert.equal(r.resolve({ $ref: '#/components/schemas/nope' }), undefined);
});
