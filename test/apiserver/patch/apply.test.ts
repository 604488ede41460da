import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/types.js';
import { LAST_APPLIED_ANNOTATION, serverSideApply } from '../../../src/apiserver/patch/apply.js';
import { recordUpdate } from '../../../src/apiserver/patch/managed-fields.js';
import { deploymentSchema, resolver } from './fixtures.js';

const T0 = '2024-01-01T00:00:00Z';
const T1 = '2024-01-01T00:05:00Z';
const T2 = '2024-01-01T00:10:00Z';
const base = { apiVersion: 'apps/v1', schema: deploymentSchema, resolver };

function config(over: { replicas?: number; containers?: unknown[]; labels?: Record<string, string>; paused?: boolean } = {}): KubeObject {
  const spec: Record<string, unknown> = {
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: over.containers ?? [{ name: 'main', image: 'nginx' }] },
    },
  };
  if (over.replicas !== undefined) spec.replicas = over.replicas;
  if (over.paused !== undefined) spec.paused = over.paused;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', ...(over.labels ? { labels: over.labels } : {}) },
    spec,
  };
}

/** What the registry does after an apply creates an object: identity fields get set. */
function stored(o: KubeObject): KubeObject {
  const s = structuredClone(o);
  s.metadata.uid = 'u-1';
  s.metadata.resourceVersion = '1';
  return s;
}

const apply = (live: KubeObject | undefined, applied: KubeObject, manager = 'kubectl', force = false, time = T1) =>
  serverSideApply({ ...base, live, applied, manager, force, time });

const entry = (o: KubeObject, manager: string) => o.metadata.managedFields?.find((e) => e.manager === manager);
const spec = (o: KubeObject) => o.spec as any;

function conflictOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  assert.fail('expected a conflict');
}

