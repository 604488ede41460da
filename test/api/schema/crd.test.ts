// CRD schemas: structural check, conversion for the registry, defaulting and custom resource validation
// with upstream's causes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CustomResourceDefinition, JSONSchemaProps } from 'kubernetes-types/apiextensions/v1.js';
import {
  applyDefaults,
  celRulePaths,
  crdVersionSchema,
  structuralErrors,
  validateCrdSchemas,
  validateCustomResource,
} from '../../../src/api/schema/crd.js';
import { SchemaRegistry } from '../../../src/api/schema/registry.js';
import { prune } from '../../../src/api/schema/prune.js';
import { errors } from '../../../src/api/errors.js';

function crd(schema: JSONSchemaProps | undefined): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
      scope: 'Namespaced',
      versions: [{ name: 'v1', served: true, storage: true, ...(schema ? { schema: { openAPIV3Schema: schema } } : {}) }],
    },
  };
}

const widgetSchema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['size'],
      properties: {
        size: { type: 'integer', minimum: 1, maximum: 10 },
        replicas: { type: 'integer', default: 1 },
        color: { type: 'string', enum: ['red', 'blue'], default: 'red' },
        name: { type: 'string', maxLength: 5, minLength: 2, pattern: '^[a-z]+$' },
        at: { type: 'string', format: 'date-time' },
        port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } as JSONSchemaProps,
        tags: { type: 'array', items: { type: 'string' }, maxItems: 2, 'x-kubernetes-list-type': 'set' } as JSONSchemaProps,
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' } } },
        } as JSONSchemaProps,
        nested: {
          type: 'object',
          default: {},
          properties: { inner: { type: 'string', default: 'x' }, opt: { type: 'string', nullable: true } },
        },
        labels: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 2 },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          'x-kubernetes-preserve-unknown-fields': true,
        } as JSONSchemaProps,
      },
    },
  },
};

test('structural schema violations are reported with upstream paths and messages', () => {
  const bad: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: { properties: { a: { type: 'string' } } },
      list: { type: 'array' },
      both: { type: 'object', properties: { x: { type: 'string' } }, additionalProperties: { type: 'string' } },
      any: { type: 'object', anyOf: [{ type: 'string' }] },
      keep: { type: 'object', 'x-kubernetes-preserve-unknown-fields': false } as JSONSchemaProps,
      ios: { type: 'string', 'x-kubernetes-int-or-string': true } as JSONSchemaProps,
      metadata: { type: 'object', properties: { labels: { type: 'object' } } },
    },
  };
  const msgs = validateCrdSchemas(crd(bad)).map((c) => `${c.field}: ${c.message}`);
  const p = 'spec.versions[0].schema.openAPIV3Schema';
  assert.deepEqual(msgs.sort(), [
    `${p}.properties[any].anyOf[0].type: Forbidden: must be empty to be structural`,
    `${p}.properties[both].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
    `${p}.properties[ios].type: Invalid value: "string": must be empty if x-kubernetes-int-or-string is true`,
    `${p}.properties[keep].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`,
    `${p}.properties[list].items: Required value: must be specified`,
    `${p}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
    `${p}.properties[spec].type: Required value: must not be empty for specified object fields`,
  ]);
  assert.deepEqual(
    structuralErrors({ type: 'string' }, 'x').map((c) => `${c.field}: ${c.message}`),
    ['x.type: Invalid value: "string": must be object at the root'],
  );
  assert.deepEqual(
    validateCrdSchemas(crd(undefined)).map((c) => `${c.field}: ${c.message}`),
    [`${p}: Required value: schemas are required`],
  );
  assert.deepEqual(validateCrdSchemas(crd(widgetSchema)), []);
});

const schema = crdVersionSchema(crd(widgetSchema), 'v1')!;

test('conversion adds apiVersion, kind and ObjectMeta metadata', () => {
  assert.equal(schema.properties?.apiVersion?.type, 'string');
  assert.equal(schema.properties?.kind?.type, 'string');
  const registry = new SchemaRegistry();
  registry.setCustomResource('example.com', 'v1', 'Widget', schema);
  assert.ok(registry.resolve(registry.forKind('example.com', 'v1', 'Widget')!.properties!.metadata)?.properties?.labels);
  assert.equal(crdVersionSchema(crd(widgetSchema), 'v2'), undefined);
});

test('defaults are applied (missing, nested and null-for-non-nullable)', () => {
  const obj: Record<string, unknown> = { spec: { size: 1, color: null, nested: { opt: null } } };
  applyDefaults(obj, schema);
  assert.deepEqual(obj.spec, { size: 1, replicas: 1, color: 'red', nested: { inner: 'x', opt: null } });
  const empty: Record<string, unknown> = { spec: { size: 2 } };
  applyDefaults(empty, schema);
  assert.deepEqual((empty.spec as Record<string, unknown>).nested, { inner: 'x' });
});

const valid = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 3 } };
const withSpec = (spec: Record<string, unknown>) => ({ ...valid, spec: { size: 3, ...spec } });

