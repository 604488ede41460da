// NodeResourcesFit: the pod's requests (init containers and overhead included) must fit in the node's
// allocatable minus what its pods request (filter, with upstream's "Insufficient cpu" reasons); nodes are
// scored by one of the strategies LeastAllocated (spread, default), MostAllocated (bin-packing) or
// RequestedToCapacityRatio (a utilisation → score shape).
import { allocCPU, allocEphemeral, allocMemory, allocPods, nonZeroCPU, nonZeroMemory, podCount, reqCPU, reqEphemeral, reqMemory, type NodeInfo, type PodInfo } from '../../framework/node-info.js';
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

/** A reader of one resource's amount (cpu, memory, … by name), resolved once rather than per node. */
export function amountOf(res: string): (r: Resources) => number {
  switch (res) {
    case 'cpu':
      return (r) => r.milliCPU;
    case 'memory':
      return (r) => r.memory;
    case 'ephemeral-storage':
      return (r) => r.ephemeralStorage;
    case 'pods':
      return (r) => r.pods;
    default:
      return (r) => r.scalar.get(res) ?? 0;
  }
}

/**
 * Readers of one resource on a node: its allocatable, its pods' requests and their non-zero requests (cpu and
 * memory from NodeInfo.sums, others from its Resources), resolved once per plugin.
 */
export function nodeAmountOf(res: string): { allocatable: (ni: NodeInfo) => number; requested: (ni: NodeInfo) => number; nonZero: (ni: NodeInfo) => number } {
  const s = res === 'cpu' ? [allocCPU, reqCPU, nonZeroCPU] : res === 'memory' ? [allocMemory, reqMemory, nonZeroMemory] : undefined;
  if (s) {
    const [a, r, nz] = s;
    return { allocatable: (ni) => ni.sums[ni.base + a]!, requested: (ni) => ni.sums[ni.base + r]!, nonZero: (ni) => ni.sums[ni.base + nz]! };
  }
  const get = amountOf(res);
  return { allocatable: (ni) => get(ni.allocatable), requested: (ni) => get(ni.requested), nonZero: (ni) => get(ni.nonZeroRequested) };
}

const noReasons = { reasons: [] as string[], unresolvable: false };

/** Whether the pod fits, without allocating (filter runs once per pod and node). */
function fits(pod: PodInfo, ni: NodeInfo, ignored?: Set<string>): boolean {
  const s = ni.sums;
  const b = ni.base;
  const req = pod.requests;
  if (s[b + podCount]! + 1 > s[b + allocPods]!) return false;
  if (req.milliCPU > 0 && req.milliCPU > s[b + allocCPU]! - s[b + reqCPU]! && !ignored?.has('cpu')) return false;
  if (req.memory > 0 && req.memory > s[b + allocMemory]! - s[b + reqMemory]! && !ignored?.has('memory')) return false;
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > s[b + allocEphemeral]! - s[b + reqEphemeral]! && !ignored?.has('ephemeral-storage')) return false;
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
  const one: (requested: number, capacity: number) => number =
    strategy.type === 'MostAllocated'
      ? (requested, capacity) => (capacity === 0 ? 0 : Math.floor((Math.min(requested, capacity) * maxNodeScore) / capacity))
      : strategy.type === 'RequestedToCapacityRatio'
        ? (requested, capacity) => (capacity === 0 ? 0 : Math.floor(brokenLinear(shape, Math.floor((Math.min(requested, capacity) * maxNodeScore) / capacity))))
        : (requested, capacity) => (capacity === 0 || requested > capacity ? 0 : Math.floor(((capacity - requested) * maxNodeScore) / capacity));
  // Per resource, resolved once: its reader, whether scoring uses the non-zero requests (cpu and memory,
  // which also count on a node without that resource) and its weight.
  const plan = resources.map((r) => ({ pod: amountOf(r.name), node: nodeAmountOf(r.name), isDefault: r.name === 'cpu' || r.name === 'memory', weight: r.weight }));
  // The usual plan, cpu and memory only: read straight from the node's sums, no reader calls.
  const cpuMemory = plan.every((r) => r.isDefault);
  const isCPU = resources.map((r) => r.name === 'cpu');
  return (pod, ni) => {
    let sum = 0;
    let weights = 0;
    if (cpuMemory) {
      const s = ni.sums;
      const b = ni.base;
      const nz = pod.nonZeroRequests;
      for (let i = 0; i < plan.length; i++) {
        const cpu = isCPU[i]!;
        const capacity = cpu ? s[b + allocCPU]! : s[b + allocMemory]!;
        const requested = cpu ? s[b + nonZeroCPU]! + nz.milliCPU : s[b + nonZeroMemory]! + nz.memory;
        const w = plan[i]!.weight;
        sum += one(requested, capacity) * w;
        weights += w;
      }
      return weights === 0 ? 0 : Math.floor(sum / weights);
    }
    for (let i = 0; i < plan.length; i++) {
      const r = plan[i]!;
      const capacity = r.node.allocatable(ni);
      if (capacity === 0 && !r.isDefault) continue;
      const requested = r.isDefault ? r.node.nonZero(ni) + r.pod(pod.nonZeroRequests) : r.node.requested(ni) + r.pod(pod.requests);
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
      if (fits(pod, ni, ignored)) return null; // most nodes: no reasons to work out
      const { reasons, unresolvable } = insufficientResources(pod, ni, ignored);
      if (reasons.length === 0) return null;
      return { code: unresolvable ? 'UnschedulableAndUnresolvable' : 'Unschedulable', reasons };
    },
    score: (_s, pod, ni) => scorer(pod, ni),
    scoreAll: (_s, pod, nodes, out) => {
      for (let i = 0; i < nodes.length; i++) out[i]!.score = scorer(pod, nodes[i]!);
    },
  };
}
