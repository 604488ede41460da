// Pure ReplicaSet decisions: slow-start batches, which pods go first on scale-down, status and ReplicaFailure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { calculateStatus, podsToDelete, slowStartBatches } from '../../../src/controllers/replicaset/decisions.js';

const now = Date.parse('2026-01-01T12:00:00Z');
const ago = (s: number) => new Date(now - s * 1000).toISOString();

function pod(name: string, o: { node?: string; phase?: string; ready?: boolean; readySince?: number; created?: number; restarts?: number; cost?: string; labels?: Record<string, string> } = {}): Pod {
  return {
    metadata: {
      name,
      namespace: 'default',
      creationTimestamp: ago(o.created ?? 1000),
      labels: o.labels ?? { app: 'x' },
      annotations: o.cost ? { 'controller.kubernetes.io/pod-deletion-cost': o.cost } : undefined,
    },
    spec: { nodeName: o.node, containers: [{ name: 'c', image: 'i' }] },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.ready === false ? [{ type: 'Ready', status: 'False' }] : [{ type: 'Ready', status: 'True', lastTransitionTime: ago(o.readySince ?? 900) }],
      containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: o.ready !== false, restartCount: o.restarts ?? 0 }],
    },
  };
}

test('slow-start batches double from 1', () => {
  const cases: [number, number[]][] = [
    [0, []],
    [1, [1]],
    [3, [1, 2]],
    [10, [1, 2, 4, 3]],
    [16, [1, 2, 4, 8, 1]],
  ];
  for (const [n, want] of cases) assert.deepEqual(slowStartBatches(n), want, `n=${n}`);
});

test('scale-down victims in upstream preference order', () => {
  const cases: { name: string; pods: Pod[]; want: string }[] = [
    { name: 'unscheduled before scheduled', pods: [pod('a', { node: 'n1' }), pod('b', { phase: 'Pending', ready: false })], want: 'b' },
    { name: 'pending before running', pods: [pod('a', { node: 'n1' }), pod('b', { node: 'n2', phase: 'Pending', ready: false })], want: 'b' },
    { name: 'unknown before running', pods: [pod('a', { node: 'n1' }), pod('b', { node: 'n2', phase: 'Unknown' })], want: 'b' },
    { name: 'not ready before ready', pods: [pod('a', { node: 'n1' }), pod('b', { node: 'n2', ready: false })], want: 'b' },
    { name: 'lower deletion cost first', pods: [pod('a', { node: 'n1', cost: '10' }), pod('b', { node: 'n2', cost: '-5' })], want: 'b' },
    { name: 'doubled-up node first', pods: [pod('a', { node: 'n1' }), pod('b', { node: 'n2' }), pod('c', { node: 'n2' })].slice(0), want: 'c' },
    { name: 'ready for less time first', pods: [pod('a', { node: 'n1', readySince: 10000 }), pod('b', { node: 'n2', readySince: 5 })], want: 'b' },
    { name: 'more restarts first', pods: [pod('a', { node: 'n1' }), pod('b', { node: 'n2', restarts: 3 })], want: 'b' },
    { name: 'newer first', pods: [pod('a', { node: 'n1', created: 100000 }), pod('b', { node: 'n2', created: 3 })], want: 'b' },
  ];
  for (const c of cases) {
    const got = podsToDelete(c.pods, c.pods, 1, now).map((p) => p.metadata!.name).join();
    // "doubled-up": b and c share n2; the tie between them is broken by name (later name first).
    assert.equal(got, c.want, c.name);
  }
  const all = [pod('a', { node: 'n1' }), pod('b', { node: 'n2' })];
  assert.equal(podsToDelete(all, all, 5, now).length, 2);
});

test('status counts replicas, fully labeled, ready and available (minReadySeconds)', () => {
  const rs: ReplicaSet = {
    metadata: { name: 'rs', generation: 4 },
    spec: { replicas: 3, minReadySeconds: 30, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x', tier: 'web' } } } },
  };
  const pods = [
    pod('a', { labels: { app: 'x', tier: 'web' }, readySince: 60 }),
    pod('b', { labels: { app: 'x' }, readySince: 5 }),
    pod('c', { labels: { app: 'x', tier: 'web' }, ready: false }),
  ];
  const s = calculateStatus(rs, pods, undefined, now);
  assert.deepEqual(s, { replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 4 });
  const failed = calculateStatus(rs, [], { reason: 'FailedCreate', message: 'pods "rs-x" is forbidden: exceeded quota' }, now);
  assert.equal(failed.conditions?.[0]?.type, 'ReplicaFailure');
  assert.equal(failed.conditions?.[0]?.reason, 'FailedCreate');
  const healed = calculateStatus({ ...rs, status: failed }, [], undefined, now);
  assert.equal(healed.conditions, undefined);
});
