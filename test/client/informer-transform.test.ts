// An informer's transform (client-go's SetTransform) against a real in-process API server: listed and
// watched objects reach the cache and the handlers transformed; stripManagedFields drops managedFields.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { startTestServer, type TestServer } from '../apiserver/harness.js';
import { clientFor, eventually } from './support.js';
import { Informer, resources, stripManagedFields, type ApiClient } from '../../src/client/index.js';

let server: TestServer;
let client: ApiClient;

describe('informer transform', () => {
  before(async () => {
    server = await startTestServer();
    client = clientFor(server);
  });
  after(async () => {
    client.close();
    await server.close();
  });

  it('stripManagedFields drops managedFields and keeps the rest', () => {
    const cm: ConfigMap = { metadata: { name: 'x', managedFields: [{ manager: 'm', operation: 'Update' }] }, data: { a: '1' } };
    const out = stripManagedFields(cm);
    assert.equal(out.metadata?.managedFields, undefined);
    assert.deepEqual(out, { metadata: { name: 'x' }, data: { a: '1' } });
  });

  it('applies to the initial list and to watch events, for the cache and the handlers', async () => {
    await client.create(resources.configMaps, { metadata: { name: 'listed', namespace: 'default' }, data: { v: '1' } }, { namespace: 'default' });
    const inf = new Informer<ConfigMap>(client, resources.configMaps, { namespace: 'default', transform: stripManagedFields, log: () => {} });
    const seen: ConfigMap[] = [];
    inf.addEventHandler({ onAdd: (o) => seen.push(o), onUpdate: (_o, n) => seen.push(n) });
    inf.start();
    try {
      await inf.waitForSync();
      await client.create(resources.configMaps, { metadata: { name: 'watched', namespace: 'default' }, data: { v: '1' } }, { namespace: 'default' });
      await client.patch(resources.configMaps, 'listed', { data: { v: '2' } }, 'merge', { namespace: 'default' });
      await eventually(() => inf.indexer.get('default/watched') !== undefined && inf.indexer.get('default/listed')?.data?.['v'] === '2', 'events seen');
      const stored = await client.get<ConfigMap>(resources.configMaps, 'watched', { namespace: 'default' });
      assert.ok(stored.metadata?.managedFields?.length, 'the server keeps managedFields');
      for (const o of [...inf.indexer.list(), ...seen]) assert.equal(o.metadata?.managedFields, undefined, o.metadata?.name);
      assert.deepEqual(new Set(seen.map((o) => o.metadata?.name)), new Set(['listed', 'watched']));
    } finally {
      await inf.stop();
    }
  });
});
