// The ReplicaSet controller against an in-process API server with simulated nodes and the scheduler: it
// creates exactly spec.replicas owned pods, reports status, heals deleted pods, scales down, adopts matching
// orphans and releases pods whose labels stop matching.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import * as resources from '../../../src/client/resources.js';
import { eventually } from '../support.js';
import { startWorkloadEnv, type WorkloadEnv } from '../deployment/workload-env.js';

let env: WorkloadEnv;
before(async () => {
  env = await startWorkloadEnv({ deployment: false });
});
after(async () => {
  await env?.close();
});

const rsObj = (name: string, replicas: number): ReplicaSet => ({
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
  },
});

const podsOf = async (app: string) =>
  (await env.client.list<Pod>(resources.pods, { namespace: 'default', labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
const getRS = (name: string) => env.client.get<ReplicaSet>(resources.replicaSets, name, { namespace: 'default' });

test('creates the replicas, reports status, heals and scales down', async () => {
  const c = env.client;
  const created = await c.create(resources.replicaSets, rsObj('web', 4), { namespace: 'default' });
  const rs = await eventually(() => getRS('web'), (r) => r.status?.availableReplicas === 4 && r.status?.readyReplicas === 4, 'rs available');
  assert.equal(rs.status?.replicas, 4);
  assert.equal(rs.status?.fullyLabeledReplicas, 4);
  assert.equal(rs.status?.observedGeneration, rs.metadata?.generation);
  const pods = await podsOf('web');
  assert.equal(pods.length, 4, 'never over-creates');
  for (const p of pods) {
    assert.match(p.metadata!.name!, /^web-[a-z0-9]{5}$/);
    assert.deepEqual(p.metadata!.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: created.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
  }
  const evs = (await c.list<Event>(resources.events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === 'web');
  assert.equal(evs.filter((e) => e.reason === 'SuccessfulCreate').length, 4);
  assert.equal(evs[0]?.source?.component, 'replicaset-controller');

  // Heal: a deleted pod is replaced.
  await c.delete(resources.pods, pods[0]!.metadata!.name!, { namespace: 'default' });
  await eventually(podsOf.bind(null, 'web'), (ps) => ps.length === 4 && !ps.some((p) => p.metadata?.name === pods[0]!.metadata!.name), 'replaced');
  // Scale down.
  await c.patch(resources.replicaSets, 'web', { spec: { replicas: 1 } }, 'merge', { namespace: 'default' });
  await eventually(() => podsOf('web'), (ps) => ps.length === 1, 'scaled down to 1');
  await eventually(() => getRS('web'), (r) => r.status?.replicas === 1 && r.status.observedGeneration === r.metadata?.generation, 'status 1');
  await c.delete(resources.replicaSets, 'web', { namespace: 'default' });
});

test('adopts matching orphans and releases pods that stop matching', async () => {
  const c = env.client;
  await c.create(resources.pods, { metadata: { name: 'orphan', labels: { app: 'adopt' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }, { namespace: 'default' });
  await c.create(resources.replicaSets, rsObj('adopt', 2), { namespace: 'default' });
  await eventually(() => podsOf('adopt'), (ps) => ps.length === 2 && ps.every((p) => p.metadata?.ownerReferences?.[0]?.name === 'adopt'), 'orphan adopted, one created');
  const orphan = await c.get<Pod>(resources.pods, 'orphan', { namespace: 'default' });
  assert.equal(orphan.metadata?.ownerReferences?.[0]?.controller, true);

  await c.patch(resources.pods, 'orphan', { metadata: { labels: { app: 'gone' } } }, 'merge', { namespace: 'default' });
  await eventually(() => c.get<Pod>(resources.pods, 'orphan', { namespace: 'default' }), (p) => (p.metadata?.ownerReferences ?? []).length === 0, 'released');
  await eventually(() => podsOf('adopt'), (ps) => ps.length === 2, 'replacement created');
  await c.delete(resources.replicaSets, 'adopt', { namespace: 'default' });
  await c.delete(resources.pods, 'orphan', { namespace: 'default' });
});

test('a burst of 60 replicas is created without over-creation', async () => {
  const c = env.client;
  await c.create(resources.replicaSets, rsObj('burst', 60), { namespace: 'default' });
  await eventually(() => getRS('burst'), (r) => r.status?.availableReplicas === 60, '60 available', 15_000);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await podsOf('burst')).length, 60);
  await c.delete(resources.replicaSets, 'burst', { namespace: 'default' });
});
