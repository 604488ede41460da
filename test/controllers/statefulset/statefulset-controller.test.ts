// The StatefulSet controller against an in-process API server, simulated nodes and the scheduler:
// web-0..2 created in order, PVCs data-web-N that survive pod deletion and scale-down, a deleted pod comes
// back with the same name and claim, rolling update from the highest ordinal with a partition, status and
// ControllerRevisions, whenScaled: Delete.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import { resources } from '../../../src/client/index.js';
import { controllerRevisions } from '../../../src/controllers/statefulset/history.js';
import { StatefulSetController } from '../../../src/controllers/statefulset/statefulset-controller.js';
import { eventually, getOrUndefined } from '../support.js';
import { startWorkloadEnv, type WorkloadEnv } from '../job/workload-env.js';

let env: WorkloadEnv;
let ctrl: StatefulSetController;

function statefulSet(name: string, spec: Partial<NonNullable<StatefulSet['spec']>> = {}, image = 'nginx:1'): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 3,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      ...spec,
    },
  };
}

const podsOf = async (name: string): Promise<Pod[]> => (await env.client.typed(resources.pods).list({ namespace: 'default', labelSelector: `app=${name}` })).items;
const pvcNames = async () => (await env.client.typed(resources.persistentVolumeClaims).list({ namespace: 'default' })).items.filter((c) => !c.metadata?.deletionTimestamp).map((c) => c.metadata?.name).sort();
const getSet = (name: string) => env.client.typed(resources.statefulSets).get(name, { namespace: 'default' });
const ready = (p: Pod) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

