// statusView / adoptStatusView: what defaulting and mutating admission see of a status write (apiVersion,
// kind, metadata, status; copies of their own when the object shares members with the watch cache's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { adoptStatusView, metadataEqual, statusView } from '../../src/apiserver/rest/update.js';
import { deepEqual } from '../../src/util/deep-equal.js';

const obj = (): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels: { a: 'b' }, managedFields: [{ manager: 'm', operation: 'Update' }] },
    spec: { containers: [{ name: 'c' }] },
    status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False' }] },
  }) as unknown as KubeObject;

test('statusView holds apiVersion, kind, metadata and status only; own copies when asked', () => {
  for (const own of [false, true]) {
    const o = obj();
    const v = statusView(o, own) as unknown as Record<string, any>;
    assert.deepEqual(Object.keys(v), ['apiVersion', 'kind', 'metadata', 'status'], `own=${own}`);
    assert.deepEqual(v['status'], o['status']);
    assert.deepEqual(v['metadata'], o.metadata);
    assert.equal(v['status'] === o['status'], !own, 'status copied only when own');
    assert.equal(v['metadata'].labels === o.metadata.labels, !own, 'nested metadata copied only when own');
    assert.equal(v['metadata'].managedFields, o.metadata.managedFields, 'managedFields always shared');
    (v['status'] as any).conditions[0].status = 'True';
    assert.equal((o as any).status.conditions[0].status, own ? 'False' : 'True');
  }
});

test('adoptStatusView takes back status and metadata (and their removal), keeps the rest and its order', () => {
  const cases: [string, (v: Record<string, any>) => void, (o: Record<string, any>) => void][] = [
    ['a defaulted status field', (v) => (v['status'].qosClass = 'BestEffort'), (o) => assert.equal(o['status'].qosClass, 'BestEffort')],
    ['a status created', (v) => (v['status'] = { phase: 'Active' }), (o) => assert.deepEqual(o['status'], { phase: 'Active' })],
    ['a status removed', (v) => delete v['status'], (o) => assert.equal('status' in o, false)],
    ['a spec set on the view is not taken', (v) => (v['spec'] = { x: 1 }), (o) => assert.deepEqual(o['spec'], { containers: [{ name: 'c' }] })],
    ['a label set', (v) => (v['metadata'].labels = { c: 'd' }), (o) => assert.deepEqual(o['metadata'].labels, { c: 'd' })],
  ];
  for (const [name, change, check] of cases) {
    const o = obj();
    const v = statusView(o, true);
    change(v as unknown as Record<string, any>);
    adoptStatusView(o, v);
    check(o as unknown as Record<string, any>);
    assert.deepEqual(Object.keys(o).filter((k) => k !== 'status'), ['apiVersion', 'kind', 'metadata', 'spec'], name);
  }
});

test('metadataEqual: deepEqual of the two without managedFields and resourceVersion', () => {
  type Meta = KubeObject['metadata'];
  const base = { name: 'p', namespace: 'n', uid: 'u', labels: { a: 'b' }, resourceVersion: '1', managedFields: [] } as Meta;
  const cases: [string, Meta, boolean][] = [
    ['the same members', { ...base }, true],
    ['another resourceVersion and managedFields', { ...base, resourceVersion: '2', managedFields: [{ manager: 'x' }] } as Meta, true],
    ['without resourceVersion and managedFields', { name: 'p', namespace: 'n', uid: 'u', labels: { a: 'b' } } as Meta, true],
    ['an undefined member is absent', { ...base, annotations: undefined } as Meta, true],
    ['a label differs', { ...base, labels: { a: 'c' } }, false],
    ['a member more', { ...base, finalizers: ['f'] }, false],
    ['a member less', { name: 'p', namespace: 'n', labels: { a: 'b' } } as Meta, false],
    ['a member null on one side', { ...base, generation: null } as unknown as Meta, false],
  ];
  const reference = (a: Meta, b: Meta) => {
    const { managedFields: _am, resourceVersion: _ar, ...ra } = a;
    const { managedFields: _bm, resourceVersion: _br, ...rb } = b;
    return deepEqual(ra, rb);
  };
  for (const [name, other, want] of cases) {
    assert.equal(metadataEqual(base, other), want, name);
    assert.equal(metadataEqual(other, base), want, `${name} (swapped)`);
    assert.equal(metadataEqual(base, other), reference(base, other), `${name}: as the copies without them compare`);
  }
});
