import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import { FieldSet, fieldPE } from '../../../src/apiserver/patch/field-set.js';
import { applyUpdateOwnership, capUpdateManagers, decodeManagedFields, encodeManagedFields, managerKey, recordUpdate, withoutManagedFields, type ManagerEntry } from '../../../src/apiserver/patch/managed-fields.js';
import { deploymentSchema, liveDeployment, resolver } from './fixtures.js';
import { rng } from '../../support/rng.js';

const T0 = '2024-01-01T00:00:00Z';
const T1 = '2024-01-01T00:05:00Z';
const base = { apiVersion: 'apps/v1', schema: deploymentSchema, resolver };

function created(manager = 'kubectl-create'): KubeObject {
  const obj = liveDeployment() as unknown as KubeObject;
  recordUpdate({ ...base, obj, manager, time: T0 });
  return obj;
}

const byManager = (o: KubeObject, m: string) => o.metadata.managedFields?.find((e) => e.manager === m);
const owns = (o: KubeObject, m: string, ...path: string[]) => {
  let cur: any = byManager(o, m)?.fieldsV1;
  for (const p of path) cur = cur?.[p];
  return cur !== undefined;
};

describe('recordUpdate', () => {
  it('on create, the creator owns every field it set (Update operation)', () => {
    const o = created();
    assert.equal(o.metadata.managedFields?.length, 1);
    const e = o.metadata.managedFields![0]!;
    assert.deepEqual(
      { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, time: e.time, fieldsType: e.fieldsType },
      { manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1', time: T0, fieldsType: 'FieldsV1' },
    );
    assert.ok(owns(o, 'kubectl-create', 'f:spec', 'f:replicas'));
    assert.ok(owns(o, 'kubectl-create', 'f:metadata', 'f:labels', '.'), 'a new map is owned itself');
    assert.ok(!owns(o, 'kubectl-create', 'f:metadata', 'f:name'), 'identity metadata is never owned');
    assert.ok(!owns(o, 'kubectl-create', 'f:spec', '.'), 'struct fields are not owned themselves');
  });

  it('a change moves ownership of the changed field to the writer', () => {
    const old = created();
    const obj = structuredClone(old) as KubeObject;
    (obj.spec as any).replicas = 5;
    recordUpdate({ ...base, old, obj, manager: 'kubectl-edit', time: T1 });
    assert.ok(owns(obj, 'kubectl-edit', 'f:spec', 'f:replicas'));
    assert.ok(!owns(obj, 'kubectl-create', 'f:spec', 'f:replicas'));
    assert.ok(owns(obj, 'kubectl-create', 'f:spec', 'f:selector'));
    assert.equal(byManager(obj, 'kubectl-edit')?.time, T1);
    assert.equal(byManager(obj, 'kubectl-create')?.time, T0);
  });

  it('an update that changes nothing leaves managedFields as they were', () => {
    const old = created();
    const obj = structuredClone(old) as KubeObject;
    recordUpdate({ ...base, old, obj, manager: 'other', time: T1 });
    assert.deepEqual(obj.metadata.managedFields, old.metadata.managedFields);
  });

  it('a manager changing only fields it owns keeps its set and moves its time; the others stay as stored', () => {
    const old = created();
    const first = structuredClone(old) as KubeObject;
    (first.spec as any).replicas = 2;
    recordUpdate({ ...base, old, obj: first, manager: 'scaler', time: T1 });
    const T2 = '2024-01-01T00:09:00Z';
    const second = structuredClone(first) as KubeObject;
    (second.spec as any).replicas = 3;
    recordUpdate({ ...base, old: first, obj: second, manager: 'scaler', time: T2 });
    assert.equal(byManager(second, 'scaler')?.time, T2);
    assert.deepEqual(byManager(second, 'scaler')?.fieldsV1, byManager(first, 'scaler')?.fieldsV1);
    assert.deepEqual(byManager(second, 'kubectl-create'), byManager(first, 'kubectl-create'));
    // The same result as decoding and encoding everything afresh.
    assert.deepEqual(second.metadata.managedFields, encodeManagedFields(decodeManagedFields(structuredClone(second.metadata.managedFields))));
  });

  it('a field another manager owns moves even when the writer owns the rest already', () => {
    const old = created();
    const first = structuredClone(old) as KubeObject;
    (first.spec as any).replicas = 2;
    recordUpdate({ ...base, old, obj: first, manager: 'scaler', time: T1 });
    const second = structuredClone(first) as KubeObject;
    (second.spec as any).replicas = 3;
    (second.spec as any).template.spec.containers[0].image = 'nginx:1.28';
    recordUpdate({ ...base, old: first, obj: second, manager: 'scaler', time: T1 });
    assert.ok(owns(second, 'scaler', 'f:spec', 'f:replicas'));
    assert.ok(owns(second, 'scaler', 'f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"main"}', 'f:image'));
    assert.ok(!owns(second, 'kubectl-create', 'f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"main"}', 'f:image'));
  });

  it('removed fields leave every manager', () => {
    const old = created();
    const obj = structuredClone(old) as KubeObject;
    delete (obj.spec as any).template.spec.tolerations;
    recordUpdate({ ...base, old, obj, manager: 'other', time: T1 });
    assert.ok(!owns(obj, 'kubectl-create', 'f:spec', 'f:template', 'f:spec', 'f:tolerations'));
    assert.equal(byManager(obj, 'other'), undefined, 'removing alone owns nothing');
  });

  it('a client omitting managedFields keeps the stored ones', () => {
    const old = created();
    const obj = structuredClone(old) as KubeObject;
    delete obj.metadata.managedFields;
    recordUpdate({ ...base, old, obj, manager: 'x', time: T1 });
    assert.deepEqual(obj.metadata.managedFields, old.metadata.managedFields);
  });

  it('a client sending [] resets them, and the object stays untracked until an apply', () => {
    const old = created();
    const obj = structuredClone(old) as KubeObject;
    obj.metadata.managedFields = [];
    (obj.spec as any).replicas = 9;
    recordUpdate({ ...base, old, obj, manager: 'x', time: T1 });
    assert.equal(obj.metadata.managedFields, undefined);
    const next = structuredClone(obj) as KubeObject;
    (next.spec as any).replicas = 10;
    recordUpdate({ ...base, old: obj, obj: next, manager: 'y', time: T1 });
    assert.equal(next.metadata.managedFields, undefined);
  });

  it('a client may replace the records with its own valid ones', () => {
    const old = created();
    const obj = structuredClone(old) as KubeObject;
    obj.metadata.managedFields = [{ manager: 'mine', operation: 'Update', apiVersion: 'apps/v1', time: T0, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:paused': {} } } }];
    recordUpdate({ ...base, old, obj, manager: 'x', time: T1 });
    assert.deepEqual(obj.metadata.managedFields?.map((e) => e.manager), ['mine']);
  });

  it('a subresource write ignores client records and is recorded with its subresource', () => {
    const old = created();
    const obj = structuredClone(old) as KubeObject;
    obj.metadata.managedFields = [];
    (obj as any).status = { replicas: 1 };
    recordUpdate({ ...base, old, obj, manager: 'deployment-controller', subresource: 'status', time: T1 });
    const e = byManager(obj, 'deployment-controller');
    assert.equal(e?.subresource, 'status');
    assert.deepEqual(e?.fieldsV1, { 'f:status': { 'f:replicas': {} } });
    assert.ok(byManager(obj, 'kubectl-create'));
  });

  it('ignored (reset) fields are never owned', () => {
    const old = created();
    const obj = structuredClone(old) as KubeObject;
    (obj as any).status = { replicas: 1 };
    (obj.spec as any).paused = true;
    recordUpdate({ ...base, old, obj, manager: 'x', time: T1, ignoredFields: FieldSet.of([fieldPE('status')]) });
    assert.deepEqual(byManager(obj, 'x')?.fieldsV1, { 'f:spec': { 'f:paused': {} } });
  });

  it('keeps at most 10 Update entries, folding the oldest into ancient-changes', () => {
    let obj = created();
    for (let i = 0; i < 11; i++) {
      const next = structuredClone(obj) as KubeObject;
      (next.metadata.labels as any)[`l${i}`] = 'v';
      recordUpdate({ ...base, old: obj, obj: next, manager: `m${i}`, time: `2024-01-0${1 + Math.floor(i / 5)}T00:0${i % 5}:00Z` });
      obj = next;
    }
    const managers = obj.metadata.managedFields!.map((e) => e.manager);
    assert.equal(managers.length, 10);
    assert.ok(managers.includes('ancient-changes'));
    assert.ok(!managers.includes('kubectl-create') && !managers.includes('m0'));
  });
});

describe('encodeManagedFields', () => {
  it('sorts Apply entries first, then by time, manager, apiVersion', () => {
    const s = FieldSet.of([fieldPE('a')]);
    const entries: ManagerEntry[] = [
      { manager: 'z', operation: 'Update', apiVersion: 'v1', time: T0, set: s },
      { manager: 'b', operation: 'Apply', apiVersion: 'v1', time: T1, set: s },
      { manager: 'a', operation: 'Update', apiVersion: 'v1', time: T0, set: s },
      { manager: 'c', operation: 'Apply', apiVersion: 'v1', time: T0, set: s },
      { manager: 'empty', operation: 'Update', apiVersion: 'v1', time: T0, set: new FieldSet() },
    ];
    assert.deepEqual(encodeManagedFields(entries).map((e) => `${e.operation}/${e.manager}`), ['Apply/c', 'Apply/b', 'Update/a', 'Update/z']);
  });
});

describe('recordUpdate on stored entries: the kept-ownership shortcut gives what the general path gives', () => {
  const T2 = '2024-01-01T00:10:00Z';
  /** The general path spelled out: decode the stored entries, update ownership, cap, encode. */
  function general(old: KubeObject, obj: KubeObject, manager: string, subresource?: string) {
    const next = capUpdateManagers(
      applyUpdateOwnership({
        entries: decodeManagedFields(old.metadata.managedFields, true),
        from: withoutManagedFields(old),
        to: withoutManagedFields(obj),
        manager,
        ...(subresource ? { subresource } : {}),
        apiVersion: 'apps/v1',
        time: T2,
        schema: deploymentSchema,
        resolver,
      }),
    );
    return encodeManagedFields(next);
  }
  /** Stored: created by kubectl-create, the image set by ci, replicas written by the status writer (status). */
  function stored(): KubeObject {
    const o = created();
    const a = structuredClone(o) as any;
    a.spec.template.spec.containers[0].image = 'nginx:1.28';
    recordUpdate({ ...base, old: o, obj: a, manager: 'ci', time: T1 });
    const b = structuredClone(a) as any;
    b.status = { replicas: 1 };
    recordUpdate({ ...base, old: a, obj: b, manager: 'ctrl', subresource: 'status', time: T1 });
    return b;
  }
  const cases: [string, string, string | undefined, (o: any) => void][] = [
    ['own leaf changed (a renewal)', 'ci', undefined, (o) => (o.spec.template.spec.containers[0].image = 'nginx:1.29')],
    ['own status leaf changed, subresource', 'ctrl', 'status', (o) => (o.status.replicas = 3)],
    ['status field added by its writer', 'ctrl', 'status', (o) => (o.status.readyReplicas = 1)],
    ['someone else’s field taken', 'ci', undefined, (o) => (o.spec.replicas = 4)],
    ['a field nobody owned added', 'ci', undefined, (o) => (o.metadata.annotations = { a: 'b' })],
    ['an owned field removed', 'kubectl-create', undefined, (o) => delete o.spec.strategy.rollingUpdate],
    ['only identity metadata changes', 'ci', undefined, (o) => (o.metadata.resourceVersion = '99')],
    ['nothing changes', 'ci', undefined, () => undefined],
    ['a manager without an entry changes its field', 'newcomer', undefined, (o) => (o.spec.template.spec.containers[0].image = 'x')],
    ['a list item owned by the creator changes', 'kubectl-create', undefined, (o) => (o.spec.template.spec.containers[1].args = ['sleep', '1'])],
    // Entries the write touches are decoded alone (storedOwnership); the rest stay as stored.
    ['a status writer without an entry adds status fields (a kubelet’s first status patch)', 'kubelet', 'status', (o) => (o.status = { replicas: 2, readyReplicas: 2 })],
    ['a status writer without an entry takes a field the status owner has', 'kubelet', 'status', (o) => (o.status.replicas = 5)],
    ['a status field removed by someone else', 'kubelet', 'status', (o) => delete o.status.replicas],
    ['a field taken from the only field of a manager (its entry goes)', 'kubectl-create', undefined, (o) => (o.spec.template.spec.containers[0].image = 'nginx:2')],
    ['a writer adds a field next to one it owns', 'ci', undefined, (o) => (o.spec.template.spec.containers[0].imagePullPolicy = 'Always')],
    ['a writer adds a field and changes one it owns', 'ctrl', 'status', (o) => (o.status = { replicas: 2, availableReplicas: 1 })],
    ['a field co-owned by an applier changes (the applier loses it, the writer keeps its set)', 'ci', undefined, (o) => (o.spec.template.spec.containers[0].image = 'nginx:1.30')],
    ['a list item removed', 'ci', undefined, (o) => o.spec.template.spec.containers.pop()],
    // Only the writer's own entry changes (ownEntry): its set is built from the comparison's sets.
    ['a writer removes a field it owns and adds others (a kubelet’s Running write)', 'ctrl', 'status', (o) => (o.status = { readyReplicas: 1, availableReplicas: 1 })],
    ['a writer changes a field it owns along with identity metadata', 'ctrl', 'status', (o) => ((o.status.replicas = 2), (o.metadata.generation = 9))],
    ['a writer changes identity metadata and adds a field', 'ci', undefined, (o) => ((o.spec.template.spec.containers[0].imagePullPolicy = 'Never'), (o.metadata.uid = 'other'))],
  ];
  /** Stored plus an applier that co-owns the main container's image with ci. */
  function storedWithApplier(): KubeObject {
    const o = stored();
    const applier = {
      manager: 'applier',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"main"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } } },
    };
    o.metadata.managedFields = encodeManagedFields(decodeManagedFields([...o.metadata.managedFields!, applier]));
    return o;
  }
  /** Stored plus ten more Update managers, each owning one label: a new writer makes eleven (capping). */
  function storedWithManyUpdaters(): KubeObject {
    let o = stored();
    for (let i = 0; i < 10; i++) {
      const next = structuredClone(o) as any;
      next.metadata.labels[`l${i}`] = 'x';
      recordUpdate({ ...base, old: o, obj: next, manager: `m${i}`, time: `2024-01-01T00:0${i}:30Z` });
      o = next;
    }
    return o;
  }
  const fixtures: [string, () => KubeObject][] = [
    ['', stored],
    [' (with an applier)', storedWithApplier],
    [' (eleven updaters)', storedWithManyUpdaters],
  ];
  for (const [suffix, fixture] of fixtures)
  for (const [name, manager, subresource, change] of cases) {
    it(name + suffix, () => {
      const old = fixture();
      const obj = structuredClone(old) as KubeObject;
      change(obj);
      const want = general(old, structuredClone(obj), manager, subresource);
      recordUpdate({ ...base, old, obj, manager, ...(subresource ? { subresource } : {}), time: T2 });
      assert.deepEqual(obj.metadata.managedFields, want);
      assert.deepEqual(JSON.stringify(obj.metadata.managedFields), JSON.stringify(want), 'same key order');
      // A client that leaves managedFields out (a renewal, a controller whose cache drops them) keeps the
      // stored ones the same way.
      for (const omitted of [undefined, null]) {
        const without = structuredClone(old) as KubeObject;
        change(without);
        (without.metadata as Record<string, unknown>)['managedFields'] = omitted;
        recordUpdate({ ...base, old, obj: without, manager, ...(subresource ? { subresource } : {}), time: T2 });
        assert.deepEqual(JSON.stringify(without.metadata.managedFields), JSON.stringify(want), `managedFields ${String(omitted)}`);
      }
    });
  }

  it('a renewal moves its entry in the time order', () => {
    const old = stored();
    const obj = structuredClone(old) as any;
    obj.spec.template.spec.containers[0].image = 'nginx:1.29';
    recordUpdate({ ...base, old, obj, manager: 'ci', time: T2 });
    assert.deepEqual(obj.metadata.managedFields.map((e: any) => [e.manager, e.time]), [
      ['kubectl-create', T0],
      ['ctrl', T1],
      ['ci', T2],
    ]);
  });
});

