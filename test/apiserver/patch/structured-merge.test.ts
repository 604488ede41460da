import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonObject } from '../../../src/api/types.js';
import { FieldSet, fieldPE } from '../../../src/apiserver/patch/field-set.js';
import { compareObjects, compareObjectsByWalk } from '../../../src/apiserver/patch/structured-merge.js';
import { rng } from '../../support/rng.js';
import { deploymentSchema, liveDeployment, resolver } from './fixtures.js';

const schema = resolver.resolve(deploymentSchema);

describe('compareObjects against an empty object (a create)', () => {
  // The one-sided path must add exactly what the two-sided walk adds: compared here with a left side that
  // holds only `kind` (same value on both sides, so the general walk runs and adds everything else).
  const variants: { name: string; obj: () => JsonObject }[] = [
    { name: 'a Deployment', obj: () => liveDeployment() as unknown as JsonObject },
    {
      name: 'nulls, empty maps and lists, map-typed labels, an atomic selector',
      obj: () => {
        const d = liveDeployment() as any;
        d.metadata.annotations = {};
        d.metadata.labels = { a: '1', b: '2' };
        d.spec.paused = null;
        d.spec.template.spec.volumes = [];
        d.spec.template.spec.containers[0].env = [{ name: 'A', value: '1' }, { name: 'B' }];
        return d;
      },
    },
    {
      name: 'duplicate list-map keys',
      obj: () => {
        const d = liveDeployment() as any;
        d.spec.template.spec.containers.push({ name: 'main', image: 'other', args: ['x'] });
        return d;
      },
    },
  ];
  for (const v of variants) {
    it(v.name, () => {
      const obj = v.obj();
      const fast = compareObjects({}, obj, schema, resolver);
      const general = compareObjects({ kind: obj['kind']! }, obj, schema, resolver);
      const expected = general.added.union(FieldSet.of([fieldPE('kind')]));
      assert.deepEqual(fast.added.toFieldsV1(), expected.toFieldsV1());
      assert.ok(fast.modified.isEmpty() && fast.removed.isEmpty());
      assert.ok(fast.added.has([fieldPE('spec'), fieldPE('replicas')]));
      assert.ok(!fast.added.has([fieldPE('spec')]), 'a declared struct field is not added itself');
    });
  }
});

describe('compareObjects of two objects', () => {
  // Expected sets as the walk gave them before the root was walked member by member and the comparison
  // stopped building a merged value (both must change nothing).
  const cases: { name: string; change: (d: any) => void; want: { added: JsonObject; modified: JsonObject; removed: JsonObject } }[] = [
    { name: 'nothing changes', change: () => undefined, want: { added: {}, modified: {}, removed: {} } },
    { name: 'a leaf changes', change: (d) => (d.spec.replicas = 3), want: { added: {}, modified: { 'f:spec': { 'f:replicas': {} } }, removed: {} } },
    {
      name: 'a field is added and another removed',
      change: (d) => {
        d.spec.paused = true;
        delete d.spec.strategy.rollingUpdate;
      },
      want: { added: { 'f:spec': { 'f:paused': {} } }, modified: {}, removed: { 'f:spec': { 'f:strategy': { 'f:rollingUpdate': { 'f:maxSurge': {}, 'f:maxUnavailable': {} } } } } },
    },
    {
      name: 'a list-map item changes, one is added, one removed',
      change: (d) => {
        d.spec.template.spec.containers[0].image = 'x';
        d.spec.template.spec.containers.pop();
        d.spec.template.spec.containers.push({ name: 'new', image: 'n' });
      },
      want: {
        added: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"new"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } } },
        modified: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"main"}': { 'f:image': {} } } } } } },
        removed: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"sidecar"}': { '.': {}, 'f:args': {}, 'f:image': {}, 'f:name': {} } } } } } },
      },
    },
    {
      name: 'status appears (a declared struct field is not added itself)',
      change: (d) => (d.status = { replicas: 1, conditions: [{ type: 'Available', status: 'True' }] }),
      want: { added: { 'f:status': { 'f:conditions': {}, 'f:replicas': {} } }, modified: {}, removed: {} },
    },
    {
      name: 'metadata labels change, a set item goes',
      change: (d) => {
        d.metadata.labels = { app: 'web', tier: 'x' };
        d.metadata.finalizers = ['a'];
      },
      want: { added: { 'f:metadata': { 'f:labels': { 'f:tier': {} } } }, modified: {}, removed: { 'f:metadata': { 'f:finalizers': { 'v:"b"': {} } } } },
    },
    {
      name: 'an unknown top-level member appears',
      change: (d) => (d.extra = { a: 1 }),
      want: { added: { 'f:extra': { '.': {}, 'f:a': {} } }, modified: {}, removed: {} },
    },
    { name: 'apiVersion changes', change: (d) => (d.apiVersion = 'apps/v2'), want: { added: {}, modified: { 'f:apiVersion': {} }, removed: {} } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const a = liveDeployment() as unknown as JsonObject;
      const b = structuredClone(a);
      c.change(b);
      const before = JSON.stringify(a) + JSON.stringify(b);
      const r = compareObjects(a, b, schema, resolver);
      assert.deepEqual({ added: r.added.toFieldsV1(), modified: r.modified.toFieldsV1(), removed: r.removed.toFieldsV1() }, c.want);
      assert.equal(JSON.stringify(a) + JSON.stringify(b), before, 'inputs unchanged');
    });
  }
});

