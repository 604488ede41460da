// The node agent (the kubelet's role): registers its Node, renews its Lease, reports node status, watches
// the pods bound to it and runs them through the Runtime with one pod worker per pod, relists the runtime
// every second to notice exits (the kubelet's PLEG), adopts the sandboxes it finds at start (an agent restart
// leaves pods running) and removes those no pod claims any more. It wires the pieces together; decisions
// live in node-status.ts, pod-status.ts, restart-backoff.ts and probes/.
import { createHash } from 'node:crypto';
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { PodSandboxStatus, Runtime } from '../runtime/runtime.js';
import { Informer, isAlreadyExists, isNotFound, realClock, resources, runWorkers, WorkQueue, type ApiClient } from '../client/index.js';
import { newEventRecorder } from '../client/event-recorder.js';
import { Heartbeats } from '../runtime/sim/heartbeats.js';
import { Limiter } from '../util/limiter.js';
import { readHostFacts } from './host-facts.js';
import { buildLease, defaultLeaseDurationSeconds, nodeLeaseNamespace } from './node-lease.js';
import { buildNode, buildNodeStatus, labelsToReconcile, nodeLabels, nodeStatusUpdateFrequencyMs, statusWriteDue, type NodeSpecInput, type Reservation, type RuntimeHealth } from './node-status.js';
import { keyOfPod, PodWorkers } from './pod-workers.js';
import { updateNeedsSync } from './pod-changes.js';
import { cachedSources, podInputs, type PodInputs } from './pod-inputs.js';
import { podUidLabel, type ClusterDns } from './runtime-config.js';
import { nodeEndpointAnnotation } from './endpoint.js';
import type { RotationPolicy } from './logs/rotation.js';

export interface AgentServerHandle {
  port: number;
  url: string;
  stop(): Promise<void>;
}

export interface AgentOptions {
  client: ApiClient;
  nodeName: string;
  dataDir: string;
  /** The runtime, or how to make it once the node's pod CIDR is known. */
  runtime: Runtime | ((net: { podCIDR: string | undefined }) => Promise<Runtime>);
  /** Pod volumes and container environment; default the real ones (src/agent/volumes, src/agent/env). */
  inputs?: PodInputs;
  clusterDns: ClusterDns;
  /** Address reported as InternalIP (default: the host's first non-loopback address). */
  nodeIP?: string;
  labels?: Record<string, string>;
  reservation: Reservation;
  maxPods?: number;
  /** Port reported in status.daemonEndpoints (the agent server's). */
  kubeletPort?: number;
  /** Starts the node's HTTPS server once the runtime exists (src/agent/server); absent = none. */
  startServer?: (runtime: Runtime) => Promise<AgentServerHandle>;
  /** Publish the server's URL in the skiff.dev/agent-endpoint annotation (loopback-only agents). */
  advertiseEndpoint?: boolean;
  /** How long to wait for the node IPAM controller to assign a pod CIDR. Default 20 s. */
  podCidrTimeoutMs?: number;
  log: (line: string) => void;
  /** Concurrent pod syncs. Default 16. */
  workers?: number;
  /** How often every pod is synced even when nothing was noticed (upstream --sync-frequency). Default 1 min. */
  syncFrequencyMs?: number;
  /** Degraded modes found while the node was put together (e.g. service networking): Warning events on the Node. */
  warnings?: { reason: string; message: string }[];
  /** Container log rotation (--container-log-max-size, --container-log-max-files); default 10Mi and 5 files. */
  logRotation?: Partial<RotationPolicy>;
  /** How often container logs are checked for rotation. Default 10 s (upstream's monitor interval). */
  logRotationIntervalMs?: number;
}

export interface Agent {
  readonly nodeName: string;
  readonly runtime: Runtime;
  /** Stops the agent. removePods: also stop and remove every pod it runs (shutdown of `skiff up`). */
  stop(opts?: { removePods?: boolean }): Promise<void>;
}

/** "skiff-<id>": a cgroup root unique per agent (several agents on one host never share one). */
export function cgroupRootFor(dataDir: string): string {
  return `skiff-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}`;
}

const fieldManager = 'skiff-agent';