describe('statefulset controller', () => {
  before(async () => {
    env = await startWorkloadEnv({ startDelayMs: 100 });
    ctrl = new StatefulSetController({ client: env.client, informers: env.informers, log: (l) => env.logs.push(l) });
    env.informers.start();
    await ctrl.start();
  });
  after(async () => {
    await ctrl.stop();
    await env.close();
  });

  it('creates web-0..2 in order, each after its predecessor is ready, with PVCs', async () => {
    await env.client.typed(resources.statefulSets).create(statefulSet('web'));
    let orderOk = true;
    await eventually(
      async () => {
        const ps = await podsOf('web');
        const byOrd = new Map(ps.map((p) => [Number(p.metadata!.name!.split('-')[1]), p]));
        for (const [o] of byOrd) if (o > 0 && !(byOrd.get(o - 1) && (ready(byOrd.get(o - 1)!) || byOrd.get(o - 1)!.status?.phase === 'Running'))) orderOk = false;
        return ps;
      },
      (ps) => ps.length === 3 && ps.every(ready),
      'three ready pods',
      15_000,
    );
    assert.ok(orderOk, 'a pod was created before its predecessor was running');
    const ps = await podsOf('web');
    assert.deepEqual(ps.map((p) => p.metadata?.name).sort(), ['web-0', 'web-1', 'web-2']);
    const p1 = ps.find((p) => p.metadata?.name === 'web-1')!;
    assert.equal(p1.spec?.hostname, 'web-1');
    assert.equal(p1.spec?.subdomain, 'web');
    assert.deepEqual(p1.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim, { claimName: 'data-web-1' });
    assert.deepEqual(await pvcNames(), ['data-web-0', 'data-web-1', 'data-web-2']);
    const events = (await env.client.typed(resources.events).list({ namespace: 'default' })).items;
    assert.ok(events.some((e) => e.reason === 'SuccessfulCreate' && e.message === 'create Pod web-0 in StatefulSet web successful'));
    assert.ok(events.some((e) => e.reason === 'SuccessfulCreate' && e.message === 'create Claim data-web-0 Pod web-0 in StatefulSet web success'));
    const s = await eventually(() => getSet('web'), (s) => s.status?.readyReplicas === 3, 'status');
    assert.equal(s.status?.replicas, 3);
    assert.equal(s.status?.currentReplicas, 3);
    assert.equal(s.status?.updatedReplicas, 3);
    assert.ok(s.status?.currentRevision && s.status.currentRevision === s.status.updateRevision);
    assert.ok(ps.every((p) => `web-${p.metadata?.labels?.['controller-revision-hash']}` === s.status?.updateRevision));
  });

  it('a deleted pod comes back with the same name and claim; the PVC survives', async () => {
    const old = (await podsOf('web')).find((p) => p.metadata?.name === 'web-1')!;
    await env.client.typed(resources.pods).delete('web-1', { namespace: 'default' });
    await eventually(() => podsOf('web'), (ps) => ps.some((p) => p.metadata?.name === 'web-1' && p.metadata.uid !== old.metadata?.uid && ready(p)), 'web-1 back', 15_000);
    assert.deepEqual(await pvcNames(), ['data-web-0', 'data-web-1', 'data-web-2']);
  });

  it('rolling update with a partition updates only ordinals at or above it, highest first', async () => {
    await env.client.typed(resources.statefulSets).patch('web', { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } }, template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } }, 'strategic', { namespace: 'default' });
    const ps = await eventually(
      () => podsOf('web'),
      (ps) => ps.length === 3 && ps.every(ready) && ps.filter((p) => p.spec?.containers[0]?.image === 'nginx:2').length === 2,
      'web-1 and web-2 updated',
      15_000,
    );
    assert.deepEqual(ps.filter((p) => p.spec?.containers[0]?.image === 'nginx:2').map((p) => p.metadata?.name).sort(), ['web-1', 'web-2']);
    const s = await eventually(() => getSet('web'), (s) => s.status?.updatedReplicas === 2, 'status');
    assert.notEqual(s.status?.currentRevision, s.status?.updateRevision);
    assert.equal(s.status?.currentReplicas, 1);
    // Lift the partition: web-0 follows and the update revision becomes current.
    await env.client.typed(resources.statefulSets).patch('web', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } }, 'strategic', { namespace: 'default' });
    const done = await eventually(() => getSet('web'), (s) => s.status?.updatedReplicas === 3 && s.status.readyReplicas === 3 && s.status.currentRevision === s.status.updateRevision, 'rolled out', 15_000);
    assert.equal(done.status?.currentReplicas, 3);
    const crs = (await env.client.typed(controllerRevisions).list({ namespace: 'default' })).items.filter((r) => r.metadata?.ownerReferences?.[0]?.name === 'web');
    assert.deepEqual(crs.map((r) => r.revision).sort(), [1, 2]);
  });

  it('scale down removes the highest ordinals and keeps their PVCs (Retain)', async () => {
    await env.client.typed(resources.statefulSets).patch('web', { spec: { replicas: 1 } }, 'merge', { namespace: 'default' });
    await eventually(() => podsOf('web'), (ps) => ps.length === 1 && ps[0]!.metadata?.name === 'web-0', 'scaled to 1', 15_000);
    assert.deepEqual(await pvcNames(), ['data-web-0', 'data-web-1', 'data-web-2']);
  });

  it('whenScaled: Delete removes the PVCs of removed ordinals', async () => {
    await env.client.typed(resources.statefulSets).create(
      statefulSet('db', { replicas: 2, podManagementPolicy: 'Parallel', persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' } }),
    );
    await eventually(() => podsOf('db'), (ps) => ps.length === 2 && ps.every(ready), 'db pods', 15_000);
    await env.client.typed(resources.statefulSets).patch('db', { spec: { replicas: 1 } }, 'merge', { namespace: 'default' });
    await eventually(() => getOrUndefined(env.client.typed(resources.persistentVolumeClaims).get('data-db-1', { namespace: 'default' })), (c) => c === undefined || !!c.metadata?.deletionTimestamp, 'data-db-1 deleted', 15_000);
    assert.ok(await getOrUndefined(env.client.typed(resources.persistentVolumeClaims).get('data-db-0', { namespace: 'default' })));
  });
});
