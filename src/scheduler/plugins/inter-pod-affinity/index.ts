// InterPodAffinity: required pod affinity (the node's domain must hold a pod matching every term, unless
// no such pod exists anywhere and the pod matches its own terms), required anti-affinity (no matching pod
// in the domain) and existing pods' required anti-affinity towards this pod (filter); preferred terms of
// both sides add or subtract their weights per domain (score, min–max normalised). PreFilter reads the
// matching pods per domain from the scheduler cache's topology index when the handle has one (O(domains
// with matching pods) per pod), else counts them by walking every node.
import type { NodeInfo, PodInfo } from '../../framework/node-info.js';
import { termMatches, type AffinityTerm } from '../../framework/node-info.js';
import { MatchCounts } from '../../framework/match-counts.js';
import { pinOf, type DomainCounts, type TopologyIndex } from '../../framework/topology-index.js';
import {
  maxNodeScore,
  unresolvable,
  unschedulable,
  type CycleState,
  type FilterPlugin,
  type Handle,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
} from '../../framework/types.js';

export const name = 'InterPodAffinity';
export const reasonAffinity = "node(s) didn't match pod affinity rules";
export const reasonAntiAffinity = "node(s) didn't match pod anti-affinity rules";
export const reasonExistingAntiAffinity = "node(s) didn't satisfy existing pods anti-affinity rules";
// One Status per rejection, shared by every node it rejects (statuses are read-only).
const affinityStatus = unresolvable(reasonAffinity);
const antiAffinityStatus = unschedulable(reasonAntiAffinity);
const existingAntiAffinityStatus = unschedulable(reasonExistingAntiAffinity);

export interface InterPodAffinityArgs {
  /** Weight of existing pods' required affinity terms when scoring (upstream default 1). */
  hardPodAffinityWeight?: number;
}

/**
 * Counts per topology key and domain (no key strings built per node: filter runs on hundreds of nodes).
 * Entries may be borrowed from the topology index (borrow): read where they are, not copied per pod. A
 * borrowed map is only valid while the scheduler cache does not change, which holds for the synchronous
 * scheduling cycle (preFilter, filter, and preemption's clone of the state); any change (bump: preemption's
 * what-if pods) and clone() first copy the counts into maps of their own.
 */
class TopologyCounts {
  /** Per entry, a topology key and its counts by domain (only borrowed entries may repeat a key). */
  private keys: string[] = [];
  private maps: ReadonlyMap<string, number>[] = [];
  private borrowed = 0;
  /** 0 exactly when no domain has a non-zero count (with borrowed entries, not the number of domains). */
  size = 0;

  /** Counts m (domain → non-zero count, as the index keeps them) for key, without copying it. */
  borrow(key: string, m: ReadonlyMap<string, number>): void {
    if (m.size === 0) return;
    this.keys.push(key);
    this.maps.push(m);
    this.borrowed++;
    this.size += m.size;
  }

  bump(key: string, value: string, d: number): void {
    if (this.borrowed) this.own();
    const i = this.keys.indexOf(key);
    let m: Map<string, number>;
    if (i >= 0) m = this.maps[i] as Map<string, number>;
    else {
      m = new Map();
      this.keys.push(key);
      this.maps.push(m);
    }
    const old = m.get(value) ?? 0;
    const v = old + d;
    if (v === 0) m.delete(value);
    else m.set(value, v);
    this.size += (v !== 0 ? 1 : 0) - (old !== 0 ? 1 : 0);
  }

  /** Replaces borrowed entries by copies (one owned map per key). */
  private own(): void {
    const keys = this.keys;
    const maps = this.maps;
    this.keys = [];
    this.maps = [];
    this.borrowed = 0;
    this.size = 0;
    for (let i = 0; i < keys.length; i++) for (const [v, n] of maps[i]!) this.bump(keys[i]!, v, n);
  }

  get(key: string, value: string): number {
    const keys = this.keys;
    let out = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) out += this.maps[i]!.get(value) ?? 0;
    return out;
  }

  /** Whether the node falls in a domain with a non-zero count. */
  hits(ni: NodeInfo): boolean {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const v = ni.label(keys[i]!);
      if (v !== undefined && this.maps[i]!.get(v)) return true;
    }
    return false;
  }

  /** The sum over the node's domains. */
  sum(ni: NodeInfo): number {
    let out = 0;
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const v = ni.label(keys[i]!);
      if (v !== undefined) out += this.maps[i]!.get(v) ?? 0;
    }
    return out;
  }

  clone(): TopologyCounts {
    const c = new TopologyCounts();
    for (let i = 0; i < this.keys.length; i++) for (const [v, n] of this.maps[i]!) c.bump(this.keys[i]!, v, n);
    return c;
  }
}