export async function startAgent(o: AgentOptions): Promise<Agent> {
  const { client, nodeName, log } = o;
  const maxPods = o.maxPods ?? 110;
  const syncFrequencyMs = o.syncFrequencyMs ?? 60_000;
  const layout = { dataDir: o.dataDir, cgroupRoot: cgroupRootFor(o.dataDir) };
  const undo: (() => Promise<void> | void)[] = [];
  try {
    const facts = () => readHostFacts(o.dataDir, o.nodeIP);
    let spec: NodeSpecInput = {
      name: nodeName,
      facts: facts(),
      runtimeName: typeof o.runtime === 'function' ? 'unknown' : o.runtime.name,
      runtimeVersion: '',
      reservation: o.reservation,
      maxPods,
      kubeletPort: o.kubeletPort ?? 0,
      labels: o.labels ?? {},
      annotations: {},
    };
    const starting: RuntimeHealth = { ready: false, networkReady: true, warnings: ['container runtime status check may not have completed yet'] };
    let node = await registerNode(client, spec, starting, log);
    const recorder = newEventRecorder(client, 'kubelet', realClock, log, { host: nodeName, aggregate: true });
    // Upstream refers to a node in events with its name as uid.
    const nodeRef = { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName, uid: nodeName } };
    recorder.event(nodeRef, 'Normal', 'Starting', 'Starting kubelet.');
    for (const w of o.warnings ?? []) recorder.event(nodeRef, 'Warning', w.reason, w.message);
    const readyOf = (s: Node['status']) => s?.conditions?.find((c) => c.type === 'Ready')?.status;
    const readyEvent = (before: Node['status'], after: Node['status']) => {
      const b = readyOf(before);
      const a = readyOf(after);
      if (a === b) return;
      if (a === 'True') recorder.event(nodeRef, 'Normal', 'NodeReady', `Node ${nodeName} status is now: NodeReady`);
      else if (b === 'True') recorder.event(nodeRef, 'Normal', 'NodeNotReady', `Node ${nodeName} status is now: NodeNotReady`);
    };
    let reported = node.status;
    let lastReport = Date.now();

    const heartbeats = new Heartbeats({ client, limiter: new Limiter(1), renewIntervalMs: (defaultLeaseDurationSeconds * 1000) / 4, tickMs: 1000, log });
    heartbeats.add(await ensureLease(client, nodeName, node.metadata?.uid));
    heartbeats.start();
    undo.push(() => heartbeats.stop());

    // The node half of the local-path provisioner: publishes where its volumes live, deletes released ones.
    const { startLocalPathNode } = await import('./volumes/local-path-node.js');
    const localPath = await startLocalPathNode({ client, nodeName, dataDir: o.dataDir, log });
    undo.push(() => localPath.stop());

    let runtime: Runtime;
    if (typeof o.runtime === 'function') {
      const podCIDR = await waitForPodCidr(client, nodeName, o.podCidrTimeoutMs ?? 20_000);
      if (!podCIDR) log(`agent: node ${nodeName} has no pod CIDR (is the node IPAM controller running?); the runtime chooses its own`);
      runtime = await o.runtime({ podCIDR });
    } else runtime = o.runtime;
    undo.push(() => runtime.close());
    const version = await runtime.version();
    spec = { ...spec, runtimeName: runtime.name, runtimeVersion: version.runtimeVersion };

    let server: AgentServerHandle | undefined;
    if (o.startServer) {
      server = await o.startServer(runtime);
      undo.push(() => server!.stop());
      spec = { ...spec, kubeletPort: server.port };
      if (o.advertiseEndpoint) spec = { ...spec, annotations: { [nodeEndpointAnnotation]: server.url } };
    }
    // Beside the server that reads them: container logs rotate at the size limit, keeping the newest files.
    const { LogRotator } = await import('./logs/rotation.js');
    const rotator = new LogRotator({ runtime, ...(o.logRotation ? { policy: o.logRotation } : {}), ...(o.logRotationIntervalMs ? { intervalMs: o.logRotationIntervalMs } : {}), log });
    rotator.start();
    undo.push(() => rotator.stop());

    let runtimeWarned = '';
    const runtimeHealth = async (): Promise<RuntimeHealth> => {
      try {
        const s = await runtime.status();
        const w = s.warnings.join('; ');
        if (w && w !== runtimeWarned) {
          // Degrade loudly: a log line, a Warning event on the Node, and the Ready condition's message.
          log(`agent: runtime ${runtime.name}: ${w}`);
          recorder.event(nodeRef, 'Warning', 'RuntimeDegraded', `${runtime.name} runtime: ${w}`);
        }
        runtimeWarned = w;
        // Degraded service networking (e.g. the userspace proxy) shows in the Ready condition's message too.
        const networking = (o.warnings ?? []).map((x) => `${x.reason}: ${x.message}`);
        return networking.length ? { ...s, warnings: [...s.warnings, ...networking] } : s;
      } catch (e) {
        return { ready: false, networkReady: false, warnings: [(e as Error).message] };
      }
    };
    node = await reconcileNode(client, node, spec, await runtimeHealth(), log);
    readyEvent(reported, node.status);
    reported = node.status;
    lastReport = Date.now();

    const hostIPs = () => (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);
    // Service environment variables of every container come from here (the kubelet's service lister).
    const services = new Informer<Service>(client, resources.services, { log });
    services.start();
    undo.push(() => services.stop());
    await services.waitForSync();
    const queue = new WorkQueue({ name: 'agent-pods' });
    const workers = new PodWorkers({
      client,
      runtime,
      nodeName,
      layout,
      dns: o.clusterDns,
      inputs: o.inputs ?? (await podInputs({ client, nodeName, dataDir: o.dataDir, sources: cachedSources(client, services, () => node) })),
      hostIPs,
      log,
      event: (pod, container, type, reason, message) => {
        const ref = { ...pod, apiVersion: 'v1', kind: 'Pod' };
        const i = container === undefined ? -1 : (pod.spec?.containers ?? []).findIndex((c) => c.name === container);
        const fieldPath = container === undefined ? undefined : i >= 0 ? `spec.containers{${container}}` : `spec.initContainers{${container}}`;
        recorder.event(ref, type, reason, message, fieldPath);
      },
      enqueue: (key, afterMs) => (afterMs ? queue.addAfter(key, afterMs) : queue.add(key)),
    });

    const informer = new Informer<Pod>(client, resources.pods, { fieldSelector: `spec.nodeName=${nodeName}`, log });
    informer.addEventHandler({
      onAdd: (p) => queue.add(keyOfPod(p)),
      // Not for a change of the status alone (the agent's own writes): as the kubelet, see pod-changes.ts.
      onUpdate: (o, p) => {
        if (updateNeedsSync(o, p)) queue.add(keyOfPod(p));
      },
      onDelete: (p) => queue.add(keyOfPod(p)),
    });
    informer.start();
    undo.push(() => informer.stop());
    await informer.waitForSync();

    // Adoption: sandboxes of pods still bound here are picked up; the rest are removed.
    const byUid = new Map<string, PodSandboxStatus[]>();
    for (const sb of await runtime.listPodSandboxes()) {
      const uid = sb.labels[podUidLabel] ?? sb.uid;
      byUid.set(uid, [...(byUid.get(uid) ?? []), sb]);
    }
    const podsByUid = new Map(informer.indexer.list().map((p) => [p.metadata?.uid ?? '', p]));
    let adopted = 0;
    for (const [uid, sbs] of byUid) {
      const pod = podsByUid.get(uid) ?? (await confirmedPod(client, sbs[0]!, uid, log));
      if (pod === 'unknown') continue; // the API could not say: keep the pod running, look again on the next start
      if (pod) {
        workers.adopt(keyOfPod(pod), pod, sbs);
        adopted++;
      } else {
        await workers.removeOrphan(sbs).catch((e: unknown) => log(`agent: removing sandboxes of pod ${uid}: ${(e as Error).message}`));
      }
    }
    if (adopted) log(`agent: adopted ${adopted} running pod(s)`);

    const running = runWorkers(
      queue,
      o.workers ?? 16,
      async (key) => {
        const pod = informer.indexer.get(key);
        const after = await workers.sync(key, pod);
        // Pods still here are looked at again within the sync frequency (volume contents, missed changes).
        const phase = pod?.status?.phase;
        const live = pod && !pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
        const resync = live ? syncFrequencyMs * (0.9 + Math.random() * 0.2) : undefined;
        const next = after === undefined ? resync : resync === undefined ? after : Math.min(after, resync);
        return next === undefined ? undefined : { requeueAfterMs: Math.max(1, next) };
      },
      { onError: (key, err) => log(`agent: pod ${key}: ${(err as Error)?.message ?? String(err)}`) },
    );

    // Relist (upstream's PLEG, 1 s): a container or sandbox that changed state gets its pod synced.
    let lastStates = new Map<string, string>();
    let relisting = false;
    const relist = setInterval(() => {
      if (relisting) return;
      relisting = true;
      void Promise.all([runtime.listContainers(), runtime.listPodSandboxes()])
        .then(([cs, sbs]) => {
          const next = new Map<string, string>();
          const seen = (id: string, state: string, ns: string | undefined, name: string | undefined) => {
            next.set(id, state);
            if (lastStates.get(id) !== state && ns && name) queue.add(`${ns}/${name}`);
          };
          for (const c of cs) seen(c.id, c.state, c.labels['io.kubernetes.pod.namespace'], c.labels['io.kubernetes.pod.name']);
          for (const sb of sbs) seen(`sandbox/${sb.id}`, sb.state, sb.namespace, sb.name);
          lastStates = next;
        })
        .catch((e: unknown) => log(`agent: relist: ${(e as Error).message}`))
        .finally(() => (relisting = false));
    }, 1000);
    relist.unref();

    // Node status: look for changes every 10 s, write on change or every 5 min.
    let statusBusy = false;
    const statusTimer = setInterval(() => {
      if (statusBusy) return;
      statusBusy = true;
      void (async () => {
        const now = Date.now();
        const next = buildNodeStatus({ ...spec, facts: facts() }, await runtimeHealth(), reported, now);
        if (!statusWriteDue(reported, next, lastReport, now)) return;
        node = await client.patch<Node>(resources.nodes, nodeName, { status: next }, 'strategic', { subresource: 'status', fieldManager });
        readyEvent(reported, node.status);
        reported = node.status;
        lastReport = now;
      })()
        .catch((e: unknown) => log(`agent: node status: ${(e as Error).message}`))
        .finally(() => (statusBusy = false));
    }, nodeStatusUpdateFrequencyMs);
    statusTimer.unref();

    let stopping: Promise<void> | undefined;
    return {
      nodeName,
      runtime,
      stop: (opts = {}) =>
        (stopping ??= (async () => {
          clearInterval(relist);
          clearInterval(statusTimer);
          workers.stopProbes();
          queue.shutdown();
          await running;
          if (opts.removePods) {
            await workers.removeAll();
            // What the runtime set up for pods beyond their sandboxes (bridges, cgroup roots, daemons' state).
            const cleanup = (runtime as Runtime & { cleanupAll?(): Promise<void> }).cleanupAll;
            await cleanup?.call(runtime).catch((e: unknown) => log(`agent: runtime cleanup: ${(e as Error).message}`));
          }
          for (const fn of undo.reverse()) await Promise.resolve(fn()).catch((e: unknown) => log(`agent: stopping: ${(e as Error).message}`));
        })()),
    };
  } catch (e) {
    for (const fn of undo.reverse()) await Promise.resolve(fn()).catch(() => undefined);
    throw e;
  }
}

