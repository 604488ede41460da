import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DuplicateItemError,
  FieldSet,
  FieldSetError,
  fieldPE,
  fieldSetFromObject,
  keyPE,
  listItemPE,
  ListItemError,
  pathToString,
  sortPathElements,
  comparePathElements,
  valuePE,
} from '../../../src/apiserver/patch/field-set.js';
import { deploymentSchema, resolver } from './fixtures.js';
import { rng } from '../../support/rng.js';

const f = fieldPE;
const schema = resolver.resolve(deploymentSchema);

describe('fieldSetFromObject (the set an applied configuration specifies)', () => {
  it('matches what upstream records for a kubectl apply --server-side of a Deployment', () => {
    const cfg = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['x'] },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        strategy: {},
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [{ name: 'main', image: 'nginx', args: ['a'], ports: [{ containerPort: 80 }], resources: {} }],
            tolerations: [{ key: 'k' }],
          },
        },
      },
    };
    assert.deepEqual(fieldSetFromObject(cfg, schema, resolver).toFieldsV1(), {
      'f:apiVersion': {},
      'f:kind': {},
      'f:metadata': { 'f:finalizers': { 'v:"x"': {} }, 'f:labels': { 'f:app': {} }, 'f:name': {} },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:strategy': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"main"}': {
                '.': {},
                'f:args': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                'f:resources': {},
              },
            },
            'f:tolerations': {},
          },
        },
      },
    });
  });

  const bad: { name: string; obj: unknown; err: new (...a: any[]) => Error; message: RegExp }[] = [
    {
      name: 'duplicate list-map keys',
      obj: { spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'a' }] } } } },
      err: DuplicateItemError,
      message: /duplicate entries for key \[name="a"\]/,
    },
    {
      name: 'missing key without default',
      obj: { spec: { template: { spec: { containers: [{ image: 'x' }] } } } },
      err: ListItemError,
      message: /omits key field "name"/,
    },
    { name: 'map in a set', obj: { metadata: { finalizers: [{ a: 1 }] } }, err: ListItemError, message: /without keys has an element that's a map/ },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      assert.throws(() => fieldSetFromObject(c.obj as any, schema, resolver), (e: unknown) => e instanceof c.err && c.message.test((e as Error).message));
    });
  }

  it('without schema: map entries are members, lists atomic', () => {
    assert.deepEqual(fieldSetFromObject({ a: { b: [1, 2] }, c: 1 }, undefined, resolver).toFieldsV1(), {
      'f:a': { '.': {}, 'f:b': {} },
      'f:c': {},
    });
  });
});

describe('FieldSet', () => {
  const s1 = FieldSet.of([f('spec'), f('replicas')], [f('spec'), f('paused')], [f('metadata'), f('labels'), f('a')]);
  const s2 = FieldSet.of([f('spec'), f('replicas')], [f('metadata'), f('labels')]);

  const ops: { name: string; got: FieldSet; want: string[] }[] = [
    { name: 'union', got: s1.union(s2), want: ['.metadata.labels', '.metadata.labels.a', '.spec.paused', '.spec.replicas'] },
    { name: 'difference', got: s1.difference(s2), want: ['.metadata.labels.a', '.spec.paused'] },
    { name: 'intersection', got: s1.intersection(s2), want: ['.spec.replicas'] },
    { name: 'recursive difference removes below members', got: s1.recursiveDifference(s2), want: ['.spec.paused'] },
  ];
  for (const o of ops) {
    it(o.name, () => assert.deepEqual(o.got.paths().map(pathToString), o.want));
  }

  it('round-trips fieldsV1 with "." for members that also have children, in upstream order', () => {
    const v1 = {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:template': {
          'f:spec': {
            'f:containers': {
              'k:{"name":"b"}': { '.': {}, 'f:image': {} },
              'k:{"name":"a"}': { '.': {}, 'f:image': {} },
            },
          },
        },
      },
    };
    const out = FieldSet.fromFieldsV1(v1).toFieldsV1();
    assert.equal(
      JSON.stringify(out),
      JSON.stringify({
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:template': {
            'f:spec': {
              'f:containers': {
                'k:{"name":"a"}': { '.': {}, 'f:image': {} },
                'k:{"name":"b"}': { '.': {}, 'f:image': {} },
              },
            },
          },
        },
      }),
    );
  });

  it('orders fields before keys before values', () => {
    const s = FieldSet.of([valuePE('z')], [keyPE([['name', 'a']])], [f('b')], [f('a')]);
    assert.deepEqual(Object.keys(s.toFieldsV1()), ['f:a', 'f:b', 'k:{"name":"a"}', 'v:"z"']);
  });

  it('prints paths as upstream conflict messages do', () => {
    const path = [f('spec'), f('containers'), keyPE([['name', 'nginx']]), f('ports'), keyPE([['protocol', 'TCP'], ['containerPort', 80]])];
    assert.equal(pathToString(path), '.spec.containers[name="nginx"].ports[containerPort=80,protocol="TCP"]');
    assert.equal(pathToString([f('metadata'), f('finalizers'), valuePE('x')]), '.metadata.finalizers[=x]'.replace('=x', '="x"'));
  });

  it('rejects malformed fieldsV1', () => {
    for (const bad of [[], { 'x:y': {} }, { 'f:a': 1 }, { 'k:notjson': {} }]) {
      assert.throws(() => FieldSet.fromFieldsV1(bad), FieldSetError);
    }
  });
});

