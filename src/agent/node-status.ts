// What a real node's agent reports about its Node: capacity and allocatable from the host's figures minus a
// reservation and upstream's hard eviction thresholds, conditions (Ready, MemoryPressure, DiskPressure,
// PIDPressure, NetworkUnavailable) from the host's figures and the runtime's status, addresses, nodeInfo and
// labels; and when a status write is due (upstream's nodeStatusUpdateFrequency / nodeStatusReportFrequency).
// Pure: takes figures, returns objects; reading the host is host-facts.ts's job.
import type { Node, NodeCondition, NodeStatus } from 'kubernetes-types/core/v1.js';
import { deepEqual } from '../util/deep-equal.js';
import { rfc3339 } from '../util/wire-time.js';

/** Reported as kubeletVersion: the API minor version Skiff serves, marked as Skiff's. */
export const agentVersion = 'v1.32.0-skiff';

/** Label naming the runtime behind a node (process, containerd). */
export const runtimeLabel = 'skiff.dev/runtime';
export const controlPlaneLabel = 'node-role.kubernetes.io/control-plane';

export interface HostFacts {
  hostname: string;
  /** Addresses the node is reached at (first is the InternalIP). */
  addresses: string[];
  cpuCount: number;
  memoryTotalBytes: number;
  memoryAvailableBytes: number;
  /** Filesystem holding the agent's data directory. */
  fsTotalBytes: number;
  fsAvailableBytes: number;
  pidMax: number;
  pidsInUse: number;
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  /** Go-style architecture name (amd64, arm64, ...). */
  architecture: string;
  operatingSystem: string;
}

export interface Reservation {
  cpuMillis: number;
  memoryBytes: number;
  ephemeralStorageBytes: number;
}

export const noReservation: Reservation = { cpuMillis: 0, memoryBytes: 0, ephemeralStorageBytes: 0 };

/** Upstream's default --eviction-hard: memory.available<100Mi, nodefs.available<10%. */
export const evictionHard = { memoryAvailableBytes: 100 * 1024 * 1024, nodefsAvailableFraction: 0.1 };
/** PIDs: pressure when fewer than this fraction of pid_max is free (upstream has no default threshold). */
export const pidAvailableFraction = 0.05;

export interface RuntimeHealth {
  ready: boolean;
  networkReady: boolean;
  warnings: string[];
}

