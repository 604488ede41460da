// System metadata on create and update (prepareCreateMeta / prepareUpdateMeta): what the server sets, keeps
// from the stored object and drops, as upstream's BeforeCreate/BeforeUpdate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceType } from '../../src/api/resource.js';
import type { KubeObject } from '../../src/api/types.js';
import { prepareCreateMeta, prepareUpdateMeta, validateObjectMeta } from '../../src/apiserver/rest/object-meta.js';

const rt = (generation: boolean) => ({ strategy: { generation } }) as unknown as ResourceType;
const obj = (metadata: Record<string, unknown>, spec: unknown = { a: 1 }) => ({ metadata, spec }) as unknown as KubeObject;

test('prepareCreateMeta: uid and creationTimestamp set; deletion, resourceVersion, selfLink dropped; generation 1 when kept', () => {
  const cases: [string, boolean, Record<string, unknown>, Record<string, unknown>][] = [
    ['plain', false, { name: 'a' }, { name: 'a', creationTimestamp: 'T' }],
    ['client system fields dropped', false, { name: 'a', resourceVersion: '5', selfLink: '/x', deletionTimestamp: 'D', deletionGracePeriodSeconds: 3, generation: 7 }, { name: 'a', creationTimestamp: 'T' }],
    ['generation kept by the kind', true, { name: 'a', generation: 7 }, { name: 'a', creationTimestamp: 'T', generation: 1 }],
  ];
  for (const [name, gen, meta, expected] of cases) {
    const o = obj(meta);
    prepareCreateMeta(rt(gen), o, 'T');
    const { uid, ...rest } = o.metadata as Record<string, unknown>;
    assert.match(String(uid), /^[0-9a-f-]{36}$/, name);
    assert.deepEqual(rest, expected, name);
    assert.ok(Object.values(o.metadata).every((v) => v !== undefined), `${name}: no undefined members`);
  }
});

test('prepareUpdateMeta: identity and deletion state from the stored object; generation bumped on spec changes', () => {
  const stored = { name: 'a', uid: 'u1', creationTimestamp: 'C', generateName: 'a-', generation: 3, resourceVersion: '9' };
  const cases: [string, boolean, Record<string, unknown>, Record<string, unknown>, unknown, Record<string, unknown>, number][] = [
    ['kept from stored', false, { name: 'a' }, stored, { a: 1 }, { name: 'a', uid: 'u1', creationTimestamp: 'C', generateName: 'a-', generation: 3 }, 0],
    ['client values replaced', false, { name: 'a', uid: 'u1', creationTimestamp: 'X', selfLink: '/s', deletionTimestamp: 'D', generation: 9 }, stored, { a: 1 }, { name: 'a', uid: 'u1', creationTimestamp: 'C', generateName: 'a-', generation: 3 }, 0],
    ['a changed uid is invalid', false, { name: 'a', uid: 'u2' }, stored, { a: 1 }, { name: 'a', uid: 'u1', creationTimestamp: 'C', generateName: 'a-', generation: 3 }, 1],
    ['the client generateName wins', false, { name: 'a', generateName: 'b-' }, stored, { a: 1 }, { name: 'a', uid: 'u1', creationTimestamp: 'C', generateName: 'b-', generation: 3 }, 0],
    ['deletion state of the stored object', false, { name: 'a' }, { ...stored, deletionTimestamp: 'D', deletionGracePeriodSeconds: 0 }, { a: 1 }, { name: 'a', uid: 'u1', creationTimestamp: 'C', deletionTimestamp: 'D', deletionGracePeriodSeconds: 0, generateName: 'a-', generation: 3 }, 0],
    ['stored without generation', false, { name: 'a', generation: 4 }, { name: 'a', uid: 'u1' }, { a: 1 }, { name: 'a', uid: 'u1' }, 0],
    ['generation kept: same spec', true, { name: 'a' }, stored, { a: 1 }, { name: 'a', uid: 'u1', creationTimestamp: 'C', generateName: 'a-', generation: 3 }, 0],
    ['generation bumped: spec changed', true, { name: 'a' }, stored, { a: 2 }, { name: 'a', uid: 'u1', creationTimestamp: 'C', generateName: 'a-', generation: 4 }, 0],
  ];
  for (const [name, gen, meta, oldMeta, spec, expected, causes] of cases) {
    const o = obj(meta, spec);
    const got = prepareUpdateMeta(rt(gen), o, obj(oldMeta));
    assert.equal(got.length, causes, name);
    assert.deepEqual(o.metadata, expected, name);
    assert.ok(Object.values(o.metadata).every((v) => v !== undefined), `${name}: no undefined members`);
  }
});

test('validateObjectMeta checks what a create sets and what an update changes', () => {
  const nsRt = { namespaced: true, strategy: { nameRule: 'dns1123-subdomain' } } as unknown as ResourceType;
  const good = { name: 'a', namespace: 'ns', labels: { app: 'x' }, annotations: { 'a.io/b': 'c' }, finalizers: ['x.io/f'] };
  const cases: [string, Record<string, unknown>, Record<string, unknown> | undefined, string[]][] = [
    ['a valid create', good, undefined, []],
    ['a create with a bad label', { ...good, labels: { 'bad key!': 'x' } }, undefined, ['metadata.labels']],
    ['a create with a bad name', { ...good, name: 'A_B' }, undefined, ['metadata.name']],
    ['a create without namespace', { name: 'a' }, undefined, ['metadata.namespace']],
    ['an update changing nothing', good, good, []],
    ['an update adding a bad label', { ...good, labels: { app: 'x', 'bad key!': 'y' } }, good, ['metadata.labels']],
    ['an update adding a bad finalizer', { ...good, finalizers: ['x.io/f', 'bad name!'] }, good, ['metadata.finalizers[1]']],
    ['an update adding an owner without uid', { ...good, ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'o' }] }, good, ['metadata.ownerReferences[0].uid']],
    // What the stored object holds passed when it was written: it is not checked again.
    ['an update keeping what was stored', { ...good, labels: { 'bad key!': 'x' } }, { ...good, labels: { 'bad key!': 'x' } }, []],
  ];
  for (const [name, meta, oldMeta, fields] of cases) {
    const causes = validateObjectMeta(nsRt, obj(meta), oldMeta === undefined, oldMeta === undefined ? undefined : obj(oldMeta));
    assert.deepEqual([...new Set(causes.map((c) => c.field))], fields, name);
  }
});