describe('FieldSet.disjoint and subsetOf (exact paths, as difference and union see them)', () => {
  const a = FieldSet.of([f('spec'), f('replicas')], [f('spec'), f('paused')]);
  const cases: { name: string; x: FieldSet; y: FieldSet; disjoint: boolean; subset: boolean }[] = [
    { name: 'same paths', x: FieldSet.of([f('spec'), f('replicas')]), y: a, disjoint: false, subset: true },
    { name: 'sibling path', x: FieldSet.of([f('spec'), f('selector')]), y: a, disjoint: true, subset: false },
    { name: 'parent as member is not a child path', x: FieldSet.of([f('spec')]), y: a, disjoint: true, subset: false },
    { name: 'deeper path below a member', x: FieldSet.of([f('spec'), f('replicas'), f('x')]), y: FieldSet.of([f('spec'), f('replicas')]), disjoint: true, subset: false },
    { name: 'empty set', x: new FieldSet(), y: a, disjoint: true, subset: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(c.x.disjoint(c.y), c.disjoint);
      assert.equal(c.y.disjoint(c.x), c.disjoint);
      assert.equal(c.x.difference(c.y).equals(c.x), c.disjoint);
      assert.equal(c.x.subsetOf(c.y), c.subset);
      assert.equal(c.x.union(c.y).equals(c.y), c.subset);
    });
  }
});

describe('FieldSet.fromFieldsV1 with a stored (canonical) encoding', () => {
  it('re-encodes an unchanged set to the very object it was read from, and emits again once changed', () => {
    const v1 = { 'f:spec': { 'f:replicas': {} } };
    const s = FieldSet.fromFieldsV1(v1, true);
    assert.equal(s.toFieldsV1(), v1);
    assert.notEqual(FieldSet.fromFieldsV1(v1).toFieldsV1(), v1, 'without the flag the encoding is emitted');
    s.insert([f('spec'), f('paused')]);
    assert.deepEqual(s.toFieldsV1(), { 'f:spec': { 'f:paused': {}, 'f:replicas': {} } });
  });
});

it('fieldPE gives "f:<name>" for any name, past its memo bound too', () => {
  assert.equal(fieldPE('spec'), 'f:spec');
  assert.equal(fieldPE(''), 'f:');
  assert.equal(fieldPE('__proto__'), 'f:__proto__');
  for (let i = 0; i < 25_000; i++) assert.equal(fieldPE(`label-${i}`), `f:label-${i}`);
  assert.equal(fieldPE('spec'), 'f:spec');
});