export interface NodeSpecInput {
  name: string;
  facts: HostFacts;
  runtimeName: string;
  runtimeVersion: string;
  reservation: Reservation;
  maxPods: number;
  kubeletPort: number;
  /** Extra labels (e.g. the control-plane role of the node embedded in `skiff up`). */
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

function binaryQuantity(bytes: number): string {
  const ki = Math.max(0, Math.floor(bytes / 1024));
  return `${ki}Ki`;
}

export function nodeCapacity(facts: HostFacts, maxPods: number): Record<string, string> {
  return {
    cpu: String(facts.cpuCount),
    memory: binaryQuantity(facts.memoryTotalBytes),
    pods: String(maxPods),
    'ephemeral-storage': binaryQuantity(facts.fsTotalBytes),
  };
}

/** Upstream: allocatable = capacity − kube-reserved − system-reserved − hard eviction threshold. */
export function nodeAllocatable(facts: HostFacts, maxPods: number, r: Reservation): Record<string, string> {
  const cpuMillis = Math.max(0, facts.cpuCount * 1000 - r.cpuMillis);
  const memory = facts.memoryTotalBytes - r.memoryBytes - evictionHard.memoryAvailableBytes;
  const storage = facts.fsTotalBytes - r.ephemeralStorageBytes - facts.fsTotalBytes * evictionHard.nodefsAvailableFraction;
  return {
    cpu: cpuMillis % 1000 === 0 ? String(cpuMillis / 1000) : `${cpuMillis}m`,
    memory: binaryQuantity(memory),
    pods: String(maxPods),
    // Upstream prints ephemeral-storage allocatable in plain bytes.
    'ephemeral-storage': String(Math.max(0, Math.floor(storage))),
  };
}

interface ConditionVerdict {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** The five conditions, decided from the host's figures and the runtime's health (upstream wording). */
export function conditionVerdicts(facts: HostFacts, runtime: RuntimeHealth): ConditionVerdict[] {
  const memoryPressure = facts.memoryAvailableBytes < evictionHard.memoryAvailableBytes;
  const diskPressure = facts.fsAvailableBytes < facts.fsTotalBytes * evictionHard.nodefsAvailableFraction;
  const pidPressure = facts.pidMax > 0 && facts.pidMax - facts.pidsInUse < facts.pidMax * pidAvailableFraction;
  const notReady: string[] = [];
  if (!runtime.ready) notReady.push('container runtime is down');
  if (!runtime.networkReady) notReady.push('container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:pod network is not configured');
  return [
    memoryPressure
      ? { type: 'MemoryPressure', status: 'True', reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available' }
      : { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    diskPressure
      ? { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' }
      : { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    pidPressure
      ? { type: 'PIDPressure', status: 'True', reason: 'KubeletHasInsufficientPID', message: 'kubelet has insufficient PID available' }
      : { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    notReady.length
      ? { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: notReady.join(', ') }
      : // Degrade loudly: what the runtime cannot do (no isolation, no limits) shows on the node.
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: `kubelet is posting ready status${runtime.warnings.length ? ` (${runtime.warnings.join('; ')})` : ''}` },
    runtime.networkReady
      ? { type: 'NetworkUnavailable', status: 'False', reason: 'SkiffNetworkReady', message: 'pod network is configured' }
      : { type: 'NetworkUnavailable', status: 'True', reason: 'NoRouteCreated', message: 'pod network is not configured' },
  ];
}

/**
 * Conditions with upstream's timestamps: lastHeartbeatTime is now, lastTransitionTime moves only when the
 * status changes (kept from `previous` otherwise).
 */
export function nodeConditions(previous: readonly NodeCondition[] | undefined, verdicts: ConditionVerdict[], nowMs: number): NodeCondition[] {
  const now = rfc3339(nowMs);
  return verdicts.map((v) => {
    const old = previous?.find((c) => c.type === v.type);
    const transition = old && old.status === v.status && old.lastTransitionTime ? old.lastTransitionTime : now;
    return { type: v.type, status: v.status, reason: v.reason, message: v.message, lastHeartbeatTime: now, lastTransitionTime: transition };
  });
}

export function nodeLabels(input: NodeSpecInput): Record<string, string> {
  const f = input.facts;
  return {
    'kubernetes.io/arch': f.architecture,
    'kubernetes.io/os': f.operatingSystem,
    'beta.kubernetes.io/arch': f.architecture,
    'beta.kubernetes.io/os': f.operatingSystem,
    'kubernetes.io/hostname': input.name,
    [runtimeLabel]: input.runtimeName,
    ...input.labels,
  };
}

/** The status an agent reports (conditions keep their transition times from `previous`). */
export function buildNodeStatus(input: NodeSpecInput, runtime: RuntimeHealth, previous: NodeStatus | undefined, nowMs: number): NodeStatus {
  const f = input.facts;
  const addresses = [
    ...(f.addresses[0] ? [{ type: 'InternalIP', address: f.addresses[0] }] : []),
    { type: 'Hostname', address: f.hostname },
  ];
  return {
    capacity: nodeCapacity(f, input.maxPods),
    allocatable: nodeAllocatable(f, input.maxPods, input.reservation),
    conditions: nodeConditions(previous?.conditions, conditionVerdicts(f, runtime), nowMs),
    addresses,
    daemonEndpoints: { kubeletEndpoint: { Port: input.kubeletPort } },
    nodeInfo: {
      machineID: f.machineID,
      systemUUID: f.systemUUID,
      bootID: f.bootID,
      kernelVersion: f.kernelVersion,
      osImage: f.osImage,
      containerRuntimeVersion: `${input.runtimeName}://${input.runtimeVersion}`,
      kubeletVersion: agentVersion,
      kubeProxyVersion: agentVersion,
      operatingSystem: f.operatingSystem,
      architecture: f.architecture,
    },
  };
}

/** The Node a fresh agent registers (pod CIDR comes from the node IPAM controller). */
export function buildNode(input: NodeSpecInput, runtime: RuntimeHealth, nowMs: number): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: input.name,
      labels: nodeLabels(input),
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true', ...input.annotations },
    },
    spec: {},
    status: buildNodeStatus(input, runtime, undefined, nowMs),
  };
}

/** Upstream kubelet: nodeStatusUpdateFrequency 10 s (look for changes), nodeStatusReportFrequency 5 min. */
export const nodeStatusUpdateFrequencyMs = 10_000;
export const nodeStatusReportFrequencyMs = 5 * 60_000;

/** The status without heartbeat times, for comparing what changed. */
function withoutHeartbeats(s: NodeStatus | undefined): unknown {
  if (!s) return undefined;
  return { ...s, conditions: (s.conditions ?? []).map((c) => ({ ...c, lastHeartbeatTime: undefined })) };
}

/**
 * Whether the agent writes its status now: when something other than heartbeat times changed, or when the
 * last report is older than the report frequency (upstream tryUpdateNodeStatus with the lease in use).
 */
export function statusWriteDue(reported: NodeStatus | undefined, next: NodeStatus, lastReportMs: number, nowMs: number): boolean {
  if (!reported) return true;
  if (nowMs - lastReportMs >= nodeStatusReportFrequencyMs) return true;
  const pick = (s: NodeStatus | undefined) => {
    const w = withoutHeartbeats(s) as NodeStatus | undefined;
    return w && { capacity: w.capacity, allocatable: w.allocatable, conditions: w.conditions, addresses: w.addresses, daemonEndpoints: w.daemonEndpoints, nodeInfo: w.nodeInfo };
  };
  return !deepEqual(pick(reported), pick(next));
}

/** Labels the agent owns that differ on the registered node (re-registration keeps others' labels). */
export function labelsToReconcile(current: Record<string, string> | undefined, wanted: Record<string, string>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(wanted)) if (current?.[k] !== v) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}
