import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { activeDisruptedPods, countHealthy, expectedPods, failSafeStatus, pdbStatus, scaledValue, type ScaleLookup } from '../../../src/controllers/disruption/decisions.js';

const pod = (name: string, o: { ready?: boolean; deleting?: boolean; owner?: string } = {}): Pod => ({
  metadata: { name, ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}), ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.owner, uid: o.owner, controller: true }] } : {}) },
  status: { conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
});
const pdb = (spec: PodDisruptionBudget['spec'], status?: PodDisruptionBudget['status']): PodDisruptionBudget => ({ metadata: { name: 'b', generation: 3 }, spec, status });

test('scaled values round up as upstream', () => {
  const cases: [number | string, number, number][] = [
    [2, 10, 2],
    ['50%', 5, 3],
    ['10%', 3, 1],
    ['0%', 7, 0],
    ['100%', 7, 7],
    ['25%', 0, 0],
  ];
  for (const [v, total, want] of cases) assert.equal(scaledValue(v, total, true), want, `${v} of ${total}`);
  assert.throws(() => scaledValue('abc', 3, true));
});

test('PDB arithmetic', () => {
  const scale: ScaleLookup = (p) => {
    const ref = p.metadata?.ownerReferences?.[0];
    if (!ref) return undefined;
    return ref.name === 'rs5' ? { uid: 'rs5', replicas: 5 } : ref.name === 'rs2' ? { uid: 'rs2', replicas: 2 } : 'unknown';
  };
  const five = (readyCount: number) => Array.from({ length: 5 }, (_, i) => pod(`p${i}`, { owner: 'rs5', ready: i < readyCount }));
  const cases: { name: string; spec: PodDisruptionBudget['spec']; pods: Pod[]; want: [expected: number, desired: number, current: number, allowed: number] }[] = [
    { name: 'minAvailable int', spec: { minAvailable: 2 }, pods: five(5), want: [5, 2, 5, 3] },
    { name: 'minAvailable int, not enough', spec: { minAvailable: 4 }, pods: five(3), want: [5, 4, 3, 0] },
    { name: 'minAvailable 50% of 5', spec: { minAvailable: '50%' }, pods: five(5), want: [5, 3, 5, 2] },
    { name: 'maxUnavailable 1', spec: { maxUnavailable: 1 }, pods: five(5), want: [5, 4, 5, 1] },
    { name: 'maxUnavailable 1, one down', spec: { maxUnavailable: 1 }, pods: five(4), want: [5, 4, 4, 0] },
    { name: 'maxUnavailable 30% rounds up', spec: { maxUnavailable: '30%' }, pods: five(5), want: [5, 3, 5, 2] },
    { name: 'maxUnavailable over scale', spec: { maxUnavailable: 9 }, pods: five(5), want: [5, 0, 5, 5] },
    { name: 'scale from two controllers', spec: { maxUnavailable: 1 }, pods: [...five(5), pod('x', { owner: 'rs2' }), pod('y', { owner: 'rs2' })], want: [7, 6, 7, 1] },
    { name: 'deleting pods are not healthy', spec: { minAvailable: 1 }, pods: [pod('a', { owner: 'rs5', deleting: true }), pod('b', { owner: 'rs5' })], want: [2, 1, 1, 0] },
    { name: 'no pods', spec: { minAvailable: 0 }, pods: [], want: [0, 0, 0, 0] },
    { name: 'maxUnavailable ignores unmanaged pods', spec: { maxUnavailable: 1 }, pods: [...five(5), pod('bare')], want: [5, 4, 6, 2] },
  ];
  for (const c of cases) {
    const b = pdb(c.spec);
    const exp = expectedPods(b, c.pods, scale);
    const st = pdbStatus(b, exp, countHealthy(c.pods, {}), {}, '2024-01-01T00:00:00Z');
    assert.deepEqual([st.expectedPods, st.desiredHealthy, st.currentHealthy, st.disruptionsAllowed], c.want, c.name);
    assert.equal(st.observedGeneration, 3);
    const cond = st.conditions!.find((x) => x.type === 'DisruptionAllowed')!;
    assert.deepEqual([cond.status, cond.reason], st.disruptionsAllowed > 0 ? ['True', 'SufficientPods'] : ['False', 'InsufficientPods'], c.name);
  }
});

test('a pod whose controller has no scale fails safe', () => {
  assert.throws(() => expectedPods(pdb({ maxUnavailable: 1 }), [pod('a', { owner: 'gone' })], () => 'unknown'), /found no controllers for pod "a"/);
  const st = failSafeStatus(pdb({ maxUnavailable: 1 }, { disruptionsAllowed: 2, currentHealthy: 3, desiredHealthy: 1, expectedPods: 3, observedGeneration: 2 }), 'found no controllers for pod "a"', 't');
  assert.equal(st.disruptionsAllowed, 0);
  assert.deepEqual(st.conditions!.map((c) => [c.type, c.status, c.reason, c.message]), [['DisruptionAllowed', 'False', 'SyncFailed', 'found no controllers for pod "a"']]);
});

test('disrupted pods: pending ones count as unhealthy; stale entries are dropped', () => {
  const now = Date.parse('2024-01-01T00:05:00Z');
  const pods = [pod('fresh'), pod('old'), pod('deleting', { deleting: true }), pod('other')];
  const r = activeDisruptedPods({ fresh: '2024-01-01T00:04:00Z', old: '2024-01-01T00:02:00Z', deleting: '2024-01-01T00:04:30Z', gone: '2024-01-01T00:04:30Z' }, pods, now);
  assert.deepEqual(r.map, { fresh: '2024-01-01T00:04:00Z' });
  assert.equal(r.recheckAt, Date.parse('2024-01-01T00:06:00Z'));
  assert.equal(countHealthy(pods, r.map), 2, 'old + other');
});

test('condition transition time only moves when the status flips', () => {
  const b = pdb({ minAvailable: 1 });
  const s1 = pdbStatus(b, { expectedCount: 2, desiredHealthy: 1 }, 2, {}, 'T1');
  const s2 = pdbStatus({ ...b, status: s1 }, { expectedCount: 3, desiredHealthy: 1 }, 3, {}, 'T2');
  assert.equal(s2.conditions![0]!.lastTransitionTime, 'T1');
  const s3 = pdbStatus({ ...b, status: s2 }, { expectedCount: 3, desiredHealthy: 1 }, 1, {}, 'T3');
  assert.deepEqual([s3.conditions![0]!.status, s3.conditions![0]!.lastTransitionTime], ['False', 'T3']);
});
