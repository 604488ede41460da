import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaRegistry } from '../../../src/api/schema/registry.js';
import { prune } from '../../../src/api/schema/prune.js';
import type { Schema } from '../../../src/api/schema/types.js';

const registry = new SchemaRegistry();

test('built-in: unknown fields dropped at every depth, known kept', () => {
  const obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x', bogus: 1, labels: { a: 'b' } },
    spec: {
      foo: 1,
      replicas: 2,
      template: { spec: { containers: [{ name: 'c', image: 'i', extra: true, resources: { limits: { cpu: '1' } } }] } },
    },
  };
  const removed = prune(obj, registry.forKind('apps', 'v1', 'Deployment')!, registry);
  assert.deepEqual(removed, ['metadata.bogus', 'spec.foo', 'spec.template.spec.containers[0].extra']);
  assert.deepEqual(obj, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x', labels: { a: 'b' } },
    spec: { replicas: 2, template: { spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: '1' } } }] } } },
  });
});

test('built-in: RawExtension and managedFields fieldsV1 are preserved', () => {
  const obj = {
    metadata: { name: 'r', managedFields: [{ manager: 'm', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }] },
    data: { whatever: { nested: [1, 2] } },
    revision: 1,
  };
  prune(obj, registry.forKind('apps', 'v1', 'ControllerRevision')!, registry);
  assert.deepEqual(obj.data, { whatever: { nested: [1, 2] } });
  assert.deepEqual(obj.metadata.managedFields[0]!.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
});

test('CRD-style schemas: preserve-unknown-fields, embedded resources, maps, untyped objects', () => {
  const schema: Schema = {
    type: 'object',
    properties: {
      metadata: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
      spec: {
        type: 'object',
        properties: {
          size: { type: 'integer' },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          partial: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { keep: { type: 'object', properties: {} } } },
          template: {
            type: 'object',
            'x-kubernetes-embedded-resource': true,
            properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } },
          },
          byName: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'string' } } } },
          empty: { type: 'object' },
        },
      },
    },
  };
  const obj = {
    metadata: { name: 'w', junk: 1 },
    spec: {
      size: 1,
      extra: 2,
      free: { anything: { goes: true } },
      partial: { other: 1, keep: { dropMe: 1 } },
      template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', nope: 1 }, spec: { a: 'x', b: 'y' }, status: {} },
      byName: { one: { v: 'x', w: 'y' } },
      empty: { gone: 1 },
    },
  };
  const removed = prune(obj, schema, registry);
  assert.deepEqual(obj, {
    metadata: { name: 'w' },
    spec: {
      size: 1,
      free: { anything: { goes: true } },
      partial: { other: 1, keep: {} },
      template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { a: 'x' } },
      byName: { one: { v: 'x' } },
      empty: {},
    },
  });
  assert.deepEqual(removed.sort(), [
    'metadata.junk',
    'spec.byName.one.w',
    'spec.empty.gone',
    'spec.extra',
    'spec.partial.keep.dropMe',
    'spec.template.metadata.nope',
    'spec.template.spec.b',
    'spec.template.status',
  ]);
});
