// PodTopologySpread: keeps matching pods spread over topology domains. DoNotSchedule constraints filter
// (skew = matching pods in the node's domain + self − the global minimum must not exceed maxSkew; a
// node without the topology key is rejected); ScheduleAnyway constraints score (fewer matching pods in
// the domain is better). Pods without constraints get the cluster default constraints (zone skew 5,
// hostname skew 3, ScheduleAnyway) with the selector of the Services / ReplicaSets / StatefulSets that
// own them, as upstream's system defaults. Matching pods per domain come from the scheduler cache's
// topology index when the handle has one and every node with the topology keys is eligible for the pod (no
// node requirements honoured, no taints honoured); otherwise they are counted by walking every node.
import type { LabelSelector as LabelSelectorObject } from 'kubernetes-types/meta/v1.js';
import type { TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromObject, type LabelSelector } from '../../../util/label-selector.js';
import type { NodeInfo, PodInfo } from '../../framework/node-info.js';
import { hasNodeRequirements, podMatchesNodeRequirements } from '../../framework/node-selector.js';
import { findUntoleratedTaint } from '../../framework/taints.js';
import { MatchCounts, selectorKey } from '../../framework/match-counts.js';
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

export const name = 'PodTopologySpread';
export const reasonSkew = "node(s) didn't match pod topology spread constraints";
export const reasonMissingLabel = "node(s) didn't match pod topology spread constraints (missing required label)";
// One Status per rejection, shared by every node it rejects (statuses are read-only).
const skewStatus = unschedulable(reasonSkew);
const missingLabelStatus = unresolvable(reasonMissingLabel);

export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  hard: boolean;
  selector: LabelSelector;
  minDomains: number;
  honorAffinity: boolean;
  honorTaints: boolean;
}

export interface SpreadArgs {
  /** Constraints for pods without their own; default: upstream's system defaults. */
  defaultConstraints?: TopologySpreadConstraint[];
  /** 'List' uses defaultConstraints as given; 'System' (default) uses upstream's. */
  defaultingType?: 'System' | 'List';
}

