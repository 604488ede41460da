// The node lifecycle controller (upstream pkg/controller/nodelifecycle with the NoExecute taint manager):
// every monitor period it checks each node's Lease and Ready heartbeat, marks nodes not heard from within
// the grace period Unknown (and their pods not Ready), keeps the not-ready / unreachable / unschedulable
// taints in line with the Ready condition, and evicts pods from NoExecute-tainted nodes once their
// tolerationSeconds run out. Pure decisions live in decisions.ts; this module only reads caches and writes.
// It does not rate-limit evictions per zone (upstream's --node-eviction-rate / disruption modes).
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../client/client.js';
import { byNodeName } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { ItemExponentialRateLimiter } from '../../client/rate-limiter.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import { desiredTaints, evictionTime, observeHealth, sameTaints, staleConditions, type HealthData } from './decisions.js';
import { newEventRecorder, type EventRecorder } from '../../client/event-recorder.js';
import { realClock } from '../../client/clock.js';
import { rfc3339 } from '../../util/wire-time.js';

export interface NodeLifecycleOptions {
  client: ApiClient;
  informers: InformerFactory;
  log?: (line: string) => void;
  /** node-monitor-period, default 5 s. */
  monitorPeriodMs?: number;
  /** node-monitor-grace-period, default 50 s. */
  monitorGraceMs?: number;
  /** node-startup-grace-period, default 60 s. */
  startupGraceMs?: number;
  now?: () => number;
}

