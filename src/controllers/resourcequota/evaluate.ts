// Quota arithmetic shared by the ResourceQuota controller and the ResourceQuota admission plugin (upstream
// pkg/quota/v1 and its evaluators): which quota resource names an object kind is charged for, how much one
// object uses, scope matching (BestEffort/NotBestEffort/Terminating/NotTerminating/PriorityClass), the
// pod "must specify" constraints, and resource-list arithmetic. Pure: no I/O, no API errors.
import type { Container, Pod, ResourceQuota, ScopedResourceSelectorRequirement } from 'kubernetes-types/core/v1.js';
import { Quantity, tryParseQuantity } from '../../util/quantity.js';

export type Usage = Map<string, Quantity>;
type ResourceMap = { [k: string]: string | number | undefined } | undefined;

/** The kind an object belongs to, as quota evaluators see it. */
export interface GroupResource {
  group: string;
  resource: string;
}

const podComputeNames = new Set(['cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage']);
/** Resources a pod must state explicitly (per container) when a quota constrains them. */
const podValidationNames = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);
const legacyCounts: Record<string, string> = {
  pods: 'pods',
  services: 'services',
  configmaps: 'configmaps',
  secrets: 'secrets',
  persistentvolumeclaims: 'persistentvolumeclaims',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
};
const storageClassSuffix = '.storageclass.storage.k8s.io/';

export function countName(gr: GroupResource): string {
  return gr.group ? `count/${gr.resource}.${gr.group}` : `count/${gr.resource}`;
}

/** Does the evaluator for gr track this quota resource name? (upstream MatchingResources) */
export function tracks(gr: GroupResource, name: string): boolean {
  if (name === countName(gr)) return true;
  if (gr.group !== '') return false;
  if (legacyCounts[gr.resource] === name) return true;
  if (gr.resource === 'pods') {
    if (podComputeNames.has(name)) return true;
    // hugepages and extended resources
    return /^(requests\.|limits\.)?hugepages-/.test(name) || (name.startsWith('requests.') && name.includes('/'));
  }
  if (gr.resource === 'services') return name === 'services.loadbalancers' || name === 'services.nodeports';
  if (gr.resource === 'persistentvolumeclaims') {
    if (name === 'requests.storage') return true;
    const i = name.indexOf(storageClassSuffix);
    if (i > 0) return ['requests.storage', 'persistentvolumeclaims'].includes(name.slice(i + storageClassSuffix.length));
  }
  return false;
}

export function matchingResources(gr: GroupResource, names: Iterable<string>): string[] {
  return [...names].filter((n) => tracks(gr, n)).sort();
}

function q(v: string | number | undefined): Quantity | undefined {
  return tryParseQuantity(v);
}

function addTo(u: Usage, name: string, v: Quantity): void {
  const cur = u.get(name);
  u.set(name, cur ? cur.add(v) : v);
}

function listToUsage(m: ResourceMap): Usage {
  const u: Usage = new Map();
  for (const [k, v] of Object.entries(m ?? {})) {
    const x = q(v);
    if (x) u.set(k, x);
  }
  return u;
}

function maxInto(a: Usage, b: Usage): void {
  for (const [k, v] of b) {
    const cur = a.get(k);
    if (!cur || cur.cmp(v) < 0) a.set(k, v);
  }
}

/** Effective pod requests or limits: containers summed, at least any single init container, plus overhead. */
export function podResourceList(pod: Pod, which: 'requests' | 'limits'): Usage {
  const sum: Usage = new Map();
  for (const c of pod.spec?.containers ?? []) for (const [k, v] of listToUsage(c.resources?.[which])) addTo(sum, k, v);
  for (const c of pod.spec?.initContainers ?? []) maxInto(sum, listToUsage(c.resources?.[which]));
  for (const [k, v] of listToUsage(pod.spec?.overhead)) if (which === 'requests' || sum.has(k)) addTo(sum, k, v);
  return sum;
}

/** Upstream podComputeUsageHelper: quota names for one set of requests and limits. */
function computeUsage(requests: Usage, limits: Usage): Usage {
  const u: Usage = new Map([['pods', Quantity.fromInt(1)]]);
  for (const [k, v] of requests) {
    if (k === 'cpu' || k === 'memory' || k === 'ephemeral-storage') {
      u.set(k, v);
      u.set(`requests.${k}`, v);
    } else if (k.startsWith('hugepages-')) {
      u.set(`requests.${k}`, v);
    } else if (k.includes('/')) {
      u.set(`requests.${k}`, v);
    }
  }
  for (const [k, v] of limits) if (k === 'cpu' || k === 'memory' || k === 'ephemeral-storage') u.set(`limits.${k}`, v);
  return u;
}

