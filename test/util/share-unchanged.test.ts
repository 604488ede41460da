// shareUnchanged (util/share-unchanged.ts): a new version shares every subtree equal to the one at the same
// place in the version it replaces (same keys in the same order), never changes its own content or key order,
// and leaves frozen nodes alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shareUnchanged } from '../../src/util/share-unchanged.js';

type Tree = Record<string, any>;

describe('shareUnchanged', () => {
  const cases: { name: string; prev: unknown; next: unknown; same: boolean; shared: string[]; own: string[] }[] = [
    {
      name: 'equal trees: every subtree is prev’s',
      prev: { a: { b: [1, { c: 'x' }] }, d: 'y' },
      next: { a: { b: [1, { c: 'x' }] }, d: 'y' },
      same: true,
      shared: ['a', 'a.b', 'a.b.1'],
      own: [],
    },
    {
      name: 'a changed leaf: its ancestors stay next’s, its siblings are prev’s',
      prev: { metadata: { name: 'p', labels: { app: 'web' }, resourceVersion: '1' }, spec: { containers: [{ name: 'c' }] } },
      next: { metadata: { name: 'p', labels: { app: 'web' }, resourceVersion: '2' }, spec: { containers: [{ name: 'c' }] } },
      same: false,
      shared: ['metadata.labels', 'spec', 'spec.containers', 'spec.containers.0'],
      own: ['metadata'],
    },
    {
      name: 'an added key: not equal, but the rest is shared',
      prev: { spec: { containers: [{ name: 'c' }] } },
      next: { spec: { containers: [{ name: 'c' }], nodeName: 'n1' } },
      same: false,
      shared: ['spec.containers'],
      own: ['spec'],
    },
    {
      name: 'a removed key: not equal',
      prev: { spec: { a: { x: 1 }, b: 1 } },
      next: { spec: { a: { x: 1 } } },
      same: false,
      shared: ['spec.a'],
      own: ['spec'],
    },
    {
      name: 'same keys in another order: not equal (the JSON differs)',
      prev: { s: { a: 1, b: 2 } },
      next: { s: { b: 2, a: 1 } },
      same: false,
      shared: [],
      own: ['s'],
    },
    {
      name: 'a longer array: the common elements are shared',
      prev: { conditions: [{ type: 'PodScheduled' }] },
      next: { conditions: [{ type: 'PodScheduled' }, { type: 'Ready' }] },
      same: false,
      shared: ['conditions.0'],
      own: ['conditions', 'conditions.1'],
    },
    {
      name: 'an object where prev has an array (and the reverse): nothing shared',
      prev: { a: [1], b: { 0: 1 } },
      next: { a: { 0: 1 }, b: [1] },
      same: false,
      shared: [],
      own: ['a', 'b'],
    },
    {
      name: 'null and numbers compare by value',
      prev: { a: { x: null, n: 0 } },
      next: { a: { x: null, n: 0 } },
      same: true,
      shared: ['a'],
      own: [],
    },
  ];

  const at = (t: Tree, path: string) => path.split('.').reduce((o: any, k) => o[k], t);
  for (const c of cases) {
    it(c.name, () => {
      const prev = structuredClone(c.prev) as Tree;
      const next = structuredClone(c.next) as Tree;
      const prevJson = JSON.stringify(prev);
      const nextJson = JSON.stringify(next);
      assert.equal(shareUnchanged(next, prev), c.same);
      assert.equal(JSON.stringify(next), nextJson, 'content and key order of next unchanged');
      assert.equal(JSON.stringify(prev), prevJson, 'prev unchanged');
      for (const p of c.shared) assert.equal(at(next, p), at(prev, p), `${p} shared`);
      for (const p of c.own) assert.notEqual(at(next, p), at(prev, p), `${p} kept`);
    });
  }

  it('equal strings become prev’s copy', () => {
    const long = (s: string) => `${s}-${'x'.repeat(40)}`;
    const prev = { a: long('v'), b: [long('w')] };
    const next = JSON.parse(JSON.stringify(prev)) as typeof prev;
    shareUnchanged(next, prev);
    assert.equal(next.a, prev.a);
    assert.equal(next.b, prev.b);
  });

  it('leaves frozen nodes of next alone', () => {
    const prev = { a: { x: 1 }, b: { y: 2 } };
    const frozenA = Object.freeze({ x: 1 });
    const next = { a: frozenA, b: { y: 2 } };
    assert.equal(shareUnchanged(next, prev), false);
    assert.equal(next.a, frozenA);
    assert.equal(next.b, prev.b);
    const whole = Object.freeze({ a: { x: 1 } });
    assert.equal(shareUnchanged(whole, { a: { x: 1 } }), false);
  });
});
