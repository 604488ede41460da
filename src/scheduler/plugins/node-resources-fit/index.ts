// NodeResourcesFit: the pod's requests (init containers and overhead included) must fit in the node's
// allocatable minus what its pods request (filter, with upstream's "Insufficient cpu" reasons); nodes are
// scored by one of the strategies LeastAllocated (spread, default), MostAllocated (bin-packing) or
// RequestedToCapacityRatio (a utilisation → score shape).
import type { NodeInfo, PodInfo } from '../../framework/node-info.js';
import type { Resources } from '../../framework/resources.js';
import { maxNodeScore, type FilterPlugin, type ScorePlugin, type Status } from '../../framework/types.js';

export const name = 'NodeResourcesFit';

export interface ResourceWeight {
  name: string;
  weight: number;
}

export interface ScoringStrategy {
  type: 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';
  resources?: ResourceWeight[];
  /** RequestedToCapacityRatio: utilisation (0–100) → score (0–10) points. */
  shape?: { utilization: number; score: number }[];
}

export interface FitArgs {
  scoringStrategy?: ScoringStrategy;
  /** Resources not checked by the filter. */
  ignoredResources?: string[];
}

const defaultResources: ResourceWeight[] = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

export function amount(r: Resources, res: string): number {
  switch (res) {
    case 'cpu':
      return r.milliCPU;
    case 'memory':
      return r.memory;
    case 'ephemeral-storage':
      return r.ephemeralStorage;
    case 'pods':
      return r.pods;
    default:
      return r.scalar.get(res) ?? 0;
  }
}

const noReasons = { reasons: [] as string[], unresolvable: false };

/** Whether the pod fits, without allocating (filter runs once per pod and node). */
function fits(pod: PodInfo, ni: NodeInfo, ignored?: Set<string>): boolean {
  const alloc = ni.allocatable;
  const used = ni.requested;
  const req = pod.requests;
  if (ni.pods.size + 1 > alloc.pods) return false;
  if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU && !ignored?.has('cpu')) return false;
  if (req.memory > 0 && req.memory > alloc.memory - used.memory && !ignored?.has('memory')) return false;
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage && !ignored?.has('ephemeral-storage')) return false;
  return req.scalar.size === 0;
}

/** Reasons the pod does not fit (empty = fits) and whether no amount of eviction could help. */
export function insufficientResources(pod: PodInfo, ni: NodeInfo, ignored?: Set<string>): { reasons: string[]; unresolvable: boolean } {
  if (fits(pod, ni, ignored)) return noReasons;
  const reasons: string[] = [];
  let unresolvable = false;
  const alloc = ni.allocatable;
  const used = ni.requested;
  const req = pod.requests;
  if (ni.pods.size + 1 > alloc.pods) reasons.push('Too many pods');
  const check = (res: string, want: number, have: number, used: number) => {
    if (want <= 0 || ignored?.has(res)) return;
    if (want > have - used) {
      reasons.push(`Insufficient ${res}`);
      if (want > have) unresolvable = true;
    }
  };
  check('cpu', req.milliCPU, alloc.milliCPU, used.milliCPU);
  check('memory', req.memory, alloc.memory, used.memory);
  check('ephemeral-storage', req.ephemeralStorage, alloc.ephemeralStorage, used.ephemeralStorage);
  for (const [res, want] of req.scalar) check(res, want, alloc.scalar.get(res) ?? 0, used.scalar.get(res) ?? 0);
  return { reasons, unresolvable };
}

/** Piecewise-linear function through the shape points (upstream's helper.BuildBrokenLinearFunction). */
export function brokenLinear(shape: { utilization: number; score: number }[], x: number): number {
  for (let i = 0; i < shape.length; i++) {
    const p = shape[i]!;
    if (x <= p.utilization) {
      if (i === 0) return shape[0]!.score;
      const q = shape[i - 1]!;
      return q.score + ((p.score - q.score) * (x - q.utilization)) / (p.utilization - q.utilization);
    }
  }
  return shape[shape.length - 1]!.score;
}

export function resourceScorer(strategy: ScoringStrategy): (pod: PodInfo, ni: NodeInfo) => number {
  const resources = strategy.resources ?? defaultResources;
  const shape = (strategy.shape ?? [
    { utilization: 0, score: 0 },
    { utilization: 100, score: 10 },
  ]).map((p) => ({ utilization: p.utilization, score: p.score * (maxNodeScore / 10) }));
  const one = (requested: number, capacity: number): number => {
    switch (strategy.type) {
      case 'MostAllocated':
        if (capacity === 0) return 0;
        return Math.floor((Math.min(requested, capacity) * maxNodeScore) / capacity);
      case 'RequestedToCapacityRatio':
        if (capacity === 0) return 0;
        return Math.floor(brokenLinear(shape, Math.floor((Math.min(requested, capacity) * maxNodeScore) / capacity)));
      default:
        if (capacity === 0 || requested > capacity) return 0;
        return Math.floor(((capacity - requested) * maxNodeScore) / capacity);
    }
  };
  return (pod, ni) => {
    let sum = 0;
    let weights = 0;
    for (const r of resources) {
      const capacity = amount(ni.allocatable, r.name);
      if (capacity === 0 && r.name !== 'cpu' && r.name !== 'memory') continue;
      const isDefault = r.name === 'cpu' || r.name === 'memory';
      const requested = isDefault
        ? amount(ni.nonZeroRequested, r.name) + amount(pod.nonZeroRequests, r.name)
        : amount(ni.requested, r.name) + amount(pod.requests, r.name);
      sum += one(requested, capacity) * r.weight;
      weights += r.weight;
    }
    return weights === 0 ? 0 : Math.floor(sum / weights);
  };
}

export function nodeResourcesFit(args: FitArgs = {}): FilterPlugin & ScorePlugin {
  const ignored = new Set(args.ignoredResources ?? []);
  const scorer = resourceScorer(args.scoringStrategy ?? { type: 'LeastAllocated' });
  return {
    name,
    events: () => ['NodeAdd', 'NodeAllocatable', 'AssignedPodDelete', 'AssignedPodUpdate'],
    filter: (_s, pod, ni): Status | null => {
      const { reasons, unresolvable } = insufficientResources(pod, ni, ignored);
      if (reasons.length === 0) return null;
      return { code: unresolvable ? 'UnschedulableAndUnresolvable' : 'Unschedulable', reasons };
    },
    score: (_s, pod, ni) => scorer(pod, ni),
  };
}