class AffinityState {
  constructor(
    readonly existingAnti = new TopologyCounts(),
    readonly affinity = new TopologyCounts(),
    readonly anti = new TopologyCounts(),
  ) {}
  clone(): AffinityState {
    return new AffinityState(this.existingAnti.clone(), this.affinity.clone(), this.anti.clone());
  }
}

function matchesAll(terms: AffinityTerm[], p: PodInfo): boolean {
  for (const t of terms) if (!termMatches(t, p)) return false;
  return terms.length > 0;
}

/** Adds (d = 1) or removes (d = −1) what existing pod p on node ni contributes to the counts for pod. */
function account(s: AffinityState, pod: PodInfo, p: PodInfo, ni: NodeInfo, d: number): void {
  const labels = ni.labels;
  for (const t of p.requiredAntiAffinity) {
    const v = labels[t.topologyKey];
    if (v !== undefined && termMatches(t, pod)) s.existingAnti.bump(t.topologyKey, v, d);
  }
  if (pod.requiredAffinity.length && matchesAll(pod.requiredAffinity, p)) {
    for (const t of pod.requiredAffinity) {
      const v = labels[t.topologyKey];
      if (v !== undefined) s.affinity.bump(t.topologyKey, v, d);
    }
  }
  for (const t of pod.requiredAntiAffinity) {
    const v = labels[t.topologyKey];
    if (v !== undefined && termMatches(t, p)) s.anti.bump(t.topologyKey, v, d);
  }
}

/**
 * PreFilter's counts from the topology index: the same sums as the walk over every node. False (nothing
 * written) when the index refuses one of the pod's terms: the caller walks the nodes instead.
 */
function fromIndex(index: TopologyIndex, s: AffinityState, pod: PodInfo, incoming: boolean): boolean {
  const affinity = pod.requiredAffinity;
  const affinityCounts: DomainCounts[] = [];
  const antiCounts: DomainCounts[] = [];
  if (incoming) {
    if (affinity.length) {
      const key = `affinity\u0002${affinity.map((t) => t.key).join('\u0001')}`;
      const matches = (p: PodInfo) => matchesAll(affinity, p);
      for (const t of affinity) {
        const c = index.counts({ key: `${key}\u0002${t.topologyKey}`, topologyKey: t.topologyKey, requiredKeys: [], matches, pin: pinOf(affinity[0]!.selector), domains: false });
        if (!c) return false;
        affinityCounts.push(c);
      }
    }
    for (const t of pod.requiredAntiAffinity) {
      const c = index.counts({ key: `term\u0002${t.key}\u0002${t.topologyKey}`, topologyKey: t.topologyKey, requiredKeys: [], matches: (p) => termMatches(t, p), pin: pinOf(t.selector), domains: false });
      if (!c) return false;
      antiCounts.push(c);
    }
  }
  // The index's counts are read where they are (see TopologyCounts.borrow), not copied for every pod.
  for (const e of index.antiAffinityTerms()) if (termMatches(e.term, pod)) s.existingAnti.borrow(e.term.topologyKey, e.pods);
  affinity.forEach((t, i) => {
    const c = affinityCounts[i];
    if (c) s.affinity.borrow(t.topologyKey, c.pods);
  });
  pod.requiredAntiAffinity.forEach((t, i) => {
    const c = antiCounts[i];
    if (c) s.anti.borrow(t.topologyKey, c.pods);
  });
  return true;
}

const preFilterKey = `PreFilter${name}`;
const preScoreKey = `PreScore${name}`;

