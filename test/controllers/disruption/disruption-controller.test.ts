// The disruption controller against a real API server: budget status from pods and their ReplicaSet's
// scale, the eviction subresource consuming it, and stale disruptedPods entries cleared.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import * as resources from '../../../src/client/resources.js';
import { registration } from '../../../src/controllers/disruption/register.js';
import { eventually } from '../support.js';
import { fromRegistration, startWithController, type SingleControllerEnv } from '../endpoints/env.js';

let env: SingleControllerEnv;
before(async () => {
  env = await startWithController(fromRegistration(registration));
});
after(async () => env?.close());

const pdbStatus = (name: string) => env.client.get<PodDisruptionBudget>(resources.podDisruptionBudgets, name).then((p): PodDisruptionBudgetStatus => p.status ?? { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 });
const summary = (s: PodDisruptionBudget['status']) => [s?.expectedPods, s?.desiredHealthy, s?.currentHealthy, s?.disruptionsAllowed];

test('budget status follows pods and scale; evictions consume it; stale entries clear', async () => {
  const c = env.client;
  const rs = await c.create<ReplicaSet>(resources.replicaSets, {
    metadata: { name: 'web' },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
  });
  for (const name of ['w0', 'w1', 'w2']) {
    const p = await c.create<Pod>(resources.pods, {
      metadata: { name, labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata!.uid!, controller: true }] },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    });
    await c.updateStatus<Pod>(resources.pods, { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
  }
  await c.create(resources.podDisruptionBudgets, { metadata: { name: 'web' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } } });
  const st = await eventually(() => pdbStatus('web'), (s) => s.disruptionsAllowed === 1, 'one disruption allowed');
  assert.deepEqual(summary(st), [3, 2, 3, 1]);
  assert.equal(st.observedGeneration, 1);
  assert.deepEqual(st.conditions?.map((x) => [x.type, x.status, x.reason]), [['DisruptionAllowed', 'True', 'SufficientPods']]);

  // Evict one: allowed; the next is refused until the budget recovers.
  await c.createSubresource(resources.pods, 'w0', 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'w0' } }, { namespace: 'default' });
  await assert.rejects(
    c.createSubresource(resources.pods, 'w1', 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'w1' } }, { namespace: 'default' }),
    (e: { code?: number }) => e.code === 429,
  );
  const after = await eventually(() => pdbStatus('web'), (s) => s.currentHealthy === 2 && !s.disruptedPods, 'w0 gone and its entry cleared');
  assert.deepEqual(summary(after), [3, 2, 2, 0]);
  assert.deepEqual(after.conditions?.map((x) => [x.status, x.reason]), [['False', 'InsufficientPods']]);

  // Scaling the ReplicaSet down changes what the budget expects.
  await c.patch(resources.replicaSets, 'web', { spec: { replicas: 2 } }, 'merge');
  const scaled = await eventually(() => pdbStatus('web'), (s) => s.expectedPods === 2, 'expected follows scale');
  assert.deepEqual(summary(scaled), [2, 1, 2, 1]);

  // minAvailable as an integer counts pods; a spec change bumps observedGeneration.
  await c.patch(resources.podDisruptionBudgets, 'web', { spec: { maxUnavailable: null, minAvailable: 2 } }, 'merge');
  const min = await eventually(() => pdbStatus('web'), (s) => s.observedGeneration === 2, 'observed generation 2');
  assert.deepEqual(summary(min), [2, 2, 2, 0]);
  const rv = (await c.get<PodDisruptionBudget>(resources.podDisruptionBudgets, 'web')).metadata?.resourceVersion;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await c.get<PodDisruptionBudget>(resources.podDisruptionBudgets, 'web')).metadata?.resourceVersion, rv, 'no status churn');
});

test('a pod whose controller cannot be found: SyncFailed, nothing allowed', async () => {
  const c = env.client;
  await c.create<Pod>(resources.pods, {
    metadata: { name: 'orphan', labels: { app: 'lost' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'nope', uid: 'no-such-uid', controller: true }] },
    spec: { containers: [{ name: 'c', image: 'x' }] },
  });
  await c.create(resources.podDisruptionBudgets, { metadata: { name: 'lost' }, spec: { maxUnavailable: '50%', selector: { matchLabels: { app: 'lost' } } } });
  const st = await eventually(() => pdbStatus('lost'), (s) => (s.conditions ?? []).length > 0, 'condition set');
  assert.equal(st.disruptionsAllowed, 0);
  assert.deepEqual(st.conditions?.map((x) => [x.status, x.reason, x.message]), [['False', 'SyncFailed', 'found no controllers for pod "orphan"']]);
});
