// The scheduler: informers feed the cache (nodes, bound pods) and the queue (pending pods of our
// profiles); one loop pops a pod, runs the scheduling cycle synchronously against the cache, assumes the
// pod on the chosen node and starts its binding cycle (permit wait, preBind, bind via pods/binding)
// without waiting for it, so bindings overlap with the next decisions. Failures record FailedScheduling
// (event and PodScheduled=False) and go back to the queue; cluster events move them on. It owns the
// I/O; decisions are in schedule-one.ts, the framework and the plugins.
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { byNamespace, Informer, InformerFactory, isNotFound, resources, stripManagedFields, type ApiClient } from '../client/index.js';
import { SchedulerCache } from './cache.js';
import { defaultSpreadSelector } from './default-selector.js';
import { newEventRecorder } from '../client/event-recorder.js';
import { realClock } from '../client/clock.js';
import { fitErrorMessage } from './framework/fit-error.js';
import type { Framework } from './framework/framework.js';
import { PodInfo } from './framework/node-info.js';
import { CycleState, type ClusterEvent, type QueuedPodInfo } from './framework/types.js';
import { buildFramework, defaultProfile, type Profile } from './profile.js';
import { isPending, podEventHandlers, podKey } from './pod-events.js';
import { schedulerPodView } from './pod-view.js';
import { SchedulingQueue } from './queue.js';
import { Scheduling } from './schedule-one.js';