it('sets made empty share nothing: operations on many sets leave a new set empty', () => {
  const a = FieldSet.of([fieldPE('a'), fieldPE('b')], [fieldPE('c')]);
  const b = FieldSet.of([fieldPE('a')], [fieldPE('d'), fieldPE('e')]);
  const made = [a.union(b), a.difference(b), a.intersection(b), a.recursiveDifference(b), b.clone(), new FieldSet()];
  made[5]!.insert([fieldPE('x'), fieldPE('y')]);
  made[5]!.addMember(fieldPE('z'));
  made[5]!.childSet(fieldPE('w')).addMember(fieldPE('v'));
  assert.ok(new FieldSet().isEmpty());
  assert.deepEqual(new FieldSet().toFieldsV1(), {});
  assert.deepEqual(new FieldSet().childSet(fieldPE('q')).memberElements(), []);
  assert.deepEqual(made[5]!.toFieldsV1(), { 'f:w': { 'f:v': {} }, 'f:x': { 'f:y': {} }, 'f:z': {} });
  assert.deepEqual(a.toFieldsV1(), { 'f:a': { 'f:b': {} }, 'f:c': {} });
});

it('keyPE of one key is the general encoding (JSON name, canonical value)', () => {
  assert.equal(keyPE([['name', 'x']]), 'k:{"name":"x"}');
  assert.equal(keyPE([['port', 80]]), 'k:{"port":80}');
  assert.equal(keyPE([['k', { b: 1, a: [true, null] }]]), 'k:{"k":{"a":[true,null],"b":1}}');
  assert.equal(keyPE([['a"b', 'c']]), 'k:{"a\\"b":"c"}');
  assert.equal(keyPE([['protocol', 'TCP'], ['containerPort', 80]]), 'k:{"containerPort":80,"protocol":"TCP"}');
});

it('fromFieldsV1 reads members, "." marks and children, and refuses what is not an encoding', () => {
  const v = { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"a"}': { '.': {}, 'f:image': {} } }, 'f:replicas': {} }, 'f:status': { '.': {} } };
  const s = FieldSet.fromFieldsV1(v);
  assert.deepEqual(s.toFieldsV1(), { ...v, 'f:status': {} }, 'a member without children is encoded {}');
  assert.ok(s.has([fieldPE('metadata'), fieldPE('labels')]));
  assert.ok(s.has([fieldPE('metadata'), fieldPE('labels'), fieldPE('app')]));
  assert.ok(!s.has([fieldPE('metadata')]));
  assert.ok(s.has([fieldPE('status')]));
  assert.deepEqual(s.withPrefix(fieldPE('status')).childElements(), [], 'a node marked only by "." has no children');
  assert.throws(() => FieldSet.fromFieldsV1({ '.': {} }), FieldSetError);
  assert.throws(() => FieldSet.fromFieldsV1({ 'f:a': 1 }), FieldSetError);
  assert.throws(() => FieldSet.fromFieldsV1({ 'x:a': {} }), FieldSetError);
  assert.throws(() => FieldSet.fromFieldsV1([]), FieldSetError);
});

describe('sortPathElements (the order toFieldsV1 writes a level in)', () => {
  const cases: [string, string[]][] = [
    ['empty', []],
    ['one field', ['f:b']],
    ['fields only', ['f:status', 'f:metadata', 'f:spec', 'f:apiVersion', 'f:kind', 'f:a', 'f:A', 'f:_x', 'f:é']],
    ['more than sixteen fields', Array.from({ length: 40 }, (_, i) => fieldPE(`n${(i * 7) % 40}`))],
    ['fields, keys, values and indices', ['i:2', 'v:"b"', 'k:{"type":"Ready"}', 'f:x', 'i:10', 'v:1', 'k:{"type":"Initialized"}', 'f:.']],
    ['keys by their values, numbers before strings', [keyPE([['port', 80]]), keyPE([['port', 'x']]), keyPE([['port', 8]]), keyPE([['name', 'a'], ['port', 1]])]],
  ];
  for (const [name, pes] of cases) {
    it(name, () => {
      const expected = [...pes].sort(comparePathElements);
      assert.deepEqual(sortPathElements([...pes]), expected);
    });
  }
  it('puts fields before keys, keys before values, values before indices', () => {
    assert.deepEqual(sortPathElements(['i:0', 'v:"a"', 'k:{"a":1}', 'f:z']), ['f:z', 'k:{"a":1}', 'v:"a"', 'i:0']);
  });
});

