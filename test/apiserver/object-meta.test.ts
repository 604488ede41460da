// System metadata on create and update (prepareCreateMeta / prepareUpdateMeta): what the server sets, keeps
// from the stored object and drops, as upstream's BeforeCreate/BeforeUpdate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceType } from '../../src/api/resource.js';
import type { KubeObject } from '../../src/api/types.js';
import { prepareCreateMeta, prepareUpdateMeta } from '../../src/apiserver/rest/object-meta.js';

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
