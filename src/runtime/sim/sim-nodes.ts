// Simulated nodes (as KWOK): one process registers any number of Node objects, keeps their Leases fresh
// and plays the kubelet for the pods bound to them — Pending → ContainerCreating → Running/Ready with
// configurable delays, Job-like completion from annotations, graceful deletion, simulated resource usage —
// talking to the API server like any other client. Nodes can be added, removed, stopped (Lease no longer
// renewed, pods frozen: a node failure) and restarted. It runs no containers and decides nothing about
// scheduling or node health; status decisions live in pod-status.ts, object shapes in node-object.ts.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import {
  byNodeName,
  Informer,
  isAlreadyExists,
  isConflict,
  isNotFound,
  keyOf,
  resources,
  runWorkers,
  splitKey,
  WorkQueue,
  type ApiClient,
} from '../../client/index.js';
import { Heartbeats } from './heartbeats.js';
import { Limiter } from '../../util/limiter.js';
import { buildLease, buildNode, nodeLeaseNamespace, nodeStatus, podCidrFor, rfc3339, type SimNodeSpec } from './node-object.js';
import {
  afterExit,
  completionPlan,
  firstStatusWrite,
  podUsageFromAnnotations,
  sameKubeletInputs,
  simPodView,
  terminatedStatus,
  type PodUsage,
  type SimPhase,
} from './pod-status.js';
import { creatingPatch, runningPatch, statusPatch } from './status-patch.js';
import { nodeEndpointAnnotation } from '../../agent/endpoint.js';
import type { LocalSummaries } from '../../metrics/local-summaries.js';
import { startSimStatsServer, type SimStatsServer, type SimStatsServerOptions } from './stats-server.js';
import { simNodeSummary, type SimPodStats } from './stats-summary.js';
import type { Summary } from '../../agent/server/stats-summary.js';

export interface SimNodesOptions {
  client: ApiClient;
  nodes?: SimNodeSpec[];
  /** Lease duration written into each Lease. Default 40 s (upstream's kubelet). */
  leaseDurationSeconds?: number;
  /** How often a Lease is renewed. Default a quarter of the duration (10 s), as upstream. */
  leaseRenewIntervalMs?: number;
  /** Bound pod → ContainerCreating status. Default 0. */
  creatingDelayMs?: number;
  /** ContainerCreating → Running/Ready. Default 500 ms. */
  startDelayMs?: number;
  /** After a deletion is seen: containers terminated, then the pod deleted at once (capped by its grace period). Default 0. */
  deleteDelayMs?: number;
  /** How often each node's conditions get a fresh heartbeat time. Default 5 min (nodeStatusReportFrequency). */
  nodeStatusIntervalMs?: number;
  /** Concurrent API writes for pod statuses and registrations. Default 32. */
  maxInFlight?: number;
  /**
   * Concurrent Lease renewals. Default 64: when the server is slow (pod creation bursts with many clients in
   * flight) renewals must still get their share, or Leases go stale and nodes NotReady (upstream's priority
   * and fairness gives node Leases their own high-priority level for the same reason).
   */
  maxHeartbeatsInFlight?: number;
  /** false = register nodes and renew leases only; pods bound to them are left alone. Default true. */
  playKubelet?: boolean;
  /** Index of the first node, which chooses its pod CIDR and host IP. Default 0. */
  firstIndex?: number;
  /**
   * Serve every node's /stats/summary from one HTTPS server (stats-server.ts) and point each Node's
   * skiff.dev/agent-endpoint annotation at it, so the metrics collector scrapes simulated usage.
   */
  stats?: Pick<SimStatsServerOptions, 'tls' | 'host' | 'port' | 'portFallback'> & {
    /** The metrics collector of this same process: it reads these nodes' summaries directly (no HTTPS to itself). */
    local?: LocalSummaries;
  };
  log?: (line: string) => void;
}

export interface PodMetricsSample {
  namespace: string;
  name: string;
  node: string;
  timestamp: string;
  windowSeconds: number;
  containers: { name: string; usage: { cpu: string; memory: string } }[];
}