export interface SchedulerOptions {
  client: ApiClient;
  /** Default: one default-scheduler profile. */
  profiles?: Profile[];
  log?: (line: string) => void;
  /** Bindings in flight at once. Default 64. */
  maxBindingsInFlight?: number;
  /** Record a "Scheduled" event per bound pod (upstream does). Default true. */
  recordScheduledEvents?: boolean;
  /** Back-off of failed pods (upstream: 1 s doubling to 10 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface SchedulerStats {
  scheduled: number;
  failedAttempts: number;
  bindErrors: number;
  preemptions: number;
  queue: { active: number; backoff: number; unschedulable: number };
  nodes: number;
  pods: number;
}

export interface Scheduler {
  stats(): SchedulerStats;
  stop(): Promise<void>;
}

const component = 'default-scheduler';

export async function startScheduler(opts: SchedulerOptions): Promise<Scheduler> {
  const { client } = opts;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const profiles = opts.profiles && opts.profiles.length > 0 ? opts.profiles : [defaultProfile()];
  // As kube-scheduler's informers: nothing here reads managedFields, so the caches do not keep them.
  const factory = new InformerFactory(client, { log, transform: stripManagedFields, omitManagedFields: true });
  // Pods (every pod of the cluster) keep only what scheduling reads (pod-view.ts).
  const podInf = new Informer<Pod>(client, resources.pods, { log, transform: schedulerPodView, omitManagedFields: true });
  const nodeInf = factory.informerFor(resources.nodes);
  const pdbInf = factory.informerFor(resources.podDisruptionBudgets);
  const svcInf = factory.informerFor<Service>(resources.services);
  svcInf.addIndexers({ namespace: byNamespace });
  const rsInf = factory.informerFor<ReplicaSet>(resources.replicaSets);
  const ssInf = factory.informerFor<StatefulSet>(resources.statefulSets);
  const pvcInf = factory.informerFor(resources.persistentVolumeClaims);
  const pvInf = factory.informerFor(resources.persistentVolumes);

  const cache = new SchedulerCache();
  const handle = cache.handle();
  // Repeats of a pod's FailedScheduling bump one Event's count; writes never block scheduling (bounded in
  // flight). Scheduled and Preempted happen once per pod, so they are not remembered for aggregation, and
  // under a burst beyond 16 outstanding writes they are dropped, as upstream's broadcaster drops events
  // when its queue is full.
  const recorder = newEventRecorder(client, component, realClock, log, { aggregate: true, maxInFlight: 64, defaultKind: { apiVersion: 'v1', kind: 'Pod' } });
  const onceRecorder = newEventRecorder(client, component, realClock, log, { maxInFlight: 16, defaultKind: { apiVersion: 'v1', kind: 'Pod' } });
  const stats = { scheduled: 0, failedAttempts: 0, bindErrors: 0, preemptions: 0 };

  const evict = async (victims: PodInfo[], preemptor: PodInfo, nodeName: string) => {
    stats.preemptions++;
    await Promise.all(
      victims.map(async (v) => {
        const msg = `Preempted by pod ${preemptor.pod.metadata?.uid ?? preemptor.key} on node ${nodeName}`;
        try {
          await client.patch(
            resources.pods,
            v.name,
            { status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: `${component}: preempting to accommodate a higher priority pod`, lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }] } },
            'strategic',
            { namespace: v.namespace, subresource: 'status', fieldManager: component },
          );
          await client.delete(resources.pods, v.name, { namespace: v.namespace, preconditions: { uid: v.pod.metadata?.uid } });
          onceRecorder.event(v.pod, 'Normal', 'Preempted', msg);
        } catch (err) {
          if (!isNotFound(err)) log(`scheduler: preempting ${v.key}: ${(err as Error)?.message ?? String(err)}`);
        }
      }),
    );
  };

  const frameworks = new Map<string, Framework>();
  const spreadSelector = defaultSpreadSelector({
    services: svcInf.indexer,
    replicaSets: rsInf.indexer,
    statefulSets: ssInf.indexer,
  });
  for (const p of profiles) {
    frameworks.set(
      p.schedulerName,
      buildFramework(p, {
        client,
        handle,
        defaultSpreadSelector: spreadSelector,
        preemption: { pdbs: () => pdbInf.indexer.list() as PodDisruptionBudget[], evict },
        volumes: { claim: (ns, n) => pvcInf.indexer.get(`${ns}/${n}`), volume: (n) => pvInf.indexer.get(n) },
      }),
    );
  }
  const first = frameworks.values().next().value as Framework;
  const eventPlugins = new Map<ClusterEvent, Set<string>>();
  for (const f of frameworks.values()) {
    for (const [e, s] of f.eventPlugins) {
      let t = eventPlugins.get(e);
      if (!t) eventPlugins.set(e, (t = new Set()));
      for (const x of s) t.add(x);
    }
  }
  const queue = new SchedulingQueue({
    less: first.queueSort?.less ?? ((a, b) => a.timestamp < b.timestamp),
    pluginsFor: (e) => eventPlugins.get(e) ?? new Set(),
    initialBackoffMs: opts.initialBackoffMs,
    maxBackoffMs: opts.maxBackoffMs,
  });
  const scheduling = new Scheduling(handle);

  const responsible = (p: Pod) => frameworks.has(p.spec?.schedulerName ?? 'default-scheduler');
  const pendingOk = (p: Pod) => isPending(p, responsible);

  podInf.addEventHandler(podEventHandlers({ cache, queue, responsible, forget: (uid) => recorder.forget(uid) }));
  nodeInf.addEventHandler({
    onAdd: (n) => {
      cache.addNode(n);
      queue.onEvent('NodeAdd');
    },
    onUpdate: (o, n) => {
      cache.addNode(n);
      for (const e of nodeEvents(o, n)) queue.onEvent(e);
    },
    onDelete: (n) => cache.removeNode(n.metadata!.name!),
  });

  factory.start();
  podInf.start();
  await Promise.all([factory.waitForSync(), podInf.waitForSync()]);
  queue.run();

  let stopped = false;
  let bindingsInFlight = 0;
  let slotWaiter: (() => void) | undefined;
  const maxBindings = opts.maxBindingsInFlight ?? 64;

  const recordFailure = (pod: Pod, message: string, nominatedNodeName?: string) => {
    recorder.event(pod, 'Warning', 'FailedScheduling', message);
    const cur = podInf.indexer.get(podKey(pod)) ?? pod;
    const c = cur.status?.conditions?.find((x) => x.type === 'PodScheduled');
    if (c && c.status === 'False' && c.message === message && !nominatedNodeName) return;
    const status: Record<string, unknown> = {
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }],
    };
    if (nominatedNodeName) status['nominatedNodeName'] = nominatedNodeName;
    client
      .patch(resources.pods, pod.metadata!.name!, { status }, 'strategic', { namespace: pod.metadata!.namespace, subresource: 'status', fieldManager: component })
      .catch((err: unknown) => {
        if (!isNotFound(err)) log(`scheduler: updating status of ${podKey(pod)}: ${(err as Error)?.message ?? String(err)}`);
      });
  };

  const bindingCycle = async (fwk: Framework, state: CycleState, q: QueuedPodInfo, nodeName: string, waitMs: number) => {
    const pi = q.podInfo;
    try {
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
      let s = await fwk.runPreBind(state, pi, nodeName);
      if (!s) s = await fwk.runBind(state, pi.pod, nodeName);
      if (!s) {
        stats.scheduled++;
        queue.done(q.key);
        fwk.runPostBind(state, pi, nodeName);
        if (opts.recordScheduledEvents !== false) onceRecorder.event(pi.pod, 'Normal', 'Scheduled', `Successfully assigned ${pi.key} to ${nodeName}`);
        return;
      }
      stats.bindErrors++;
      cache.forgetPod(q.key);
      fwk.runUnreserve(state, pi, nodeName);
      const cur = podInf.indexer.get(q.key);
      if (!cur || cur.spec?.nodeName || cur.metadata?.uid !== pi.pod.metadata?.uid) {
        queue.done(q.key);
        return;
      }
      log(`scheduler: binding ${q.key} to ${nodeName} failed: ${s.reasons.join(', ')}`);
      recordFailure(pi.pod, `Binding rejected: ${s.reasons.join(', ')}`);
      queue.requeueBackoff(q);
    } finally {
      bindingsInFlight--;
      const w = slotWaiter;
      slotWaiter = undefined;
      w?.();
    }
  };

  const scheduleOne = async (q: QueuedPodInfo) => {
    const cur = podInf.indexer.get(q.key);
    if (!cur || !pendingOk(cur) || cur.metadata?.uid !== q.podInfo.pod.metadata?.uid || cache.podNode(q.key)) {
      queue.done(q.key);
      return;
    }
    if (cur !== q.podInfo.pod) q.podInfo = PodInfo.next(q.podInfo, cur);
    const fwk = frameworks.get(cur.spec?.schedulerName ?? 'default-scheduler')!;
    const podCycle = queue.schedulingCycle;
    const state = new CycleState();
    const res = scheduling.schedulePod(fwk, state, q.podInfo);
    if (res.kind === 'error') {
      stats.failedAttempts++;
      q.unschedulablePlugins = new Set();
      recordFailure(cur, res.message);
      queue.requeueUnschedulable(q, podCycle);
      return;
    }
    if (res.kind === 'fitError') {
      stats.failedAttempts++;
      q.unschedulablePlugins = new Set([...res.statuses.values()].map((s) => s.plugin ?? ''));
      const post = await fwk.runPostFilter(state, q.podInfo, res.statuses);
      const postMsg = post && post.status.code !== 'Success' ? post.status.reasons[0] : undefined;
      recordFailure(cur, fitErrorMessage(res.numAllNodes, res.statuses, res.preFilterMsg, postMsg), post?.nominatedNodeName);
      queue.requeueUnschedulable(q, podCycle);
      return;
    }
    const nodeName = res.nodeName;
    cache.assumePod(q.podInfo, nodeName);
    const rs = fwk.runReserve(state, q.podInfo, nodeName);
    const permit = rs ? { status: rs, waitMs: 0 } : fwk.runPermit(state, q.podInfo, nodeName);
    if (permit.status) {
      if (!rs) fwk.runUnreserve(state, q.podInfo, nodeName);
      cache.forgetPod(q.key);
      stats.failedAttempts++;
      q.unschedulablePlugins = new Set([permit.status.plugin ?? '']);
      recordFailure(cur, permit.status.reasons.join(', '));
      queue.requeueUnschedulable(q, podCycle);
      return;
    }
    bindingsInFlight++;
    void bindingCycle(fwk, state, q, nodeName, permit.waitMs);
    if (bindingsInFlight >= maxBindings) await new Promise<void>((r) => (slotWaiter = r));
  };

  const loop = (async () => {
    let lastYield = Date.now();
    while (!stopped) {
      const q = await queue.pop();
      if (!q || stopped) break;
      try {
        await scheduleOne(q);
      } catch (err) {
        log(`scheduler: scheduling ${q.key} failed: ${(err as Error)?.stack ?? String(err)}`);
        cache.forgetPod(q.key);
        queue.requeueBackoff(q);
      }
      // Let watch events and binding responses in between decisions.
      if (Date.now() - lastYield > 5) {
        await new Promise((r) => setImmediate(r));
        lastYield = Date.now();
      }
    }
  })();

  return {
    stats: () => ({ ...stats, queue: queue.pendingCounts, nodes: cache.nodeCount, pods: cache.podCount }),
    async stop() {
      if (stopped) return;
      stopped = true;
      queue.close();
      await loop;
      await Promise.all([factory.stop(), podInf.stop()]);
    },
  };
}

/** Which scheduling-relevant properties of a node changed (heartbeats change none). */
export function nodeEvents(o: Node, n: Node): ClusterEvent[] {
  const out: ClusterEvent[] = [];
  const j = (x: unknown) => JSON.stringify(x ?? null);
  if (j(o.status?.allocatable) !== j(n.status?.allocatable)) out.push('NodeAllocatable');
  if (j(o.metadata?.labels) !== j(n.metadata?.labels)) out.push('NodeLabel');
  if (j(o.spec?.taints) !== j(n.spec?.taints) || !!o.spec?.unschedulable !== !!n.spec?.unschedulable) out.push('NodeTaint');
  const ready = (x: Node) => x.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  if (ready(o) !== ready(n)) out.push('NodeCondition');
  return out;
}
