// The scheduler against a real in-process API server and simulated nodes: binding and Running pods,
// FailedScheduling with upstream's message and the PodScheduled condition, retry on a cluster event,
// nodeSelector, taints, anti-affinity spreading, topology spread over zones, a bin-packing profile, and
// preemption of a low-priority pod.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { startTestServer, type TestServer } from '../apiserver/harness.js';
import { clientFor, eventually } from '../client/support.js';
import { defineResource, resources, type ApiClient } from '../../src/client/index.js';

const priorityClasses = defineResource({ group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses', kind: 'PriorityClass', namespaced: false });
import { startSimNodes, type SimNodes } from '../../src/runtime/sim/index.js';
import { binPackingProfile, defaultProfile, startScheduler, type Scheduler } from '../../src/scheduler/index.js';

let server: TestServer;
let client: ApiClient;
let sim: SimNodes;
let sched: Scheduler;

function pod(name: string, o: { cpu?: string; labels?: Record<string, string>; spec?: Partial<NonNullable<Pod['spec']>> } = {}): Pod {
  return {
    metadata: { name, namespace: 'default', labels: o.labels },
    spec: {
      containers: [{ name: 'c', image: 'nginx', resources: o.cpu ? { requests: { cpu: o.cpu } } : undefined }],
      ...o.spec,
    },
  };
}

async function create(p: Pod): Promise<Pod> {
  return client.create(resources.pods, p);
}

async function nodeOf(name: string, timeoutMs = 5000): Promise<string> {
  let n = '';
  await eventually(async () => {
    n = (await client.get<Pod>(resources.pods, name, { namespace: 'default' })).spec?.nodeName ?? '';
    return n !== '';
  }, `${name} bound`, timeoutMs);
  return n;
}

async function failedMessage(name: string): Promise<string> {
  let msg = '';
  await eventually(async () => {
    const p = await client.get<Pod>(resources.pods, name, { namespace: 'default' });
    msg = p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')?.message ?? '';
    return msg !== '';
  }, `${name} unschedulable`);
  return msg;
}

async function cleanup(...names: string[]): Promise<void> {
  for (const n of names) await client.delete(resources.pods, n, { namespace: 'default', gracePeriodSeconds: 0 }).catch(() => {});
}

describe('scheduler on simulated nodes', () => {
  before(async () => {
    server = await startTestServer();
    client = clientFor(server);
    sim = await startSimNodes({
      client,
      nodes: ['a', 'b', 'c'].map((z, i) => ({ name: `node-${i}`, cpu: '2', memory: '4Gi', labels: { 'topology.kubernetes.io/zone': `zone-${z}`, disk: i === 2 ? 'ssd' : 'hdd' } })),
      startDelayMs: 20,
      log: () => {},
    });
    sched = await startScheduler({
      client,
      profiles: [defaultProfile(), binPackingProfile('bin-packing')],
      initialBackoffMs: 100,
      maxBackoffMs: 200,
      log: () => {},
    });
  });
  after(async () => {
    await sched.stop();
    await sim.stop();
    client.close();
    await server.close();
  });

  it('binds a pod, which then runs', async () => {
    await create(pod('plain'));
    const n = await nodeOf('plain');
    assert.match(n, /^node-\d$/);
    await eventually(async () => (await client.get<Pod>(resources.pods, 'plain', { namespace: 'default' })).status?.phase === 'Running', 'running');
    const evs = await client.list<Event>(resources.events, { namespace: 'default' });
    assert.ok(evs.items.some((e) => e.reason === 'Scheduled' && e.involvedObject.name === 'plain' && e.message === `Successfully assigned default/plain to ${n}`));
    await cleanup('plain');
  });

  it('reports FailedScheduling with upstream wording and retries when a node is added', async () => {
    await create(pod('big', { cpu: '3' }));
    const msg = await failedMessage('big');
    assert.equal(msg, '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
    await eventually(async () => {
      const evs = await client.list<Event>(resources.events, { namespace: 'default' });
      return evs.items.some((e) => e.reason === 'FailedScheduling' && e.type === 'Warning' && e.involvedObject.name === 'big' && e.message?.startsWith('0/3 nodes are available: 3 Insufficient cpu.'));
    }, 'FailedScheduling event');
    const p = await client.get<Pod>(resources.pods, 'big', { namespace: 'default' });
    assert.equal(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.reason, 'Unschedulable');
    await sim.addNode({ name: 'node-big', cpu: '8', labels: { 'topology.kubernetes.io/zone': 'zone-a' } });
    assert.equal(await nodeOf('big'), 'node-big');
    await cleanup('big');
    await sim.removeNode('node-big');
  });

  it('honours nodeSelector and required node affinity', async () => {
    await create(pod('ssd', { spec: { nodeSelector: { disk: 'ssd' } } }));
    assert.equal(await nodeOf('ssd'), 'node-2');
    await create(
      pod('aff', {
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-b'] }] }],
              },
            },
          },
        },
      }),
    );
    assert.equal(await nodeOf('aff'), 'node-1');
    await create(pod('nomatch', { spec: { nodeSelector: { disk: 'nvme' } } }));
    assert.match(await failedMessage('nomatch'), /^0\/3 nodes are available: 3 node\(s\) didn't match Pod's node affinity\/selector\./);
    await cleanup('ssd', 'aff', 'nomatch');
  });

  it('keeps pods off tainted nodes unless tolerated', async () => {
    await sim.addNode({ name: 'tainted', cpu: '64', labels: { 'topology.kubernetes.io/zone': 'zone-t', pool: 'gpu' }, taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] });
    await create(pod('want-gpu', { spec: { nodeSelector: { pool: 'gpu' } } }));
    assert.match(await failedMessage('want-gpu'), /1 node\(s\) had untolerated taint \{gpu: true\}, 3 node\(s\) didn't match Pod's node affinity\/selector/);
    await create(pod('tolerant', { spec: { nodeSelector: { pool: 'gpu' }, tolerations: [{ key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }] } }));
    assert.equal(await nodeOf('tolerant'), 'tainted');
    await cleanup('want-gpu', 'tolerant');
    await sim.removeNode('tainted');
  });

  it('spreads replicas with required pod anti-affinity, and reports when they cannot spread further', async () => {
    const anti = {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'anti' } }, topologyKey: 'kubernetes.io/hostname' }],
      },
    };
    const names = ['anti-0', 'anti-1', 'anti-2', 'anti-3'];
    for (const n of names) await create(pod(n, { labels: { app: 'anti' }, spec: { affinity: anti } }));
    const nodes = await Promise.all(names.slice(0, 3).map((n) => nodeOf(n).catch(() => '')));
    const msg = await failedMessage(names.find((n, i) => i === 3 || !nodes[i])!).catch(() => '');
    const placed = (await client.list<Pod>(resources.pods, { namespace: 'default', labelSelector: 'app=anti' })).items.filter((p) => p.spec?.nodeName);
    assert.equal(placed.length, 3);
    assert.equal(new Set(placed.map((p) => p.spec?.nodeName)).size, 3);
    assert.match(msg, /0\/3 nodes are available: 3 node\(s\) didn't match pod anti-affinity rules\./);
    await cleanup(...names);
  });

  it('spreads pods across 3 zones with a DoNotSchedule topology spread constraint', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `spread-${i}`);
    for (const n of names)
      await create(
        pod(n, {
          labels: { app: 'spread' },
          spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } }] },
        }),
      );
    const nodes = await Promise.all(names.map((n) => nodeOf(n)));
    const perNode = new Map<string, number>();
    for (const n of nodes) perNode.set(n, (perNode.get(n) ?? 0) + 1);
    assert.deepEqual([...perNode.values()], [2, 2, 2]);
    await cleanup(...names);
  });

  it('a bin-packing profile packs onto the fewest nodes', async () => {
    const names = Array.from({ length: 4 }, (_, i) => `pack-${i}`);
    for (const n of names) {
      await create(pod(n, { cpu: '500m', spec: { schedulerName: 'bin-packing' } }));
      await nodeOf(n);
    }
    const nodes = await Promise.all(names.map((n) => nodeOf(n)));
    assert.equal(new Set(nodes).size, 1, `packed onto ${nodes.join(',')}`);
    await cleanup(...names);
  });

  it('preempts a low-priority pod for a high-priority one and nominates the node', async () => {
    await eventually(async () => (await client.list<Pod>(resources.pods, { namespace: 'default' })).items.length === 0, 'clean slate', 10000);
    const lows = ['low-0', 'low-1', 'low-2'];
    for (const n of lows) await create(pod(n, { cpu: '1500m' }));
    await Promise.all(lows.map((n) => nodeOf(n)));
    await client.create(priorityClasses, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 } as never);
    await create(pod('high', { cpu: '1500m', spec: { priorityClassName: 'high' } }));
    let nominated = '';
    await eventually(async () => {
      const p = await client.get<Pod>(resources.pods, 'high', { namespace: 'default' });
      nominated = p.status?.nominatedNodeName ?? p.spec?.nodeName ?? '';
      return nominated !== '';
    }, 'high nominated');
    const bound = await nodeOf('high', 10000);
    assert.equal(bound, nominated);
    const remaining = (await client.list<Pod>(resources.pods, { namespace: 'default' })).items.filter((p) => p.metadata?.name?.startsWith('low-'));
    assert.equal(remaining.length, 2);
    await cleanup('high', ...lows);
  });
});
