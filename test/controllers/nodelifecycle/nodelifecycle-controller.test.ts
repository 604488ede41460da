// Node lifecycle on simulated nodes with short grace periods: a stopped node goes Unknown and is tainted,
// its pods are marked not ready and evicted after their tolerationSeconds; a restarted node recovers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Node, Pod } from 'kubernetes-types/core/v1.js';
import * as resources from '../../../src/client/resources.js';
import { NodeLifecycleController } from '../../../src/controllers/nodelifecycle/nodelifecycle-controller.js';
import { simNodeSpecs, startSimNodes, type SimNodes } from '../../../src/runtime/sim/index.js';
import { eventually, getOrUndefined } from '../support.js';
import { startWithController, type SingleControllerEnv } from '../endpoints/env.js';

let env: SingleControllerEnv;
let sim: SimNodes;
before(async () => {
  env = await startWithController(
    (ctx) => {
      const c = new NodeLifecycleController({ client: ctx.client, informers: ctx.informers, log: ctx.log, monitorPeriodMs: 200, monitorGraceMs: 1500, startupGraceMs: 1500 });
      return { start: () => c.start(), stop: () => c.stop() };
    },
  );
  sim = await startSimNodes({ client: env.client, nodes: simNodeSpecs({ count: 2 }), leaseDurationSeconds: 1, leaseRenewIntervalMs: 250, startDelayMs: 10, log: () => {} });
});
after(async () => {
  await sim?.stop();
  await env?.close();
});

const ready = (n: Node | undefined) => n?.status?.conditions?.find((c) => c.type === 'Ready')?.status;

test('stopped node → Unknown + unreachable taints → pods evicted after tolerationSeconds; restart recovers', async () => {
  const [n0, n1] = sim.nodeNames();
  const mk = (name: string, seconds: number | undefined) =>
    env.client.create<Pod>(resources.pods, {
      metadata: { name },
      spec: {
        nodeName: n0,
        containers: [{ name: 'c', image: 'x' }],
        tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', ...(seconds === undefined ? {} : { tolerationSeconds: seconds }) }],
      },
    });
  await mk('quick', 1);
  await mk('forever', undefined);
  await eventually(() => env.client.get<Pod>(resources.pods, 'quick'), (p) => p.status?.phase === 'Running', 'pod running');
  // Healthy nodes stay Ready across several monitor periods.
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(ready(await env.client.get<Node>(resources.nodes, n0!)), 'True');

  sim.stopNode(n0!);
  const node = await eventually(() => env.client.get<Node>(resources.nodes, n0!), (n) => ready(n) === 'Unknown' && (n.spec?.taints ?? []).length === 2, 'node unknown + tainted', 10_000);
  const r = node.status!.conditions!.find((c) => c.type === 'Ready')!;
  assert.equal(r.reason, 'NodeStatusUnknown');
  assert.equal(r.message, 'Kubelet stopped posting node status.');
  assert.deepEqual(node.spec!.taints!.map((t) => `${t.key}:${t.effect}`).sort(), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
  assert.equal(ready(await env.client.get<Node>(resources.nodes, n1!)), 'True', 'the other node is fine');

  const forever = await eventually(() => env.client.get<Pod>(resources.pods, 'forever'), (p) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False', 'pods marked not ready');
  assert.ok(forever);
  // Evicted = deleted; on an unreachable node it stays Terminating until the kubelet returns (as upstream).
  const quick = await eventually(() => getOrUndefined(env.client.get<Pod>(resources.pods, 'quick')), (p) => !p || !!p.metadata?.deletionTimestamp, 'quick evicted', 10_000);
  if (quick) assert.ok(quick.status?.conditions?.some((c) => c.type === 'DisruptionTarget' && c.reason === 'DeletionByTaintManager'));
  const evs = (await env.client.list<Event>(resources.events)).items;
  assert.ok(evs.some((e) => e.reason === 'TaintManagerEviction' && e.message === 'Marking for deletion Pod default/quick'), 'eviction event');
  assert.ok(evs.some((e) => e.reason === 'NodeNotReady' && e.involvedObject.name === n0), 'node event');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await env.client.get<Pod>(resources.pods, 'forever')).metadata?.deletionTimestamp, undefined, 'unlimited toleration keeps the pod');

  await sim.restartNode(n0!);
  await eventually(() => env.client.get<Node>(resources.nodes, n0!), (n) => ready(n) === 'True' && (n.spec?.taints ?? []).length === 0, 'recovered, taints removed', 10_000);
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(ready(await env.client.get<Node>(resources.nodes, n0!)), 'True', 'stays Ready with lease renewals');
});

test('cordoned node gets the unschedulable taint', async () => {
  const n1 = sim.nodeNames()[1]!;
  await env.client.patch(resources.nodes, n1, { spec: { unschedulable: true } }, 'merge');
  await eventually(() => env.client.get<Node>(resources.nodes, n1), (n) => (n.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/unschedulable' && t.effect === 'NoSchedule'), 'unschedulable taint');
  await env.client.patch(resources.nodes, n1, { spec: { unschedulable: false } }, 'merge');
  await eventually(() => env.client.get<Node>(resources.nodes, n1), (n) => (n.spec?.taints ?? []).length === 0, 'taint removed');
});
