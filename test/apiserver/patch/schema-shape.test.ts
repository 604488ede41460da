// patchMeta: the strategic-merge metadata of a member schema, read once per schema and again when what it
// refers to changes (a definition replaced, as a CRD update replaces its schema).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Schema, SchemaResolver } from '../../../src/api/schema/types.js';
import { patchMeta } from '../../../src/apiserver/patch/schema-shape.js';

test('patchMeta reads the member schema and what its $ref resolves to, again after the definition changes', () => {
  const defs: Record<string, Schema> = { Item: { type: 'array', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'name' } };
  const resolver = { resolve: (s: Schema | undefined) => (s?.$ref ? defs[s.$ref.split('/').pop()!] : s) } as unknown as SchemaResolver;
  const raw: Schema = { $ref: '#/components/schemas/Item' };
  assert.deepEqual(patchMeta(raw, resolver), { strategy: 'merge', retainKeys: false, mergeKey: 'name' });
  assert.equal(patchMeta(raw, resolver), patchMeta(raw, resolver), 'read once');
  defs['Item'] = { type: 'array', 'x-kubernetes-patch-strategy': 'merge,retainKeys', 'x-kubernetes-patch-merge-key': 'id' };
  assert.deepEqual(patchMeta(raw, resolver), { strategy: 'merge', retainKeys: true, mergeKey: 'id' });
  const own: Schema = { type: 'object', 'x-kubernetes-patch-strategy': 'replace' };
  assert.deepEqual(patchMeta(own, resolver), { strategy: 'replace', retainKeys: false, mergeKey: '' });
  assert.deepEqual(patchMeta(undefined, resolver), { strategy: '', retainKeys: false, mergeKey: '' });
});
