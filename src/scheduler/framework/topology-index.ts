// Matching pods per topology domain across the whole cluster, kept up to date as pods are placed and
// removed, so PodTopologySpread's and InterPodAffinity's preFilter read the counts instead of walking every
// node for every pod (upstream walks all nodes in PreFilter on 16 goroutines; here the walk happens once per
// query, then every cache change adjusts the counts). Two kinds of entries:
// - queries the plugins ask for (a selector, a topology key, the labels a node must have to count): the
//   first ask counts every node, later asks read the counts; at most maxQueries are tracked, so each pod
//   event costs at most that many selector matches. A query not asked for in the last idleAsks asks makes
//   room for a new one; when all are in use the new one is refused (undefined) and the plugin walks the
//   nodes as it would without an index — many workloads in rotation never cost a full recount per pod;
// - existing pods' required anti-affinity terms, one entry per distinct term and topology key, always kept.
// A query whose selector pins a label to a few values (`app=web`, `app in (a,b)`) is first counted from the
// pods carrying one of them, found through an index of pods by the value of that label key (kept for at
// most maxLabelKeys keys, built on the first query that pins the key), not by walking every pod.
// The scheduler cache calls podAdded/podRemoved and nodeChanging/nodeChanged; the plugins only read. No I/O.
import type { LabelSelector } from '../../util/label-selector.js';
import type { AffinityTerm, NodeInfo, PodInfo } from './node-info.js';

export interface CountQuery {
  /** Identity: equal keys must describe equal queries (selector, namespaces, topology key, required keys). */
  key: string;
  topologyKey: string;
  /** Labels a node must carry for its pods and its domain to count (topologyKey is implied). */
  requiredKeys: readonly string[];
  matches(p: PodInfo): boolean;
  /** A label every pod that matches carries, with one of these (distinct) values. */
  pin?: LabelPin;
  /** false: the domains are not counted (pod affinity reads only the pods; spreading needs the domains). */
  domains?: boolean;
}

export interface LabelPin {
  key: string;
  values: readonly string[];
}

/** The label a selector pins to a set of values (its first `=`, `==` or `in` requirement), if any. */
export function pinOf(selector: LabelSelector): LabelPin | undefined {
  for (const r of selector.requirements) {
    if (r.operator === '=' || r.operator === '==' || r.operator === 'in') return { key: r.key, values: r.values };
  }
  return undefined;
}

/** A query's counts: matching pods per domain, and every domain of an eligible node (zero counts included). */
export interface DomainCounts {
  readonly pods: ReadonlyMap<string, number>;
  /** Domain → eligible nodes in it (empty for a query with domains: false). */
  readonly domains: ReadonlyMap<string, number>;
}

/** Pods carrying one required anti-affinity term (by term.key and topology key), per domain. */
export interface AntiTermCounts {
  readonly term: AffinityTerm;
  readonly pods: ReadonlyMap<string, number>;
}

interface Tracked extends DomainCounts {
  readonly query: CountQuery;
  /** The ask (counter) it was last asked at. */
  lastAsk: number;
  readonly pods: Map<string, number>;
  readonly domains: Map<string, number>;
}

interface AntiEntry extends AntiTermCounts {
  readonly pods: Map<string, number>;
  /** Carriers of the term (an entry goes when the last one does). */
  refs: number;
}

const bump = (m: Map<string, number>, k: string, d: number): void => {
  const v = (m.get(k) ?? 0) + d;
  if (v === 0) m.delete(k);
  else m.set(k, v);
};

function eligible(q: CountQuery, labels: Record<string, string>): string | undefined {
  const v = labels[q.topologyKey];
  if (v === undefined) return undefined;
  for (const k of q.requiredKeys) if (labels[k] === undefined) return undefined;
  return v;
}

/** Whether p carries the pinned label with one of its values (else the query cannot match p). */
function pinAdmits(pin: LabelPin | undefined, p: PodInfo): boolean {
  if (!pin) return true;
  if (!Object.hasOwn(p.labels, pin.key)) return false;
  return pin.values.includes(p.labels[pin.key]!);
}

function indexLabel(byValue: Map<string, Map<PodInfo, NodeInfo>>, key: string, p: PodInfo, ni: NodeInfo, d: number): void {
  if (!Object.hasOwn(p.labels, key)) return;
  const v = p.labels[key]!;
  let pods = byValue.get(v);
  if (d > 0) {
    if (!pods) byValue.set(v, (pods = new Map()));
    pods.set(p, ni);
  } else if (pods) {
    pods.delete(p);
    if (pods.size === 0) byValue.delete(v);
  }
}

export class TopologyIndex {
  /** Insertion order = recency of asking (a Map keeps insertion order; re-asking moves to the end). */
  private readonly queries = new Map<string, Tracked>();
  private readonly anti = new Map<string, AntiEntry>();
  /** Label key → value → the pods carrying it, with their node (every pod of the cache, with a Node or not). */
  private readonly byLabel = new Map<string, Map<string, Map<PodInfo, NodeInfo>>>();
  private asks = 0;

  constructor(
    private readonly nodes: () => Iterable<NodeInfo>,
    private readonly maxQueries = 64,
    private readonly idleAsks = 4096,
    private readonly maxLabelKeys = 16,
  ) {}

  get indexedLabelKeys(): number {
    return this.byLabel.size;
  }