describe('managerKey (upstream BuildManagerIdentifier)', () => {
  type Id = Parameters<typeof managerKey>[0];
  const ids: Id[] = [
    { manager: 'a', operation: 'Update', apiVersion: 'v1' },
    { manager: 'a', operation: 'Update', apiVersion: 'v1', subresource: 'status' },
    { manager: 'a', operation: 'Update', apiVersion: 'v1s', subresource: 'tatus' },
    { manager: 'a', operation: 'Update', apiVersion: 'apps/v1' },
    { manager: 'a', operation: 'Apply', apiVersion: 'v1' },
    { manager: 'aUpdate2:v1', operation: 'Update', apiVersion: '' },
    { manager: 'a', operation: 'Update', apiVersion: '' , subresource: 'Update2:v1' },
    { manager: '1:a', operation: 'Update', apiVersion: 'v1' },
    { manager: '', operation: 'Update', apiVersion: 'v1' },
    { manager: 'a:', operation: 'Update', apiVersion: ':v1' },
    { manager: 'a', operation: 'Update', apiVersion: 'v1', subresource: 'scale' },
  ];
  it('distinct identities have distinct keys', () => {
    const keys = ids.map(managerKey);
    assert.equal(new Set(keys).size, ids.length, keys.join(' | '));
  });
  it('an applier is one identity whatever its apiVersion; an empty subresource is none', () => {
    assert.equal(managerKey({ manager: 'a', operation: 'Apply', apiVersion: 'v1' }), managerKey({ manager: 'a', operation: 'Apply', apiVersion: 'apps/v1' }));
    assert.equal(managerKey({ manager: 'a', operation: 'Update', apiVersion: 'v1', subresource: '' }), managerKey({ manager: 'a', operation: 'Update', apiVersion: 'v1' }));
  });
});

