// What the scheduler knows about a pod (PodInfo: requests, priority, parsed affinity terms, host ports,
// computed once per pod object) and about a node (NodeInfo: the Node, its pods, the sum of their requests,
// used host ports, pods with affinity terms). Plugins read these; only the scheduler cache changes them.
// Pure data structures, no I/O.
import type { Node, Pod, PodAffinityTerm, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromObject, type LabelSelector } from '../../util/label-selector.js';
import { deepEqual } from '../../util/deep-equal.js';
import { selectorKey } from './match-counts.js';
import { addResources, cloneResources, emptyResources, nodeAllocatable, podRequests, sharedResources, subResources, type Resources } from './resources.js';

export interface AffinityTerm {
  selector: LabelSelector;
  /** Namespaces the term looks at; undefined = all (an empty namespaceSelector). */
  namespaces: Set<string> | undefined;
  topologyKey: string;
  weight: number;
  /** What the term selects (namespaces and selector): equal for terms that select the same pods. */
  key: string;
}

const noLabels: Record<string, string> = Object.freeze({}) as Record<string, string>;
const hostnameKey = 'kubernetes.io/hostname';
const zoneKey = 'topology.kubernetes.io/zone';

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

export class PodInfo {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly priority: number;
  readonly requests: Resources;
  readonly nonZeroRequests: Resources;
  readonly requiredAffinity: AffinityTerm[];
  readonly requiredAntiAffinity: AffinityTerm[];
  readonly preferredAffinity: AffinityTerm[];
  readonly preferredAntiAffinity: AffinityTerm[];
  readonly hostPorts: HostPort[];
  readonly tolerations: Toleration[];
  /**
   * metadata.labels ({} when absent) and whether deletionTimestamp is set, as fields: selectors of spreading
   * and pod affinity test them on every pod of every node they count.
   */
  readonly labels: Record<string, string>;
  readonly terminating: boolean;

  /**
   * from: a PodInfo of an earlier version of the pod whose derived fields hold for this one too (see next());
   * they are taken over instead of worked out again. Labels and tolerations are always this pod's own.
   */
  constructor(
    readonly pod: Pod,
    from?: PodInfo,
  ) {
    this.namespace = pod.metadata?.namespace ?? '';
    this.name = pod.metadata?.name ?? '';
    this.key = from ? from.key : `${this.namespace}/${this.name}`;
    this.labels = pod.metadata?.labels ?? noLabels;
    this.terminating = !!pod.metadata?.deletionTimestamp;
    this.priority = pod.spec?.priority ?? 0;
    this.tolerations = pod.spec?.tolerations ?? noneShared;
    if (from) {
      this.requests = from.requests;
      this.nonZeroRequests = from.nonZeroRequests;
      this.requiredAffinity = from.requiredAffinity;
      this.requiredAntiAffinity = from.requiredAntiAffinity;
      this.preferredAffinity = from.preferredAffinity;
      this.preferredAntiAffinity = from.preferredAntiAffinity;
      this.hostPorts = from.hostPorts;
      return;
    }
    this.requests = sharedResources(podRequests(pod, false));
    this.nonZeroRequests = sharedResources(podRequests(pod, true));
    const a = pod.spec?.affinity;
    const ns = this.namespace;
    // Most pods have no terms and no host ports: they share one empty array each (a cache holds a PodInfo
    // per pod, 150,000 of them in a large cluster).
    this.requiredAffinity = terms(a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution, (t) => parseTerm(t, ns, 1));
    this.requiredAntiAffinity = terms(a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution, (t) => parseTerm(t, ns, 1));
    this.preferredAffinity = terms(a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution, (w) => parseTerm(w.podAffinityTerm, ns, w.weight));
    this.preferredAntiAffinity = terms(a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution, (w) => parseTerm(w.podAffinityTerm, ns, w.weight));
    let ports: HostPort[] = noneShared;
    for (const c of [...(pod.spec?.initContainers ?? []).filter((i) => i.restartPolicy === 'Always'), ...(pod.spec?.containers ?? [])]) {
      for (const p of c.ports ?? []) {
        if (!(p.hostPort && p.hostPort > 0)) continue;
        if (ports === noneShared) ports = [];
        ports.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol ?? 'TCP', port: p.hostPort });
      }
    }
    this.hostPorts = ports;
  }

  /**
   * The PodInfo of pod, a newer version of prev's pod (or a pod under the same key): prev's requests, affinity
   * terms and host ports are taken over when what they are worked out from is unchanged (a status update, a
   * binding, a label change), else everything is worked out afresh.
   */
  static next(prev: PodInfo, pod: Pod): PodInfo {
    return sameDerivedInputs(prev.pod, pod) ? new PodInfo(pod, prev) : new PodInfo(pod);
  }

  /** Terms that add to other pods' InterPodAffinity scores (required affinity, preferred either way). */
  get hasScoringAffinity(): boolean {
    return this.requiredAffinity.length + this.preferredAffinity.length + this.preferredAntiAffinity.length > 0;
  }

  /** Pod start time for preemption's ordering (start time, else creation). */
  get startTime(): number {
    return Date.parse(this.pod.status?.startTime ?? this.pod.metadata?.creationTimestamp ?? '') || 0;
  }
}

