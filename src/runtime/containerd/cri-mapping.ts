// Translation between Skiff's Runtime shapes (src/runtime/runtime.ts) and CRI runtime.v1 messages, doing
// what the kubelet's kuberuntime manager does on the way: CPU millicores to shares and CFS quota, the
// default masked/read-only /proc paths, no_new_privs from allowPrivilegeEscalation, namespace modes, the
// managed /etc/hosts, and back: states, reasons, nanosecond timestamps, the sandbox's netns path. Pure.
import type {
  ContainerConfig, ContainerState, ContainerStats, ContainerStatus, ImageInfo, Mount, PodSandboxConfig, PodSandboxStatus,
} from '../runtime.js';
import { cfsPeriodUs, milliCpuToQuota, milliCpuToShares } from '../process/cgroups.js';
import type * as T from './cri-types.js';

/** The kubelet's default masked and read-only paths for the Default procMount. */
export const defaultMaskedPaths = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const defaultReadonlyPaths = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const protocolOf = { TCP: 'TCP', UDP: 'UDP', SCTP: 'SCTP' } as const;

/** cgroupfs paths given to containerd are absolute: runc reads a relative one against its own cgroup. */
export function absoluteCgroupParent(parent: string): string {
  if (!parent) return '';
  return parent.startsWith('/') ? parent : `/${parent}`;
}

export function toCriSandboxConfig(c: PodSandboxConfig): T.PodSandboxConfig {
  return {
    metadata: { name: c.name, uid: c.uid, namespace: c.namespace, attempt: c.attempt },
    // As the kubelet: no hostname for host-network pods (runc cannot set one without a private UTS namespace).
    hostname: c.hostNetwork ? '' : c.hostname,
    logDirectory: c.logDirectory,
    ...(c.dns ? { dnsConfig: { servers: c.dns.servers, searches: c.dns.searches, options: c.dns.options } } : {}),
    portMappings: c.portMappings
      .filter((p) => p.hostPort !== undefined && p.hostPort > 0)
      .map((p) => ({ protocol: protocolOf[p.protocol], containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIP ?? '' })),
    labels: c.labels,
    annotations: c.annotations,
    linux: {
      cgroupParent: absoluteCgroupParent(c.cgroupParent),
      securityContext: { namespaceOptions: { network: c.hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER', ipc: 'POD' } },
      sysctls: c.sysctls ?? {},
    },
  };
}

const propagationOf: Record<NonNullable<Mount['propagation']>, T.Mount['propagation']> = {
  private: 'PROPAGATION_PRIVATE',
  hostToContainer: 'PROPAGATION_HOST_TO_CONTAINER',
  bidirectional: 'PROPAGATION_BIDIRECTIONAL',
};

/**
 * The CRI container config. `hostsFile`, when given, is mounted at /etc/hosts unless the container already
 * mounts something there (the kubelet's managed hosts file).
 */
export function toCriContainerConfig(c: ContainerConfig, sandbox: PodSandboxConfig, hostsFile?: string): T.ContainerConfig {
  const mounts: T.Mount[] = c.mounts.map((m) => ({
    containerPath: m.containerPath,
    hostPath: m.hostPath,
    readonly: m.readOnly,
    propagation: propagationOf[m.propagation ?? 'private'],
  }));
  if (hostsFile && !c.mounts.some((m) => m.containerPath === '/etc/hosts')) {
    mounts.push({ containerPath: '/etc/hosts', hostPath: hostsFile, readonly: false, propagation: 'PROPAGATION_PRIVATE' });
  }
  const sec = c.security;
  const privileged = sec.privileged === true;
  return {
    metadata: { name: c.name, attempt: c.attempt },
    image: { image: c.image },
    command: c.command,
    args: c.args,
    workingDir: c.workingDir ?? '',
    envs: c.env.map((e) => ({ key: e.name, value: e.value })),
    mounts,
    labels: c.labels,
    annotations: c.annotations,
    logPath: c.logPath,
    stdin: c.stdin,
    stdinOnce: c.stdinOnce,
    tty: c.tty,
    linux: {
      resources: {
        cpuPeriod: c.resources.cpuLimitMillis ? cfsPeriodUs : 0,
        cpuQuota: c.resources.cpuLimitMillis ? milliCpuToQuota(c.resources.cpuLimitMillis) : 0,
        cpuShares: milliCpuToShares(c.resources.cpuRequestMillis),
        memoryLimitInBytes: c.resources.memoryLimitBytes ?? 0,
        oomScoreAdj: 0,
      },
      securityContext: {
        ...(sec.capabilities ? { capabilities: { addCapabilities: sec.capabilities.add, dropCapabilities: sec.capabilities.drop } } : {}),
        privileged,
        namespaceOptions: { network: sandbox.hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER', ipc: 'POD' },
        ...(sec.runAsUser !== undefined ? { runAsUser: { value: sec.runAsUser } } : {}),
        ...(sec.runAsGroup !== undefined ? { runAsGroup: { value: sec.runAsGroup } } : {}),
        readonlyRootfs: sec.readOnlyRootFilesystem === true,
        supplementalGroups: sec.supplementalGroups ?? [],
        // As the kubelet: no_new_privs only when allowPrivilegeEscalation is explicitly false.
        noNewPrivs: sec.allowPrivilegeEscalation === false,
        ...(privileged ? {} : { maskedPaths: defaultMaskedPaths, readonlyPaths: defaultReadonlyPaths }),
      },
    },
  };
}

/** The managed /etc/hosts (the kubelet's format): localhost lines, the pod's own name, then hostAliases. */
export function renderHostsFile(podIps: string[], hostname: string, aliases: { ip: string; hostnames: string[] }[] = []): string {
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  for (const ip of podIps) lines.push(`${ip}\t${hostname}`);
  if (aliases.length) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of aliases) lines.push(`${a.ip}\t${a.hostnames.join('\t')}`);
  }
  return `${lines.join('\n')}\n`;
}

const nsToMs = (ns: number): number => Math.floor(ns / 1e6);

/** The network namespace path from a verbose PodSandboxStatus's info (its OCI runtime spec). */
export function netnsPathFromInfo(info: Record<string, string>): string | undefined {
  const raw = info.info;
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as { runtimeSpec?: { linux?: { namespaces?: { type: string; path?: string }[] } } };
    return parsed.runtimeSpec?.linux?.namespaces?.find((n) => n.type === 'network')?.path || undefined;
  } catch {
    return undefined;
  }
}

