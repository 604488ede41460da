// How a pod and its containers are described to the runtime: the sandbox config (hostname, DNS per
// dnsPolicy, host aliases, host ports, log directory, cgroup parent per QoS class, the kubelet's labels)
// and each container's config (resources in millicores/bytes, security context, log path, the kubelet's
// labels and restart-count annotation). Also the agent's data-dir layout for pods. Pure.
import { join } from 'node:path';
import type { Container, Pod, SecurityContext } from 'kubernetes-types/core/v1.js';
import type { ContainerConfig, ContainerResources, ContainerSecurity, KeyValue, Mount, PodSandboxConfig, PortMapping } from '../runtime/runtime.js';
import { podQosClass } from '../api/kinds/pod-spec.js';
import { tryParseQuantity } from '../util/quantity.js';
import { podDnsConfig, type ResolvConf } from '../network/dns/pod-dns-config.js';
import { podHostname } from '../network/dns/hosts-file.js';

export const podNameLabel = 'io.kubernetes.pod.name';
export const podNamespaceLabel = 'io.kubernetes.pod.namespace';
export const podUidLabel = 'io.kubernetes.pod.uid';
export const containerNameLabel = 'io.kubernetes.container.name';
export const restartCountAnnotation = 'io.kubernetes.container.restartCount';
/** Marks init containers, so adoption after a restart can tell them from app containers of the same name. */
export const containerTypeLabel = 'skiff.dev/container-type';

export interface ClusterDns {
  servers: string[];
  domain: string;
  /** The host's resolver configuration (dnsPolicy Default, and the search path appended for ClusterFirst). */
  host: ResolvConf;
}

export interface AgentLayout {
  dataDir: string;
  /** Unique per agent: "skiff-<id>" prefix of every cgroup path. */
  cgroupRoot: string;
}

export function podLogDirectory(layout: AgentLayout, pod: Pod): string {
  const m = pod.metadata!;
  return join(layout.dataDir, 'pods', 'logs', `${m.namespace}_${m.name}_${m.uid}`);
}

export function podDirectory(layout: AgentLayout, uid: string): string {
  return join(layout.dataDir, 'pods', uid);
}

/** The host file mounted at terminationMessagePath for one container instance. */
export function terminationMessageFile(layout: AgentLayout, uid: string, container: string, attempt: number): string {
  return join(podDirectory(layout, uid), 'containers', container, String(attempt));
}

export function cgroupParent(layout: AgentLayout, pod: Pod): string {
  const qos = pod.status?.qosClass ?? podQosClass(pod.spec as Record<string, unknown> | undefined);
  const tier = qos === 'Guaranteed' ? '' : qos === 'Burstable' ? '/burstable' : '/besteffort';
  return `${layout.cgroupRoot}/kubepods${tier}/pod${pod.metadata!.uid}`;
}

export function portMappings(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({ protocol: (p.protocol ?? 'TCP') as PortMapping['protocol'], containerPort: p.containerPort, hostPort: p.hostPort, ...(p.hostIP ? { hostIP: p.hostIP } : {}) });
    }
  }
  return out;
}

export function podLabels(pod: Pod): Record<string, string> {
  const m = pod.metadata!;
  return { ...(m.labels ?? {}), [podNameLabel]: m.name!, [podNamespaceLabel]: m.namespace!, [podUidLabel]: m.uid! };
}

/** The sandbox config and the DNS warnings (DNSConfigForming events). */
export function sandboxConfig(pod: Pod, attempt: number, layout: AgentLayout, dns: ClusterDns): PodSandboxConfig & { dnsWarnings: string[] } {
  const m = pod.metadata!;
  const spec = pod.spec!;
  const resolv = podDnsConfig(pod, dns.servers, dns.domain, dns.host);
  const sysctls = Object.fromEntries((spec.securityContext?.sysctls ?? []).map((s) => [s.name, s.value]));
  return {
    uid: m.uid!,
    name: m.name!,
    namespace: m.namespace!,
    attempt,
    hostname: spec.hostNetwork ? '' : podHostname(pod),
    dns: { servers: resolv.nameservers, searches: resolv.searches, options: resolv.options },
    ...(spec.hostAliases?.length ? { hostAliases: spec.hostAliases.map((a) => ({ ip: a.ip ?? '', hostnames: a.hostnames ?? [] })) } : {}),
    portMappings: portMappings(pod),
    hostNetwork: spec.hostNetwork ?? false,
    logDirectory: podLogDirectory(layout, pod),
    cgroupParent: cgroupParent(layout, pod),
    labels: podLabels(pod),
    annotations: { ...(m.annotations ?? {}) },
    ...(Object.keys(sysctls).length ? { sysctls } : {}),
    dnsWarnings: resolv.warnings,
  };
}

