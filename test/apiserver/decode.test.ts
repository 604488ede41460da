// checkSchema prunes only when its validation walk found unknown fields (or under Ignore, where it looks for
// none): the result must be exactly what always pruning gives, for built-in and custom schemas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaRegistry } from '../../src/api/schema/registry.js';
import { prune } from '../../src/api/schema/prune.js';
import type { Schema } from '../../src/api/schema/types.js';
import type { KubeObject } from '../../src/api/types.js';
import type { ResourceType } from '../../src/api/resource.js';
import { checkSchema, type FieldValidation } from '../../src/apiserver/rest/decode.js';

const schemas = new SchemaRegistry();
const widget: Schema = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      properties: {
        size: { type: 'integer' },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        typed: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: { type: 'string' } } },
        bare: { type: 'object' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        inner: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: { x: { type: 'string' } } } } },
        items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
      },
    },
  },
};
schemas.setCustomResource('example.com', 'v1', 'Widget', widget);

const pod = { group: '', version: 'v1', kind: 'Pod', custom: false } as ResourceType;
const widgets = { group: 'example.com', version: 'v1', kind: 'Widget', custom: true } as ResourceType;

const bodies: [ResourceType, string, Record<string, unknown>][] = [
  [pod, 'clean pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: '1' } } }] } }],
  [pod, 'pod with unknown fields at several depths', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', bogus: 1 }, spec: { containers: [{ name: 'c', image: 'i', nope: true }], extra: {} }, top: 'x' }],
  [widgets, 'clean widget', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1, free: { any: { thing: 1 } }, typed: { a: 'x', b: 2 }, labels: { k: 'v' }, items: [{ name: 'n' }] } }],
  [widgets, 'widget with fields pruning drops', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { bare: { gone: 1 }, inner: { apiVersion: 'v1', kind: 'X', metadata: { name: 'i' }, spec: { x: 'y', z: 1 }, q: 1 }, items: [{ name: 'n', extra: 1 }], unknown: 1 } }],
];

for (const [rt, name, body] of bodies) {
  for (const mode of ['Warn', 'Ignore'] as FieldValidation[]) {
    test(`${name}, fieldValidation=${mode}: the object is what full pruning gives`, () => {
      const schema = schemas.forKind(rt.group, rt.version, rt.kind)!;
      const expected = structuredClone(body);
      prune(expected, schema, schemas);
      const obj = structuredClone(body) as unknown as KubeObject;
      checkSchema(rt, obj, schemas, mode, rt.custom === true);
      assert.deepEqual(obj, expected);
    });
  }
}

test('memoized $ref resolution follows definitions that are added, replaced and removed', () => {
  const registry = new SchemaRegistry();
  const ref: Schema = { $ref: '#/components/schemas/com.example.v1.Gadget' };
  assert.equal(registry.resolve(ref), undefined);
  registry.setCustomResource('example.com', 'v1', 'Gadget', { type: 'object', properties: { a: { type: 'string' } } });
  assert.deepEqual(Object.keys(registry.resolve(ref)!.properties!), ['a']);
  registry.setCustomResource('example.com', 'v1', 'Gadget', { type: 'object', properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, b: { type: 'string' } } });
  assert.deepEqual(Object.keys(registry.resolve(ref)!.properties!), ['apiVersion', 'kind', 'metadata', 'b']);
  const rt = { group: 'example.com', version: 'v1', kind: 'Gadget', custom: true } as ResourceType;
  const obj = { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g' }, a: 'x', b: 'y' } as unknown as KubeObject;
  assert.deepEqual(checkSchema(rt, obj, registry, 'Warn', true), ['unknown field "a"']);
  registry.removeCustomResource('example.com', 'v1', 'Gadget');
  assert.equal(registry.resolve(ref), undefined);
});

test('with the stored object, only what differs from it is checked: changes anywhere are still caught', () => {
  const stored = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }, { name: 'd', image: 'j' }] }, status: { phase: 'Pending' } } as unknown as KubeObject;
  const cases: [string, (o: any) => void, string[] | RegExp][] = [
    ['an unchanged object', () => undefined, []],
    ['a new unknown field beside unchanged ones', (o) => (o.spec.containers[1].bogus = 1), ['unknown field "spec.containers[1].bogus"']],
    ['a new unknown field at the top', (o) => (o.extra = {}), ['unknown field "extra"']],
    ['a type error in a changed list item', (o) => (o.spec.containers[1].image = 5), /cannot unmarshal number into Go struct field Container.spec.containers.image of type string/],
    ['a type error in a changed map', (o) => (o.metadata.labels.a = true), /cannot unmarshal bool/],
    ['a type error in status', (o) => (o.status.phase = []), /cannot unmarshal array/],
  ];
  for (const [name, change, want] of cases) {
    const obj = structuredClone(stored) as any;
    change(obj);
    const full = structuredClone(obj);
    if (want instanceof RegExp) {
      assert.throws(() => checkSchema(pod, obj, schemas, 'Warn', false, stored), want, name);
      assert.throws(() => checkSchema(pod, full, schemas, 'Warn', false), want, name);
    } else {
      assert.deepEqual(checkSchema(pod, obj, schemas, 'Warn', false, stored), want, name);
      assert.deepEqual(checkSchema(pod, full, schemas, 'Warn', false), want, name);
      assert.deepEqual(obj, full, `${name}: pruned alike`);
    }
  }
});
