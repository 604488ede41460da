// Pure Deployment arithmetic: fenceposts with upstream rounding, the new ReplicaSet's next size, old
// ReplicaSet scale-down budget, proportional scaling, hash and revision annotations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { maxSurge, maxUnavailable, newRSNewReplicas, planOldScaleDown, proportionalScale, resolveFenceposts } from '../../../src/controllers/deployment/rolling.js';
import { computeHash, equalIgnoreHash, setNewReplicaSetAnnotations } from '../../../src/controllers/deployment/util.js';

function dep(replicas: number, surge: number | string = '25%', unavail: number | string = '25%', type = 'RollingUpdate'): Deployment {
  return {
    metadata: { name: 'd' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'd' } },
      template: { metadata: { labels: { app: 'd' } } },
      strategy: type === 'RollingUpdate' ? { type, rollingUpdate: { maxSurge: surge, maxUnavailable: unavail } } : { type },
    },
  };
}

function rs(name: string, spec: number, available = spec, created = name, annotations?: Record<string, string>): ReplicaSet {
  return {
    metadata: { name, creationTimestamp: `2026-01-01T00:00:0${created.length}Z`, annotations },
    spec: { replicas: spec, selector: {}, template: {} },
    status: { replicas: spec, availableReplicas: available },
  };
}

test('fenceposts: surge rounds up, unavailable rounds down, both 0 means 1 unavailable', () => {
  const cases: [number | string, number | string, number, [number, number]][] = [
    ['25%', '25%', 10, [3, 2]],
    ['25%', '25%', 1, [1, 0]],
    ['25%', '25%', 4, [1, 1]],
    [0, 0, 5, [0, 1]],
    ['0%', '0%', 5, [0, 1]],
    [2, '50%', 5, [2, 2]],
    ['100%', 0, 3, [3, 0]],
    ['1%', '99%', 3, [1, 2]],
  ];
  for (const [s, u, n, want] of cases) assert.deepEqual(resolveFenceposts(s, u, n), want, `${s}/${u} of ${n}`);
  assert.equal(maxUnavailable(dep(0)), 0);
  assert.equal(maxUnavailable(dep(2, 0, 5)), 2, 'capped at replicas');
  assert.equal(maxSurge(dep(3, 1, 1, 'Recreate')), 0);
  assert.throws(() => resolveFenceposts('abc', 1, 3));
});

test('the new ReplicaSet grows up to replicas + maxSurge', () => {
  const cases: { name: string; d: Deployment; old: number; cur: number; want: number }[] = [
    { name: 'start of rollout 10 (25%)', d: dep(10), old: 10, cur: 0, want: 3 },
    { name: 'surge used up', d: dep(10), old: 10, cur: 3, want: 3 },
    { name: 'old scaled down', d: dep(10), old: 5, cur: 3, want: 8 },
    { name: 'never beyond replicas', d: dep(10), old: 0, cur: 8, want: 10 },
    { name: 'maxSurge 0', d: dep(3, 0, 1), old: 3, cur: 0, want: 0 },
    { name: 'recreate: all at once', d: dep(4, 1, 1, 'Recreate'), old: 0, cur: 0, want: 4 },
  ];
  for (const c of cases) {
    const n = rs('new', c.cur);
    assert.equal(newRSNewReplicas(c.d, [rs('old', c.old), n], n), c.want, c.name);
  }
});