export interface SimStats {
  nodes: number;
  stoppedNodes: number;
  pods: number;
  runningPods: number;
  leaseRenewals: number;
  leaseFailures: number;
  statusWrites: number;
  /** ContainerCreating statuses never written because Running was due by the time the write could start. */
  coalescedWrites: number;
}

export interface SimNodes {
  addNode(spec: SimNodeSpec): Promise<void>;
  /** Deletes the Node and its Lease (pods bound to it stay, as when a kubelet goes away). */
  removeNode(name: string): Promise<void>;
  /** Node failure: the Lease is no longer renewed and pods are no longer tended. */
  stopNode(name: string): void;
  /** Back from a failure: Ready again with a new boot id, Lease renewed, pods tended. */
  restartNode(name: string): Promise<void>;
  nodeNames(): string[];
  isStopped(name: string): boolean;
  /** Simulated usage of a running pod on a simulated node (undefined otherwise). */
  podUsage(namespace: string, name: string): PodUsage | undefined;
  /** Sum of the usage of the running pods on a node. */
  nodeUsage(name: string): PodUsage | undefined;
  /** metrics.k8s.io-shaped samples of every running pod (for a metrics API). */
  podMetrics(): PodMetricsSample[];
  /** The /stats/summary documents of these nodes, in order (undefined: not a running node of this fleet). */
  summaries(names: string[]): (Summary | undefined)[];
  /** What every node's stats endpoint starts with (`https://host:port/nodes/`), when stats are served. */
  readonly statsPrefix: string | undefined;
  stats(): SimStats;
  stop(): Promise<void>;
}

interface NodeState {
  spec: SimNodeSpec;
  index: number;
  hostIP: string;
  cidrBase: string;
  usedIPs: Set<number>;
  stopped: boolean;
  uid?: string;
  registeredMs: number;
}

interface PodState {
  uid: string;
  phase: SimPhase;
  /** When the next step is due (ms epoch). */
  dueAt: number;
  podIP?: string;
  startedMs: number;
  restartCount: number;
  exitCode: number;
}

const fieldManager = 'skiff-sim-kubelet';

