import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { DependencyGraph, referenceDiffs } from '../../../src/controllers/garbagecollector/graph.js';

const configMaps = { group: '', version: 'v1', resource: 'configmaps', namespaced: true, kind: 'ConfigMap' };
const deployments = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true, kind: 'Deployment' };
const nodes = { group: '', version: 'v1', resource: 'nodes', namespaced: false, kind: 'Node' };
const ts = '2024-01-01T00:00:00Z';
const cmRef = (name: string, uid: string, extra: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: 'v1', kind: 'ConfigMap', name, uid, ...extra });

test('an owner seen only through a reference becomes a virtual node to verify', () => {
  const g = new DependencyGraph();
  const fx = g.observe(configMaps, { uid: 'd1', name: 'dep', namespace: 'ns', ownerReferences: [cmRef('own', 'o1')] });
  assert.deepEqual(fx.attemptToDelete, ['o1']);
  const owner = g.get('o1')!;
  assert.equal(owner.observed, false);
  assert.equal(owner.identity.namespace, 'ns');
  assert.deepEqual([...owner.dependents].map((d) => d.identity.uid), ['d1']);

  // The owner shows up in its informer: the virtual node becomes real and keeps its dependents.
  const fx2 = g.observe(configMaps, { uid: 'o1', name: 'own', namespace: 'ns' });
  assert.deepEqual(fx2.attemptToDelete, []);
  assert.equal(g.get('o1')!.observed, true);
  assert.equal(g.get('o1')!.dependents.size, 1);
});

test('deleting an owner queues its dependents; a virtual owner proved absent does the same', () => {
  const g = new DependencyGraph();
  g.observe(configMaps, { uid: 'o1', name: 'own', namespace: 'ns' });
  g.observe(configMaps, { uid: 'd1', name: 'a', namespace: 'ns', ownerReferences: [cmRef('own', 'o1')] });
  g.observe(configMaps, { uid: 'd2', name: 'b', namespace: 'ns', ownerReferences: [cmRef('own', 'o1')] });
  assert.deepEqual(g.remove('o1').attemptToDelete.sort(), ['d1', 'd2']);
  assert.equal(g.get('o1'), undefined);

  g.observe(configMaps, { uid: 'd3', name: 'c', namespace: 'ns', ownerReferences: [cmRef('gone', 'o2')] });
  assert.deepEqual(g.virtualNodeAbsent('o2').attemptToDelete, ['d3']);
  // An observed node is never removed by a virtual verdict.
  assert.deepEqual(g.virtualNodeAbsent('d3').attemptToDelete, []);
  assert.ok(g.get('d3'));
});

test('foreground: an owner starting to delete its dependents queues them and itself, once', () => {
  const g = new DependencyGraph();
  g.observe(deployments, { uid: 'o1', name: 'web', namespace: 'ns' });
  g.observe(configMaps, { uid: 'd1', name: 'a', namespace: 'ns', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'o1', blockOwnerDeletion: true }] });
  g.observe(configMaps, { uid: 'd2', name: 'b', namespace: 'ns', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'o1' }] });
  const fx = g.observe(deployments, { uid: 'o1', name: 'web', namespace: 'ns', deletionTimestamp: ts, finalizers: ['foregroundDeletion'] });
  assert.deepEqual(fx.attemptToDelete.sort(), ['d1', 'd2', 'o1']);
  assert.deepEqual(g.blockingDependents(g.get('o1')!).map((n) => n.identity.uid), ['d1']);
  // Same state again (e.g. a resync): no new work.
  assert.deepEqual(g.observe(deployments, { uid: 'o1', name: 'web', namespace: 'ns', deletionTimestamp: ts, finalizers: ['foregroundDeletion'] }).attemptToDelete, []);
  // The blocking dependent goes: the owner is looked at again.
  assert.deepEqual(g.remove('d1').attemptToDelete, ['o1']);
});

test('foreground: a dependent dropping its blocking reference releases the owner', () => {
  const g = new DependencyGraph();
  g.observe(deployments, { uid: 'o1', name: 'web', namespace: 'ns', deletionTimestamp: ts, finalizers: ['foregroundDeletion'] });
  const blockRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'o1', blockOwnerDeletion: true };
  g.observe(configMaps, { uid: 'd1', name: 'a', namespace: 'ns', ownerReferences: [blockRef] });
  assert.deepEqual(g.observe(configMaps, { uid: 'd1', name: 'a', namespace: 'ns', ownerReferences: [{ ...blockRef, blockOwnerDeletion: false }] }).attemptToDelete, ['o1']);
  assert.deepEqual(g.blockingDependents(g.get('o1')!), []);
  assert.deepEqual(g.observe(configMaps, { uid: 'd1', name: 'a', namespace: 'ns', ownerReferences: [] }).attemptToDelete, []);
  assert.equal(g.get('o1')!.dependents.size, 0);
});

test('orphan: an owner starting to orphan is queued for orphaning', () => {
  const g = new DependencyGraph();
  g.observe(configMaps, { uid: 'o1', name: 'own', namespace: 'ns' });
  const fx = g.observe(configMaps, { uid: 'o1', name: 'own', namespace: 'ns', deletionTimestamp: ts, finalizers: ['orphan'] });
  assert.deepEqual(fx.attemptToOrphan, ['o1']);
  assert.deepEqual(fx.attemptToDelete, []);
});

test('references that do not match the observed owner make the dependent suspect', () => {
  const g = new DependencyGraph();
  g.observe(configMaps, { uid: 'o1', name: 'own', namespace: 'ns-a' });
  // Same uid, but the dependent lives in another namespace: a namespaced owner cannot own it.
  assert.deepEqual(g.observe(configMaps, { uid: 'd1', name: 'x', namespace: 'ns-b', ownerReferences: [cmRef('own', 'o1')] }).attemptToDelete, ['d1']);
  // Wrong name for the uid.
  assert.deepEqual(g.observe(configMaps, { uid: 'd2', name: 'y', namespace: 'ns-a', ownerReferences: [cmRef('other', 'o1')] }).attemptToDelete, ['d2']);
  // A matching reference is not suspect.
  assert.deepEqual(g.observe(configMaps, { uid: 'd3', name: 'z', namespace: 'ns-a', ownerReferences: [cmRef('own', 'o1')] }).attemptToDelete, []);
  // Cluster-scoped owners may own objects in any namespace.
  g.observe(nodes, { uid: 'n1', name: 'node-1' });
  assert.deepEqual(
    g.observe(configMaps, { uid: 'd4', name: 'w', namespace: 'ns-b', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'node-1', uid: 'n1' }] }).attemptToDelete,
    [],
  );
});

test('referenceDiffs', () => {
  const a = cmRef('a', '1');
  const b = cmRef('b', '2');
  const b2 = { ...b, blockOwnerDeletion: true };
  const c = cmRef('c', '3');
  const d = referenceDiffs([a, b], [b2, c]);
  assert.deepEqual(d.added, [c]);
  assert.deepEqual(d.removed, [a]);
  assert.deepEqual(d.changed, [[b, b2]]);
  assert.deepEqual(referenceDiffs([a], [a]), { added: [], removed: [], changed: [] });
});