describe('keyPE', () => {
  it('gives upstream\'s key element for one key (cached for strings) and for several (sorted)', () => {
    const cases: [[string, unknown][], string][] = [
      [[['type', 'Ready']], 'k:{"type":"Ready"}'],
      [[['name', 'a"b']], 'k:{"name":"a\\"b"}'],
      [[['port', 80]], 'k:{"port":80}'],
      [[['port', 80], ['protocol', 'TCP']], 'k:{"port":80,"protocol":"TCP"}'],
      [[['protocol', 'TCP'], ['port', 80]], 'k:{"port":80,"protocol":"TCP"}'],
    ];
    for (const [fields, expected] of cases) {
      assert.equal(keyPE(fields as never), expected);
      assert.equal(keyPE(fields as never), expected, 'again, from the cache');
    }
  });
  it('stays right past the cache bound', () => {
    for (let i = 0; i < 25_000; i++) {
      const name = `n${i % 7}`;
      assert.equal(keyPE([[name, `v${i}`]]), `k:{"${name}":"v${i}"}`);
    }
    assert.equal(keyPE([['type', 'Ready']]), 'k:{"type":"Ready"}');
  });
});

describe('FieldSet encodings kept per node from a stored encoding', () => {
  const ELEMENTS = [f('a'), f('b'), f('c'), keyPE([['name', 'x']]), keyPE([['name', 'y']]), valuePE('p'), 'i:0'];

  it('re-encodes to what a set decoded without them encodes to, after any sequence of operations', () => {
    const rand = rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const path = () => Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(ELEMENTS));
    const randomSet = () => FieldSet.of(...Array.from({ length: Math.floor(rand() * 8) }, path));
    const subtrees = (v: unknown, out = new Set<unknown>()): Set<unknown> => {
      if (v && typeof v === 'object') for (const c of Object.values(v)) if (c && typeof c === 'object' && Object.keys(c).length > 0) out.add(c).add(subtrees(c, out));
      return out;
    };
    let reused = 0;
    for (let round = 0; round < 2000; round++) {
      const stored = randomSet().toFieldsV1();
      const storedNodes = subtrees(stored);
      let fast = FieldSet.fromFieldsV1(stored, true);
      let plain = FieldSet.fromFieldsV1(stored);
      const steps = 1 + Math.floor(rand() * 4);
      for (let s = 0; s < steps; s++) {
        const o = randomSet();
        const op = Math.floor(rand() * 9);
        const p1 = path();
        const pe1 = pick(ELEMENTS);
        const apply = (x: FieldSet): FieldSet => {
          switch (op) {
            case 0: return x.difference(o);
            case 1: return x.union(o);
            case 2: return o.union(x);
            case 3: return x.recursiveDifference(o);
            case 4: return x.intersection(o);
            case 5: return x.clone();
            case 6: x.insert(p1); return x;
            case 7: x.addMember(pe1); return x;
            default: {
              let node = x;
              for (const pe of p1) node = node.childSet(pe);
              node.addMember(pe1);
              return x;
            }
          }
        };
        fast = apply(fast);
        plain = apply(plain);
        const got = fast.toFieldsV1();
        const want = plain.toFieldsV1();
        assert.equal(JSON.stringify(got), JSON.stringify(want), `round ${round} step ${s} op ${op}`);
        if ([...subtrees(got)].some((n) => storedNodes.has(n))) reused++;
      }
    }
    assert.ok(reused > 500, `stored subtrees reused in ${reused} encodings`);
  });

  it('emits a node again when its "." mark differs from the stored one, and after a change deep below', () => {
    const stored = { 'f:spec': { 'f:template': { '.': {}, 'f:x': {} } } };
    const s = FieldSet.fromFieldsV1(stored, true);
    const template = s.withPrefix(f('spec')).withPrefix(f('template')).clone();
    assert.deepEqual(template.toFieldsV1(), { 'f:x': {} }, 'the top of a set has no "." mark');
    s.insert([f('spec'), f('template'), f('y')]);
    assert.deepEqual(s.toFieldsV1(), { 'f:spec': { 'f:template': { '.': {}, 'f:x': {}, 'f:y': {} } } });
    assert.deepEqual(stored, { 'f:spec': { 'f:template': { '.': {}, 'f:x': {} } } }, 'the stored encoding is left as it was');
    const t = FieldSet.fromFieldsV1(stored, true);
    const u = t.difference(FieldSet.of([f('other')]));
    assert.equal(u.toFieldsV1(), stored, 'a difference that removes nothing keeps the encoding');
    assert.equal(FieldSet.of([f('other')]).union(t).toFieldsV1()['f:spec'], stored['f:spec'], 'a union copies a subtree only one side has with its encoding');
  });
});

