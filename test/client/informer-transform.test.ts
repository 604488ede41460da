// An informer's transform (client-go's SetTransform) against a real in-process API server: listed and
// watched objects reach the cache and the handlers transformed; stripManagedFields drops managedFields; cached
// objects share identical subtrees (shareValues, on by default; watched ones once they have stayed current for
// shareValuesAfterMs, on a fake clock here) and stay equal to what the server sent.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { startTestServer, type TestServer } from '../apiserver/harness.js';
import { clientFor, eventually } from './support.js';
import { Informer, resources, stripManagedFields, type ApiClient } from '../../src/client/index.js';
import { FakeClock } from '../../src/client/clock.js';

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

  it('stripManagedFields keeps the other metadata keys in their order, and an object without managedFields as it is', () => {
    const cm: ConfigMap = { metadata: { name: 'x', uid: 'u', managedFields: [{ manager: 'm', operation: 'Update' }], resourceVersion: '5', labels: { a: 'b' } } };
    assert.deepEqual(Object.keys(stripManagedFields(cm).metadata!), ['name', 'uid', 'resourceVersion', 'labels']);
    const plain: ConfigMap = { metadata: { name: 'y' } };
    const m = plain.metadata;
    assert.equal(stripManagedFields(plain).metadata, m);
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

  it('omitManagedFields: watched objects arrive without managedFields and otherwise as the server sent them', async () => {
    await client.create(resources.namespaces, { metadata: { name: 'omit' } });
    const inf = new Informer<ConfigMap>(client, resources.configMaps, { namespace: 'omit', omitManagedFields: true, shareValues: false, log: () => {} });
    const seen: ConfigMap[] = [];
    inf.addEventHandler({ onAdd: (o) => seen.push(o), onUpdate: (_o, n) => seen.push(n) });
    inf.start();
    try {
      await inf.waitForSync();
      await client.create(resources.configMaps, { metadata: { name: 'w', namespace: 'omit', labels: { a: 'b' } }, data: { v: '1' } }, { namespace: 'omit' });
      await client.patch(resources.configMaps, 'w', { data: { v: '2' } }, 'merge', { namespace: 'omit', fieldManager: 'second' });
      await eventually(() => inf.indexer.get('omit/w')?.data?.['v'] === '2', 'both events seen');
      const stored = await client.get<ConfigMap>(resources.configMaps, 'w', { namespace: 'omit' });
      assert.equal(stored.metadata?.managedFields?.length, 2, 'the server keeps managedFields');
      const { managedFields: _, ...rest } = stored.metadata!;
      assert.deepEqual(inf.indexer.get('omit/w'), { ...stored, metadata: rest });
      assert.equal(seen.length, 2);
      for (const o of seen) assert.equal(o.metadata?.managedFields, undefined);
    } finally {
      await inf.stop();
    }
  });

  it('shares identical subtrees between cached objects after the transform, unless shareValues is false', async () => {
    const data = { 'app.properties': 'color=blue\nsize=10', mode: 'shared' };
    await client.create(resources.namespaces, { metadata: { name: 'share' } });
    for (const n of ['s0', 's1', 's2']) {
      await client.create(resources.configMaps, { metadata: { name: n, namespace: 'share', labels: { app: 'same' } }, data }, { namespace: 'share' });
    }
    const clock = new FakeClock();
    const shared = new Informer<ConfigMap>(client, resources.configMaps, { namespace: 'share', transform: stripManagedFields, clock, shareValuesAfterMs: 20_000, log: () => {} });
    const apart = new Informer<ConfigMap>(client, resources.configMaps, { namespace: 'share', transform: stripManagedFields, shareValues: false, log: () => {} });
    shared.start();
    apart.start();
    try {
      await Promise.all([shared.waitForSync(), apart.waitForSync()]);
      const get = (inf: Informer<ConfigMap>, n: string) => inf.indexer.get(`share/${n}`)!;
      // Watched objects are shared too, once they have stayed current for shareValuesAfterMs: s3 is; s4's first
      // version is superseded before that and never interned.
      await client.create(resources.configMaps, { metadata: { name: 's3', namespace: 'share', labels: { app: 'same' } }, data }, { namespace: 'share' });
      await client.create(resources.configMaps, { metadata: { name: 's4', namespace: 'share', labels: { app: 'same' } }, data }, { namespace: 'share' });
      await eventually(() => shared.indexer.has('share/s4') && apart.indexer.has('share/s4'), 's4 seen');
      const s4first = get(shared, 's4');
      assert.notEqual(get(shared, 's3').data, get(shared, 's2').data, 'not shared before the delay');
      clock.step(10_000);
      assert.notEqual(get(shared, 's3').data, get(shared, 's2').data, 'not shared before the delay');
      await client.patch(resources.configMaps, 's4', { metadata: { annotations: { v: '2' } } }, 'merge', { namespace: 'share' });
      await eventually(() => get(shared, 's4').metadata?.annotations?.['v'] === '2' && get(apart, 's4').metadata?.annotations?.['v'] === '2', 's4 update seen');
      assert.deepEqual(shared.sharing, { pending: 2, armed: true, interned: 0, skipped: 0 });
      clock.step(10_000);
      assert.equal(get(shared, 's2').data, get(shared, 's3').data, 's3 shared after the delay');
      assert.notEqual(get(shared, 's4').data, get(shared, 's2').data, "s4's second version is not due yet");
      clock.step(10_000);
      assert.equal(get(shared, 's4').data, get(shared, 's2').data, "s4's second version shared after the delay");
      assert.notEqual(s4first.data, get(shared, 's2').data, 'a superseded version is never interned');
      assert.notEqual(s4first.metadata?.labels, get(shared, 's2').metadata?.labels);
      assert.deepEqual(shared.sharing, { pending: 0, armed: false, interned: 2, skipped: 0 });
      // The first object's values are new to the pool; from the second on they are shared.
      assert.equal(get(shared, 's1').data, get(shared, 's2').data);
      assert.equal(get(shared, 's2').data, get(shared, 's3').data);
      assert.equal(get(shared, 's1').metadata?.labels, get(shared, 's3').metadata?.labels);
      assert.notEqual(get(apart, 's1').data, get(apart, 's2').data);
      for (const n of ['s0', 's1', 's2', 's3', 's4']) {
        assert.deepEqual(get(shared, n), get(apart, n));
        assert.deepEqual(get(shared, n).data, data);
        assert.equal(get(shared, n).metadata?.managedFields, undefined);
      }
      // Stopping drops what waits and its timer.
      await client.patch(resources.configMaps, 's3', { metadata: { annotations: { v: '2' } } }, 'merge', { namespace: 'share' });
      await eventually(() => get(shared, 's3').metadata?.annotations?.['v'] === '2', 's3 update seen');
      assert.equal(shared.sharing?.armed, true);
    } finally {
      await shared.stop();
      await apart.stop();
    }
    assert.deepEqual(shared.sharing, { pending: 0, armed: false, interned: 2, skipped: 0 });
    assert.equal(clock.waiters, 0, 'no timer left');
  });

  it('a paginated list transforms each page as it arrives (one page of whole objects at a time)', async () => {
    await client.create(resources.namespaces, { metadata: { name: 'paged' } });
    for (let i = 0; i < 5; i++) await client.create(resources.configMaps, { metadata: { name: `c${i}`, namespace: 'paged' }, data: { big: 'x'.repeat(100) } }, { namespace: 'paged' });
    const trace: string[] = [];
    const spied = Object.create(client) as ApiClient;
    spied.listPage = async (r, o) => {
      trace.push(`request ${o?.continue ? 'continue' : 'first'}`);
      return client.listPage(r, o);
    };
    const inf = new Informer<ConfigMap>(spied, resources.configMaps, {
      namespace: 'paged',
      pageSize: 2,
      transform: (cm) => {
        trace.push(`transform ${cm.metadata?.name}`);
        return { metadata: cm.metadata, data: { size: String(cm.data?.['big']?.length ?? 0) } };
      },
      log: () => {},
    });
    inf.start();
    try {
      await inf.waitForSync();
      assert.deepEqual(trace, ['request first', 'transform c0', 'transform c1', 'request continue', 'transform c2', 'transform c3', 'request continue', 'transform c4']);
      assert.deepEqual(inf.indexer.list().map((c) => c.data), Array.from({ length: 5 }, () => ({ size: '100' })));
    } finally {
      await inf.stop();
    }
  });
});

it('informers share values by default except for Leases, which are rewritten every renewal', async () => {
  const { sharesValuesByDefault } = await import('../../src/client/informer.js');
  const cases = [
    { r: resources.pods, want: true },
    { r: resources.configMaps, want: true },
    { r: resources.nodes, want: true },
    { r: resources.leases, want: false },
  ];
  for (const c of cases) assert.equal(sharesValuesByDefault(c.r), c.want, c.r.resource);
  assert.equal(sharesValuesByDefault({ group: 'example.com', version: 'v1', resource: 'leases', namespaced: true }), true);
});