export function interPodAffinity(args: InterPodAffinityArgs, handle: Handle): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  const hardWeight = args.hardPodAffinityWeight ?? 1;
  const matchCounts = new MatchCounts();
  return {
    name,
    events: () => ['NodeAdd', 'NodeLabel', 'AssignedPodAdd', 'AssignedPodUpdate', 'AssignedPodDelete'],
    preFilter: (state, pod, nodes) => {
      const incoming = pod.requiredAffinity.length + pod.requiredAntiAffinity.length > 0;
      if (!incoming && !handle.havePodsWithRequiredAntiAffinity()) {
        state.skipFilter.add(name);
        return null;
      }
      const s = new AffinityState();
      const index = handle.topology;
      if (index && fromIndex(index, s, pod, incoming)) {
        state.write(preFilterKey, s);
        return null;
      }
      // What account() adds up for every existing pod, with the incoming pod's own terms counted per node
      // through matchCounts (recounted only on nodes whose pods changed).
      const affinityKey = pod.requiredAffinity.map((t) => t.key).join('\u0001');
      // Whether existing pods' anti-affinity terms select this pod, once per distinct term.
      const selectsPod = new Map<string, boolean>();
      const matchesAffinity = (p: PodInfo) => matchesAll(pod.requiredAffinity, p);
      const antiMatchers = pod.requiredAntiAffinity.map((t) => (p: PodInfo) => termMatches(t, p));
      for (const ni of nodes) {
        if (!ni.node) continue;
        const labels = ni.labels;
        if (ni.podsWithRequiredAntiAffinity > 0) {
          for (const p of ni.pods.values()) {
            for (const t of p.requiredAntiAffinity) {
              const v = labels[t.topologyKey];
              if (v === undefined) continue;
              let selects = selectsPod.get(t.key);
              if (selects === undefined) selectsPod.set(t.key, (selects = termMatches(t, pod)));
              if (selects) s.existingAnti.bump(t.topologyKey, v, 1);
            }
          }
        }
        if (!incoming) continue;
        if (affinityKey) {
          const n = matchCounts.count(affinityKey, ni, matchesAffinity);
          if (n > 0) {
            for (const t of pod.requiredAffinity) {
              const v = labels[t.topologyKey];
              if (v !== undefined) s.affinity.bump(t.topologyKey, v, n);
            }
          }
        }
        for (let i = 0; i < pod.requiredAntiAffinity.length; i++) {
          const t = pod.requiredAntiAffinity[i]!;
          const v = labels[t.topologyKey];
          if (v === undefined) continue;
          const n = matchCounts.count(t.key, ni, antiMatchers[i]!);
          if (n > 0) s.anti.bump(t.topologyKey, v, n);
        }
      }
      state.write(preFilterKey, s);
      return null;
    },
    preFilterExtensions: {
      addPod: (state, pod, other, ni) => {
        const s = state.read<AffinityState>(preFilterKey);
        if (s) account(s, pod, other, ni, 1);
      },
      removePod: (state, pod, other, ni) => {
        const s = state.read<AffinityState>(preFilterKey);
        if (s) account(s, pod, other, ni, -1);
      },
    },
    filter: (state, pod, ni) => {
      const s = state.read<AffinityState>(preFilterKey);
      if (!s) return null;
      if (pod.requiredAffinity.length) {
        let ok = true;
        for (const t of pod.requiredAffinity) {
          const v = ni.label(t.topologyKey);
          if (v === undefined || !s.affinity.get(t.topologyKey, v)) {
            ok = false;
            break;
          }
        }
        // The first pod of a group that selects itself may go anywhere its topology keys exist.
        if (!ok) {
          const firstOfGroup = s.affinity.size === 0 && matchesAll(pod.requiredAffinity, pod) && pod.requiredAffinity.every((t) => ni.label(t.topologyKey) !== undefined);
          if (!firstOfGroup) return affinityStatus;
        }
      }
      if (s.anti.size) {
        for (const t of pod.requiredAntiAffinity) {
          const v = ni.label(t.topologyKey);
          if (v !== undefined && s.anti.get(t.topologyKey, v)) return antiAffinityStatus;
        }
      }
      if (s.existingAnti.size) {
        if (s.existingAnti.hits(ni)) return existingAntiAffinityStatus;
      }
      return null;
    },
    preScore: (state, pod) => {
      const incoming = pod.preferredAffinity.length + pod.preferredAntiAffinity.length > 0;
      if (!incoming && !handle.havePodsWithAffinity()) {
        state.skipScore.add(name);
        return null;
      }
      const scores = new TopologyCounts();
      const add = (t: AffinityTerm, ni: NodeInfo, w: number) => {
        const v = ni.labels[t.topologyKey];
        if (v !== undefined) scores.bump(t.topologyKey, v, w);
      };
      for (const ni of handle.nodeInfos()) {
        if (!incoming && ni.podsWithAffinity === 0) continue;
        for (const p of ni.pods.values()) {
          if (incoming) {
            for (const t of pod.preferredAffinity) if (termMatches(t, p)) add(t, ni, t.weight);
            for (const t of pod.preferredAntiAffinity) if (termMatches(t, p)) add(t, ni, -t.weight);
          }
          if (!p.hasScoringAffinity) continue;
          if (hardWeight > 0) for (const t of p.requiredAffinity) if (termMatches(t, pod)) add(t, ni, hardWeight);
          for (const t of p.preferredAffinity) if (termMatches(t, pod)) add(t, ni, t.weight);
          for (const t of p.preferredAntiAffinity) if (termMatches(t, pod)) add(t, ni, -t.weight);
        }
      }
      if (scores.size === 0) {
        state.skipScore.add(name);
        return null;
      }
      state.write(preScoreKey, scores);
      return null;
    },
    score: (state: CycleState, _pod, ni) => {
      const scores = state.read<TopologyCounts>(preScoreKey);
      return scores ? scores.sum(ni) : 0;
    },
    normalizeScore: (_s, _p, scores) => {
      let min = Infinity;
      let max = -Infinity;
      for (const s of scores) {
        if (s.score < min) min = s.score;
        if (s.score > max) max = s.score;
      }
      const diff = max - min;
      for (const s of scores) s.score = diff > 0 ? Math.floor((maxNodeScore * (s.score - min)) / diff) : 0;
    },
  };
}