/**
 * Whether a PodInfo of a derives the same requests, affinity terms and host ports as one of b would: the same
 * namespace and name, and equal containers, init containers, overhead and pod (anti-)affinity. (Priority,
 * labels, tolerations and deletion are read from the pod itself.)
 */
export function sameDerivedInputs(a: Pod, b: Pod): boolean {
  if (a === b) return true;
  const am = a.metadata;
  const bm = b.metadata;
  if (am?.namespace !== bm?.namespace || am?.name !== bm?.name) return false;
  const as = a.spec;
  const bs = b.spec;
  if (as === bs) return true;
  if (!as || !bs) return false;
  if (!deepEqual(as.containers, bs.containers) || !deepEqual(as.initContainers, bs.initContainers) || !deepEqual(as.overhead, bs.overhead)) return false;
  const aa = as.affinity;
  const ba = bs.affinity;
  return aa === ba || (deepEqual(aa?.podAffinity, ba?.podAffinity) && deepEqual(aa?.podAntiAffinity, ba?.podAntiAffinity));
}

/** One frozen empty array shared by every PodInfo with nothing in a list. */
const noneShared: never[] = Object.freeze([]) as unknown as never[];

function terms<I>(list: I[] | undefined, parse: (item: I) => AffinityTerm): AffinityTerm[] {
  return list?.length ? list.map(parse) : noneShared;
}

function parseTerm(t: PodAffinityTerm, podNamespace: string, weight: number): AffinityTerm {
  let namespaces: Set<string> | undefined = new Set(t.namespaces ?? []);
  const nsSel = t.namespaceSelector;
  if (nsSel && !nsSel.matchLabels && !nsSel.matchExpressions) namespaces = undefined; // {} = every namespace
  else if (namespaces.size === 0) namespaces.add(podNamespace);
  const selector = labelSelectorFromObject(t.labelSelector);
  return { selector, namespaces, topologyKey: t.topologyKey, weight, key: selectorKey(selector, namespaces) };
}

function sameTerms(a: readonly AffinityTerm[], b: readonly AffinityTerm[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.key !== y.key || x.topologyKey !== y.topologyKey || x.weight !== y.weight) return false;
  }
  return true;
}

function sameResources(a: Resources, b: Resources): boolean {
  if (a === b) return true;
  if (a.milliCPU !== b.milliCPU || a.memory !== b.memory || a.ephemeralStorage !== b.ephemeralStorage || a.pods !== b.pods) return false;
  if (a.scalar.size !== b.scalar.size) return false;
  for (const [k, v] of a.scalar) if (b.scalar.get(k) !== v) return false;
  return true;
}

/** Equal label maps (same keys, same values). */
export function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k] || !Object.hasOwn(b, k)) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}

/**
 * Whether two versions of a pod count the same on a node (requests, host ports, labels, terminating, pod
 * affinity terms): everything the node's sums, the topology index and the cache's counters derive from a
 * pod. An update that keeps these (a status change) swaps the PodInfo instead of removing and re-adding it.
 */
