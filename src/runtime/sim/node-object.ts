// What a simulated node looks like to the API: the Node object a kubelet would register (capacity,
// allocatable, conditions, nodeInfo, addresses, pod CIDR) and its Lease in kube-node-lease, plus the
// address plan (host IP and per-node pod /24). Pure: builds objects, never talks to the server.
import type { Node, NodeCondition, Taint } from 'kubernetes-types/core/v1.js';
import { rfc3339 } from '../../util/wire-time.js';

export { microTime, rfc3339 } from '../../util/wire-time.js';
export { buildLease, nodeLeaseNamespace } from '../../agent/node-lease.js';

export interface SimNodeSpec {
  name: string;
  /** CPU capacity, e.g. "4" or "3500m". Default "4". */
  cpu?: string;
  /** Memory capacity, e.g. "16Gi". Default "16Gi". */
  memory?: string;
  /** Pod capacity. Default 110. */
  pods?: number;
  /** Ephemeral storage capacity. Default "100Gi". */
  ephemeralStorage?: string;
  /** Extra labels, e.g. topology.kubernetes.io/zone. */
  labels?: Record<string, string>;
  taints?: Taint[];
  /** Extended resources (e.g. {"nvidia.com/gpu": "2"}). */
  extendedResources?: Record<string, string>;
}

export const simNodeAnnotation = 'sim.skiff.dev/node';
export const kubeletVersion = 'v1.32.0-sim';

/**
 * Pod CIDR of the node with this index: a /24 in 10.42.0.0/16 for the first 256 nodes (as k3s's default
 * cluster CIDR), then /24s in 10.64.0.0/10 so that thousands of nodes fit.
 */
export function podCidrFor(index: number): string {
  if (index < 256) return `10.42.${index}.0/24`;
  const j = index - 256;
  return `10.${64 + (j >> 8)}.${j & 255}.0/24`;
}

/** InternalIP of the node with this index, in 172.16.0.0/12. */
export function hostIpFor(index: number): string {
  const n = index + 1;
  return `172.${16 + ((n >> 16) & 15)}.${(n >> 8) & 255}.${n & 255}`;
}

function nodeConditions(nowMs: number, ready: boolean): NodeCondition[] {
  const t = rfc3339(nowMs);
  const cond = (type: string, status: string, reason: string, message: string): NodeCondition => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: t,
    lastTransitionTime: t,
  });
  return [
    cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    ready
      ? cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
      : cond('Ready', 'False', 'KubeletNotReady', 'container runtime is down'),
  ];
}

export function nodeCapacity(spec: SimNodeSpec): Record<string, string> {
  return {
    cpu: spec.cpu ?? '4',
    memory: spec.memory ?? '16Gi',
    pods: String(spec.pods ?? 110),
    'ephemeral-storage': spec.ephemeralStorage ?? '100Gi',
    ...(spec.extendedResources ?? {}),
  };
}

/** The Node a kubelet would register for spec, as the index-th node of this simulator. */
export function buildNode(spec: SimNodeSpec, index: number, nowMs: number): Node {
  const capacity = nodeCapacity(spec);
  const cidr = podCidrFor(index);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels: {
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/hostname': spec.name,
        'node.kubernetes.io/instance-type': 'sim',
        ...(spec.labels ?? {}),
      },
      annotations: { [simNodeAnnotation]: 'true', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {
      podCIDR: cidr,
      podCIDRs: [cidr],
      providerID: `sim://${spec.name}`,
      ...(spec.taints && spec.taints.length > 0 ? { taints: spec.taints } : {}),
    },
    status: nodeStatus(spec, index, nowMs, true),
  };
}

export function nodeStatus(spec: SimNodeSpec, index: number, nowMs: number, ready: boolean): NonNullable<Node['status']> {
  const capacity = nodeCapacity(spec);
  return {
    capacity,
    allocatable: { ...capacity },
    conditions: nodeConditions(nowMs, ready),
    addresses: [
      { type: 'InternalIP', address: hostIpFor(index) },
      { type: 'Hostname', address: spec.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: `sim-${index}`,
      systemUUID: `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`,
      bootID: `sim-boot-${index}-${nowMs}`,
      kernelVersion: '6.1.0-sim',
      osImage: 'Skiff simulated node',
      containerRuntimeVersion: 'sim://1.0.0',
      kubeletVersion,
      kubeProxyVersion: kubeletVersion,
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}
