// ValueInterner: decoded objects come out equal to what was parsed, while repeated strings and identical
// managed-fields subtrees become one shared value; invalid fieldsV1 is left for validation to see; pools
// stay bounded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { ValueInterner } from '../../src/storage/value-interner.js';

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
    const a = vi.intern(parse(pod('a', 'owner-1')));
    const b = vi.intern(parse(pod('b', 'owner-1')));
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
    // Values still in use survive a generation change.
    const a = vi.intern(parse(pod('keep', 'u')));
    for (let i = 0; i < 150; i++) vi.intern({ metadata: { name: `filler-${i}` } } as KubeObject);
    const b = vi.intern(parse(pod('keep2', 'u')));
    assert.equal(fields(a)['f:spec'], fields(b)['f:spec']);
  });
});