export function samePlacementInputs(a: PodInfo, b: PodInfo): boolean {
  if (a.key !== b.key || a.terminating !== b.terminating) return false;
  if (!sameResources(a.requests, b.requests) || !sameResources(a.nonZeroRequests, b.nonZeroRequests)) return false;
  if (a.hostPorts.length !== b.hostPorts.length) return false;
  for (let i = 0; i < a.hostPorts.length; i++) {
    const x = a.hostPorts[i]!;
    const y = b.hostPorts[i]!;
    if (x.ip !== y.ip || x.protocol !== y.protocol || x.port !== y.port) return false;
  }
  if (!sameLabels(a.labels, b.labels)) return false;
  return (
    sameTerms(a.requiredAffinity, b.requiredAffinity) &&
    sameTerms(a.requiredAntiAffinity, b.requiredAntiAffinity) &&
    sameTerms(a.preferredAffinity, b.preferredAffinity) &&
    sameTerms(a.preferredAntiAffinity, b.preferredAntiAffinity)
  );
}

/** Does an affinity term select pod p? */
export function termMatches(term: AffinityTerm, p: PodInfo): boolean {
  if (term.namespaces && !term.namespaces.has(p.namespace)) return false;
  return term.selector.matches(p.labels);
}

// Slots of NodeInfo.sums: the node's allocatable, its pods' requests and non-zero requests of the native
// resources, and its pod count, as plain doubles side by side. Filters and scores read them for hundreds of
// nodes per pod; in the Resources objects each amount beyond 2^31 (memory) is a separate boxed number.
export const allocCPU = 0;
export const allocMemory = 1;
export const allocEphemeral = 2;
export const allocPods = 3;
export const reqCPU = 4;
export const reqMemory = 5;
export const reqEphemeral = 6;
export const nonZeroCPU = 7;
export const nonZeroMemory = 8;
export const podCount = 9;
export const sumSlots = 10;

export class NodeInfo {
  // Field order is memory order: what every filter reads of every node comes first (one cache line), as
  // the filter loop touches hundreds of cold nodes per pod.
  /**
   * What the filters read of the Node on every node of every cycle, kept as fields rather than looked up
   * through node.metadata / node.spec each time: spec.unschedulable, labels ({} without a Node), and the
   * taints, all and split by effect (NoSchedule/NoExecute for the filter, PreferNoSchedule for the score).
   */
  unschedulable = false;
  hardTaints: readonly Taint[] = noneShared;
  preferTaints: readonly Taint[] = noneShared;
  /**
   * allocatable, requested, nonZeroRequested (native resources) and pods.size, by the slots above, at
   * sums[base + slot]. A node of the scheduler cache has its sums in one table shared by all nodes, in the
   * order the filter loop visits them (moveSums): consecutive nodes' sums are adjacent in memory.
   */
  sums: Float64Array = new Float64Array(sumSlots);
  base = 0;
  /** The two usual topology labels, for label(). */
  private hostname: string | undefined;
  private zone: string | undefined;
  /** The Node object; change it through setNode/clearNode (the fields below are derived from it). */
  node: Node | undefined;
  labels: Record<string, string> = noLabels;
  taints: readonly Taint[] = noneShared;
  readonly pods = new Map<string, PodInfo>();
  requested: Resources = emptyResources();
  nonZeroRequested: Resources = emptyResources();
  allocatable: Resources = emptyResources();
  /** "protocol/port" → host IPs in use. */
  usedPorts = new Map<string, string[]>();
  /** Pods with terms that score other pods (PodInfo.hasScoringAffinity). */
  podsWithAffinity = 0;
  podsWithRequiredAntiAffinity = 0;
  /** Bumped on every change (for caches keyed by node state). */
  generation = 0;

  constructor(readonly name: string) {}

  /** labels[key], with the hostname and zone labels read from fields (filters ask per node, per pod). */
  label(key: string): string | undefined {
    if (key === hostnameKey) return this.hostname;
    if (key === zoneKey) return this.zone;
    return this.labels[key];
  }

