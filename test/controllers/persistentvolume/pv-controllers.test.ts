// The PV binder and the local-path provisioner against a real API server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Node, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import * as resources from '../../../src/client/resources.js';
import { eventually, getOrUndefined, startEnv, type ControllerEnv } from '../support.js';

let env: ControllerEnv;
const ns = 'storage';
before(async () => {
  env = await startEnv({ controllers: ['persistentvolume-binder', 'local-path-provisioner'] });
  await env.client.create(resources.namespaces, { metadata: { name: ns } });
});
after(() => env.close());

const getPvc = (name: string) => getOrUndefined(env.client.get<PersistentVolumeClaim>(resources.persistentVolumeClaims, name, { namespace: ns }));
const getPv = (name: string) => getOrUndefined(env.client.get<PersistentVolume>(resources.persistentVolumes, name));
const claim = (name: string, size: string, extra: Partial<PersistentVolumeClaim['spec']> = {}): PersistentVolumeClaim => ({
  metadata: { name },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...extra },
});
const eventsFor = async (name: string) => (await env.client.list<Event>(resources.events, { namespace: ns, fieldSelector: `involvedObject.name=${name}` })).items;

test('the local-path StorageClass exists and is the default', async () => {
  const sc = await eventually(() => getOrUndefined(env.client.get<StorageClass>(resources.storageClasses, 'local-path')), (s) => !!s, 'local-path class');
  assert.equal(sc!.provisioner, 'rancher.io/local-path');
  assert.equal(sc!.volumeBindingMode, 'WaitForFirstConsumer');
  assert.equal(sc!.reclaimPolicy, 'Delete');
  assert.equal(sc!.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'], 'true');
});

test('static binding: the smallest fitting volume is bound on both sides; deleting the claim releases it (Retain)', async () => {
  for (const [name, size] of [['pv-small', '1Gi'], ['pv-big', '10Gi'], ['pv-rwx', '2Gi']] as const) {
    await env.client.create(resources.persistentVolumes, {
      metadata: { name },
      spec: { capacity: { storage: size }, accessModes: name === 'pv-rwx' ? ['ReadWriteMany'] : ['ReadWriteOnce'], storageClassName: 'manual', persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: `/tmp/${name}` } },
    });
  }
  await env.client.create(resources.persistentVolumeClaims, claim('static', '500Mi', { storageClassName: 'manual' }), { namespace: ns });
  const pvc = await eventually(() => getPvc('static'), (c) => c?.status?.phase === 'Bound', 'claim Bound');
  assert.equal(pvc!.spec?.volumeName, 'pv-small');
  assert.deepEqual(pvc!.status?.capacity, { storage: '1Gi' });
  assert.deepEqual(pvc!.status?.accessModes, ['ReadWriteOnce']);
  assert.equal(pvc!.metadata?.annotations?.['pv.kubernetes.io/bind-completed'], 'yes');
  const pv = await eventually(() => getPv('pv-small'), (v) => v?.status?.phase === 'Bound', 'volume Bound');
  assert.equal(pv!.spec?.claimRef?.uid, pvc!.metadata?.uid);
  assert.equal(pv!.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller'], 'yes');

  await env.client.create(resources.persistentVolumeClaims, claim('shared', '1Gi', { storageClassName: 'manual', accessModes: ['ReadWriteMany'] }), { namespace: ns });
  assert.equal((await eventually(() => getPvc('shared'), (c) => c?.status?.phase === 'Bound', 'RWX claim Bound'))!.spec?.volumeName, 'pv-rwx');

  await env.client.delete(resources.persistentVolumeClaims, 'static', { namespace: ns });
  await eventually(() => getPv('pv-small'), (v) => v?.status?.phase === 'Released', 'volume Released');
});

test('a claim that nothing can satisfy is reported', async () => {
  await env.client.create(resources.persistentVolumeClaims, claim('huge', '1Ti', { storageClassName: '' }), { namespace: ns });
  await eventually(() => eventsFor('huge'), (evs) => evs.some((e) => e.reason === 'FailedBinding' && e.message === 'no persistent volumes available for this claim and no storage class is set'), 'FailedBinding event');
  assert.equal((await getPvc('huge'))?.status?.phase, 'Pending');
});

test('dynamic local-path: default class, wait for the first consumer, provision on its node, bind; Delete removes the PV', async () => {
  const node = await env.client.create<Node>(resources.nodes, { metadata: { name: 'node-x', labels: { 'kubernetes.io/hostname': 'node-x' } } });
  assert.ok(node.metadata?.uid);
  await env.client.create(resources.persistentVolumeClaims, claim('dyn', '3Gi'), { namespace: ns });
  const assigned = await eventually(() => getPvc('dyn'), (c) => c?.spec?.storageClassName === 'local-path', 'default class assigned');
  assert.equal(assigned!.status?.phase, 'Pending');
  await eventually(() => eventsFor('dyn'), (evs) => evs.some((e) => e.reason === 'WaitForFirstConsumer'), 'WaitForFirstConsumer event');

  await env.client.create(resources.pods, { metadata: { name: 'user' }, spec: { nodeName: 'node-x', containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'dyn' } }] } }, { namespace: ns });
  const bound = await eventually(() => getPvc('dyn'), (c) => c?.status?.phase === 'Bound', 'dynamic claim Bound');
  assert.equal(bound!.metadata?.annotations?.['volume.kubernetes.io/selected-node'], 'node-x');
  assert.equal(bound!.metadata?.annotations?.['volume.kubernetes.io/storage-provisioner'], 'rancher.io/local-path');
  const pvName = `pvc-${bound!.metadata?.uid}`;
  assert.equal(bound!.spec?.volumeName, pvName);
  const pv = await getPv(pvName);
  assert.equal(pv!.spec?.hostPath?.path, `/var/lib/skiff/storage/${pvName}_${ns}_dyn`, 'a node without a local-path agent gets the default root');
  assert.equal(pv!.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'], 'rancher.io/local-path');
  const evs = await eventsFor('dyn');
  assert.ok(evs.some((e) => e.reason === 'ProvisioningSucceeded' && e.message === `Successfully provisioned volume ${pvName}`));

  await env.client.delete(resources.pods, 'user', { namespace: ns, gracePeriodSeconds: 0 });
  await env.client.delete(resources.persistentVolumeClaims, 'dyn', { namespace: ns });
  await eventually(() => getPv(pvName), (v) => v === undefined, 'released local-path PV deleted (nothing on disk for an agent-less node)');
});

test('DefaultStorageClass admission: a claim without a class gets the default at once; "" stays classless', async () => {
  await eventually(() => getOrUndefined(env.client.get<StorageClass>(resources.storageClasses, 'local-path')), (s) => !!s, 'local-path class');
  const created = await env.client.create<PersistentVolumeClaim>(resources.persistentVolumeClaims, claim('admitted', '1Gi'), { namespace: ns });
  assert.equal(created.spec?.storageClassName, 'local-path');
  const classless = await env.client.create<PersistentVolumeClaim>(resources.persistentVolumeClaims, claim('classless', '1Gi', { storageClassName: '' }), { namespace: ns });
  assert.equal(classless.spec?.storageClassName, '');
});
