// objectsEqual (update.ts): an update's no-op check, deepEqual of the two objects with metadata compared last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { objectsEqual } from '../../src/apiserver/rest/update.js';
import { deepEqual } from '../../src/util/deep-equal.js';

const lease = (): Record<string, unknown> => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'n1', namespace: 'kube-node-lease', resourceVersion: '7', managedFields: [{ manager: 'kubelet', operation: 'Update', fieldsV1: { 'f:spec': {} } }] },
  spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' },
});

test('objectsEqual answers as deepEqual', () => {
  const cases: [string, (o: Record<string, any>) => void][] = [
    ['same', () => {}],
    ['spec member changed', (o) => (o['spec'].renewTime = 'x')],
    ['metadata member changed', (o) => (o['metadata'].resourceVersion = '8')],
    ['managedFields changed', (o) => (o['metadata'].managedFields[0].time = 't')],
    ['metadata removed', (o) => delete o['metadata']],
    ['metadata undefined', (o) => (o['metadata'] = undefined)],
    ['metadata replaced by another member', (o) => { delete o['metadata']; o['status'] = {}; }],
    ['metadata null', (o) => (o['metadata'] = null)],
    ['member added', (o) => (o['status'] = { a: 1 })],
    ['member added as undefined', (o) => (o['status'] = undefined)],
    ['member removed', (o) => delete o['spec']],
    ['member renamed', (o) => { o['other'] = o['spec']; delete o['spec']; }],
    ['members reordered', (o) => { const s = o['spec']; delete o['spec']; const m = o['metadata']; delete o['metadata']; o['spec'] = s; o['metadata'] = m; }],
    ['kind changed', (o) => (o['kind'] = 'Other')],
    ['array member', (o) => (o['spec'] = [1, 2])],
  ];
  for (const [name, change] of cases) {
    for (const swap of [false, true]) {
      const a = lease();
      const b = lease();
      change(b);
      const [x, y] = swap ? [b, a] : [a, b];
      assert.equal(objectsEqual(x as unknown as KubeObject, y as unknown as KubeObject), deepEqual(x, y), `${name}${swap ? ' (swapped)' : ''}`);
    }
  }
  const o = lease() as unknown as KubeObject;
  assert.equal(objectsEqual(o, o), true);
  assert.equal(objectsEqual(lease() as unknown as KubeObject, lease() as unknown as KubeObject), true);
  const changed = lease();
  (changed['spec'] as Record<string, unknown>)['renewTime'] = 'later';
  assert.equal(objectsEqual(lease() as unknown as KubeObject, changed as unknown as KubeObject), false);
});

test('objectsEqual answers as deepEqual on random objects', () => {
  let seed = 42;
  const rnd = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) % n;
  const value = (depth: number): unknown => {
    const r = rnd(depth > 2 ? 4 : 7);
    if (r === 0) return rnd(3);
    if (r === 1) return ['a', 'b', undefined][rnd(3)];
    if (r === 2) return null;
    if (r === 3) return rnd(2) === 0;
    if (r === 4) return Array.from({ length: rnd(3) }, () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = rnd(4); i > 0; i--) o[['a', 'b', 'c', 'metadata'][rnd(4)]!] = value(depth + 1);
    return o;
  };
  const object = (): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (let i = rnd(5); i > 0; i--) o[['apiVersion', 'kind', 'metadata', 'spec', 'status'][rnd(5)]!] = value(1);
    return o;
  };
  let equal = 0;
  for (let i = 0; i < 5000; i++) {
    const a = object();
    const b = rnd(3) === 0 ? structuredClone(a) : object();
    const want = deepEqual(a, b);
    if (want) equal++;
    assert.equal(objectsEqual(a as unknown as KubeObject, b as unknown as KubeObject), want, JSON.stringify([a, b]));
  }
  assert.ok(equal > 500, `enough equal pairs (${equal})`);
});