export function fromCriSandboxStatus(s: T.PodSandboxStatus, netnsPath?: string): PodSandboxStatus {
  const hostNetwork = s.linux?.namespaces?.options?.network === 'NODE';
  const ips = [s.network?.ip, ...(s.network?.additionalIps ?? []).map((a) => a.ip)].filter((ip): ip is string => !!ip);
  return {
    id: s.id,
    uid: s.metadata?.uid ?? '',
    name: s.metadata?.name ?? '',
    namespace: s.metadata?.namespace ?? '',
    attempt: s.metadata?.attempt ?? 0,
    state: s.state === 'SANDBOX_READY' ? 'ready' : 'notready',
    createdAtMs: nsToMs(s.createdAt),
    ips,
    network: hostNetwork ? 'host' : 'pod',
    ...(netnsPath && !hostNetwork ? { netnsPath } : {}),
    labels: s.labels ?? {},
    annotations: s.annotations ?? {},
  };
}

export const containerStateOf: Record<T.ContainerState, ContainerState> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};

export function fromCriContainerStatus(s: T.ContainerStatus, sandboxId: string): ContainerStatus {
  const state = containerStateOf[s.state] ?? 'unknown';
  const exited = state === 'exited';
  return {
    id: s.id,
    sandboxId,
    name: s.metadata?.name ?? '',
    attempt: s.metadata?.attempt ?? 0,
    state,
    image: s.image?.image ?? '',
    imageRef: s.imageRef,
    createdAtMs: nsToMs(s.createdAt),
    ...(s.startedAt > 0 ? { startedAtMs: nsToMs(s.startedAt) } : {}),
    // containerd stamps startedAt after the start call returns and finishedAt from the exit event, so a command
    // that exits at once can look finished before it started: a container never finishes before its start.
    ...(exited && s.finishedAt > 0 ? { finishedAtMs: nsToMs(Math.max(s.finishedAt, s.startedAt)) } : {}),
    ...(exited ? { exitCode: s.exitCode } : {}),
    ...(s.reason ? { reason: s.reason } : {}),
    ...(s.message ? { message: s.message } : {}),
    logPath: s.logPath,
    labels: s.labels ?? {},
    annotations: s.annotations ?? {},
  };
}

export function fromCriImage(i: T.Image): ImageInfo {
  return { id: i.id, repoTags: i.repoTags ?? [], repoDigests: i.repoDigests ?? [], sizeBytes: Number(i.size) || 0 };
}

export function fromCriStats(s: T.ContainerStats, sandboxId: string): ContainerStats {
  const ts = s.cpu?.timestamp || s.memory?.timestamp || Date.now() * 1e6;
  return {
    id: s.attributes?.id ?? '',
    name: s.attributes?.metadata?.name ?? '',
    sandboxId,
    timestampMs: nsToMs(ts),
    cpuUsageCoreNanoSeconds: s.cpu?.usageCoreNanoSeconds?.value ?? 0,
    memoryWorkingSetBytes: s.memory?.workingSetBytes?.value ?? 0,
    ...(s.memory?.rssBytes ? { memoryRssBytes: s.memory.rssBytes.value } : {}),
  };
}

/** Seconds for CRI's ExecSync timeout: at least 1 (0 would mean "no timeout"). */
export function execTimeoutSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