describe('serverSideApply', () => {
  it('creates a missing object owned by (manager, Apply)', () => {
    const out = apply(undefined, config({ replicas: 2 }), 'kubectl', false, T0);
    assert.equal(spec(out).replicas, 2);
    assert.deepEqual(out.metadata.managedFields, [
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': { 'f:containers': { 'k:{"name":"main"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
            },
          },
        },
      },
    ]);
  });

  it('re-applying the same configuration changes nothing (time kept)', () => {
    const live = stored(apply(undefined, config({ replicas: 2 }), 'kubectl', false, T0));
    const out = apply(live, config({ replicas: 2 }), 'kubectl', false, T2);
    assert.deepEqual(out, live);
  });

  it('changing a field it owns updates the object and the time', () => {
    const live = stored(apply(undefined, config({ replicas: 2 }), 'kubectl', false, T0));
    const out = apply(live, config({ replicas: 4 }), 'kubectl', false, T2);
    assert.equal(spec(out).replicas, 4);
    assert.equal(entry(out, 'kubectl')?.time, T2);
    assert.equal(out.metadata.uid, 'u-1', 'identity fields survive');
  });

  it('a field another manager owns conflicts (409 with FieldManagerConflict causes)', () => {
    const created = stored(config({ replicas: 1 }));
    recordUpdate({ ...base, obj: created, manager: 'kubectl-client-side-apply', time: T0 });
    const err = conflictOf(() => apply(created, config({ replicas: 3 }), 'ci-bot'));
    assert.equal(err.code, 409);
    assert.equal(err.reason, 'Conflict');
    assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    assert.deepEqual(err.details, {
      causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }],
    });
  });

  it('several conflicts are listed per manager', () => {
    const created = stored(config({ replicas: 1 }));
    recordUpdate({ ...base, obj: created, manager: 'kubectl-edit', time: T0 });
    const err = conflictOf(() => apply(created, config({ replicas: 3, containers: [{ name: 'main', image: 'nginx:2' }] }), 'ci-bot'));
    assert.equal(
      err.message,
      'Apply failed with 2 conflicts: conflicts with "kubectl-edit" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="main"].image',
    );
    assert.equal(err.details?.causes?.length, 2);
  });

  it('a conflict with another applier names it without apiVersion', () => {
    const live = stored(apply(undefined, config({ replicas: 1 }), 'alice', false, T0));
    const err = conflictOf(() => apply(live, config({ replicas: 2 }), 'bob'));
    assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "alice": .spec.replicas');
  });

  it('force takes the field over', () => {
    const created = stored(config({ replicas: 1 }));
    recordUpdate({ ...base, obj: created, manager: 'kubectl-client-side-apply', time: T0 });
    const out = apply(created, config({ replicas: 3 }), 'ci-bot', true);
    assert.equal(spec(out).replicas, 3);
    assert.ok((entry(out, 'ci-bot')?.fieldsV1 as any)['f:spec']['f:replicas']);
    assert.equal((entry(out, 'kubectl-client-side-apply')?.fieldsV1 as any)['f:spec']['f:replicas'], undefined);
  });

  it('applying the same value another manager set shares ownership without conflict', () => {
    const live = stored(apply(undefined, config({ replicas: 2 }), 'alice', false, T0));
    const out = apply(live, config({ replicas: 2 }), 'bob');
    assert.ok((entry(out, 'alice')?.fieldsV1 as any)['f:spec']['f:replicas']);
    assert.ok((entry(out, 'bob')?.fieldsV1 as any)['f:spec']['f:replicas']);
  });

  it('a field dropped from the applied configuration is removed when nobody else owns it', () => {
    const live = stored(apply(undefined, config({ replicas: 2, paused: true, labels: { a: '1', b: '2' } }), 'kubectl', false, T0));
    const out = apply(live, config({ replicas: 2, labels: { a: '1' } }), 'kubectl', false, T2);
    assert.equal(spec(out).paused, undefined);
    assert.deepEqual(out.metadata.labels, { a: '1' });
    assert.equal(spec(out).replicas, 2);
  });

  it('a dropped field another manager also owns stays', () => {
    const live = stored(apply(undefined, config({ paused: true }), 'alice', false, T0));
    const shared = apply(live, config({ paused: true }), 'bob', false, T0);
    const out = apply(stored(shared), config({}), 'alice', false, T2);
    assert.equal(spec(out).paused, true);
  });

  it('list items merge by key across appliers; an applier removes only its own item', () => {
    const a = stored(apply(undefined, config({ containers: [{ name: 'main', image: 'nginx' }] }), 'alice', false, T0));
    const b = stored(apply(a, config({ containers: [{ name: 'side', image: 'busybox' }] }), 'bob', false, T1));
    assert.deepEqual(spec(b).template.spec.containers.map((c: any) => c.name), ['main', 'side']);
    const out = apply(b, config({ containers: [] }), 'bob', false, T2);
    assert.deepEqual(spec(out).template.spec.containers, [{ name: 'main', image: 'nginx' }]);
  });

  it('an object created without apply gets a before-first-apply owner on its first apply', () => {
    const live = stored(config({ replicas: 1 }));
    const err = conflictOf(() => apply(live, config({ replicas: 5 }), 'ci-bot'));
    assert.match(err.message, /conflict with "before-first-apply" using apps\/v1: \.spec\.replicas/);
  });

  it('kubectl (manager "kubectl") upgrading from client-side apply takes over last-applied fields', () => {
    const cfg = config({ replicas: 1 });
    const created = stored(cfg);
    created.metadata.annotations = { [LAST_APPLIED_ANNOTATION]: JSON.stringify(cfg) };
    recordUpdate({ ...base, obj: created, manager: 'kubectl-client-side-apply', time: T0 });
    const out = apply(created, config({ replicas: 3, paused: true }), 'kubectl');
    assert.equal(spec(out).replicas, 3, 'a field client-side apply set, and still live, is taken without conflict');
    assert.equal(spec(out).paused, true);
    assert.throws(() => apply(created, config({ replicas: 3 }), 'other-manager'), (e: unknown) => e instanceof StatusError && e.code === 409);
    const annotation = JSON.parse(out.metadata.annotations![LAST_APPLIED_ANNOTATION]!);
    assert.equal(annotation.spec.paused, true, 'last-applied kept in sync');
  });

  const invalid: { name: string; applied: KubeObject; code: number; message: RegExp }[] = [
    {
      name: 'managedFields in the configuration',
      applied: { ...config(), metadata: { name: 'web', managedFields: [] } },
      code: 400,
      message: /^metadata\.managedFields must be nil$/,
    },
    {
      name: 'another apiVersion',
      applied: { ...config(), apiVersion: 'apps/v1beta1' },
      code: 400,
      message: /^Incorrect version specified in apply patch\. Specified patch version: apps\/v1beta1, expected: apps\/v1$/,
    },
    {
      name: 'duplicate containers',
      applied: config({ containers: [{ name: 'a' }, { name: 'a' }] }),
      code: 422,
      message: /duplicate entries for key \[name="a"\]/,
    },
  ];
  for (const c of invalid) {
    it(`rejects ${c.name}`, () => {
      const err = conflictOf(() => apply(undefined, c.applied));
      assert.equal(err.code, c.code);
      assert.match(err.message, c.message);
    });
  }
});