  /** Copies the sums from the Resources (after every change of them). */
  private syncSums(): void {
    const s = this.sums;
    const b = this.base;
    const a = this.allocatable;
    const r = this.requested;
    s[b + allocCPU] = a.milliCPU;
    s[b + allocMemory] = a.memory;
    s[b + allocEphemeral] = a.ephemeralStorage;
    s[b + allocPods] = a.pods;
    s[b + reqCPU] = r.milliCPU;
    s[b + reqMemory] = r.memory;
    s[b + reqEphemeral] = r.ephemeralStorage;
    s[b + nonZeroCPU] = this.nonZeroRequested.milliCPU;
    s[b + nonZeroMemory] = this.nonZeroRequested.memory;
    s[b + podCount] = this.pods.size;
  }

  /** Keeps the sums at table[base …] from now on (the scheduler cache's shared table). */
  moveSums(table: Float64Array, base: number): void {
    table.set(this.sums.subarray(this.base, this.base + sumSlots), base);
    this.sums = table;
    this.base = base;
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = nodeAllocatable(node);
    this.labels = node.metadata?.labels ?? noLabels;
    this.hostname = this.labels[hostnameKey];
    this.zone = this.labels[zoneKey];
    this.unschedulable = !!node.spec?.unschedulable;
    const taints = node.spec?.taints;
    if (taints?.length) {
      this.taints = taints;
      this.hardTaints = taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
      this.preferTaints = taints.filter((t) => t.effect === 'PreferNoSchedule');
    } else this.taints = this.hardTaints = this.preferTaints = noneShared;
    this.syncSums();
    this.generation++;
  }

  /** The Node went (its pods may stay until their deletion is seen). */
  clearNode(): void {
    this.node = undefined;
    this.labels = noLabels;
    this.hostname = this.zone = undefined;
    this.unschedulable = false;
    this.taints = this.hardTaints = this.preferTaints = noneShared;
    this.generation++;
  }

  addPod(p: PodInfo): void {
    if (this.pods.has(p.key)) this.removePod(p.key);
    this.pods.set(p.key, p);
    addResources(this.requested, p.requests);
    addResources(this.nonZeroRequested, p.nonZeroRequests);
    if (p.hasScoringAffinity) this.podsWithAffinity++;
    if (p.requiredAntiAffinity.length) this.podsWithRequiredAntiAffinity++;
    for (const hp of p.hostPorts) {
      const k = `${hp.protocol}/${hp.port}`;
      const l = this.usedPorts.get(k);
      if (l) l.push(hp.ip);
      else this.usedPorts.set(k, [hp.ip]);
    }
    this.syncSums();
    this.generation++;
  }

  /** A new version of a pod on this node with samePlacementInputs: nothing summed changes. */
  replacePod(p: PodInfo): void {
    this.pods.set(p.key, p);
    this.generation++;
  }

  removePod(key: string): PodInfo | undefined {
    const p = this.pods.get(key);
    if (!p) return undefined;
    this.pods.delete(key);
    subResources(this.requested, p.requests);
    subResources(this.nonZeroRequested, p.nonZeroRequests);
    if (p.hasScoringAffinity) this.podsWithAffinity--;
    if (p.requiredAntiAffinity.length) this.podsWithRequiredAntiAffinity--;
    for (const hp of p.hostPorts) {
      const k = `${hp.protocol}/${hp.port}`;
      const l = this.usedPorts.get(k);
      if (!l) continue;
      const i = l.indexOf(hp.ip);
      if (i >= 0) l.splice(i, 1);
      if (l.length === 0) this.usedPorts.delete(k);
    }
    this.syncSums();
    this.generation++;
    return p;
  }

  /** An independent copy (pods shared, sums copied), for preemption's what-if runs. */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.node = this.node;
    c.labels = this.labels;
    c.hostname = this.hostname;
    c.zone = this.zone;
    c.unschedulable = this.unschedulable;
    c.taints = this.taints;
    c.hardTaints = this.hardTaints;
    c.preferTaints = this.preferTaints;
    for (const [k, p] of this.pods) c.pods.set(k, p);
    c.requested = cloneResources(this.requested);
    c.nonZeroRequested = cloneResources(this.nonZeroRequested);
    c.allocatable = this.allocatable;
    for (const [k, l] of this.usedPorts) c.usedPorts.set(k, [...l]);
    c.podsWithAffinity = this.podsWithAffinity;
    c.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity;
    c.generation = this.generation;
    c.sums.set(this.sums.subarray(this.base, this.base + sumSlots));
    return c;
  }
}