const nodeNameIndex = 'nodeName';
const leaseNamespace = 'kube-node-lease';
const isTerminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export class NodeLifecycleController {
  private readonly nodes: Informer<Node>;
  private readonly leases: Informer<Lease>;
  private readonly pods: Informer<Pod>;
  private readonly health = new Map<string, HealthData>();
  private readonly lastReady = new Map<string, string | undefined>();
  private readonly firstSeen = new Map<string, number>();
  private readonly evictions = new WorkQueue({ name: 'node-lifecycle-evictions', rateLimiter: new ItemExponentialRateLimiter(50, 10_000) });
  private readonly log: (line: string) => void;
  private readonly events: EventRecorder;
  private readonly podEvents: EventRecorder;
  private readonly now: () => number;
  private readonly removers: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private monitoring: Promise<void> | undefined;
  private workers: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: NodeLifecycleOptions) {
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.now = opts.now ?? Date.now;
    this.events = newEventRecorder(opts.client, 'node-controller', realClock, this.log);
    this.podEvents = newEventRecorder(opts.client, 'taint-eviction-controller', realClock, this.log);
    this.nodes = opts.informers.informerFor(resources.nodes);
    this.leases = opts.informers.informerFor(resources.leases, { namespace: leaseNamespace });
    this.pods = opts.informers.informerFor(resources.pods);
    if (!this.pods.hasIndex(nodeNameIndex)) this.pods.addIndexers({ [nodeNameIndex]: byNodeName });
    const nodeChanged = (n: Node) => {
      if (n.metadata?.name) this.evictions.add(n.metadata.name);
    };
    const podChanged = (p: Pod) => {
      const node = p.spec?.nodeName ? this.nodes.indexer.get(p.spec.nodeName) : undefined;
      if (node && (node.spec?.taints ?? []).some((t) => t.effect === 'NoExecute')) this.evictions.add(node.metadata!.name!);
    };
    this.removers.push(
      this.nodes.addEventHandler({ onAdd: nodeChanged, onUpdate: (_o, n) => nodeChanged(n), onDelete: (n) => this.forgetNode(n.metadata?.name ?? '') }),
      this.pods.addEventHandler({ onAdd: podChanged, onUpdate: (_o, n) => podChanged(n), onDelete: (p) => this.firstSeen.delete(`${p.metadata?.namespace}/${p.metadata?.name}`) }),
    );
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.nodes.waitForSync(signal), this.leases.waitForSync(signal), this.pods.waitForSync(signal)]);
    if (this.stopped) return;
    const period = this.opts.monitorPeriodMs ?? 5000;
    this.timer = setInterval(() => {
      if (this.monitoring) return;
      this.monitoring = this.monitorNodeHealth()
        .catch((e: Error) => this.log(`node lifecycle controller: monitoring node health: ${e.message}`))
        .finally(() => (this.monitoring = undefined));
    }, period);
    this.timer.unref();
    this.workers = runWorkers(this.evictions, 4, (name) => this.processNodeEvictions(name), {
      onError: (key, err) => this.log(`node lifecycle controller: evicting pods from node ${key}: ${(err as Error)?.message ?? String(err)}`),
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const r of this.removers.splice(0)) r();
    this.evictions.shutdown();
    await this.monitoring;
    await this.workers;
  }

  private forgetNode(name: string): void {
    this.health.delete(name);
    this.lastReady.delete(name);
  }

  /** One monitor pass over all nodes (exposed for tests). */
  async monitorNodeHealth(): Promise<void> {
    for (const node of this.nodes.indexer.list()) {
      if (this.stopped) return;
      const name = node.metadata!.name!;
      try {
        await this.monitorNode(node, name);
      } catch (e) {
        const code = (e as { code?: number }).code;
        if (code !== 409 && code !== 404) this.log(`node lifecycle controller: node ${name}: ${(e as Error).message}`);
      }
    }
  }

  private async monitorNode(cached: Node, name: string): Promise<void> {
    const now = this.now();
    const nowText = rfc3339(now);
    const lease = this.leases.indexer.get(`${leaseNamespace}/${name}`);
    const health = observeHealth(this.health.get(name), cached, lease, now);
    this.health.set(name, health);
    let node = cached;
    const conds = staleConditions(node, health, now, { monitorGraceMs: this.opts.monitorGraceMs ?? 50_000, startupGraceMs: this.opts.startupGraceMs ?? 60_000 }, nowText);
    if (conds) {
      node = await this.opts.client.updateStatus<Node>(resources.nodes, { ...node, status: { ...node.status, conditions: conds } });
      // Our own write is not a sign of life.
      this.health.set(name, { ...health, heartbeat: conds.find((c) => c.type === 'Ready')?.lastHeartbeatTime });
    }
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    const before = this.lastReady.get(name);
    if (this.lastReady.has(name) && before === 'True' && ready !== 'True') {
      this.events.event({ kind: 'Node', name, uid: node.metadata?.uid, apiVersion: 'v1' }, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      await this.markPodsNotReady(name, nowText);
    } else if (this.lastReady.has(name) && before !== 'True' && ready === 'True') {
      this.events.event({ kind: 'Node', name, uid: node.metadata?.uid, apiVersion: 'v1' }, 'Normal', 'NodeReady', `Node ${name} status is now: NodeReady`);
    }
    this.lastReady.set(name, ready);
    const taints = desiredTaints(node, nowText);
    if (!sameTaints(taints, node.spec?.taints)) {
      node = await this.opts.client.update<Node>(resources.nodes, { ...node, spec: { ...node.spec, taints: taints.length ? taints : undefined } });
    }
    if ((node.spec?.taints ?? []).some((t) => t.effect === 'NoExecute')) this.evictions.add(name);
  }

  /** Upstream MarkPodsNotReady: pods on a node that stopped reporting are no longer Ready. */
  private async markPodsNotReady(nodeName: string, nowText: string): Promise<void> {
    for (const pod of this.pods.indexer.byIndex(nodeNameIndex, nodeName)) {
      const conds = pod.status?.conditions ?? [];
      if (!conds.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      const next: PodCondition[] = conds.map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: nowText } : c));
      try {
        await this.opts.client.updateStatus<Pod>(resources.pods, { ...pod, status: { ...pod.status, conditions: next } }, { namespace: pod.metadata?.namespace });
      } catch (e) {
        const code = (e as { code?: number }).code;
        if (code !== 404 && code !== 409) throw e;
      }
    }
  }

  /** The taint manager's pass over one node's pods; requeues itself for the next due eviction. */
  async processNodeEvictions(nodeName: string): Promise<ReconcileResult> {
    const node = this.nodes.indexer.get(nodeName);
    const pods = this.pods.indexer.byIndex(nodeNameIndex, nodeName).filter((p) => !p.metadata?.deletionTimestamp && !isTerminal(p));
    const now = this.now();
    let next: number | undefined;
    for (const pod of pods) {
      const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
      const first = this.firstSeen.get(key) ?? now;
      const when = evictionTime(pod, node?.spec?.taints, first);
      if (when === 'never') {
        this.firstSeen.delete(key);
        continue;
      }
      this.firstSeen.set(key, first);
      if (when === 'now' || when <= now) {
        await this.evict(pod);
        this.firstSeen.delete(key);
      } else next = Math.min(next ?? Infinity, when);
    }
    return next === undefined ? {} : { requeueAfterMs: Math.max(10, next - now) };
  }

  private async evict(pod: Pod): Promise<void> {
    const ns = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    const nowText = rfc3339(this.now());
    const cond: PodCondition = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: nowText };
    try {
      await this.opts.client.updateStatus<Pod>(resources.pods, { ...pod, status: { ...pod.status, conditions: [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'), cond] } }, { namespace: ns });
    } catch {
      // The condition is informative only; the deletion below is what matters.
    }
    this.podEvents.event({ kind: 'Pod', namespace: ns, name, uid: pod.metadata?.uid, apiVersion: 'v1' }, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${ns}/${name}`);
    try {
      await this.opts.client.delete(resources.pods, name, { namespace: ns, preconditions: { uid: pod.metadata?.uid } });
    } catch (e) {
      if ((e as { code?: number }).code !== 404 && (e as { code?: number }).code !== 409) throw e;
    }
  }
}
