// The downward API: what a container may learn about its own pod, for env vars (fieldRef, resourceFieldRef)
// and downwardAPI/projected volume files. Field paths and their rendering follow upstream
// (pkg/api/v1/pod ConvertDownwardAPIFieldLabel, pkg/fieldpath, pkg/api/v1/resource): whole label/annotation
// maps render as sorted `key="value"` lines, resource values are ceil(value / divisor), and unset limits read
// as the node's allocatable. Pure; errors are ContainerConfigError with upstream's messages.
import type { Container, ObjectFieldSelector, Pod, ResourceFieldSelector } from 'kubernetes-types/core/v1.js';
import { Quantity, tryParseQuantity } from '../../util/quantity.js';
import { ContainerConfigError } from './errors.js';

export interface DownwardApiHost {
  /** The node's IPs (status.hostIP(s)), preferred family first. */
  hostIPs: string[];
  /** The pod's IPs (status.podIP(s)), preferred family first; empty for a pod without one yet. */
  podIPs: string[];
  /** node.status.allocatable: limits that are not set read as these. */
  allocatable: Record<string, string>;
}

const supportedFieldLabels = new Set([
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
]);

/** `metadata.labels['x']` → ['labels', 'x'] (upstream fieldpath.SplitMaybeSubscriptedPath). */
function subscripted(path: string): [string, string] | undefined {
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  return m ? [m[1]!, m[2]!] : undefined;
}

/** Go's strconv.Quote, as upstream's FormatMap uses `%q`. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0b) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0x80 && c <= 0x9f) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Sorted `key="value"` lines (upstream fieldpath.FormatMap). */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m![k]!)}`)
    .join('\n');
}

/** The value of a fieldRef for this pod. */
export function fieldRefValue(sel: ObjectFieldSelector, pod: Pod, host: Pick<DownwardApiHost, 'hostIPs' | 'podIPs'>): string {
  const version = sel.apiVersion ?? 'v1';
  if (version !== 'v1') throw new ContainerConfigError(`unsupported pod version: ${version}`);
  const path = sel.fieldPath;
  const sub = subscripted(path);
  if (!sub && !supportedFieldLabels.has(path)) throw new ContainerConfigError(`field label not supported: ${path}`);
  const meta = pod.metadata ?? {};
  if (sub) return (sub[0] === 'labels' ? meta.labels : meta.annotations)?.[sub[1]] ?? '';
  switch (path) {
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      if (!host.hostIPs.length) throw new ContainerConfigError('host IP unknown; known addresses: []');
      return host.hostIPs[0]!;
    case 'status.hostIPs':
      return host.hostIPs.join(',');
    case 'status.podIP':
      return host.podIPs[0] ?? '';
    case 'status.podIPs':
      return host.podIPs.join(',');
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
  }
  throw new ContainerConfigError(`unsupported fieldPath: ${path}`);
}

const limitDefaulted = ['cpu', 'memory', 'ephemeral-storage'];

/** The container's limits with unset cpu/memory/ephemeral-storage taken from allocatable (upstream MergeContainerResourceLimits). */
export function limitsWithAllocatable(container: Container, allocatable: Record<string, string>): Record<string, string> {
  const limits: Record<string, string> = { ...(container.resources?.limits ?? {}) };
  for (const r of limitDefaulted) if (limits[r] === undefined && allocatable[r] !== undefined) limits[r] = allocatable[r]!;
  return limits;
}

/** ceil(value / divisor): cpu compares millis, everything else whole units (upstream convertResource*ToString). */
function divide(resource: string, value: Quantity, divisor: Quantity): string {
  const cpu = resource === 'cpu';
  const v = cpu ? value.milliValue() : value.value();
  const d = cpu ? divisor.milliValue() : divisor.value();
  if (d === 0) throw new ContainerConfigError(`divisor ${divisor.toString()} is too small for ${resource}`);
  return String(Math.ceil(v / d));
}

/**
 * The value of a resourceFieldRef. `container` is the one asking; a selector naming another container
 * (volumes always name one) reads that container of the pod.
 */
export function resourceFieldValue(sel: ResourceFieldSelector, pod: Pod, container: Container | undefined, allocatable: Record<string, string>): string {
  let target = container;
  if (sel.containerName) {
    const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
    target = all.find((c) => c.name === sel.containerName);
    if (!target) throw new ContainerConfigError(`failed to find container whose name is ${sel.containerName}`);
  }
  if (!target) throw new ContainerConfigError(`failed to find container for resource ${sel.resource}`);
  const divisor = tryParseQuantity(sel.divisor ?? undefined);
  const div = divisor && !divisor.isZero() ? divisor : Quantity.fromInt(1);
  const dot = sel.resource.indexOf('.');
  const kind = sel.resource.slice(0, dot);
  const name = sel.resource.slice(dot + 1);
  const supported = limitDefaulted.includes(name) || name.startsWith('hugepages-');
  if (dot < 0 || (kind !== 'limits' && kind !== 'requests') || !supported) {
    throw new ContainerConfigError(`unsupported container resource : ${sel.resource}`);
  }
  const source = kind === 'limits' ? limitsWithAllocatable(target, allocatable) : (target.resources?.requests ?? {});
  const value = tryParseQuantity(source[name] ?? undefined) ?? Quantity.fromInt(0);
  return divide(name, value, div);
}