describe('compareObjects of objects sharing subtrees (the same JS objects on both sides)', () => {
  const edits: { name: string; edit: (o: any) => void }[] = [
    { name: 'a changed replica count', edit: (o) => { o.spec = { ...o.spec, replicas: 3 }; } },
    { name: 'an added label', edit: (o) => { o.metadata = { ...o.metadata, labels: { ...o.metadata.labels, tier: 'x' } }; } },
    { name: 'a removed template', edit: (o) => { o.spec = { ...o.spec }; delete o.spec.template; } },
    { name: 'a changed container image', edit: (o) => { const t = o.spec.template; o.spec = { ...o.spec, template: { ...t, spec: { ...t.spec, containers: [{ ...t.spec.containers[0], image: 'y' }, t.spec.containers[1]] } } }; } },
    { name: 'an added status', edit: (o) => { o.status = { replicas: 1, conditions: [{ type: 'Available', status: 'True' }] }; } },
    { name: 'nothing', edit: () => {} },
  ];
  for (const { name, edit } of edits) {
    it(`finds what it finds on unshared copies: ${name}`, () => {
      const old = liveDeployment() as any;
      const shared = { ...old };
      edit(shared);
      const c = compareObjects(old, shared, schema, resolver);
      const copies = compareObjects(structuredClone(old), structuredClone(shared), schema, resolver);
      for (const k of ['added', 'modified', 'removed'] as const) assert.deepEqual(c[k].toFieldsV1(), copies[k].toFieldsV1(), k);
      assert.equal(c.added.isEmpty() && c.modified.isEmpty() && c.removed.isEmpty(), name === 'nothing');
    });
  }
});

