// NodeResourcesBalancedAllocation: prefers nodes whose CPU and memory utilisation (with the pod) are
// close to each other: score = (1 − standard deviation of the fractions) × 100.
import { maxNodeScore, type ScorePlugin } from '../../framework/types.js';
import { allocCPU, allocMemory, nonZeroCPU, nonZeroMemory, type NodeInfo, type PodInfo } from '../../framework/node-info.js';
import { amountOf, nodeAmountOf } from '../node-resources-fit/index.js';

export const name = 'NodeResourcesBalancedAllocation';

export function balancedAllocation(args: { resources?: string[] } = {}): ScorePlugin {
  const names = args.resources ?? ['cpu', 'memory'];
  // The usual pair, cpu and memory: read straight from the node's sums (|a − b| does not depend on order).
  const cpuMemory = names.length === 2 && names.includes('cpu') && names.includes('memory');
  const resources = names.map((r) => ({ pod: amountOf(r), node: nodeAmountOf(r), isDefault: r === 'cpu' || r === 'memory' }));
  // One scratch array for the fractions (score runs on hundreds of nodes per pod; it is synchronous).
  const fractions = new Float64Array(resources.length);
  const score = (pod: PodInfo, ni: NodeInfo): number => {
    if (cpuMemory) {
      const s = ni.sums;
      const b = ni.base;
      const capCPU = s[b + allocCPU]!;
      const capMemory = s[b + allocMemory]!;
      // Fewer than two fractions: no deviation.
      if (capCPU === 0 || capMemory === 0) return maxNodeScore;
      const fCPU = Math.min(1, (s[b + nonZeroCPU]! + pod.nonZeroRequests.milliCPU) / capCPU);
      const fMemory = Math.min(1, (s[b + nonZeroMemory]! + pod.nonZeroRequests.memory) / capMemory);
      return Math.floor((1 - Math.abs(fCPU - fMemory) / 2) * maxNodeScore);
    }
    let n = 0;
    for (let i = 0; i < resources.length; i++) {
      const r = resources[i]!;
      const cap = r.node.allocatable(ni);
      if (cap === 0) continue;
      const req = r.isDefault ? r.node.nonZero(ni) + r.pod(pod.nonZeroRequests) : r.node.requested(ni) + r.pod(pod.requests);
      fractions[n++] = Math.min(1, req / cap);
    }
    let std = 0;
    if (n === 2) std = Math.abs(fractions[0]! - fractions[1]!) / 2;
    else if (n > 2) {
      let total = 0;
      for (let i = 0; i < n; i++) total += fractions[i]!;
      const mean = total / n;
      let sq = 0;
      for (let i = 0; i < n; i++) sq += (fractions[i]! - mean) * (fractions[i]! - mean);
      std = Math.sqrt(sq / n);
    }
    return Math.floor((1 - std) * maxNodeScore);
  };
  return {
    name,
    score: (_s, pod, ni) => score(pod, ni),
    scoreAll: (_s, pod, nodes, out) => {
      for (let i = 0; i < nodes.length; i++) out[i]!.score = score(pod, nodes[i]!);
    },
  };
}