export async function startSimNodes(opts: SimNodesOptions): Promise<SimNodes> {
  const client = opts.client;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const leaseDuration = opts.leaseDurationSeconds ?? 40;
  const renewMs = opts.leaseRenewIntervalMs ?? Math.round((leaseDuration * 1000) / 4);
  const creatingDelay = opts.creatingDelayMs ?? 0;
  const startDelay = opts.startDelayMs ?? 500;
  const deleteDelay = opts.deleteDelayMs ?? 0;
  const statusInterval = opts.nodeStatusIntervalMs ?? 300_000;
  const writes = new Limiter(opts.maxInFlight ?? 32);
  const heartbeats = new Heartbeats({ client, limiter: new Limiter(opts.maxHeartbeatsInFlight ?? 64), renewIntervalMs: renewMs, log });
  const nodes = new Map<string, NodeState>();
  const pods = new Map<string, PodState>();
  let nextIndex = opts.firstIndex ?? 0;
  let statusWrites = 0;
  let stopped = false;

  let statsServer: SimStatsServer | undefined;
  const informer = new Informer<Pod>(client, resources.pods, {
    fieldSelector: 'spec.nodeName!=',
    indexers: { node: byNodeName },
    log,
    transform: simPodView,
    omitManagedFields: true,
  });
  const queue = new WorkQueue({ name: 'sim-kubelet' });
  /**
   * When a pod was first seen bound to a running simulated node and not yet tended: its life starts then
   * (as a kubelet's pod worker starts on the watch event), however long its key waits in the queue.
   */
  const seenAt = new Map<string, number>();
  const enqueue = (p: Pod) => {
    const n = nodes.get(p.spec?.nodeName ?? '');
    if (!n || n.stopped || opts.playKubelet === false) return;
    const key = keyOf(p);
    if (!pods.has(key) && !seenAt.has(key)) seenAt.set(key, Date.now());
    queue.add(key);
  };
  informer.addEventHandler({
    onAdd: enqueue,
    // A pod already tended whose update changes only its status (mostly this fleet's own writes coming back)
    // has nothing to reconcile: its next step is queued already, and steps read the cache when they run.
    onUpdate: (o, n) => {
      if (!sameKubeletInputs(o, n) || !pods.has(keyOf(n))) enqueue(n);
    },
    onDelete: (p) => {
      const key = keyOf(p);
      forgetPod(key, p.spec?.nodeName);
    },
  });

  function forgetPod(key: string, nodeName: string | undefined): void {
    seenAt.delete(key);
    const st = pods.get(key);
    if (!st) return;
    pods.delete(key);
    const n = nodes.get(nodeName ?? '');
    if (n && st.podIP) n.usedIPs.delete(Number(st.podIP.slice(st.podIP.lastIndexOf('.') + 1)));
  }

  function allocateIP(n: NodeState): string {
    for (let h = 2; h < 255; h++) {
      if (!n.usedIPs.has(h)) {
        n.usedIPs.add(h);
        return `${n.cidrBase}.${h}`;
      }
    }
    throw new Error(`node ${n.spec.name}: pod CIDR exhausted`);
  }

  /** One status PATCH (body: status-patch.ts's JSON text, with the pod's uid as precondition); the answer is not read. */
  const writeStatus = async (pod: Pod, body: string) => {
    statusWrites++;
    await client.patchOnly(resources.pods, pod.metadata!.name!, body, 'strategic', { namespace: pod.metadata!.namespace, subresource: 'status', fieldManager });
  };
  const patchStatus = (pod: Pod, body: string) => writes.run(() => writeStatus(pod, body));
  let coalescedWrites = 0;

  /**
   * Reconcile the key again in `ms` — at once when that time has passed (e.g. the write before took longer than
   * the start delay): the work queue requeues only a positive delay, and the next step must not wait for some
   * other update of the pod.
   */
  const after = (ms: number) => ({ requeueAfterMs: Math.max(1, ms) });

  async function reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    if (stopped) return;
    const pod = informer.indexer.get(key);
    if (!pod) return forgetPod(key, undefined);
    const node = nodes.get(pod.spec?.nodeName ?? '');
    if (!node || node.stopped) return;
    const uid = pod.metadata?.uid ?? '';
    let st = pods.get(key);
    if (st && st.uid !== uid) {
      forgetPod(key, node.spec.name);
      st = undefined;
    }
    const now = Date.now();
    const phase = pod.status?.phase;
    if (!st) {
      const seen = Math.min(seenAt.get(key) ?? now, now);
      seenAt.delete(key);
      st = { uid, phase: 'new', dueAt: seen + creatingDelay, startedMs: seen, restartCount: 0, exitCode: 0 };
      pods.set(key, st);
      // Adopt what an earlier simulator (or this one before a restart) already reported.
      if (phase === 'Running' && pod.status?.podIP) {
        st.phase = 'running';
        st.podIP = pod.status.podIP;
        node.usedIPs.add(Number(st.podIP.slice(st.podIP.lastIndexOf('.') + 1)));
        st.startedMs = Date.parse(pod.status.startTime ?? '') || now;
        st.restartCount = pod.status.containerStatuses?.[0]?.restartCount ?? 0;
        const plan = completionPlan(pod);
        st.dueAt = plan ? st.startedMs + plan.afterMs : Infinity;
      } else if (phase === 'Succeeded' || phase === 'Failed') {
        st.phase = 'completed';
      }
    }
    if (pod.metadata?.deletionTimestamp) {
      if (st.phase !== 'terminating') {
        const containersStarted = st.phase === 'running' || st.phase === 'creating';
        st.phase = 'terminating';
        st.dueAt = now + Math.min(deleteDelay, (pod.metadata.deletionGracePeriodSeconds ?? 30) * 1000);
        if (containersStarted) await patchStatus(pod, statusPatch(pod.metadata?.uid, terminatedStatus(pod, 0, st.startedMs, now, undefined, st.restartCount)));
      }
      if (now < st.dueAt) return after(st.dueAt - now);
      await writes.run(async () => {
        try {
          await client.delete(resources.pods, pod.metadata!.name!, {
            namespace: pod.metadata!.namespace,
            gracePeriodSeconds: 0,
            preconditions: { uid },
          });
        } catch (err) {
          if (!isNotFound(err) && !isConflict(err)) throw err;
        }
      });
      return;
    }
    if (st.dueAt === Infinity && st.phase === 'running' && !completionPlan(pod)) return;
    if (now < st.dueAt && st.dueAt !== Infinity) return after(st.dueAt - now);
    switch (st.phase) {
      case 'new': {
        // As the kubelet's status manager, only the newest status is written: when the write's turn comes
        // after the containers would have started (the pod waited in the queue or for a write slot, or no
        // start delay), ContainerCreating is skipped and the pod goes straight to Running in one write.
        const s0 = st;
        const creatingAt = st.dueAt;
        const coalesced = await writes.run(async () => {
          const t = Date.now();
          if (firstStatusWrite(t, creatingAt, startDelay) === 'creating') {
            await writeStatus(pod, creatingPatch(pod, node.hostIP, t));
            return false;
          }
          s0.podIP ??= pod.spec?.hostNetwork ? node.hostIP : allocateIP(node);
          await writeStatus(pod, runningPatch(pod, node.hostIP, s0.podIP, t, t, s0.restartCount, creatingAt));
          s0.startedMs = t;
          return true;
        });
        if (coalesced) {
          coalescedWrites++;
          st.phase = 'running';
          const plan = completionPlan(pod);
          st.dueAt = plan ? st.startedMs + plan.afterMs : Infinity;
          return plan ? after(st.dueAt - Date.now()) : undefined;
        }
        st.phase = 'creating';
        st.startedMs = creatingAt;
        st.dueAt = creatingAt + startDelay;
        return after(st.dueAt - Date.now());
      }
      case 'creating': {
        st.podIP ??= pod.spec?.hostNetwork ? node.hostIP : allocateIP(node);
        st.startedMs = now;
        await patchStatus(pod, runningPatch(pod, node.hostIP, st.podIP, now, now, st.restartCount));
        st.phase = 'running';
        const plan = completionPlan(pod);
        st.dueAt = plan ? now + plan.afterMs : Infinity;
        return plan ? after(plan.afterMs) : undefined;
      }
      case 'running': {
        const plan = completionPlan(pod);
        if (!plan) {
          st.dueAt = Infinity;
          return;
        }
        if (now < st.startedMs + plan.afterMs) {
          st.dueAt = st.startedMs + plan.afterMs;
          return after(st.dueAt - now);
        }
        const next = afterExit(pod, plan.exitCode);
        if (next === 'restart') {
          st.restartCount++;
          st.startedMs = now;
          st.dueAt = now + plan.afterMs;
          await patchStatus(pod, runningPatch(pod, node.hostIP, st.podIP!, now, now, st.restartCount));
          return after(plan.afterMs);
        }
        await patchStatus(pod, statusPatch(pod.metadata?.uid, terminatedStatus(pod, plan.exitCode, st.startedMs, now, next, st.restartCount)));
        st.phase = 'completed';
        st.dueAt = Infinity;
        if (st.podIP) node.usedIPs.delete(Number(st.podIP.slice(st.podIP.lastIndexOf('.') + 1)));
        return;
      }
      default:
        return;
    }
  }

  // As many workers as write slots: a worker mostly waits for its write, and fewer would leave slots idle.
  const workers = runWorkers(queue, opts.maxInFlight ?? 32, reconcile, {
    onError: (key, err) => log(`sim: pod ${key}: ${(err as Error)?.message ?? String(err)}`),
  });

  async function register(spec: SimNodeSpec): Promise<void> {
    const index = nextIndex++;
    const now = Date.now();
    let node: Node;
    try {
      const obj = buildNode(spec, index, now);
      if (statsServer) obj.metadata!.annotations![nodeEndpointAnnotation] = statsServer.endpointFor(spec.name);
      node = await writes.run(() => client.create(resources.nodes, obj));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Re-registration (e.g. the simulator restarted): keep the node's pod CIDR, report Ready again.
      const cur = await client.get<Node>(resources.nodes, spec.name);
      const status = nodeStatus(spec, index, now, true);
      if (cur.status?.addresses) status.addresses = cur.status.addresses;
      const patched = await writes.run(() => client.patch<Node>(resources.nodes, spec.name, { status }, 'merge', { subresource: 'status', fieldManager }));
      node = { ...cur, ...patched };
      if (statsServer && cur.metadata?.annotations?.[nodeEndpointAnnotation] !== statsServer.endpointFor(spec.name)) {
        const annotations = { [nodeEndpointAnnotation]: statsServer.endpointFor(spec.name) };
        await writes.run(() => client.patch<Node>(resources.nodes, spec.name, { metadata: { annotations } }, 'merge', { fieldManager }));
      }
    }
    const cidr = node.spec?.podCIDR ?? podCidrFor(index);
    const hostIP = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '';
    const state: NodeState = {
      spec,
      index,
      hostIP,
      cidrBase: cidr.split('.').slice(0, 3).join('.'),
      usedIPs: new Set(),
      stopped: false,
      uid: node.metadata?.uid,
      registeredMs: now,
    };
    nodes.set(spec.name, state);
    let lease: Lease;
    try {
      lease = await writes.run(() => client.create(resources.leases, buildLease(spec.name, state.uid, leaseDuration, Date.now()), { namespace: nodeLeaseNamespace }));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      lease = await client.get<Lease>(resources.leases, spec.name, { namespace: nodeLeaseNamespace });
    }
    if (!state.stopped && nodes.get(spec.name) === state) heartbeats.add(lease);
    if (informer.hasSynced()) for (const p of informer.indexer.byIndex('node', spec.name)) queue.add(keyOf(p));
  }

  // Fresh heartbeat times on node conditions, round-robin so the whole fleet is covered once per interval.
  let statusCursor = 0;
  const statusTimer = setInterval(() => {
    const names = [...nodes.keys()];
    if (names.length === 0) return;
    const count = Math.ceil((names.length * 1000) / statusInterval);
    for (let i = 0; i < count; i++) {
      const name = names[statusCursor++ % names.length]!;
      const n = nodes.get(name)!;
      if (n.stopped) continue;
      const t = rfc3339(Date.now());
      const conditions = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => ({ type, lastHeartbeatTime: t }));
      void writes
        .run(() => client.patchOnly(resources.nodes, name, { status: { conditions } }, 'strategic', { subresource: 'status', fieldManager }))
        .catch((err: unknown) => log(`sim: node ${name} status: ${(err as Error)?.message ?? String(err)}`));
    }
  }, 1000);
  statusTimer.unref();

  const summaryOf = (name: string) => {
    const n = nodes.get(name);
    if (!n || n.stopped) return undefined;
    const list: SimPodStats[] = [];
    for (const pod of informer.indexer.byIndex('node', name)) {
      const st = pods.get(keyOf(pod));
      if (!st || st.phase !== 'running' || st.uid !== pod.metadata?.uid) continue;
      list.push({ pod, usage: podUsageFromAnnotations(pod), startedMs: st.startedMs });
    }
    return simNodeSummary(name, n.registeredMs, list, Date.now());
  };
  let removeLocal: (() => void) | undefined;
  if (opts.stats) {
    statsServer = await startSimStatsServer({ ...opts.stats, summary: summaryOf });
    // endpointFor('') is the prefix every node's endpoint shares (`…/nodes/`).
    removeLocal = opts.stats.local?.add(statsServer.endpointFor(''), (names) => names.map(summaryOf));
  }

  informer.start();
  heartbeats.start();
  await informer.waitForSync();
  await Promise.all((opts.nodes ?? []).map((s) => register(s)));

  const podUsage = (namespace: string, name: string): PodUsage | undefined => {
    const key = `${namespace}/${name}`;
    const st = pods.get(key);
    const pod = informer.indexer.get(key);
    if (!st || !pod || st.phase !== 'running') return undefined;
    return podUsageFromAnnotations(pod);
  };

  return {
    addNode: (spec) => register(spec),
    async removeNode(name) {
      heartbeats.remove(name);
      nodes.delete(name);
      for (const [key] of pods) if (informer.indexer.get(key)?.spec?.nodeName === name) pods.delete(key);
      await client.delete(resources.leases, name, { namespace: nodeLeaseNamespace }).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
      await client.delete(resources.nodes, name).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
    },
    stopNode(name) {
      const n = nodes.get(name);
      if (!n) throw new Error(`no simulated node ${name}`);
      n.stopped = true;
      heartbeats.remove(name);
    },
    async restartNode(name) {
      const n = nodes.get(name);
      if (!n) throw new Error(`no simulated node ${name}`);
      const status = nodeStatus(n.spec, n.index, Date.now(), true);
      delete status.addresses;
      await client.patch(resources.nodes, name, { status }, 'merge', { subresource: 'status', fieldManager });
      let lease: Lease;
      try {
        const cur = await client.get<Lease>(resources.leases, name, { namespace: nodeLeaseNamespace });
        lease = await client.update(resources.leases, { ...cur, spec: { ...cur.spec, holderIdentity: name, renewTime: buildLease(name, n.uid, leaseDuration, Date.now()).spec!.renewTime } }, { namespace: nodeLeaseNamespace });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        lease = await client.create(resources.leases, buildLease(name, n.uid, leaseDuration, Date.now()), { namespace: nodeLeaseNamespace });
      }
      n.stopped = false;
      heartbeats.add(lease);
      for (const p of informer.indexer.byIndex('node', name)) queue.add(keyOf(p));
    },
    summaries: (names) => names.map(summaryOf),
    statsPrefix: statsServer?.endpointFor(''),
    nodeNames: () => [...nodes.keys()],
    isStopped: (name) => nodes.get(name)?.stopped ?? false,
    podUsage,
    nodeUsage(name) {
      if (!nodes.has(name)) return undefined;
      const sum: PodUsage = { cpuMilli: 0, memoryBytes: 0 };
      for (const p of informer.indexer.byIndex('node', name)) {
        const u = podUsage(p.metadata!.namespace!, p.metadata!.name!);
        if (u) {
          sum.cpuMilli += u.cpuMilli;
          sum.memoryBytes += u.memoryBytes;
        }
      }
      return sum;
    },
    podMetrics() {
      const out: PodMetricsSample[] = [];
      const ts = rfc3339(Date.now());
      for (const [key] of pods) {
        const { namespace, name } = splitKey(key);
        const pod = informer.indexer.get(key);
        const u = podUsage(namespace ?? '', name);
        if (!pod || !u) continue;
        const cs = pod.spec?.containers ?? [];
        const n = Math.max(1, cs.length);
        out.push({
          namespace: namespace ?? '',
          name,
          node: pod.spec?.nodeName ?? '',
          timestamp: ts,
          windowSeconds: 15,
          containers: cs.map((c) => ({
            name: c.name,
            usage: { cpu: `${Math.round((u.cpuMilli * 1e6) / n)}n`, memory: `${Math.round(u.memoryBytes / n / 1024)}Ki` },
          })),
        });
      }
      return out;
    },
    stats() {
      let running = 0;
      for (const st of pods.values()) if (st.phase === 'running') running++;
      let stoppedNodes = 0;
      for (const n of nodes.values()) if (n.stopped) stoppedNodes++;
      return {
        nodes: nodes.size,
        stoppedNodes,
        pods: pods.size,
        runningPods: running,
        leaseRenewals: heartbeats.renewals,
        leaseFailures: heartbeats.failures,
        statusWrites,
        coalescedWrites,
      };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(statusTimer);
      heartbeats.stop();
      await queue.shutdownWithDrain();
      await workers;
      await informer.stop();
      removeLocal?.();
      await statsServer?.stop();
    },
  };
}
