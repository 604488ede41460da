// The namespace deleter's failure paths against a real API server: a group whose discovery fails keeps the
// namespace (its content there could not be deleted), with the upstream DiscoveryFailed condition.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Namespace } from 'kubernetes-types/core/v1.js';
import { ApiClient } from '../../../src/client/client.js';
import * as resources from '../../../src/client/resources.js';
import { metadataClientFor } from '../../../src/client/metadata-client.js';
import { discoverPreferredResources } from '../../../src/client/resource-discovery.js';
import { NamespacedResourcesDeleter, ResourcesRemainingError } from '../../../src/controllers/namespace/deleter.js';
import { startTestServer, type TestServer } from '../../apiserver/harness.js';

let server: TestServer;
let client: ApiClient;

before(async () => {
  server = await startTestServer();
  client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' });
});

after(async () => {
  client?.close();
  await server?.close();
});

test('discovery failing for a group: content elsewhere is deleted, the namespace is kept, the condition says why', async () => {
  let failing = true;
  const deleter = new NamespacedResourcesDeleter({
    client,
    metadataClient: metadataClientFor(client),
    discover: async () => {
      const d = await discoverPreferredResources(client);
      if (failing) d.failed.set('metrics.k8s.io/v1beta1', new Error('the server is currently unable to handle the request'));
      return d;
    },
  });
  await client.create(resources.namespaces, { metadata: { name: 'half' } });
  await client.create(resources.configMaps, { metadata: { name: 'x' } }, { namespace: 'half' });
  await client.delete(resources.namespaces, 'half');

  await assert.rejects(deleter.delete('half'), /unable to retrieve the complete list of server APIs: metrics.k8s.io\/v1beta1/);
  assert.equal((await client.list(resources.configMaps, { namespace: 'half' })).items.length, 0, 'reachable content deleted');
  const ns = await client.get<Namespace>(resources.namespaces, 'half');
  assert.deepEqual(ns.spec?.finalizers, ['kubernetes'], 'not finalized');
  const c = ns.status!.conditions!.find((x) => x.type === 'NamespaceDeletionDiscoveryFailure')!;
  assert.equal(c.status, 'True');
  assert.equal(c.reason, 'DiscoveryFailed');
  assert.equal(
    c.message,
    'Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: the server is currently unable to handle the request',
  );

  failing = false;
  await deleter.delete('half');
  await assert.rejects(client.get(resources.namespaces, 'half'), (e: { code?: number }) => e.code === 404);
});

test('content with a finalizer: ResourcesRemainingError with the finalizer estimate', async () => {
  const deleter = new NamespacedResourcesDeleter({ client, metadataClient: metadataClientFor(client) });
  await client.create(resources.namespaces, { metadata: { name: 'held' } });
  await client.create(resources.configMaps, { metadata: { name: 'h', finalizers: ['example.com/hold'] } }, { namespace: 'held' });
  await client.delete(resources.namespaces, 'held');
  await assert.rejects(deleter.delete('held'), (e) => e instanceof ResourcesRemainingError && e.estimate === 15);
  await client.patch(resources.configMaps, 'h', { metadata: { finalizers: null } }, 'merge', { namespace: 'held' });
  await deleter.delete('held');
  await assert.rejects(client.get(resources.namespaces, 'held'), (e: { code?: number }) => e.code === 404);
});

test('a namespace that is not being deleted is left alone; a missing one is fine', async () => {
  const deleter = new NamespacedResourcesDeleter({ client, metadataClient: metadataClientFor(client) });
  await client.create(resources.namespaces, { metadata: { name: 'alive' } });
  await client.create(resources.configMaps, { metadata: { name: 'keep' } }, { namespace: 'alive' });
  await deleter.delete('alive');
  await deleter.delete('never-existed');
  assert.ok(await client.get(resources.configMaps, 'keep', { namespace: 'alive' }));
});
