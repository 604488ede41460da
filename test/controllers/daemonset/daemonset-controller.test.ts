// The DaemonSet controller against an in-process API server, simulated nodes and the scheduler: a pod
// on every eligible node (nodeSelector, taints), a new node gets its pod, rolling update with
// maxUnavailable 1 never has two nodes down, ControllerRevisions and status.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import { resources } from '../../../src/client/index.js';
import { controllerRevisions, DaemonSetController } from '../../../src/controllers/daemonset/daemonset-controller.js';
import { eventually } from '../support.js';
import { startWorkloadEnv, type WorkloadEnv } from '../job/workload-env.js';

let env: WorkloadEnv;
let ctrl: DaemonSetController;

function daemonSet(name: string, o: { nodeSelector?: Record<string, string>; image?: string; maxSurge?: number } = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: o.maxSurge ?? 0 } },
      template: { metadata: { labels: { app: name } }, spec: { nodeSelector: o.nodeSelector, containers: [{ name: 'c', image: o.image ?? 'agent:1' }] } },
    },
  };
}

const podsOf = async (name: string): Promise<Pod[]> => (await env.client.typed(resources.pods).list({ namespace: 'default', labelSelector: `app=${name}` })).items;
const getDs = (name: string) => env.client.typed(resources.daemonSets).get(name, { namespace: 'default' });
const ready = (p: Pod) => !p.metadata?.deletionTimestamp && !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
const nodesWithReady = (ps: Pod[]) => new Set(ps.filter(ready).map((p) => p.spec?.nodeName)).size;

describe('daemonset controller', () => {
  before(async () => {
    env = await startWorkloadEnv({
      nodes: [
        { name: 'n0', labels: { role: 'worker' } },
        { name: 'n1', labels: { role: 'worker' } },
        { name: 'n2', labels: { role: 'edge' } },
        { name: 'tainted', labels: { role: 'worker' }, taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] },
      ],
    });
    ctrl = new DaemonSetController({ client: env.client, informers: env.informers, log: (l) => env.logs.push(l) });
    env.informers.start();
    await ctrl.start();
  });
  after(async () => {
    await ctrl.stop();
    await env.close();
  });

  it('one pod per eligible node, bound by the scheduler; status', async () => {
    await env.client.typed(resources.daemonSets).create(daemonSet('agent'));
    const pods = await eventually(() => podsOf('agent'), (ps) => ps.length === 3 && ps.every(ready), 'three running pods', 10_000);
    assert.deepEqual(pods.map((p) => p.spec?.nodeName).sort(), ['n0', 'n1', 'n2']);
    const ds = await eventually(() => getDs('agent'), (d) => d.status?.numberAvailable === 3, 'status');
    assert.equal(ds.status?.desiredNumberScheduled, 3);
    assert.equal(ds.status?.currentNumberScheduled, 3);
    assert.equal(ds.status?.updatedNumberScheduled, 3);
    assert.equal(ds.status?.numberReady, 3);
    assert.equal(ds.status?.numberMisscheduled, 0);
    assert.equal(ds.status?.observedGeneration, 1);
    const crs = (await env.client.typed(controllerRevisions).list({ namespace: 'default' })).items.filter((r: ControllerRevision) => r.metadata?.ownerReferences?.[0]?.name === 'agent');
    assert.equal(crs.length, 1);
    assert.equal(crs[0]!.revision, 1);
    assert.ok(pods.every((p) => p.metadata?.labels?.['controller-revision-hash'] === crs[0]!.metadata?.labels?.['controller-revision-hash']));
  });

  it('nodeSelector limits the nodes; a new matching node gets a pod', async () => {
    await env.client.typed(resources.daemonSets).create(daemonSet('edge', { nodeSelector: { role: 'edge' } }));
    await eventually(() => podsOf('edge'), (ps) => ps.length === 1 && ps[0]!.spec?.nodeName === 'n2' && ready(ps[0]!), 'edge pod on n2', 10_000);
    await env.sim.addNode({ name: 'n3', labels: { role: 'edge' } });
    const ps = await eventually(() => podsOf('edge'), (ps) => ps.filter(ready).length === 2, 'pod on new node', 10_000);
    assert.deepEqual(ps.map((p) => p.spec?.nodeName).sort(), ['n2', 'n3']);
    // The agent DaemonSet (no selector) also lands on the new node.
    await eventually(() => podsOf('agent'), (ps) => ps.some((p) => p.spec?.nodeName === 'n3' && ready(p)), 'agent on n3', 10_000);
  });

  it('a deleted daemon pod is replaced', async () => {
    const [victim] = await podsOf('edge');
    await env.client.typed(resources.pods).delete(victim!.metadata!.name!, { namespace: 'default' });
    await eventually(() => podsOf('edge'), (ps) => ps.filter(ready).length === 2 && !ps.some((p) => p.metadata?.name === victim!.metadata?.name), 'replaced', 10_000);
  });

  it('rolling update with maxUnavailable 1 never takes two nodes down', async () => {
    const before = await eventually(() => podsOf('agent'), (ps) => ps.length === 4 && ps.every(ready), 'four agents', 10_000);
    const desired = new Set(before.map((p) => p.spec?.nodeName)).size;
    await env.client.typed(resources.daemonSets).patch('agent', { spec: { template: { spec: { containers: [{ name: 'c', image: 'agent:2' }] } } } }, 'strategic', { namespace: 'default' });
    let minReady = desired;
    const after = await eventually(
      async () => {
        const ps = await podsOf('agent');
        minReady = Math.min(minReady, nodesWithReady(ps));
        return ps;
      },
      (ps) => ps.length === 4 && ps.every((p) => ready(p) && p.spec?.containers[0]?.image === 'agent:2'),
      'all updated',
      20_000,
    );
    assert.ok(minReady >= desired - 1, `min ready nodes ${minReady}`);
    const ds = await eventually(() => getDs('agent'), (d) => d.status?.updatedNumberScheduled === 4 && d.status.numberAvailable === 4, 'status updated');
    assert.equal(ds.status?.observedGeneration, 2);
    const crs = (await env.client.typed(controllerRevisions).list({ namespace: 'default' })).items.filter((r: ControllerRevision) => r.metadata?.ownerReferences?.[0]?.name === 'agent');
    assert.deepEqual(crs.map((r) => r.revision).sort(), [1, 2]);
    const current = crs.find((r) => r.revision === 2)!.metadata?.labels?.['controller-revision-hash'];
    assert.ok(after.every((p) => p.metadata?.labels?.['controller-revision-hash'] === current));
  });

  it('rolling update with maxSurge starts the new pod before removing the old', async () => {
    await env.client.typed(resources.daemonSets).create(daemonSet('surge', { nodeSelector: { role: 'edge' }, maxSurge: 1 }));
    await eventually(() => podsOf('surge'), (ps) => ps.length === 2 && ps.every(ready), 'surge pods', 10_000);
    await env.client.typed(resources.daemonSets).patch('surge', { spec: { updateStrategy: { rollingUpdate: { maxUnavailable: 0 } }, template: { spec: { containers: [{ name: 'c', image: 'agent:2' }] } } } }, 'strategic', { namespace: 'default' });
    let minReady = 2;
    await eventually(
      async () => {
        const ps = await podsOf('surge');
        minReady = Math.min(minReady, nodesWithReady(ps));
        return ps;
      },
      (ps) => ps.length === 2 && ps.every((p) => ready(p) && p.spec?.containers[0]?.image === 'agent:2'),
      'surge updated',
      20_000,
    );
    assert.equal(minReady, 2);
  });
});