function millis(v: string | undefined): number | undefined {
  const q = tryParseQuantity(v);
  return q ? q.milliValue() : undefined;
}

function bytes(v: string | undefined): number | undefined {
  const q = tryParseQuantity(v);
  return q ? q.value() : undefined;
}

export function containerResources(c: Container): ContainerResources {
  const req = (c.resources?.requests ?? {}) as Record<string, string>;
  const lim = (c.resources?.limits ?? {}) as Record<string, string>;
  // Upstream: a limit without a request makes the request equal to the limit (API defaulting does it too).
  const cpuReq = millis(req['cpu']) ?? millis(lim['cpu']) ?? 0;
  const memReq = bytes(req['memory']) ?? bytes(lim['memory']);
  return {
    cpuRequestMillis: cpuReq,
    ...(millis(lim['cpu']) !== undefined ? { cpuLimitMillis: millis(lim['cpu']) } : {}),
    ...(bytes(lim['memory']) !== undefined ? { memoryLimitBytes: bytes(lim['memory']) } : {}),
    ...(memReq !== undefined ? { memoryRequestBytes: memReq } : {}),
  };
}

/** The container's security context over the pod's (the container's fields win). */
export function containerSecurity(pod: Pod, c: Container): ContainerSecurity {
  const p = pod.spec?.securityContext ?? {};
  const s: SecurityContext = c.securityContext ?? {};
  const out: ContainerSecurity = {};
  const user = s.runAsUser ?? p.runAsUser;
  const group = s.runAsGroup ?? p.runAsGroup;
  if (user !== undefined) out.runAsUser = user;
  if (group !== undefined) out.runAsGroup = group;
  if (p.supplementalGroups?.length) out.supplementalGroups = [...p.supplementalGroups];
  if (s.readOnlyRootFilesystem !== undefined) out.readOnlyRootFilesystem = s.readOnlyRootFilesystem;
  if (s.privileged !== undefined) out.privileged = s.privileged;
  if (s.allowPrivilegeEscalation !== undefined) out.allowPrivilegeEscalation = s.allowPrivilegeEscalation;
  if (s.capabilities) out.capabilities = { add: [...(s.capabilities.add ?? [])], drop: [...(s.capabilities.drop ?? [])] };
  return out;
}

export function containerConfig(
  pod: Pod,
  c: Container,
  kind: 'init' | 'app',
  attempt: number,
  resolved: { env: KeyValue[]; command: string[]; args: string[] },
  mounts: Mount[],
): ContainerConfig {
  const m = pod.metadata!;
  return {
    name: c.name,
    attempt,
    image: c.image ?? '',
    command: resolved.command,
    args: resolved.args,
    ...(c.workingDir ? { workingDir: c.workingDir } : {}),
    env: resolved.env,
    mounts,
    logPath: `${c.name}/${attempt}.log`,
    tty: c.tty ?? false,
    stdin: c.stdin ?? false,
    stdinOnce: c.stdinOnce ?? false,
    resources: containerResources(c),
    security: containerSecurity(pod, c),
    labels: { [podNameLabel]: m.name!, [podNamespaceLabel]: m.namespace!, [podUidLabel]: m.uid!, [containerNameLabel]: c.name, [containerTypeLabel]: kind },
    annotations: { [restartCountAnnotation]: String(attempt), 'io.kubernetes.container.terminationMessagePath': c.terminationMessagePath ?? '/dev/termination-log' },
  };
}
