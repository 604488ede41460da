// The node agent's flags (kubelet names where upstream has them): node name and address, the node server's
// port, cluster DNS and domain, pods per node, a kube-reserved reservation, the CNI bridge, container log rotation; and the control
// plane's --cluster-cidr for node IPAM. Shared by `skiff agent` and `skiff up` (which runs a node too).
import { hostname } from 'node:os';
import { UsageError, type OptionSpec, type ParsedOptions } from './args.js';
import { tryParseQuantity } from '../util/quantity.js';
import type { Reservation } from '../agent/node-status.js';
import type { NodeConfig } from '../agent/node.js';
import { parseDuration } from './datastore.js';
import { serviceCidrOf } from '../network/service-cidr.js';

/** The tenth address of the default service CIDR (10.43.0.10); `skiff up` follows its --service-cidr. */
export const defaultClusterDns = serviceCidrOf().dnsIP;
export const defaultClusterDomain = 'cluster.local';

export const agentOptions: readonly OptionSpec[] = [
  { name: 'node-name', type: 'string', valueName: 'NAME', description: 'name of this node (default: the host name)', env: 'SKIFF_NODE_NAME' },
  { name: 'node-ip', type: 'string', valueName: 'IP', description: 'address the node reports as InternalIP (default: the first non-loopback address)' },
  { name: 'kubelet-port', type: 'int', valueName: 'N', description: 'HTTPS port of the node server (logs, exec, port-forward, stats; 0 = any free port)', default: 10250, min: 0, max: 65535 },
  { name: 'cluster-dns', type: 'string', valueName: 'IP[,IP]', description: 'DNS server address(es) given to pods with dnsPolicy ClusterFirst', default: defaultClusterDns },
  { name: 'cluster-domain', type: 'string', valueName: 'DOMAIN', description: 'cluster DNS domain', default: defaultClusterDomain },
  { name: 'max-pods', type: 'int', valueName: 'N', description: 'pods this node accepts', default: 110, min: 1, max: 10_000 },
  { name: 'kube-reserved', type: 'string', valueName: 'cpu=Q,memory=Q,ephemeral-storage=Q', description: 'resources kept back from pods (allocatable = capacity - reserved - eviction thresholds)' },
  { name: 'cni-bridge', type: 'string', valueName: 'NAME', description: 'bridge of the pod network (process runtime as root; at most 15 characters)', default: 'cni0' },
  { name: 'disable-service-networking', type: 'boolean', description: 'do not run the service proxy and cluster DNS on this node (as k3s --disable-kube-proxy)' },
  { name: 'sync-frequency', type: 'string', valueName: 'DURATION', description: 'how often every pod is synced even without a change (volume contents) [1m]' },
  { name: 'container-log-max-size', type: 'string', valueName: 'QUANTITY', description: 'size at which a container log file is rotated', default: '10Mi' },
  { name: 'container-log-max-files', type: 'int', valueName: 'N', description: 'log files kept per container, the current one included', default: 5, min: 2 },
];

/** Control-plane side: where node IPAM takes each node's pod CIDR from. */
export const clusterCidrOption: OptionSpec = {
  name: 'cluster-cidr',
  type: 'string',
  valueName: 'CIDR',
  description: 'pod addresses of the cluster; each node gets a /24 of it',
  default: '10.42.0.0/16',
};

/** Parses --kube-reserved "cpu=100m,memory=256Mi,ephemeral-storage=1Gi". */
export function parseReservation(text: string | undefined): Reservation {
  const out: Reservation = { cpuMillis: 0, memoryBytes: 0, ephemeralStorageBytes: 0 };
  for (const part of (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [k, v] = part.split('=');
    const q = tryParseQuantity(v);
    if (!k || !q) throw new UsageError(`bad --kube-reserved entry "${part}": use cpu=Q, memory=Q or ephemeral-storage=Q`);
    if (k === 'cpu') out.cpuMillis = q.milliValue();
    else if (k === 'memory') out.memoryBytes = q.value();
    else if (k === 'ephemeral-storage') out.ephemeralStorageBytes = q.value();
    else throw new UsageError(`bad --kube-reserved resource "${k}": use cpu, memory or ephemeral-storage`);
  }
  return out;
}

export interface AgentSettings {
  nodeName: string;
  nodeIP?: string;
  kubeletPort: number;
  clusterDns: string[];
  clusterDomain: string;
  maxPods: number;
  reservation: Reservation;
  bridge: string;
  syncFrequencyMs: number;
  serviceNetworking: boolean;
  logRotation: { maxSizeBytes: number; maxFiles: number };
}

/** Parses --container-log-max-size (a quantity, as the kubelet's containerLogMaxSize). */
export function parseLogMaxSize(text: string): number {
  const q = tryParseQuantity(text);
  const bytes = q?.value();
  if (bytes === undefined || bytes <= 0) throw new UsageError(`--container-log-max-size ${text}: a positive quantity such as 10Mi`);
  return bytes;
}

export function agentSettings(opts: ParsedOptions): AgentSettings {
  const bridge = opts.string('cni-bridge');
  if (bridge.length > 15 || !/^[A-Za-z0-9_.-]+$/.test(bridge)) throw new UsageError(`--cni-bridge ${bridge}: an interface name of at most 15 letters, digits, "-", "_" or "."`);
  return {
    nodeName: (opts.optionalString('node-name') ?? hostname()).toLowerCase(),
    nodeIP: opts.optionalString('node-ip'),
    kubeletPort: opts.int('kubelet-port'),
    clusterDns: opts.string('cluster-dns').split(',').map((s) => s.trim()).filter(Boolean),
    clusterDomain: opts.string('cluster-domain'),
    maxPods: opts.int('max-pods'),
    reservation: parseReservation(opts.optionalString('kube-reserved')),
    bridge,
    serviceNetworking: !opts.bool('disable-service-networking'),
    syncFrequencyMs: parseDuration(opts.optionalString('sync-frequency') ?? '1m', '--sync-frequency'),
    logRotation: { maxSizeBytes: parseLogMaxSize(opts.string('container-log-max-size')), maxFiles: opts.int('container-log-max-files') },
  };
}

/** The node settings `skiff up` and `skiff agent` share, in the shape startNode takes. */
export function nodeConfigOf(a: AgentSettings, clusterCidr: string | undefined): Pick<NodeConfig, 'nodeName' | 'kubeletPort' | 'clusterDns' | 'clusterDomain' | 'bridge' | 'reservation' | 'maxPods' | 'syncFrequencyMs' | 'serviceNetworking' | 'logRotation'> {
  return {
    nodeName: a.nodeName,
    kubeletPort: a.kubeletPort,
    clusterDns: a.clusterDns,
    clusterDomain: a.clusterDomain,
    bridge: a.bridge,
    reservation: a.reservation,
    maxPods: a.maxPods,
    syncFrequencyMs: a.syncFrequencyMs,
    logRotation: a.logRotation,
    ...(a.serviceNetworking ? { serviceNetworking: { clusterCidr } } : {}),
  };
}
