// Watch event decoding: the events as they come, and without the object's managedFields for consumers that
// drop them (cut from the text before parsing; anything that is not that member stays).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWatchEvent, withoutManagedFields } from '../../src/client/watch-event.js';

const mf = [
  { manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:containers': { 'k:{"name":"c]}"}': { '.': {}, 'f:image': {} } } } } },
  { manager: 'odd "manager" \\ name [', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:phase': {} } }, subresource: 'status' },
];
const line = (obj: unknown, type = 'MODIFIED') => JSON.stringify({ type, object: obj });

describe('withoutManagedFields', () => {
  const pod = (metadata: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata, spec: { containers: [{ name: 'c', image: 'pause' }] }, ...extra });
  const cases: { name: string; obj: Record<string, unknown>; cut: boolean }[] = [
    { name: 'between other members', obj: pod({ name: 'a', namespace: 'd', uid: 'u', managedFields: mf, resourceVersion: '7' }), cut: true },
    { name: 'the first member', obj: pod({ managedFields: mf, name: 'a' }), cut: true },
    { name: 'the last member', obj: pod({ name: 'a', managedFields: mf }), cut: true },
    { name: 'the only member', obj: pod({ managedFields: mf }), cut: true },
    { name: 'after annotations whose values look like JSON', obj: pod({ annotations: { 'last-applied': '{"metadata":{"managedFields":[1]}}\\', x: '}]"[{' }, name: 'a', managedFields: mf, resourceVersion: '7' }), cut: true },
    { name: 'after labels and owner references (nested objects and arrays closed before it)', obj: pod({ labels: { a: 'b' }, ownerReferences: [{ uid: 'o', kind: 'ReplicaSet' }], managedFields: mf, resourceVersion: '7' }), cut: true },
    { name: 'none', obj: pod({ name: 'a', resourceVersion: '7' }), cut: false },
    { name: 'an empty list', obj: pod({ name: 'a', managedFields: [], resourceVersion: '7' }), cut: true },
    { name: 'a member of that name elsewhere (a custom resource) is kept', obj: { apiVersion: 'x/v1', kind: 'X', spec: { managedFields: [1, 2] }, metadata: { name: 'a' } }, cut: false },
    { name: 'elsewhere first, then the metadata one: both kept (only the first occurrence is looked at)', obj: { apiVersion: 'x/v1', kind: 'X', spec: { managedFields: [1] }, metadata: { name: 'a', managedFields: mf } }, cut: false },
    { name: 'a label value of that name is no member', obj: pod({ labels: { managedFields: '[' }, name: 'a' }), cut: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const l = line(c.obj);
      const out = withoutManagedFields(l);
      const parsed = JSON.parse(out) as { object: { metadata: Record<string, unknown> } };
      if (c.cut) {
        const want = structuredClone(c.obj) as { metadata: Record<string, unknown> };
        delete want.metadata['managedFields'];
        assert.deepEqual(parsed, { type: 'MODIFIED', object: want });
        assert.deepEqual(Object.keys(parsed.object.metadata), Object.keys(want.metadata), 'order kept');
      } else assert.equal(out, l);
    });
  }
  it('a line that is not whole JSON comes back as it is', () => {
    for (const l of ['{"type":"ADDED","object":{"metadata":{"managedFields":[{"a":"b"}', '{"type":"ADDED","object":{"metadata":{"managedFields":["unterminated']) assert.equal(withoutManagedFields(l), l);
  });
  it('decodeWatchEvent of the cut line is the event less managedFields', () => {
    const obj = pod({ name: 'a', managedFields: mf, resourceVersion: '7' });
    const ev = decodeWatchEvent<{ metadata: Record<string, unknown> }>(withoutManagedFields(line(obj, 'ADDED')));
    assert.equal(ev.type, 'ADDED');
    assert.equal(ev.object.metadata['managedFields'], undefined);
    assert.equal(ev.object.metadata['resourceVersion'], '7');
  });
});
