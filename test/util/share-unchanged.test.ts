// shareUnchanged (util/share-unchanged.ts): a new version shares every subtree equal to the one at the same
// place in the version it replaces (same keys in the same order), never changes its own content or key order,
// and leaves frozen nodes alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyShared, shareUnchanged } from '../../src/util/share-unchanged.js';

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

describe('copyShared', () => {
  // The reference: what the JSON text of next parses to, shared against prev by shareUnchanged.
  const reference = (next: unknown, prev: unknown): unknown => {
    const parsed = JSON.parse(JSON.stringify(next)) as object;
    if (isTree(prev)) shareUnchanged(parsed, prev);
    return parsed;
  };
  const isTree = (v: unknown): v is object => typeof v === 'object' && v !== null;
  const at = (t: unknown, path: string): unknown => (path === '' ? t : path.split('.').reduce((o: any, k) => o[k], t));
  const nodes = (t: unknown, path = ''): [string, object][] =>
    isTree(t) ? [[path, t], ...Object.keys(t).flatMap((k) => nodes((t as Tree)[k], path ? `${path}.${k}` : k))] : [];

  const cases: { name: string; prev: unknown; next: unknown; shared: string[] }[] = [
    { name: 'equal trees: prev itself', prev: { a: { b: [1, { c: 'x' }] }, d: 'y' }, next: { a: { b: [1, { c: 'x' }] }, d: 'y' }, shared: [''] },
    {
      name: 'a changed leaf: ancestors new, siblings prev’s',
      prev: { metadata: { name: 'p', labels: { app: 'web' }, resourceVersion: '1' }, spec: { containers: [{ name: 'c' }] } },
      next: { metadata: { name: 'p', labels: { app: 'web' }, resourceVersion: '2' }, spec: { containers: [{ name: 'c' }] } },
      shared: ['metadata.labels', 'spec'],
    },
    { name: 'an added key', prev: { spec: { containers: [{ name: 'c' }] } }, next: { spec: { containers: [{ name: 'c' }], nodeName: 'n1' } }, shared: ['spec.containers'] },
    { name: 'a removed key (the first members equal)', prev: { spec: { a: { x: 1 }, b: 1 } }, next: { spec: { a: { x: 1 } } }, shared: ['spec.a'] },
    { name: 'same keys in another order: not equal', prev: { s: { a: 1, b: 2 } }, next: { s: { b: 2, a: 1 } }, shared: [] },
    { name: 'a longer array', prev: { c: [{ t: 'A' }] }, next: { c: [{ t: 'A' }, { t: 'B' }] }, shared: ['c.0'] },
    { name: 'a shorter array', prev: { c: [{ t: 'A' }, { t: 'B' }] }, next: { c: [{ t: 'A' }] }, shared: ['c.0'] },
    { name: 'an array element changed in the middle', prev: { c: [{ t: 'A' }, { t: 'B' }, { t: 'C' }] }, next: { c: [{ t: 'A' }, { t: 'X' }, { t: 'C' }] }, shared: ['c.0', 'c.2'] },
    { name: 'object where prev has an array, and the reverse', prev: { a: [1], b: { 0: 1 } }, next: { a: { 0: 1 }, b: [1] }, shared: [] },
    { name: 'no prev: a plain copy', prev: undefined, next: { a: { b: [1, null, true, 'x'] } }, shared: [] },
    { name: 'undefined members are left out (equal to prev then)', prev: { a: { x: 1 } }, next: { a: { x: 1, y: undefined } }, shared: ['a'] },
    { name: 'undefined array elements become null', prev: { a: [null] }, next: { a: [undefined] }, shared: ['a'] },
    { name: 'a member prev has only on its prototype is not prev’s', prev: {}, next: { constructor: {}, toString: 'x' }, shared: [] },
    { name: 'empty object and array', prev: { a: {}, b: [] }, next: { a: {}, b: [], c: {} }, shared: ['a', 'b'] },
    { name: '-0 reads back as 0', prev: { n: 0 }, next: { n: -0 }, shared: [''] },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const prev = c.prev === undefined ? undefined : (structuredClone(c.prev) as Tree);
      const next = c.next as Tree; // structuredClone would keep undefined elements but not -0 semantics issues
      const prevJson = JSON.stringify(prev);
      const nextJson = JSON.stringify(next);
      const out = copyShared(next, prev);
      assert.ok(out !== undefined);
      assert.deepEqual(out, reference(next, prev));
      assert.equal(JSON.stringify(out), nextJson, 'same JSON as next');
      assert.equal(JSON.stringify(prev), prevJson, 'prev unchanged');
      assert.equal(JSON.stringify(next), nextJson, 'next unchanged');
      for (const p of c.shared) assert.equal(at(out, p), at(prev, p), `${p || 'the root'} is prev’s`);
      // Every node of the copy is prev's or new: none is next's own (next may change afterwards).
      const nextNodes = new Set(nodes(next).map(([, n]) => n));
      for (const [p, n] of nodes(out)) assert.ok(!nextNodes.has(n), `${p || 'the root'} is not next’s own node`);
      if (!c.shared.includes('')) assert.equal(Object.is(at(out, 'n'), -0), false);
    });
  }

  it('a subtree that is prev’s own is taken as it is, without a walk', () => {
    const prev = { spec: { big: { x: 1 } }, status: { phase: 'Pending' } };
    let reads = 0;
    const spy = new Proxy(prev.spec, { get: (t, k) => (reads++, (t as any)[k]) });
    (prev as any).spec = spy;
    const next = { spec: spy, status: { phase: 'Running' } };
    const out = copyShared(next, prev)!;
    assert.equal(out.spec, spy);
    assert.equal(reads, 0);
    assert.deepEqual(out.status, { phase: 'Running' });
  });

  it('equal strings are prev’s copies', () => {
    const long = (s: string) => `${s}-${'x'.repeat(40)}`;
    const prev = { a: long('v'), b: [long('w')], c: { d: long('z') } };
    const next = { a: long('v'), b: [long('w'), 'new'], c: { d: long('z'), e: 1 } };
    const out = copyShared(next, prev)!;
    assert.equal(out.b[0], prev.b[0]);
    assert.equal(out.c.d, prev.c.d);
    assert.deepEqual(out, reference(next, prev));
  });

  it('an own "__proto__" member stays data', () => {
    const next = JSON.parse('{"a":{"__proto__":{"x":1}},"b":1}') as Tree;
    const prev = JSON.parse('{"a":{"__proto__":{"x":1}},"b":2}') as Tree;
    const out = copyShared(next, prev)!;
    assert.equal(out.a, prev.a);
    assert.equal(JSON.stringify(out), JSON.stringify(next));
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    const fresh = copyShared(next, undefined)!;
    assert.equal(JSON.stringify(fresh), JSON.stringify(next));
    assert.equal(Object.getPrototypeOf(fresh.a), Object.prototype);
  });

  const notJson: [string, unknown][] = [
    ['a Date', { t: new Date(0) }],
    ['a function', { f: () => 1 }],
    ['a toJSON method', { o: { toJSON: () => 'x' } }],
    ['NaN', { n: Number.NaN }],
    ['Infinity', { a: [Infinity] }],
    ['a bigint', { n: 1n }],
    ['a symbol', { s: Symbol('x') }],
    ['a Map', { m: new Map() }],
  ];
  for (const [name, next] of notJson) {
    it(`${name}: undefined (parse the JSON instead)`, () => {
      assert.equal(copyShared(next as object, { a: 1 }), undefined);
    });
  }

  it('random trees: the same as parsing the JSON and sharing with shareUnchanged', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const gen = (depth: number): unknown => {
      const r = rnd(depth > 3 ? 4 : 7);
      if (r === 0) return rnd(3);
      if (r === 1) return ['a', 'b', 'c'][rnd(3)];
      if (r === 2) return rnd(2) === 0 ? null : true;
      if (r === 3) return undefined;
      if (r === 4) return Array.from({ length: rnd(4) }, () => gen(depth + 1));
      const o: Tree = {};
      for (let i = rnd(4); i > 0; i--) o[['k', 'l', 'm', 'n'][rnd(4)]!] = gen(depth + 1);
      return o;
    };
    const mutate = (v: unknown): unknown => {
      if (rnd(4) === 0) return gen(2);
      if (Array.isArray(v)) return v.map(mutate);
      if (isTree(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mutate(x)]));
      return v;
    };
    for (let n = 0; n < 500; n++) {
      const prev = JSON.parse(JSON.stringify({ root: gen(0) })) as Tree;
      const next = { root: mutate(prev.root) };
      const out = copyShared(next, prev)!;
      const ref = reference(next, prev) as Tree;
      assert.equal(JSON.stringify(out), JSON.stringify(ref));
      // Shared exactly where the reference is (below the root: copyShared gives prev itself when all is equal).
      for (const [p, node] of nodes(ref)) if (p !== '') assert.equal(at(out, p) === at(prev, p), node === at(prev, p), `${p} shared as the reference`);
    }
  });
});