describe('FieldSet algebra results sharing nodes with their operands', () => {
  const ELEMENTS = [f('a'), f('b'), f('c'), keyPE([['name', 'x']]), valuePE('p'), 'i:0'];

  it('keeps operands and results independent under later changes of either', () => {
    const rand = rng(31);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const path = () => Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(ELEMENTS));
    const randomSet = () => FieldSet.of(...Array.from({ length: Math.floor(rand() * 8) }, path));
    const printed = (s: FieldSet) => JSON.stringify(s.paths());
    /** A change as a set being built gets it; applied alike to a shared and to an unshared copy. */
    const change = (): ((s: FieldSet) => void) => {
      const p = path();
      const pe = pick(ELEMENTS);
      switch (Math.floor(rand() * 3)) {
        case 0: return (s) => s.insert(p);
        case 1: return (s) => s.addMember(pe);
        default: return (s) => {
          let node = s;
          for (const e of p) node = node.childSet(e);
          node.addMember(pe);
        };
      }
    };
    for (let round = 0; round < 3000; round++) {
      const a = randomSet();
      const b = randomSet();
      const op = Math.floor(rand() * 4);
      const run = (x: FieldSet, y: FieldSet) => (op === 0 ? x.union(y) : op === 1 ? y.union(x) : op === 2 ? x.difference(y) : x.recursiveDifference(y));
      // The same operation on deep copies shares nothing with a and b.
      const a2 = a.clone();
      const b2 = b.clone();
      const r = run(a, b);
      const r2 = run(a2.clone(), b2.clone());
      assert.equal(printed(r), printed(r2), `round ${round}: result`);
      const onResult = change();
      const onA = change();
      const onB = change();
      onResult(r);
      onResult(r2);
      assert.equal(printed(a), printed(a2), `round ${round}: a after a change of the result`);
      assert.equal(printed(b), printed(b2), `round ${round}: b after a change of the result`);
      onA(a);
      onA(a2);
      onB(b);
      onB(b2);
      assert.equal(printed(r), printed(r2), `round ${round}: the result after changes of a and b`);
      assert.equal(JSON.stringify(r.toFieldsV1()), JSON.stringify(r2.toFieldsV1()), `round ${round}: encoding`);
      assert.equal(JSON.stringify(a.toFieldsV1()), JSON.stringify(a2.toFieldsV1()), `round ${round}: encoding of a`);
    }
  });
});

describe('listItemPE of items with two scalar keys (made once per pair of values)', () => {
  it('equals keyPE of the pair, telling numbers from strings and booleans, past the cache bound', () => {
    const sem = { type: 'map' as const, keys: ['containerPort', 'protocol'] };
    const values: (string | number | boolean)[] = [80, '80', 8080, 'TCP', 'UDP', true, 'true', 0, ''];
    for (let round = 0; round < 3; round++) {
      for (const a of values) {
        for (const b of values) {
          const got = listItemPE({ containerPort: a, protocol: b, other: 1 }, sem, undefined, resolver, 0);
          assert.equal(got, keyPE([['containerPort', a], ['protocol', b]]), `${JSON.stringify(a)} ${JSON.stringify(b)}`);
        }
      }
    }
    for (let i = 0; i < 25_000; i++) assert.equal(listItemPE({ containerPort: i, protocol: 'TCP' }, sem, undefined, resolver, 0), `k:{"containerPort":${i},"protocol":"TCP"}`);
    // A key in the other order of names is still sorted in the element; a missing key falls to the general path.
    assert.equal(listItemPE({ b: 1, a: 'x' }, { type: 'map', keys: ['b', 'a'] }, undefined, resolver, 0), 'k:{"a":"x","b":1}');
    assert.throws(() => listItemPE({ containerPort: 80 }, sem, undefined, resolver, 0), ListItemError);
  });
});

