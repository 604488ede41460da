// `kubectl cordon/uncordon/drain` against `skiff up --runtime sim --sim-nodes 3` (controllers and scheduler in
// the server). A 3-replica Deployment is placed on one node (the others cordoned), guarded by a
// PodDisruptionBudget with minAvailable 2; draining that node with --ignore-daemonsets --delete-emptydir-data
// must finish, move every pod to the other nodes, leave the DaemonSet pod alone, and never have more than one
// of the Deployment's pods unavailable (watch-verified; the eviction API answers 429 while the budget is spent).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { ApiClient } from '../../src/client/client.js';
import { loadKubeconfig } from '../../src/client/config.js';
import { Cluster, e2eSkipReason } from './harness.js';
import { eventually, isReadyPod as isReady, readyPodsWatch } from './wait.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping drain e2e: ${skip}`);


const manifests = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: nginx:1
        volumeMounts:
        - {name: scratch, mountPath: /scratch}
      volumes:
      - name: scratch
        emptyDir: {}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 2
  selector:
    matchLabels: {app: web}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: c
        image: agent:1
`;

describe('kubectl drain with a PodDisruptionBudget on simulated nodes', { skip }, () => {
  let c: Cluster;
  let client: ApiClient;
  let nodes: string[] = [];
  const getJson = async <T>(args: string[]): Promise<T> => JSON.parse(await c.k([...args, '-o', 'json'])) as T;
  const pods = async (selector: string) => (await getJson<{ items: Pod[] }>(['get', 'pods', '-l', selector])).items;
  const node = (name: string) => getJson<Node>(['get', 'node', name]);

  before(async () => {
    c = await Cluster.start({ extraArgs: ['--runtime', 'sim', '--sim-nodes', '3'] });
    client = ApiClient.fromConfig(loadKubeconfig(c.kubeconfig), { timeoutMs: 10_000 });
    nodes = await eventually('3 Ready nodes', async () => {
      const items = (await getJson<{ items: Node[] }>(['get', 'nodes'])).items;
      const ready = items.filter((n) => n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
      return ready.length === 3 ? ready.map((n) => n.metadata!.name!).sort() : undefined;
    });
  });
  after(async () => {
    client?.close();
    await c?.stop();
  });

  test('cordon marks nodes unschedulable; uncordon clears it', async () => {
    const [target, ...others] = nodes;
    for (const n of others) assert.match(await c.k(['cordon', n!]), /cordoned/);
    assert.equal((await node(others[0]!)).spec?.unschedulable, true);
    // The node lifecycle controller mirrors spec.unschedulable as a NoSchedule taint (TaintNodesByCondition).
    await eventually('unschedulable taint', async () => (await node(others[0]!)).spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unschedulable' && t.effect === 'NoSchedule'), 10_000);
    assert.match(await c.k(['get', 'nodes']), /SchedulingDisabled/);

    // With the other two cordoned, every Deployment pod lands on the target node.
    await c.k(['apply', '-f', '-'], manifests);
    await c.k(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    const web = await pods('app=web');
    assert.deepEqual([...new Set(web.map((p) => p.spec?.nodeName))], [target]);
    await eventually('PDB allows one disruption', async () => (await getJson<PodDisruptionBudget>(['get', 'pdb', 'web'])).status?.disruptionsAllowed === 1);
    // DaemonSet pods tolerate the unschedulable taint, so there is one on every node.
    await eventually('3 agent pods', async () => (await pods('app=agent')).filter(isReady).length === 3);

    for (const n of others) assert.match(await c.k(['uncordon', n!]), /uncordoned/);
    assert.ok(!(await node(others[0]!)).spec?.unschedulable);
    await eventually('unschedulable taint removed', async () => !(await node(others[0]!)).spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unschedulable'), 10_000);
  });

  test('drain evicts within the PDB, pods move, DaemonSet pods stay', async () => {
    const target = nodes[0]!;
    // Watch the Deployment's pods: the number of Ready, non-terminating pods must never drop below 2.
    const watch = await readyPodsWatch(client, 'app=web');
    const seen = watch.state;

    const started = Date.now();
    const r = await c.kubectl(['drain', target, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=50s'], { timeoutMs: 55_000 });
    await watch.stop();
    assert.equal(r.code, 0, `drain failed:\n${r.stderr}${r.stdout}`);
    assert.match(r.stdout, new RegExp(`node/${target} drained`));
    assert.match(r.stdout, /evicted/);
    // kubectl retries an eviction the budget refuses (429) every 5 s: three pods one at a time take > 5 s.
    assert.match(r.stderr + r.stdout, /disruption budget|Cannot evict/i, 'at least one eviction was refused by the PDB');
    assert.ok(Date.now() - started > 4_000);
    assert.equal(seen.min, 2, `available pods dropped to ${seen.min} (min 2 allowed)`);
    assert.ok(seen.events > 0);

    // drain returns once the evicted pods are gone; the last replacement may still be starting.
    const live = await eventually('3 Ready replicas again', async () => {
      const l = (await pods('app=web')).filter((p) => !p.metadata?.deletionTimestamp);
      return l.length === 3 && l.every(isReady) ? l : undefined;
    }, 15_000);
    assert.ok(live.every((p) => p.spec?.nodeName !== target), `pods left on ${target}: ${live.map((p) => `${p.metadata?.name}@${p.spec?.nodeName}`).join(' ')}`);
    const agents = await pods('app=agent');
    assert.ok(agents.some((p) => p.spec?.nodeName === target && isReady(p)), 'DaemonSet pod stays (--ignore-daemonsets)');
    assert.equal((await node(target)).spec?.unschedulable, true);

    await c.k(['uncordon', target]);
    assert.ok(!(await node(target)).spec?.unschedulable);
  });
});
