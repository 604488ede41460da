// Simulated nodes against a real in-process API server: registration, leases, the pod life cycle,
// completion, graceful deletion, usage, stop/restart and removal.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { startTestServer, type TestServer } from '../../apiserver/harness.js';
import { clientFor, eventually } from '../../client/support.js';
import { resources, type ApiClient } from '../../../src/client/index.js';
import { startSimNodes, type SimNodes } from '../../../src/runtime/sim/index.js';

let server: TestServer;
let client: ApiClient;
let sim: SimNodes;

const pod = (name: string, node: string, annotations: Record<string, string> = {}, restartPolicy = 'Always'): Pod => ({
  metadata: { name, namespace: 'default', annotations },
  spec: { nodeName: node, restartPolicy, containers: [{ name: 'c', image: 'busybox' }] },
});

describe('simulated nodes', () => {
  before(async () => {
    server = await startTestServer();
    client = clientFor(server);
    sim = await startSimNodes({
      client,
      nodes: [
        { name: 'n1', cpu: '2', memory: '4Gi', labels: { 'topology.kubernetes.io/zone': 'z1' } },
        { name: 'n2', taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] },
      ],
      leaseRenewIntervalMs: 500,
      startDelayMs: 50,
      log: () => {},
    });
  });
  after(async () => {
    await sim.stop();
    client.close();
    await server.close();
  });

  it('registers Ready nodes with capacity, labels, taints, addresses and a Lease', async () => {
    const n1 = await client.get<Node>(resources.nodes, 'n1');
    assert.equal(n1.status?.capacity?.['cpu'], '2');
    assert.equal(n1.status?.allocatable?.['memory'], '4Gi');
    assert.equal(n1.status?.allocatable?.['pods'], '110');
    assert.equal(n1.metadata?.labels?.['topology.kubernetes.io/zone'], 'z1');
    assert.equal(n1.metadata?.labels?.['kubernetes.io/hostname'], 'n1');
    assert.equal(n1.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.equal(n1.spec?.podCIDR, '10.42.0.0/24');
    assert.ok(n1.status?.addresses?.some((a) => a.type === 'InternalIP'));
    assert.ok(n1.status?.nodeInfo?.kubeletVersion);
    const n2 = await client.get<Node>(resources.nodes, 'n2');
    assert.deepEqual(n2.spec?.taints, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
    const lease = await client.get<Lease>(resources.leases, 'n1', { namespace: 'kube-node-lease' });
    assert.equal(lease.spec?.holderIdentity, 'n1');
    assert.equal(lease.spec?.leaseDurationSeconds, 40);
    assert.equal(lease.metadata?.ownerReferences?.[0]?.uid, n1.metadata?.uid);
  });

  it('renews Leases', async () => {
    const first = (await client.get<Lease>(resources.leases, 'n1', { namespace: 'kube-node-lease' })).spec?.renewTime;
    await eventually(async () => (await client.get<Lease>(resources.leases, 'n1', { namespace: 'kube-node-lease' })).spec?.renewTime !== first, 'lease renewed', 3000);
    // Renewals leave managedFields out of the request; the server keeps the stored ones.
    const renewed = await client.get<Lease>(resources.leases, 'n1', { namespace: 'kube-node-lease' });
    assert.ok(renewed.metadata?.managedFields?.some((m) => m.fieldsV1 && JSON.stringify(m.fieldsV1).includes('f:renewTime')), JSON.stringify(renewed.metadata?.managedFields));
  });

  it('runs a bound pod to Running/Ready with a pod IP from the node CIDR', async () => {
    await client.create(resources.pods, pod('web', 'n1', { 'sim.skiff.dev/cpu-usage': '250m', 'sim.skiff.dev/memory-usage': '128Mi' }));
    let p: Pod | undefined;
    await eventually(async () => {
      p = await client.get<Pod>(resources.pods, 'web', { namespace: 'default' });
      return p.status?.phase === 'Running';
    }, 'pod running');
    assert.match(p!.status!.podIP!, /^10\.42\.0\.\d+$/);
    assert.equal(p!.status!.hostIP, (await client.get<Node>(resources.nodes, 'n1')).status?.addresses?.[0]?.address);
    assert.ok(p!.status!.startTime);
    assert.equal(p!.status!.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    const cs = p!.status!.containerStatuses![0]!;
    assert.equal(cs.ready, true);
    assert.ok(cs.state?.running?.startedAt);
    assert.equal(cs.state?.waiting, undefined);
    assert.deepEqual(sim.podUsage('default', 'web'), { cpuMilli: 250, memoryBytes: 128 * 1024 * 1024 });
    assert.deepEqual(sim.nodeUsage('n1'), { cpuMilli: 250, memoryBytes: 128 * 1024 * 1024 });
    const m = sim.podMetrics().find((x) => x.name === 'web');
    assert.deepEqual(m?.containers, [{ name: 'c', usage: { cpu: '250000000n', memory: '131072Ki' } }]);
  });

  it('completes Job-like pods with the chosen exit code', async () => {
    await client.create(resources.pods, pod('ok', 'n1', { 'sim.skiff.dev/complete-after-seconds': '0.2' }, 'Never'));
    await client.create(resources.pods, pod('bad', 'n1', { 'sim.skiff.dev/complete-after-seconds': '0.2', 'sim.skiff.dev/exit-code': '3' }, 'Never'));
    await eventually(async () => (await client.get<Pod>(resources.pods, 'ok', { namespace: 'default' })).status?.phase === 'Succeeded', 'ok succeeded');
    await eventually(async () => (await client.get<Pod>(resources.pods, 'bad', { namespace: 'default' })).status?.phase === 'Failed', 'bad failed');
    const bad = await client.get<Pod>(resources.pods, 'bad', { namespace: 'default' });
    assert.equal(bad.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 3);
    assert.equal(bad.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Error');
    assert.equal(bad.status?.containerStatuses?.[0]?.state?.running, undefined);
  });

  it('restarts containers of restartPolicy Always pods that exit', async () => {
    await client.create(resources.pods, pod('crash', 'n1', { 'sim.skiff.dev/complete-after-seconds': '0.2', 'sim.skiff.dev/exit-code': '1' }));
    await eventually(async () => ((await client.get<Pod>(resources.pods, 'crash', { namespace: 'default' })).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 'restarted');
  });

  it('honours graceful deletion: the pod disappears', async () => {
    await eventually(async () => (await client.get<Pod>(resources.pods, 'web', { namespace: 'default' })).status?.phase === 'Running', 'running');
    await client.delete(resources.pods, 'web', { namespace: 'default' });
    await eventually(async () => {
      try {
        await client.get(resources.pods, 'web', { namespace: 'default' });
        return false;
      } catch {
        return true;
      }
    }, 'pod deleted');
  });

  it('a stopped node stops renewing its Lease and tending pods; restart resumes both', async () => {
    sim.stopNode('n2');
    await new Promise((r) => setTimeout(r, 200));
    const t1 = (await client.get<Lease>(resources.leases, 'n2', { namespace: 'kube-node-lease' })).spec?.renewTime;
    await client.create(resources.pods, pod('frozen', 'n2'));
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal((await client.get<Lease>(resources.leases, 'n2', { namespace: 'kube-node-lease' })).spec?.renewTime, t1);
    assert.equal((await client.get<Pod>(resources.pods, 'frozen', { namespace: 'default' })).status?.phase, 'Pending');
    assert.equal(sim.isStopped('n2'), true);
    await sim.restartNode('n2');
    await eventually(async () => (await client.get<Pod>(resources.pods, 'frozen', { namespace: 'default' })).status?.phase === 'Running', 'frozen pod runs after restart');
    assert.notEqual((await client.get<Lease>(resources.leases, 'n2', { namespace: 'kube-node-lease' })).spec?.renewTime, t1);
  });

  it('writes Running in one status write when ContainerCreating is already over by the time it could be written', async () => {
    // No start delay: the status manager skips ContainerCreating (as a kubelet syncs only the newest status).
    const fast = await startSimNodes({ client, nodes: [{ name: 'fast' }], startDelayMs: 0, firstIndex: 7, log: () => {} });
    try {
      await client.create(resources.pods, pod('quick', 'fast'));
      let p: Pod | undefined;
      await eventually(async () => {
        p = await client.get<Pod>(resources.pods, 'quick', { namespace: 'default' });
        return p.status?.phase === 'Running';
      }, 'pod running');
      assert.ok(p!.status!.startTime);
      assert.match(p!.status!.podIP!, /^10\.42\.7\.\d+$/);
      assert.ok(p!.status!.containerStatuses![0]!.state?.running?.startedAt);
      assert.equal(p!.status!.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
      assert.deepEqual([fast.stats().statusWrites, fast.stats().coalescedWrites], [1, 1]);
    } finally {
      await fast.stop();
      await client.delete(resources.pods, 'quick', { namespace: 'default', gracePeriodSeconds: 0 }).catch(() => {});
      await client.delete(resources.nodes, 'fast').catch(() => {});
    }
  });

  it('goes on to Running when a status write takes longer than the start delay (the next step does not wait for another update)', async () => {
    // Each status write is held 600 ms, three times the start delay: ContainerCreating is written (its turn
    // comes well within the start delay), and by the time it is done Running is due already.
    const slowWrites = Object.create(client) as ApiClient;
    slowWrites.patchOnly = async (...a: Parameters<ApiClient['patchOnly']>) => {
      await new Promise((r) => setTimeout(r, 600));
      return client.patchOnly(...a);
    };
    const slow = await startSimNodes({ client: slowWrites, nodes: [{ name: 'slow' }], startDelayMs: 200, firstIndex: 8, log: () => {} });
    try {
      await client.create(resources.pods, pod('patient', 'slow'));
      await eventually(async () => (await client.get<Pod>(resources.pods, 'patient', { namespace: 'default' })).status?.phase === 'Running', 'pod running');
      assert.deepEqual([slow.stats().statusWrites, slow.stats().coalescedWrites], [2, 0]);
    } finally {
      await slow.stop();
      await client.delete(resources.pods, 'patient', { namespace: 'default', gracePeriodSeconds: 0 }).catch(() => {});
      await client.delete(resources.nodes, 'slow').catch(() => {});
    }
  });

  it('adds and removes nodes at run time', async () => {
    await sim.addNode({ name: 'n3', cpu: '8', labels: { 'topology.kubernetes.io/zone': 'z3' } });
    assert.equal((await client.get<Node>(resources.nodes, 'n3')).status?.capacity?.['cpu'], '8');
    assert.deepEqual(sim.nodeNames().sort(), ['n1', 'n2', 'n3']);
    await sim.removeNode('n3');
    await assert.rejects(client.get(resources.nodes, 'n3'), /not found/);
    await assert.rejects(client.get(resources.leases, 'n3', { namespace: 'kube-node-lease' }), /not found/);
  });
});
