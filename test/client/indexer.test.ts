import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { byNamespace, byNodeName, byOwnerUid, Indexer, keyOf, splitKey } from '../../src/client/indexer.js';

const pod = (ns: string, name: string, node?: string, owner?: string): Pod => ({
  metadata: {
    namespace: ns,
    name,
    ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: owner, controller: true }] } : {}),
  },
  spec: { containers: [], ...(node ? { nodeName: node } : {}) },
});

test('keys are namespace/name, or name for cluster-scoped objects', () => {
  const table: Array<[Parameters<typeof keyOf>[0], string]> = [
    [{ metadata: { namespace: 'a', name: 'x' } }, 'a/x'],
    [{ metadata: { name: 'node-1' } }, 'node-1'],
  ];
  for (const [obj, key] of table) {
    assert.equal(keyOf(obj), key);
    assert.equal(splitKey(key).name, obj.metadata!.name);
    assert.equal(splitKey(key).namespace, obj.metadata!.namespace);
  }
});

test('indexes follow adds, updates and deletes', () => {
  const ix = new Indexer<Pod>({ namespace: byNamespace, node: byNodeName, owner: byOwnerUid });
  ix.set(pod('a', 'p1', 'n1', 'u1'));
  ix.set(pod('a', 'p2'));
  ix.set(pod('b', 'p3', 'n1', 'u1'));
  const names = (ps: Pod[]) => ps.map((p) => p.metadata!.name).sort();
  assert.deepEqual(names(ix.byIndex('node', 'n1')), ['p1', 'p3']);
  assert.deepEqual(names(ix.byIndex('namespace', 'a')), ['p1', 'p2']);
  assert.deepEqual(names(ix.byIndex('owner', 'u1')), ['p1', 'p3']);

  // p2 gets bound, p1 moves node: indexes move with them.
  ix.set(pod('a', 'p2', 'n2'));
  const old = ix.set(pod('a', 'p1', 'n2', 'u1'));
  assert.equal(old?.spec?.nodeName, 'n1', 'set returns the previous object');
  assert.deepEqual(names(ix.byIndex('node', 'n1')), ['p3']);
  assert.deepEqual(names(ix.byIndex('node', 'n2')), ['p1', 'p2']);

  ix.delete('b/p3');
  assert.deepEqual(ix.byIndex('node', 'n1'), []);
  assert.deepEqual(ix.indexValues('node').sort(), ['n2']);
  assert.equal(ix.size, 2);
  assert.deepEqual(ix.listKeys().sort(), ['a/p1', 'a/p2']);
  assert.equal(ix.delete('nope/x'), undefined);
});

test('an index added later covers objects already present; unknown index names are errors', () => {
  const ix = new Indexer<Pod>();
  ix.set(pod('a', 'p1', 'n1'));
  ix.addIndexers({ node: byNodeName });
  assert.deepEqual(ix.indexKeys('node', 'n1'), ['a/p1']);
  assert.throws(() => ix.addIndexers({ node: byNodeName }));
  assert.throws(() => ix.byIndex('missing', 'x'));
});
