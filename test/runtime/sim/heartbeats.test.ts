// Lease heartbeats against a real in-process API server: the pre-encoded renewal body equals the Lease it
// stands for, renewals keep the Lease's other fields, a Lease changed by someone else (409) is re-read and
// renewed, a deleted one is re-created.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { startTestServer, type TestServer } from '../../apiserver/harness.js';
import { clientFor, eventually } from '../../client/support.js';
import { isConflict, resources, type ApiClient } from '../../../src/client/index.js';
import { Heartbeats, leaseResourceVersion, leaseTemplate, renewalBody } from '../../../src/runtime/sim/heartbeats.js';
import { Limiter } from '../../../src/util/limiter.js';
import { buildLease, nodeLeaseNamespace } from '../../../src/runtime/sim/node-object.js';

const ns = { namespace: nodeLeaseNamespace };

describe('lease renewal body', () => {
  const cases: { name: string; lease: Lease }[] = [
    { name: 'a fresh Lease', lease: { ...buildLease('n1', 'uid-1', 40, 0), metadata: { ...buildLease('n1', 'uid-1', 40, 0).metadata, resourceVersion: '7', uid: 'l1' } } },
    { name: 'holder and labels kept, quotes escaped', lease: { metadata: { name: 'n"2', namespace: nodeLeaseNamespace, resourceVersion: '1', labels: { a: 'b"c' } }, spec: { holderIdentity: 'other', leaseDurationSeconds: 40 } } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const name = c.lease.metadata!.name!;
      const body = JSON.parse(renewalBody(leaseTemplate(c.lease, name), '42', '2026-01-01T00:00:00.000000Z')) as Lease;
      assert.deepEqual(body, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        ...c.lease,
        metadata: { ...c.lease.metadata, resourceVersion: '42' },
        spec: { ...c.lease.spec, holderIdentity: name, renewTime: '2026-01-01T00:00:00.000000Z' },
      });
    });
  }
});

describe('resourceVersion of a renewal response', () => {
  const cases: { name: string; json: string; want: string | undefined }[] = [
    { name: 'as the server encodes a Lease', json: JSON.stringify({ kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', metadata: { name: 'n', namespace: 'kube-node-lease', uid: 'u', resourceVersion: '123', managedFields: [{ manager: 'm' }] }, spec: { holderIdentity: 'n' } }), want: '123' },
    { name: 'no resourceVersion', json: '{"metadata":{"name":"n"}}', want: undefined },
    { name: 'cut short', json: '{"metadata":{"resourceVersion":"12', want: undefined },
  ];
  for (const c of cases) it(c.name, () => assert.equal(leaseResourceVersion(c.json), c.want));
});

describe('Heartbeats', () => {
  let server: TestServer;
  let client: ApiClient;
  let hb: Heartbeats;
  const failures: string[] = [];

  before(async () => {
    server = await startTestServer();
    client = clientFor(server);
    hb = new Heartbeats({ client, limiter: new Limiter(4), renewIntervalMs: 200, tickMs: 50, log: (l) => failures.push(l) });
    for (const n of ['h1', 'h2']) {
      const l = buildLease(n, undefined, 40, Date.now() - 60_000);
      l.metadata!.labels = { keep: 'me' };
      hb.add(await client.create(resources.leases, l, ns));
    }
    hb.start();
  });
  after(async () => {
    hb.stop();
    client.close();
    await server.close();
  });

  const renewTime = async (n: string) => Date.parse((await client.get<Lease>(resources.leases, n, ns)).spec?.renewTime ?? '');

  it('renews every Lease and keeps its other fields', async () => {
    const start = Date.now() - 1000;
    await eventually(async () => (await renewTime('h1')) > start && (await renewTime('h2')) > start, 'both renewed', 15_000);
    const l = await client.get<Lease>(resources.leases, 'h1', ns);
    assert.deepEqual(l.metadata?.labels, { keep: 'me' });
    assert.equal(l.spec?.holderIdentity, 'h1');
    assert.equal(l.spec?.leaseDurationSeconds, 40);
  });

  it('re-reads a Lease someone else changed (conflict) and goes on renewing it', async () => {
    // The heartbeats renew h1 every 200 ms: the intruder's own write may conflict with one and is retried.
    for (let attempt = 0; ; attempt++) {
      const cur = await client.get<Lease>(resources.leases, 'h1', ns);
      try {
        await client.update(resources.leases, { ...cur, spec: { ...cur.spec, holderIdentity: 'intruder', renewTime: '2020-01-01T00:00:00.000000Z' } }, ns);
        break;
      } catch (err) {
        if (!isConflict(err) || attempt >= 20) throw err;
      }
    }
    const after = Date.now();
    await eventually(async () => {
      const l = await client.get<Lease>(resources.leases, 'h1', ns);
      return l.spec?.holderIdentity === 'h1' && Date.parse(l.spec?.renewTime ?? '') >= after - 1000;
    }, 'renewed after the conflict', 15_000);
    const r0 = hb.renewals;
    await eventually(async () => hb.renewals >= r0 + 4, 'renewals go on', 15_000);
  });

  it('re-creates a deleted Lease', async () => {
    await client.delete(resources.leases, 'h2', ns);
    await eventually(async () => {
      try {
        return (await client.get<Lease>(resources.leases, 'h2', ns)).spec?.holderIdentity === 'h2';
      } catch {
        return false;
      }
    }, 're-created', 15_000);
    assert.deepEqual((await client.get<Lease>(resources.leases, 'h2', ns)).metadata?.labels, { keep: 'me' });
    assert.deepEqual(failures, []);
  });
});

describe('Heartbeats: one tick batch with fewer workers than Leases', () => {
  it('renews every Lease of the batch, each with the renewal time of its batch', async () => {
    const server = await startTestServer();
    const client = clientFor(server);
    const failures: string[] = [];
    // One slot (interval = tick): every Lease is in each tick's batch; 3 workers for 20 Leases.
    const hb = new Heartbeats({ client, limiter: new Limiter(2), renewIntervalMs: 100, tickMs: 100, workersPerTick: 3, log: (l) => failures.push(l) });
    try {
      const names = Array.from({ length: 20 }, (_, i) => `b${i}`);
      for (const n of names) hb.add(await client.create(resources.leases, buildLease(n, undefined, 40, Date.now() - 60_000), ns));
      const start = Date.now() - 5;
      hb.start();
      await eventually(() => hb.renewals >= 40, 'two rounds of renewals', 15_000);
      hb.stop();
      const leases = (await client.list<Lease>(resources.leases, ns)).items.filter((l) => names.includes(l.metadata!.name!));
      assert.equal(leases.length, 20);
      for (const l of leases) {
        assert.ok(Date.parse(l.spec!.renewTime!) >= start, `${l.metadata!.name} renewed`);
        assert.equal(l.spec?.holderIdentity, l.metadata!.name);
      }
      assert.deepEqual(failures, []);
    } finally {
      hb.stop();
      client.close();
      await server.close();
    }
  });
});