/** Upstream QuotaV1Pod: terminal pods and pods past their deletion grace period use no compute quota. */
export function podCountsForQuota(pod: Pod, nowMs: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const del = pod.metadata?.deletionTimestamp;
  const grace = pod.metadata?.deletionGracePeriodSeconds;
  if (del && grace !== undefined && nowMs > Date.parse(del) + grace * 1000) return false;
  return true;
}

export function isBestEffort(pod: Pod): boolean {
  const all: Container[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  for (const c of all) {
    for (const m of [c.resources?.requests, c.resources?.limits]) {
      for (const [k, v] of Object.entries(m ?? {})) if ((k === 'cpu' || k === 'memory') && q(v)?.sign() === 1) return false;
    }
  }
  return true;
}

export function isTerminating(pod: Pod): boolean {
  const a = pod.spec?.activeDeadlineSeconds;
  return a !== undefined && a !== null && a >= 0;
}

/** The usage one object is charged for (upstream evaluators' Usage). */
export function objectUsage(gr: GroupResource, obj: unknown, nowMs: number): Usage {
  const u: Usage = new Map([[countName(gr), Quantity.fromInt(1)]]);
  if (gr.group !== '') return u;
  const legacy = legacyCounts[gr.resource];
  if (gr.resource === 'pods') {
    const pod = obj as Pod;
    if (!podCountsForQuota(pod, nowMs)) return u;
    for (const [k, v] of computeUsage(podResourceList(pod, 'requests'), podResourceList(pod, 'limits'))) u.set(k, v);
    return u;
  }
  if (legacy) u.set(legacy, Quantity.fromInt(1));
  if (gr.resource === 'services') {
    const spec = (obj as { spec?: { type?: string; ports?: unknown[] } }).spec;
    const type = spec?.type ?? 'ClusterIP';
    u.set('services.loadbalancers', Quantity.fromInt(type === 'LoadBalancer' ? 1 : 0));
    u.set('services.nodeports', Quantity.fromInt(type === 'LoadBalancer' || type === 'NodePort' ? (spec?.ports?.length ?? 0) : 0));
  }
  if (gr.resource === 'persistentvolumeclaims') {
    const spec = (obj as { spec?: { storageClassName?: string; resources?: { requests?: ResourceMap } } }).spec;
    const storage = q(spec?.resources?.requests?.['storage']);
    if (storage) u.set('requests.storage', storage);
    const cls = spec?.storageClassName;
    if (cls) {
      u.set(`${cls}${storageClassSuffix}persistentvolumeclaims`, Quantity.fromInt(1));
      if (storage) u.set(`${cls}${storageClassSuffix}requests.storage`, storage);
    }
  }
  return u;
}

function selectorMatches(req: ScopedResourceSelectorRequirement, pod: Pod): boolean {
  switch (req.scopeName) {
    case 'Terminating':
      return isTerminating(pod);
    case 'NotTerminating':
      return !isTerminating(pod);
    case 'BestEffort':
      return isBestEffort(pod);
    case 'NotBestEffort':
      return !isBestEffort(pod);
    case 'PriorityClass': {
      const name = pod.spec?.priorityClassName;
      const values = req.values ?? [];
      switch (req.operator) {
        case 'Exists':
          return !!name;
        case 'DoesNotExist':
          return !name;
        case 'In':
          return !!name && values.includes(name);
        case 'NotIn':
          return !name || !values.includes(name);
        default:
          return false;
      }
    }
    case 'CrossNamespacePodAffinity':
      return false;
    default:
      return false;
  }
}

/** All of the quota's scopes and scope selector terms match the object (only pods support scopes). */
export function scopesMatch(quota: ResourceQuota, gr: GroupResource, obj: unknown): boolean {
  const reqs: ScopedResourceSelectorRequirement[] = [
    ...(quota.spec?.scopes ?? []).map((s) => ({ scopeName: s, operator: 'Exists' })),
    ...(quota.spec?.scopeSelector?.matchExpressions ?? []),
  ];
  if (reqs.length === 0) return true;
  if (gr.group !== '' || gr.resource !== 'pods') return false;
  return reqs.every((r) => selectorMatches(r, obj as Pod));
}

/** Upstream evaluator.Matches: the quota constrains something this object is charged for. */
export function quotaMatches(quota: ResourceQuota, gr: GroupResource, obj: unknown): boolean {
  return matchingResources(gr, Object.keys(quota.spec?.hard ?? {})).length > 0 && scopesMatch(quota, gr, obj);
}

/** Upstream pod Constraints: "must specify limits.cpu for: c1,c2; requests.memory for: c1", or undefined. */
export function podConstraintError(pod: Pod, required: string[]): string | undefined {
  const req = required.filter((r) => podValidationNames.has(r));
  if (!req.length) return undefined;
  const missing = new Map<string, Set<string>>();
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    const have = computeUsage(listToUsage(c.resources?.requests), listToUsage(c.resources?.limits));
    for (const r of req) {
      if (have.has(r)) continue;
      if (!missing.has(r)) missing.set(r, new Set());
      missing.get(r)!.add(c.name);
    }
  }
  if (!missing.size) return undefined;
  const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

// ---- resource-list arithmetic ------------------------------------------------------------------------

export function toUsage(m: ResourceMap): Usage {
  return listToUsage(m);
}

export function fromUsage(u: Usage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...u.keys()].sort()) out[k] = u.get(k)!.toString();
  return out;
}