describe('FieldSet.unionIntoFieldsV1 (a stored entry updated in its encoding)', () => {
  const ELEMENTS = [f('a'), f('b'), f('c'), keyPE([['name', 'x']]), keyPE([['name', 'y']]), valuePE('p'), 'i:0'];

  it('gives toFieldsV1 of (decoded − remove) ∪ set, sharing untouched stored subtrees and leaving the stored one as it was', () => {
    const rand = rng(17);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const path = () => Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(ELEMENTS));
    const randomSet = (n: number) => FieldSet.of(...Array.from({ length: Math.floor(rand() * n) }, path));
    let shared = 0;
    for (let round = 0; round < 3000; round++) {
      const stored = randomSet(10).toFieldsV1();
      const before = JSON.stringify(stored);
      const add = randomSet(5);
      // Removals drawn from the stored paths half of the time (what a write really removes), else anywhere.
      const remove = round % 2 ? randomSet(4) : FieldSet.of(...FieldSet.fromFieldsV1(stored).paths().filter(() => rand() < 0.3));
      const want = FieldSet.fromFieldsV1(stored).difference(remove).union(add).toFieldsV1();
      const got = add.unionIntoFieldsV1(stored, remove);
      assert.equal(JSON.stringify(got), JSON.stringify(want), `round ${round}: ${before} − ${JSON.stringify(remove.paths())} ∪ ${JSON.stringify(add.paths())}`);
      assert.equal(JSON.stringify(stored), before, 'the stored encoding is not changed');
      for (const k in got) if (got[k] === stored[k] && Object.keys(got[k] as object).length > 0) shared++;
    }
    assert.ok(shared > 500, `shared ${shared} stored subtrees`);
  });

  it('table: membership marks, removals that leave children, nodes emptied', () => {
    const v = { 'f:a': {}, 'f:b': { '.': {}, 'f:c': {} }, 'f:c': { 'f:a': {} } };
    const cases: [string, FieldSet, FieldSet, object][] = [
      ['nothing changes', FieldSet.of(), FieldSet.of(), v],
      ['a member added next to the stored ones', FieldSet.of([f('b'), f('a')]), FieldSet.of(), { 'f:a': {}, 'f:b': { '.': {}, 'f:a': {}, 'f:c': {} }, 'f:c': { 'f:a': {} } }],
      ['a member that has children removed: its children stay, without "."', FieldSet.of(), FieldSet.of([f('b')]), { 'f:a': {}, 'f:b': { 'f:c': {} }, 'f:c': { 'f:a': {} } }],
      ['a node emptied goes', FieldSet.of(), FieldSet.of([f('c'), f('a')]), { 'f:a': {}, 'f:b': { '.': {}, 'f:c': {} } }],
      ['a member emptied of its children stays a leaf', FieldSet.of(), FieldSet.of([f('b'), f('c')]), { 'f:a': {}, 'f:b': {}, 'f:c': { 'f:a': {} } }],
      ['a leaf gets children: "." first', FieldSet.of([f('a'), f('b')]), FieldSet.of(), { 'f:a': { '.': {}, 'f:b': {} }, 'f:b': { '.': {}, 'f:c': {} }, 'f:c': { 'f:a': {} } }],
      ['a removed path added back', FieldSet.of([f('a')]), FieldSet.of([f('a')]), v],
    ];
    for (const [name, add, remove, want] of cases) {
      const got = add.unionIntoFieldsV1(v, remove);
      assert.equal(JSON.stringify(got), JSON.stringify(want), name);
      assert.equal(JSON.stringify(got), JSON.stringify(FieldSet.fromFieldsV1(v).difference(remove).union(add).toFieldsV1()), `${name}: as decoded`);
    }
    assert.equal(FieldSet.of().unionIntoFieldsV1(v, FieldSet.of())['f:b'], v['f:b'], 'untouched subtrees are the stored objects');
  });
});