  get trackedQueries(): number {
    return this.queries.size;
  }

  /**
   * The counts for q, counted over every node the first time it is asked; undefined when every tracked query
   * is in use (the caller counts by itself).
   */
  counts(q: CountQuery): DomainCounts | undefined {
    const ask = ++this.asks;
    let t = this.queries.get(q.key);
    if (t) {
      t.lastAsk = ask;
      this.queries.delete(q.key);
      this.queries.set(q.key, t);
      return t;
    }
    if (this.queries.size >= this.maxQueries) {
      const [oldestKey, oldest] = this.queries.entries().next().value as [string, Tracked];
      if (ask - oldest.lastAsk <= this.idleAsks) return undefined;
      this.queries.delete(oldestKey);
    }
    t = { query: q, pods: new Map(), domains: new Map(), lastAsk: ask };
    this.countAll(t);
    this.queries.set(q.key, t);
    return t;
  }

  /** A new query's first count: every node's domain, and the matching pods (the pinned ones when it can). */
  private countAll(t: Tracked): void {
    const q = t.query;
    const pinned = q.pin && this.labelIndex(q.pin.key);
    if (!pinned) {
      for (const ni of this.nodes()) this.nodeIn(t, ni, 1);
      return;
    }
    if (q.domains !== false) {
      for (const ni of this.nodes()) {
        if (!ni.node) continue;
        const v = eligible(q, ni.labels);
        if (v !== undefined) bump(t.domains, v, 1);
      }
    }
    for (const value of q.pin!.values) {
      for (const [p, ni] of pinned.get(value) ?? []) {
        if (!ni.node) continue;
        const v = eligible(q, ni.labels);
        if (v !== undefined && q.matches(p)) bump(t.pods, v, 1);
      }
    }
  }

  /** The pods by value of a label key, indexed on first use; undefined when maxLabelKeys are indexed. */
  private labelIndex(key: string): Map<string, Map<PodInfo, NodeInfo>> | undefined {
    let byValue = this.byLabel.get(key);
    if (byValue) return byValue;
    if (this.byLabel.size >= this.maxLabelKeys) return undefined;
    this.byLabel.set(key, (byValue = new Map()));
    for (const ni of this.nodes()) for (const p of ni.pods.values()) indexLabel(byValue, key, p, ni, 1);
    return byValue;
  }

  /** Existing pods' required anti-affinity terms with their pods per domain. */
  antiAffinityTerms(): Iterable<AntiTermCounts> {
    return this.anti.values();
  }

  podAdded(ni: NodeInfo, p: PodInfo): void {
    this.pod(ni, p, 1);
  }

  podRemoved(ni: NodeInfo, p: PodInfo): void {
    this.pod(ni, p, -1);
  }

  /** A new version of a pod with the same placement inputs (samePlacementInputs): only identities change. */
  podReplaced(ni: NodeInfo, old: PodInfo, p: PodInfo): void {
    for (const [key, byValue] of this.byLabel) {
      if (!Object.hasOwn(old.labels, key)) continue;
      const pods = byValue.get(old.labels[key]!);
      if (!pods) continue;
      pods.delete(old);
      pods.set(p, ni);
    }
  }

  /** Before a node's Node object (labels) changes or goes: what it contributed is taken out. */
  nodeChanging(ni: NodeInfo): void {
    this.node(ni, -1);
  }

  /** After: what it contributes now is put back. */
  nodeChanged(ni: NodeInfo): void {
    this.node(ni, 1);
  }

  private node(ni: NodeInfo, d: number): void {
    if (!ni.node) return;
    for (const t of this.queries.values()) this.nodeIn(t, ni, d);
    for (const p of ni.pods.values()) this.antiOf(ni, p, d);
  }

  private nodeIn(t: Tracked, ni: NodeInfo, d: number): void {
    if (!ni.node) return;
    const v = eligible(t.query, ni.labels);
    if (v === undefined) return;
    if (t.query.domains !== false) bump(t.domains, v, d);
    let n = 0;
    const pin = t.query.pin;
    for (const p of ni.pods.values()) if (pinAdmits(pin, p) && t.query.matches(p)) n++;
    if (n > 0) bump(t.pods, v, d * n);
  }

  private pod(ni: NodeInfo, p: PodInfo, d: number): void {
    for (const [key, byValue] of this.byLabel) indexLabel(byValue, key, p, ni, d);
    if (!ni.node) return;
    const labels = ni.labels;
    for (const t of this.queries.values()) {
      if (!pinAdmits(t.query.pin, p)) continue;
      const v = eligible(t.query, labels);
      if (v !== undefined && t.query.matches(p)) bump(t.pods, v, d);
    }
    this.antiOf(ni, p, d);
  }

  private antiOf(ni: NodeInfo, p: PodInfo, d: number): void {
    const terms = p.requiredAntiAffinity;
    for (let i = 0; i < terms.length; i++) {
      const term = terms[i]!;
      const v = ni.labels[term.topologyKey];
      if (v === undefined) continue;
      const k = `${term.topologyKey}\u0000${term.key}`;
      let e = this.anti.get(k);
      if (!e) {
        if (d < 0) continue;
        this.anti.set(k, (e = { term, pods: new Map(), refs: 0 }));
      }
      bump(e.pods, v, d);
      e.refs += d;
      if (e.refs <= 0) this.anti.delete(k);
    }
  }
}