describe('recordUpdate on stored entries (storedOwnership, reused encodings) gives what decoding them all gives', () => {
  type Obj = KubeObject & Record<string, any>;
  const MUTATIONS: ((o: Obj, n: number) => void)[] = [
    (o, n) => { o.spec.replicas = n; },
    (o, n) => { o.metadata.labels = { ...o.metadata.labels, [`l${n % 3}`]: `v${n}` }; },
    (o, n) => { const l = { ...o.metadata.labels }; delete l[`l${n % 3}`]; o.metadata.labels = l; },
    (o, n) => { o.metadata.annotations = n % 2 ? { a: `${n}` } : undefined; },
    (o, n) => { o.spec.template.spec.containers[0].image = `nginx:${n}`; },
    (o, n) => { o.spec.template.spec.containers[0].env = n % 2 ? [{ name: 'A', value: `${n}` }] : [{ name: 'B', value: '1' }, { name: 'A', value: '1' }]; },
    (o, n) => { const cs = o.spec.template.spec.containers; o.spec.template.spec.containers = n % 2 ? [...cs, { name: `c${n % 4}`, image: 'x' }] : cs.slice(0, 1); },
    (o, n) => { o.status = { ...o.status, replicas: n, conditions: [{ type: 'Available', status: n % 2 ? 'True' : 'False', ...(n % 3 ? { reason: 'R' } : {}) }] }; },
    (o, n) => { o.status = n % 2 ? { observedGeneration: n } : { readyReplicas: n, state: { [n % 3 ? 'running' : 'waiting']: { at: `${n}` } } }; },
    (o, n) => { o.spec.strategy = n % 2 ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxSurge: `${n}%` } }; },
  ];

  it('matches the general path on random sequences of updates by several managers', () => {
    const rand = rng(11);
    let compared = 0;
    for (let round = 0; round < 150; round++) {
      let cur = created() as Obj;
      for (let step = 0; step < 8; step++) {
        const manager = `m${Math.floor(rand() * 4)}`;
        const picks = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => [Math.floor(rand() * MUTATIONS.length), Math.floor(rand() * 10)] as const);
        const next = (): Obj => {
          const o = structuredClone(cur) as Obj;
          delete o.metadata.managedFields;
          for (const [m, n] of picks) MUTATIONS[m]!(o, n);
          return o;
        };
        const time = new Date(Date.parse(T0) + (step + 1) * 1000).toISOString().replace(/\.000Z$/, 'Z');
        const fast = next();
        recordUpdate({ ...base, old: cur, obj: fast, manager, time });
        const stored = cur.metadata.managedFields ?? [];
        if (stored.length >= 2) {
          // The stored entries sent back in another order: not the stored ones, so all are decoded afresh.
          const general = next();
          general.metadata.managedFields = structuredClone(stored).reverse();
          recordUpdate({ ...base, old: cur, obj: general, manager, time });
          assert.equal(JSON.stringify(fast.metadata.managedFields), JSON.stringify(general.metadata.managedFields), `round ${round} step ${step}`);
          compared++;
        }
        cur = fast;
      }
    }
    assert.ok(compared > 500, `compared ${compared} updates`);
  });

  it('tells entries apart by their whole identity: an applier of the same name, two entries of one identity', () => {
    const replicas = { 'f:spec': { 'f:replicas': {} } };
    const image = { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"main"}': { 'f:image': {} } } } } } };
    const entry = (manager: string, operation: 'Apply' | 'Update', fieldsV1: object, apiVersion = 'apps/v1', subresource?: string) => ({
      manager, operation, apiVersion, time: T0, fieldsType: 'FieldsV1', fieldsV1, ...(subresource ? { subresource } : {}),
    });
    const cases: { name: string; stored: object[]; manager: string; subresource?: string; change: (o: Obj) => void }[] = [
      { name: 'the updater has an Apply entry of its name', stored: [entry('m', 'Apply', replicas)], manager: 'm', change: (o) => { o.spec.replicas = 7; } },
      { name: 'two entries of one identity', stored: [entry('a', 'Update', replicas), entry('a', 'Update', image), entry('b', 'Update', { 'f:metadata': { 'f:labels': { 'f:app': {} } } })], manager: 'c', change: (o) => { o.spec.paused = true; } },
      { name: 'two appliers of one name at different versions', stored: [entry('a', 'Apply', replicas, 'apps/v1'), entry('a', 'Apply', image, 'apps/v1beta2')], manager: 'c', change: (o) => { o.spec.paused = true; } },
      { name: 'the same manager on another subresource', stored: [entry('m', 'Update', replicas, 'apps/v1', 'scale')], manager: 'm', change: (o) => { o.spec.replicas = 7; } },
      { name: 'the same manager at another version', stored: [entry('m', 'Update', replicas, 'apps/v1beta1')], manager: 'm', change: (o) => { o.spec.replicas = 7; } },
    ];
    for (const c of cases) {
      const old = liveDeployment() as unknown as Obj;
      old.metadata.managedFields = c.stored as never;
      const next = (): Obj => {
        const o = structuredClone(old) as Obj;
        delete o.metadata.managedFields;
        c.change(o);
        return o;
      };
      const fast = next();
      recordUpdate({ ...base, old, obj: fast, manager: c.manager, subresource: c.subresource, time: '2024-01-01T00:01:00Z' });
      // Entries sent back with an empty subresource member (which decodes as none) are not the stored ones:
      // all are decoded, in the stored order (the general path).
      const general = next();
      general.metadata.managedFields = c.stored.map((e) => ({ subresource: '', ...structuredClone(e) })) as never;
      recordUpdate({ ...base, old, obj: general, manager: c.manager, subresource: c.subresource, time: '2024-01-01T00:01:00Z' });
      assert.equal(JSON.stringify(fast.metadata.managedFields), JSON.stringify(general.metadata.managedFields), c.name);
    }
  });
});
