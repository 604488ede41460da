// ValueInterner: decoded objects come out equal to what was parsed (JSON and key order included), while
// repeated strings and identical subtrees (managed-fields trees, tolerations, containers, labels) become one
// shared value; a subtree with a value seen for the first time is not pooled; frozen values are left alone;
// pools stay bounded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { ValueInterner } from '../../src/util/value-interner.js';

function pod(name: string, ownerUid: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      labels: { app: 'web-frontend-long-label', tier: 'x' },
      managedFields: [
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'v1',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} }, 'f:ownerReferences': { [`k:{"uid":"${ownerUid}"}`]: {} } },
            'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {} } } },
          },
        },
      ],
    },
    spec: { containers: [{ name: 'c', image: 'registry.example/team/image:1.2.3' }], nodeName: 'sim-node-0' },
    ...extra,
  });
}

const parse = (s: string) => JSON.parse(s) as KubeObject;
const fields = (o: KubeObject) => (o.metadata.managedFields as any)[0].fieldsV1;

describe('ValueInterner', () => {
  it('returns objects equal to the parsed input', () => {
    const vi = new ValueInterner();
    for (const [name, uid] of [['a', 'u1'], ['b', 'u1'], ['c', 'u2']]) {
      const json = pod(name!, uid!);
      assert.deepEqual(vi.intern(parse(json)), parse(json));
      assert.equal(JSON.stringify(vi.intern(parse(json))), json);
    }
  });

  it('shares repeated strings and identical fieldsV1 subtrees between objects', () => {
    const vi = new ValueInterner();
    vi.intern(parse(pod('first', 'owner-1'))); // every key and string is new: nothing pooled yet
    const a = vi.intern(parse(pod('a', 'owner-1')));
    const b = vi.intern(parse(pod('b', 'owner-1')));
    vi.intern(parse(pod('c0', 'owner-2')));
    const c = vi.intern(parse(pod('c', 'owner-2')));
    // Same owner: the whole tree is one object.
    assert.equal(fields(a), fields(b));
    // Different owner: the roots differ, the unchanged subtrees are shared.
    assert.notEqual(fields(a), fields(c));
    assert.equal(fields(a)['f:spec'], fields(c)['f:spec']);
    assert.equal(fields(a)['f:metadata']['f:labels'], fields(c)['f:metadata']['f:labels']);
    assert.notEqual(fields(a)['f:metadata']['f:ownerReferences'], fields(c)['f:metadata']['f:ownerReferences']);
    // Every empty leaf is the same object.
    assert.equal(fields(a)['f:metadata']['f:labels']['.'], fields(c)['f:spec']['f:containers']['k:{"name":"c"}']['f:image']);
    assert.equal(vi.sizes.strings > 0, true);
  });

  it('shares identical subtrees anywhere in the object, and strings, but never the root', () => {
    const vi = new ValueInterner();
    const objs = ['p0', 'p1', 'p2'].map((n) => vi.intern(parse(pod(n, 'owner-1'))));
    const [, p1, p2] = objs as [any, any, any];
    assert.notEqual(p1, p2);
    assert.equal(p1.spec.containers, p2.spec.containers);
    assert.equal(p1.metadata.labels, p2.metadata.labels);
    // Objects holding a value seen once (the name) stay apart; their shared strings are one copy.
    assert.notEqual(p1.metadata, p2.metadata);
    assert.equal(p1.spec, p2.spec); // same nodeName and containers: the whole spec is one object
    assert.deepEqual(objs.map((o) => JSON.stringify(o)), ['p0', 'p1', 'p2'].map((n) => pod(n, 'owner-1')));
  });

  it('tells values of different types and shapes apart', () => {
    const vi = new ValueInterner();
    const variants = [
      { a: '1' }, { a: 1 }, { a: true }, { a: null }, { a: [] }, { a: {} }, { a: ['1'] }, { a: [1] }, { a: [[]] }, { a: [{}] },
      { a: 'x', b: 'y' }, { ab: 'x' }, { a: 'xy' }, { a: ['x', 'y'] }, { a: ['xy'] }, { a: false }, { a: 0 }, { a: '' }, { b: '1' },
    ];
    // Twice, so that every string and key has been seen and the second round is pooled.
    for (let round = 0; round < 3; round++) {
      for (const v of variants) {
        const o = vi.intern({ wrap: structuredClone(v) });
        assert.deepEqual(o, { wrap: v });
      }
    }
  });

  it('keeps undefined values (a transform may set them) and leaves frozen values alone', () => {
    const vi = new ValueInterner();
    const frozen = Object.freeze({ keys: Object.freeze(['a']) });
    for (let i = 0; i < 3; i++) {
      const o = vi.intern({ spec: { image: undefined, name: 'c', shared: frozen } });
      assert.ok('image' in o.spec);
      assert.equal(o.spec.shared, frozen);
    }
    assert.equal(vi.intern(Object.freeze({ a: 'x' })).a, 'x');
  });

  it('keeps key order (the encoding is order-sensitive) and distinguishes keys that concatenate alike', () => {
    const vi = new ValueInterner();
    const mf = (tree: unknown) => ({ metadata: { name: 'x', managedFields: [{ fieldsType: 'FieldsV1', fieldsV1: tree }] } }) as unknown as KubeObject;
    const ab = vi.intern(mf({ 'f:a': {}, 'f:b': {} }));
    const ba = vi.intern(mf({ 'f:b': {}, 'f:a': {} }));
    assert.deepEqual(Object.keys(fields(ab)), ['f:a', 'f:b']);
    assert.deepEqual(Object.keys(fields(ba)), ['f:b', 'f:a']);
    const x = vi.intern(mf({ 'f:a1': { 'f:b': {} } }));
    const y = vi.intern(mf({ 'f:a': { '1f:b': {} } }));
    assert.deepEqual(fields(x), { 'f:a1': { 'f:b': {} } });
    assert.deepEqual(fields(y), { 'f:a': { '1f:b': {} } });
  });

  it('leaves invalid fieldsV1 (non-object values) as it is', () => {
    const vi = new ValueInterner();
    const bad = { metadata: { name: 'x', managedFields: [{ fieldsType: 'FieldsV1', fieldsV1: { 'f:a': 'oops', 'f:b': {} } }, 'junk'] } } as unknown as KubeObject;
    const copy = structuredClone(bad);
    assert.deepEqual(vi.intern(bad), copy);
  });

  it('does not intern very long strings and stays bounded', () => {
    const vi = new ValueInterner(100);
    const long = 'x'.repeat(1000);
    for (let i = 0; i < 1000; i++) {
      vi.intern({ metadata: { name: `pod-${i}`, annotations: { big: long } } } as KubeObject);
    }
    assert.ok(vi.sizes.strings <= 200, `strings pool ${vi.sizes.strings}`);
    // Values still in use survive generation changes (objects like them keep hitting them), unique ones go.
    vi.intern(parse(pod('warm', 'u')));
    const a = vi.intern(parse(pod('keep', 'u')));
    for (let i = 0; i < 300; i++) vi.intern(parse(pod(`filler-${i}`, 'u')));
    const b = vi.intern(parse(pod('keep2', 'u')));
    assert.equal(fields(a)['f:spec'], fields(b)['f:spec']);
    assert.equal((a.spec as any).containers, (b.spec as any).containers);
    assert.ok(vi.sizes.strings <= 200 && vi.sizes.trees <= 200, `pools ${JSON.stringify(vi.sizes)}`);
  });
});
