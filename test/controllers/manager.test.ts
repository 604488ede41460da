// The controller manager's lifecycle: selection from the registration table, start waits for caches, stop
// leaves nothing running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient } from '../../src/client/client.js';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import * as resources from '../../src/client/resources.js';
import { controllerTable, startControllerManager } from '../../src/controllers/manager.js';
import { startTestServer } from '../apiserver/harness.js';
import { eventually, getOrUndefined } from './support.js';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

const allControllers = [
  'namespace',
  'garbagecollector',
  'replicaset',
  'deployment',
  'statefulset',
  'daemonset',
  'job',
  'cronjob',
  'endpoint',
  'endpointslice',
  'serviceaccount',
  'nodelifecycle',
  'disruption',
  'resourcequota',
  'horizontalpodautoscaling',
  'root-ca-cert-publisher',
  'persistentvolume-binder',
  'local-path-provisioner',
  'nodeipam',
  'servicelb',
];

test('registration table names the controllers; unknown names are refused', async () => {
  assert.deepEqual(controllerTable.map((c) => c.name), allControllers);
  const client = ApiClient.fromConfig({ servers: ['https://127.0.0.1:1'], namespace: 'default' });
  await assert.rejects(startControllerManager({ client, controllers: ['nope'] }), /unknown controllers: nope/);
  client.close();
});

test('start runs the selected controllers; stop ends them and leaves no timers behind', async () => {
  const server = await startTestServer();
  const client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' });
  try {
    const before = timers();
    const logs: string[] = [];
    const mgr = await startControllerManager({ client, log: (l) => logs.push(l), gc: { resyncPeriodMs: 1000 } });
    assert.deepEqual(mgr.controllers, allControllers);
    assert.ok(logs.includes('controller garbagecollector: started'), logs.join('\n'));
    assert.ok(logs.includes('controller namespace: started'), logs.join('\n'));

    // Working: a dependent of a deleted owner is collected.
    const owner = await client.create<ConfigMap>(resources.configMaps, { metadata: { name: 'm-owner' } });
    await client.create(resources.configMaps, {
      metadata: { name: 'm-dep', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'm-owner', uid: owner.metadata!.uid! }] },
    });
    await new Promise((r) => setTimeout(r, 100));
    await client.delete(resources.configMaps, 'm-owner');
    await eventually(() => getOrUndefined(client.get(resources.configMaps, 'm-dep')), (o) => o === undefined, 'collected');

    await mgr.stop();
    await mgr.stop(); // idempotent
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(timers() <= before, `timers left: ${timers()} > ${before}`);

    // Stopped: nothing is collected any more.
    const owner2 = await client.create<ConfigMap>(resources.configMaps, { metadata: { name: 'm-owner2' } });
    await client.create(resources.configMaps, {
      metadata: { name: 'm-dep2', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'm-owner2', uid: owner2.metadata!.uid! }] },
    });
    await client.delete(resources.configMaps, 'm-owner2');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(await getOrUndefined(client.get(resources.configMaps, 'm-dep2')));
  } finally {
    client.close();
    await server.close();
  }
});

test('a subset of controllers can be selected', async () => {
  const server = await startTestServer();
  const client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' });
  try {
    const mgr = await startControllerManager({ client, log: () => {}, controllers: ['namespace'] });
    assert.deepEqual(mgr.controllers, ['namespace']);
    await client.create(resources.namespaces, { metadata: { name: 'only-ns' } });
    await client.delete(resources.namespaces, 'only-ns');
    await eventually(() => getOrUndefined(client.get(resources.namespaces, 'only-ns')), (o) => o === undefined, 'namespace deleted');
    await mgr.stop();
  } finally {
    client.close();
    await server.close();
  }
});