export function mask(u: Usage, names: Iterable<string>): Usage {
  const keep = new Set(names);
  return new Map([...u].filter(([k]) => keep.has(k)));
}

export function addUsage(a: Usage, b: Usage): Usage {
  const out: Usage = new Map(a);
  for (const [k, v] of b) addTo(out, k, v);
  return out;
}

/** Names in a whose value exceeds limit's (names absent from limit are not constrained). */
export function exceeded(a: Usage, limit: Usage): string[] {
  return [...a].filter(([k, v]) => limit.has(k) && v.cmp(limit.get(k)!) > 0).map(([k]) => k).sort();
}

/** upstream prettyPrint: "k=v,k2=v2" sorted by name. */
export function prettyPrint(u: Usage): string {
  return [...u.keys()].sort().map((k) => `${k}=${u.get(k)!.toString()}`).join(',');
}

export function sameUsage(a: Usage, b: Usage): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const o = b.get(k);
    if (!o || !o.equals(v)) return false;
  }
  return true;
}

/**
 * status.used for a quota from the objects it may be charged for (upstream CalculateUsage + Mask): every
 * hard name some evaluator tracks appears, zero when nothing uses it.
 */
export function calculateUsed(quota: ResourceQuota, objects: { gr: GroupResource; items: unknown[] }[], nowMs: number): Usage {
  const hardNames = Object.keys(quota.spec?.hard ?? {});
  const used: Usage = new Map();
  for (const { gr, items } of objects) {
    const names = matchingResources(gr, hardNames);
    if (!names.length) continue;
    for (const n of names) if (!used.has(n)) used.set(n, Quantity.fromInt(0));
    for (const o of items) {
      if (!scopesMatch(quota, gr, o)) continue;
      for (const [k, v] of mask(objectUsage(gr, o, nowMs), names)) addTo(used, k, v);
    }
  }
  return used;
}

/** The kinds (besides pods and the legacy core counts) a quota's hard names refer to via count/<r>.<g>. */
export function countedKinds(hardNames: Iterable<string>): GroupResource[] {
  const out: GroupResource[] = [];
  for (const n of hardNames) {
    if (n in legacyCounts) out.push({ group: '', resource: legacyCounts[n]! });
    const m = /^count\/([^.]+)(?:\.(.+))?$/.exec(n);
    if (m) out.push({ group: m[2] ?? '', resource: m[1]! });
  }
  for (const n of hardNames) {
    if (podComputeNames.has(n) || n.startsWith('requests.') || n.startsWith('limits.') || n.startsWith('hugepages-')) out.push({ group: '', resource: 'pods' });
    if (n.startsWith('services.')) out.push({ group: '', resource: 'services' });
    if (n === 'requests.storage' || n.includes(storageClassSuffix)) out.push({ group: '', resource: 'persistentvolumeclaims' });
  }
  const seen = new Set<string>();
  return out.filter((g) => {
    const k = `${g.group}/${g.resource}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