const cases: { name: string; obj: unknown; causes: string[] }[] = [
  { name: 'valid', obj: valid, causes: [] },
  {
    name: 'type mismatch',
    obj: withSpec({ replicas: 'string' }),
    causes: ['spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"'],
  },
  { name: 'required', obj: { ...valid, spec: {} }, causes: ['spec.size: Required value'] },
  {
    name: 'minimum / maximum',
    obj: withSpec({ size: 0 }),
    causes: ['spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1'],
  },
  {
    name: 'maximum',
    obj: withSpec({ size: 11 }),
    causes: ['spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10'],
  },
  {
    name: 'enum',
    obj: withSpec({ color: 'pink' }),
    causes: ['spec.color: Unsupported value: "pink": supported values: "red", "blue"'],
  },
  {
    name: 'string constraints',
    obj: withSpec({ name: 'ABCDEF' }),
    causes: ['spec.name: Too long: may not be more than 5 bytes', "spec.name: Invalid value: \"ABCDEF\": spec.name in body should match '^[a-z]+$'"],
  },
  {
    name: 'minLength',
    obj: withSpec({ name: 'a' }),
    causes: ['spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long'],
  },
  {
    name: 'format',
    obj: withSpec({ at: 'soon' }),
    causes: ['spec.at: Invalid value: "soon": spec.at in body must be of type date-time: "soon"'],
  },
  {
    name: 'int-or-string',
    obj: withSpec({ port: true }),
    causes: ['spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"'],
  },
  { name: 'int-or-string ok', obj: withSpec({ port: 'http' }), causes: [] },
  {
    name: 'maxItems and set duplicates',
    obj: withSpec({ tags: ['a', 'a', 'b'] }),
    causes: ['spec.tags: Too many: 3: must have at most 2 items', 'spec.tags[1]: Duplicate value: "a"'],
  },
  {
    name: 'list-map duplicate keys',
    obj: withSpec({ ports: [{ name: 'a' }, { name: 'a', port: 1 }] }),
    causes: ['spec.ports[1]: Duplicate value: {"name":"a"}'],
  },
  {
    name: 'nested required in list items',
    obj: withSpec({ ports: [{ port: 1 }] }),
    causes: ['spec.ports[0].name: Required value'],
  },
  {
    name: 'maxProperties and additionalProperties types',
    obj: withSpec({ labels: { a: 'x', b: 'y', c: 1 } }),
    causes: [
      'spec.labels: Too many: 3: must have at most 2 items',
      'spec.labels.c: Invalid value: "integer": spec.labels.c in body must be of type string: "integer"',
    ],
  },
  {
    name: 'embedded resource needs apiVersion and kind',
    obj: withSpec({ template: { metadata: {} } }),
    causes: ['spec.template.apiVersion: Required value: must not be empty', 'spec.template.kind: Required value: must not be empty'],
  },
  {
    name: 'null in a non-nullable field',
    obj: withSpec({ name: null }),
    causes: ['spec.name: Invalid value: "null": spec.name in body must be of type string: "null"'],
  },
];

for (const c of cases) {
  test(`custom resource validation: ${c.name}`, () => {
    const causes = validateCustomResource(c.obj, schema).map((x) => `${x.field}: ${x.message}`);
    assert.deepEqual(causes, c.causes);
  });
}

test('the 422 message reads like upstream', () => {
  const causes = validateCustomResource(withSpec({ replicas: 'string' }), schema);
  assert.equal(
    errors.invalid('example.com', 'Widget', 'w', causes).message,
    'Widget.example.com "w" is invalid: spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
  );
});

test('composition keywords', () => {
  const s = crdVersionSchema(
    crd({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: { a: { type: 'string' }, b: { type: 'string' } },
          oneOf: [{ required: ['a'] }, { required: ['b'] }],
          not: { required: ['c'] },
        },
      },
    }),
    'v1',
  )!;
  assert.deepEqual(validateCustomResource({ spec: { a: 'x' } }, s), []);
  assert.deepEqual(
    validateCustomResource({ spec: { a: 'x', b: 'y' } }, s).map((c) => c.message),
    ['Invalid value: {"a":"x","b":"y"}: spec in body must validate one and only one schema (oneOf)'],
  );
});

test('pruning a custom resource keeps preserved and embedded data, drops unknown fields', () => {
  const registry = new SchemaRegistry();
  const obj = { ...valid, metadata: { name: 'w', junk: true }, spec: { size: 1, unknown: 1, template: { apiVersion: 'v1', kind: 'Pod', x: 1 } } };
  const removed = prune(obj, schema, registry);
  assert.deepEqual(removed, ['metadata.junk', 'spec.unknown']);
  assert.deepEqual(obj.spec, { size: 1, template: { apiVersion: 'v1', kind: 'Pod', x: 1 } });
});

test('CEL rules are located (not evaluated)', () => {
  const s = crdVersionSchema(
    crd({
      type: 'object',
      properties: { spec: { type: 'object', 'x-kubernetes-validations': [{ rule: 'self.a > 0' }] } as JSONSchemaProps },
    }),
    'v1',
  )!;
  assert.deepEqual(celRulePaths(s), ['spec']);
});