describe('compareObjects against the general walk', () => {
  // compareObjects walks lists pairwise when both sides address the same items in the same order; reordered,
  // duplicated, added, removed and unaddressable items go through the general walk. Both must agree.
  const container = (rand: () => number, name: string) => {
    const c: any = { name, image: rand() < 0.5 ? 'a' : 'b' };
    if (rand() < 0.5) c.ports = [{ containerPort: rand() < 0.5 ? 80 : 81, protocol: 'TCP' }];
    if (rand() < 0.4) c.env = [{ name: 'A', value: String(Math.floor(rand() * 2)) }, ...(rand() < 0.5 ? [{ name: rand() < 0.5 ? 'A' : 'B' }] : [])];
    if (rand() < 0.2) c.args = ['x'];
    return c;
  };
  const containers = (rand: () => number) => {
    const names = ['main', 'side', 'init', 'main'];
    const n = Math.floor(rand() * 4);
    return Array.from({ length: n }, () => container(rand, names[Math.floor(rand() * names.length)]!));
  };
  const variant = (rand: () => number) => {
    const d = liveDeployment() as any;
    d.spec.template.spec.containers = containers(rand);
    if (rand() < 0.3) d.spec.template.spec.tolerations.push({ key: 'k2', operator: 'Exists' });
    if (rand() < 0.3) d.metadata.finalizers = rand() < 0.5 ? ['b', 'a'] : ['a', 'a'];
    if (rand() < 0.2) d.spec.template.spec.volumes = [{ name: 'data', emptyDir: {} }, { name: 'data', hostPath: { path: '/x' } }];
    if (rand() < 0.1) d.spec.template.spec.containers.push({ image: 'no-name' });
    return d;
  };
  it('finds the same sets on random pairs of deployments', () => {
    const rand = rng(23);
    let errors = 0;
    for (let i = 0; i < 600; i++) {
      const a = variant(rand);
      // Half the pairs start from the same containers, changed in place (the pairwise case).
      const b = rand() < 0.5 ? variant(rand) : structuredClone(a);
      if (rand() < 0.5) for (const c of b.spec.template.spec.containers) if (rand() < 0.5) c.image = `${c.image}2`;
      let fast: unknown;
      let general: unknown;
      try {
        const r = compareObjects(a, b, schema, resolver);
        fast = { added: r.added.toFieldsV1(), modified: r.modified.toFieldsV1(), removed: r.removed.toFieldsV1() };
        // With one changed set: added and modified are that one set, their union.
        const one = compareObjects(a, b, schema, resolver, true);
        assert.equal(one.added, one.modified);
        assert.deepEqual(one.added.toFieldsV1(), r.modified.union(r.added).toFieldsV1(), `pair ${i}: one changed set`);
        assert.deepEqual(one.removed.toFieldsV1(), r.removed.toFieldsV1(), `pair ${i}: removed with one changed set`);
      } catch (e) {
        fast = { error: (e as Error).constructor.name, message: (e as Error).message };
      }
      try {
        const r = compareObjectsByWalk(a, b, schema, resolver);
        general = { added: r.added.toFieldsV1(), modified: r.modified.toFieldsV1(), removed: r.removed.toFieldsV1() };
      } catch (e) {
        general = { error: (e as Error).constructor.name, message: (e as Error).message };
        errors++;
      }
      assert.deepEqual(fast, general, `pair ${i}: ${JSON.stringify(a.spec.template.spec.containers)} → ${JSON.stringify(b.spec.template.spec.containers)}`);
    }
    assert.ok(errors > 0 && errors < 300, `some pairs hold an item without its key (${errors})`);
  });

  it('finds the same sets for subtrees only the right side has (inserted below their parent in one step)', () => {
    const additions: [string, (d: any) => void][] = [
      ['status appears', (d) => (d.status = { replicas: 1, conditions: [{ type: 'A', status: 'True' }, { type: 'A', status: 'False' }], extra: { a: null, b: {} } })],
      ['a container with ports, env (one name twice) and an empty list', (d) => d.spec.template.spec.containers.push({ name: 'new', image: 'n', ports: [{ containerPort: 1, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }], args: [] })],
      ['annotations appear on the template, a null and an undefined member', (d) => ((d.spec.template.metadata.annotations = { a: 'b' }), (d.spec.paused = null), (d.spec.minReadySeconds = undefined))],
      ['a container without its key appears', (d) => d.spec.template.spec.containers.push({ image: 'no-name' })],
      ['a long list appears', (d) => (d.spec.template.spec.volumes = Array.from({ length: 40 }, (_, i) => ({ name: `v${i % 35}`, emptyDir: {} })))],
    ];
    for (const [name, add] of additions) {
      const a = liveDeployment() as any;
      const b = structuredClone(a);
      add(b);
      const sets = (f: typeof compareObjects) => {
        try {
          const r = f(a, b, schema, resolver);
          return { added: r.added.toFieldsV1(), modified: r.modified.toFieldsV1(), removed: r.removed.toFieldsV1() };
        } catch (e) {
          return { error: (e as Error).constructor.name, message: (e as Error).message };
        }
      };
      assert.deepEqual(sets(compareObjects), sets(compareObjectsByWalk), name);
    }
  });
});