test('old ReplicaSets scale down no further than replicas - maxUnavailable available', () => {
  const cases: { name: string; d: Deployment; olds: ReplicaSet[]; newRS: ReplicaSet; want: [string, number][] }[] = [
    { name: 'new not available yet: only maxUnavailable', d: dep(10), olds: [rs('old', 10)], newRS: rs('new', 3, 0), want: [['old', 8]] },
    { name: 'new available: surge freed', d: dep(10), olds: [rs('old', 10)], newRS: rs('new', 3, 3), want: [['old', 5]] },
    { name: 'maxUnavailable 0 waits for new pods', d: dep(3, 1, 0), olds: [rs('old', 3)], newRS: rs('new', 1, 0), want: [] },
    { name: 'maxUnavailable 0 then 1 by 1', d: dep(3, 1, 0), olds: [rs('old', 3)], newRS: rs('new', 1, 1), want: [['old', 2]] },
    { name: 'unhealthy old replicas go first', d: dep(4, 0, 1), olds: [rs('a', 2, 0), rs('bb', 2, 2)], newRS: rs('new', 0, 0), want: [['a', 1]] },
    { name: 'unhealthy cleanup, then healthy only above minAvailable', d: dep(4, 2, 1), olds: [rs('a', 2, 0), rs('bb', 2, 2)], newRS: rs('new', 2, 2), want: [['a', 0], ['bb', 1]] },
    { name: 'nothing old', d: dep(3), olds: [rs('old', 0)], newRS: rs('new', 3, 3), want: [] },
  ];
  for (const c of cases) {
    const got = planOldScaleDown(c.d, c.olds, c.newRS).filter((s) => s.from !== s.to).map((s) => [s.name, s.to]);
    assert.deepEqual(got, c.want, c.name);
  }
});

test('proportional scaling mid-rollout distributes the difference by size', () => {
  // 10 replicas, surge 3: old 8 + new 5 = 13. Scale to 20 (allowed 25): +12 split by 8:5 of max 13.
  const d = dep(20);
  const a = { ...rs('old', 8, 8, 'old', { 'deployment.kubernetes.io/max-replicas': '13' }) };
  const b = { ...rs('neww', 5, 0, 'neww', { 'deployment.kubernetes.io/max-replicas': '13' }) };
  const steps = proportionalScale(d, [a, b]);
  const to = Object.fromEntries(steps.map((s) => [s.name, s.to]));
  assert.equal(to.old! + to.neww!, 25);
  assert.deepEqual(to, { old: 15, neww: 10 });
  // Down to 5 (allowed 7): old 8→4 (rounded 8*7/13), new 5→3.
  const down = Object.fromEntries(proportionalScale(dep(5), [a, b]).map((s) => [s.name, s.to]));
  assert.equal(down.old! + down.neww!, 7);
  // Zero replicas: everything to 0.
  assert.deepEqual(proportionalScale(dep(0), [a, b]).map((s) => s.to), [0, 0]);
});

test('pod-template-hash is stable, label-safe and changes with the template or collisionCount', () => {
  const t = { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };
  const h = computeHash(t);
  assert.equal(h, computeHash(structuredClone(t)));
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,63}$/);
  assert.notEqual(h, computeHash({ ...t, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } }));
  assert.notEqual(h, computeHash(t, 1));
  assert.ok(equalIgnoreHash(t, { metadata: { labels: { app: 'd', 'pod-template-hash': h } }, spec: t.spec }));
  // What kubectl rollout undo sends back (Go zero values) is the same template.
  const fromGo = { metadata: { creationTimestamp: null, labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx:1', resources: {} }] } };
  assert.ok(equalIgnoreHash(t, fromGo as never));
  assert.equal(computeHash(fromGo as never), h);
});

test('revision annotations: new RS gets the next revision; a rollback keeps history', () => {
  const d: Deployment = { metadata: { name: 'd', annotations: { 'kubernetes.io/change-cause': 'v2', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } }, spec: { replicas: 3, selector: {}, template: {} } };
  const fresh: Record<string, string> = {};
  assert.ok(setNewReplicaSetAnnotations(d, fresh, '1', false));
  assert.deepEqual(fresh, {
    'kubernetes.io/change-cause': 'v2',
    'deployment.kubernetes.io/revision': '1',
    'deployment.kubernetes.io/desired-replicas': '3',
    'deployment.kubernetes.io/max-replicas': '4',
  });
  const rolledBack = { 'deployment.kubernetes.io/revision': '1', 'kubernetes.io/change-cause': 'v2' };
  assert.ok(setNewReplicaSetAnnotations(d, rolledBack, '3', true));
  assert.equal(rolledBack['deployment.kubernetes.io/revision'], '3');
  assert.equal((rolledBack as Record<string, string>)['deployment.kubernetes.io/revision-history'], '1');
  assert.ok(!setNewReplicaSetAnnotations(d, rolledBack, '3', true), 'idempotent');
});