export const systemDefaultConstraints: TopologySpreadConstraint[] = [
  { topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
  { topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
];

/** The selector of the Services/controllers that own a pod, for default constraints (from the scheduler). */
export type DefaultSelectorFunc = (pod: PodInfo) => LabelSelector | undefined;

function parseOwn(pod: PodInfo, own: TopologySpreadConstraint[]): Constraint[] {
  return own.map((c) => ({
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    hard: c.whenUnsatisfiable !== 'ScheduleAnyway',
    selector: selectorWithKeys(c.labelSelector, c.matchLabelKeys, pod.labels),
    minDomains: c.minDomains ?? 1,
    honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
    honorTaints: c.nodeTaintsPolicy === 'Honor',
  }));
}

/** A pod's own constraints, parsed once per PodInfo (preFilter and preScore, and every retry, ask). */
const ownConstraints = new WeakMap<PodInfo, Constraint[]>();

export function constraintsOf(pod: PodInfo, defaults: TopologySpreadConstraint[], defaultSelector: DefaultSelectorFunc | undefined): Constraint[] {
  const own = pod.pod.spec?.topologySpreadConstraints ?? [];
  if (own.length > 0) {
    let parsed = ownConstraints.get(pod);
    if (!parsed) ownConstraints.set(pod, (parsed = parseOwn(pod, own)));
    return parsed;
  }
  // Defaults take the selector of the pod's Services and controllers as they are now: not remembered.
  if (defaults.length === 0 || !defaultSelector) return [];
  const sel = defaultSelector(pod);
  if (!sel || sel.empty()) return [];
  return defaults.map((c) => ({
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    hard: c.whenUnsatisfiable !== 'ScheduleAnyway',
    selector: sel,
    minDomains: 1,
    honorAffinity: true,
    honorTaints: false,
  }));
}

function selectorWithKeys(sel: LabelSelectorObject | undefined, keys: string[] | undefined, labels: Record<string, string>): LabelSelector {
  if (!keys || keys.length === 0 || !sel) return labelSelectorFromObject(sel ?? null);
  const extra = keys.filter((k) => labels[k] !== undefined).map((k) => ({ key: k, operator: 'In', values: [labels[k]!] }));
  return labelSelectorFromObject({ ...sel, matchExpressions: [...(sel.matchExpressions ?? []), ...extra] });
}

function nodeEligible(c: Constraint[], pod: PodInfo, ni: NodeInfo): boolean {
  if (!ni.node) return false;
  const labels = ni.labels;
  for (const x of c) if (labels[x.topologyKey] === undefined) return false;
  if (c.some((x) => x.honorAffinity) && !podMatchesNodeRequirements(pod.pod, ni.node)) return false;
  if (c.some((x) => x.honorTaints) && findUntoleratedTaint(ni.taints, pod.tolerations, (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) return false;
  return true;
}

/** Pods of ni in the pod's namespace, not terminating, that the constraint's selector matches. */
function countMatching(counts: MatchCounts, key: string, c: Constraint, pod: PodInfo, ni: NodeInfo): number {
  return counts.count(key, ni, (p) => p.namespace === pod.namespace && !p.terminating && c.selector.matches(p.labels));
}

/**
 * The index's counts for each constraint, when a node's eligibility depends only on carrying every
 * constraint's topology key (as nodeEligible then decides); undefined when the nodes must be walked (other
 * eligibility rules, or the index has no room for the query).
 */
function indexedCounts(index: TopologyIndex | undefined, c: Constraint[], pod: PodInfo): DomainCounts[] | undefined {
  if (!index) return undefined;
  if (c.some((x) => x.honorTaints) || (c.some((x) => x.honorAffinity) && hasNodeRequirements(pod.pod))) return undefined;
  const requiredKeys = c.map((x) => x.topologyKey);
  const ns = pod.namespace;
  const out: DomainCounts[] = [];
  for (const x of c) {
    const d = index.counts({
      key: `spread\u0002${selectorKey(x.selector, [ns])}\u0002${x.topologyKey}\u0002${requiredKeys.join('\u0001')}`,
      topologyKey: x.topologyKey,
      requiredKeys,
      matches: (p) => p.namespace === ns && !p.terminating && x.selector.matches(p.labels),
      pin: pinOf(x.selector),
    });
    // Every tracked query in use: count by walking the nodes.
    if (!d) return undefined;
    out.push(d);
  }
  return out;
}

/**
 * Counts of matching pods per domain, one map per constraint, with each constraint's global minimum and
 * whether the incoming pod matches its own selector computed once per cycle (filter runs per node). From the
 * topology index, the counts are read where they are (pods per domain, and the domains of eligible nodes),
 * not copied per pod: valid while the scheduler cache does not change, which holds for the synchronous
 * scheduling cycle; preemption's what-if changes (add) and clone() work on copies of their own.
 */
class SpreadState {
  private mins: (number | undefined)[];
  constructor(
    readonly constraints: Constraint[],
    /** Every eligible domain with its count (zeros included); undefined while borrowed is read. */
    private counts: Map<string, number>[] | undefined,
    readonly selfMatch: number[],
    private readonly borrowed?: DomainCounts[],
  ) {
    this.mins = constraints.map(() => undefined);
  }
  /** Matching pods in the domain for constraint i. */
  count(i: number, domain: string): number {
    return (this.counts ? this.counts[i]!.get(domain) : this.borrowed![i]!.pods.get(domain)) ?? 0;
  }
  private own(): Map<string, number>[] {
    this.counts ??= this.borrowed!.map((d) => {
      const m = new Map<string, number>();
      for (const v of d.domains.keys()) m.set(v, d.pods.get(v) ?? 0);
      return m;
    });
    return this.counts;
  }
  clone(): SpreadState {
    return new SpreadState(this.constraints, this.own().map((m) => new Map(m)), this.selfMatch);
  }
  add(i: number, domain: string, delta: number): void {
    const m = this.own()[i]!;
    m.set(domain, (m.get(domain) ?? 0) + delta);
    this.mins[i] = undefined;
  }
  minMatch(i: number): number {
    const cached = this.mins[i];
    if (cached !== undefined) return cached;
    const c = this.constraints[i]!;
    let min = Infinity;
    if (this.counts) {
      const m = this.counts[i]!;
      if (m.size < c.minDomains) min = 0;
      else for (const v of m.values()) if (v < min) min = v;
    } else {
      // The index keeps only non-zero counts, of eligible domains: fewer of them than domains means a 0.
      const d = this.borrowed![i]!;
      if (d.domains.size < c.minDomains || d.pods.size < d.domains.size) min = 0;
      else for (const v of d.pods.values()) if (v < min) min = v;
    }
    const out = min === Infinity ? 0 : min;
    this.mins[i] = out;
    return out;
  }
}

const preFilterKey = `PreFilter${name}`;
const preScoreKey = `PreScore${name}`;

export function podTopologySpread(args: SpreadArgs, handle: Handle, defaultSelector?: DefaultSelectorFunc): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  const defaults = args.defaultingType === 'List' ? (args.defaultConstraints ?? []) : systemDefaultConstraints;
  const matchCounts = new MatchCounts();
  const update = (state: CycleState, pod: PodInfo, other: PodInfo, ni: NodeInfo, delta: number) => {
    const s = state.read<SpreadState>(preFilterKey);
    if (!s || other.namespace !== pod.namespace) return;
    if (!nodeEligible(s.constraints, pod, ni)) return;
    s.constraints.forEach((c, i) => {
      if (c.selector.matches(other.labels)) s.add(i, ni.labels[c.topologyKey]!, delta);
    });
  };
  return {
    name,
    events: () => ['NodeAdd', 'NodeDelete', 'NodeLabel', 'NodeTaint', 'AssignedPodAdd', 'AssignedPodUpdate', 'AssignedPodDelete'],
    preFilter: (state, pod, nodes) => {
      const hard = constraintsOf(pod, defaults, defaultSelector).filter((c) => c.hard);
      if (hard.length === 0) {
        state.skipFilter.add(name);
        return null;
      }
      const selfMatch = hard.map((c) => (c.selector.matches(pod.labels) ? 1 : 0));
      const indexed = indexedCounts(handle.topology, hard, pod);
      if (indexed) {
        state.write(preFilterKey, new SpreadState(hard, undefined, selfMatch, indexed));
        return null;
      }
      const counts = hard.map(() => new Map<string, number>());
      const keys = hard.map((c) => selectorKey(c.selector, [pod.namespace]));
      for (const ni of nodes) {
        if (!nodeEligible(hard, pod, ni)) continue;
        hard.forEach((c, i) => {
          const v = ni.labels[c.topologyKey]!;
          counts[i]!.set(v, (counts[i]!.get(v) ?? 0) + countMatching(matchCounts, keys[i]!, c, pod, ni));
        });
      }
      state.write(preFilterKey, new SpreadState(hard, counts, selfMatch));
      return null;
    },
    preFilterExtensions: {
      addPod: (state, pod, other, ni) => update(state, pod, other, ni, 1),
      removePod: (state, pod, other, ni) => update(state, pod, other, ni, -1),
    },
    filter: (state, pod, ni) => {
      const s = state.read<SpreadState>(preFilterKey);
      if (!s) return null;
      for (let i = 0; i < s.constraints.length; i++) {
        const c = s.constraints[i]!;
        const v = ni.label(c.topologyKey);
        if (v === undefined) return missingLabelStatus;
        const skew = s.count(i, v) + s.selfMatch[i]! - s.minMatch(i);
        if (skew > c.maxSkew) return skewStatus;
      }
      return null;
    },
    preScore: (state, pod, filtered) => {
      const soft = constraintsOf(pod, defaults, defaultSelector).filter((c) => !c.hard);
      if (soft.length === 0) {
        state.skipScore.add(name);
        return null;
      }
      const counts = soft.map(() => new Map<string, number>());
      const wanted = soft.map(() => new Set<string>());
      const keys = soft.map((c) => selectorKey(c.selector, [pod.namespace]));

      for (const ni of filtered) {
        if (!nodeEligible(soft, pod, ni)) continue;
        soft.forEach((c, i) => wanted[i]!.add(ni.labels[c.topologyKey]!));
      }
      const indexed = indexedCounts(handle.topology, soft, pod);
      if (indexed) {
        // The hostname key only counts the filtered nodes themselves.
        soft.forEach((_, i) => {
          for (const v of wanted[i]!) counts[i]!.set(v, indexed[i]!.pods.get(v) ?? 0);
        });
      }
      for (const ni of indexed ? [] : handle.nodeInfos()) {
        if (!nodeEligible(soft, pod, ni)) continue;
        soft.forEach((c, i) => {
          const v = ni.labels[c.topologyKey]!;
          if (!wanted[i]!.has(v)) return;
          // The hostname key only counts the filtered nodes themselves.
          counts[i]!.set(v, (counts[i]!.get(v) ?? 0) + countMatching(matchCounts, keys[i]!, c, pod, ni));
        });
      }
      const weights = soft.map((_, i) => Math.log(wanted[i]!.size + 2));
      state.write(preScoreKey, { soft, counts, weights });
      return null;
    },
    score: (state, pod, ni) => {
      const s = state.read<{ soft: Constraint[]; counts: Map<string, number>[]; weights: number[] }>(preScoreKey);
      if (!s) return 0;
      let score = 0;
      for (let i = 0; i < s.soft.length; i++) {
        const c = s.soft[i]!;
        const v = ni.label(c.topologyKey);
        if (v === undefined) return -1; // ignored node
        score += (s.counts[i]!.get(v) ?? 0) * s.weights[i]! + (c.maxSkew - 1);
      }
      return Math.round(score);
    },
    normalizeScore: (_state, _pod, scores) => {
      let min = Infinity;
      let max = 0;
      for (const s of scores) {
        if (s.score < 0) continue;
        if (s.score < min) min = s.score;
        if (s.score > max) max = s.score;
      }
      for (const s of scores) {
        if (s.score < 0) s.score = 0;
        else if (max === 0) s.score = maxNodeScore;
        else s.score = Math.floor((maxNodeScore * (max + min - s.score)) / max);
      }
    },
  };
}