/** Creates the Node, or takes over an existing one (labels the agent owns and a fresh status). */
async function registerNode(client: ApiClient, spec: NodeSpecInput, health: RuntimeHealth, log: (l: string) => void): Promise<Node> {
  try {
    return await client.create(resources.nodes, buildNode(spec, health, Date.now()));
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
  const cur = await client.get<Node>(resources.nodes, spec.name);
  log(`agent: node ${spec.name} already registered; taking it over`);
  return reconcileNode(client, cur, spec, health, log);
}

async function reconcileNode(client: ApiClient, cur: Node, spec: NodeSpecInput, health: RuntimeHealth, _log: (l: string) => void): Promise<Node> {
  const labels = labelsToReconcile(cur.metadata?.labels, nodeLabels(spec));
  const wantAnn = spec.annotations;
  const annotations = Object.fromEntries(Object.entries(wantAnn).filter(([k, v]) => cur.metadata?.annotations?.[k] !== v));
  let node = cur;
  if (labels || Object.keys(annotations).length) {
    node = await client.patch<Node>(resources.nodes, spec.name, { metadata: { ...(labels ? { labels } : {}), ...(Object.keys(annotations).length ? { annotations } : {}) } }, 'strategic', { fieldManager });
  }
  const status = buildNodeStatus(spec, health, node.status, Date.now());
  return client.patch<Node>(resources.nodes, spec.name, { status }, 'strategic', { subresource: 'status', fieldManager });
}

async function ensureLease(client: ApiClient, nodeName: string, uid: string | undefined): Promise<Lease> {
  try {
    return await client.create(resources.leases, buildLease(nodeName, uid, defaultLeaseDurationSeconds, Date.now()), { namespace: nodeLeaseNamespace });
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    return client.get<Lease>(resources.leases, nodeName, { namespace: nodeLeaseNamespace });
  }
}

async function waitForPodCidr(client: ApiClient, nodeName: string, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const n = await client.get<Node>(resources.nodes, nodeName);
      if (n.spec?.podCIDR) return n.spec.podCIDR;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A sandbox whose pod the node's pod list does not hold is removed only when the API confirms the pod is gone
 * (or replaced by one with another uid): a running workload is never torn down on a cache's word alone.
 */
async function confirmedPod(client: ApiClient, sb: PodSandboxStatus, uid: string, log: (line: string) => void): Promise<Pod | undefined | 'unknown'> {
  if (!sb.namespace || !sb.name) return undefined;
  try {
    const pod = await client.get<Pod>(resources.pods, sb.name, { namespace: sb.namespace });
    if (pod.metadata?.uid !== uid) return undefined;
    log(`agent: pod ${sb.namespace}/${sb.name} was missing from the node's pod list but exists; adopting it`);
    return pod;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    log(`agent: cannot tell whether pod ${sb.namespace}/${sb.name} still exists (${(e as Error).message}); leaving its sandbox running`);
    return 'unknown';
  }
}
