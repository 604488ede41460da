// NodeResourcesBalancedAllocation: prefers nodes whose CPU and memory utilisation (with the pod) are
// close to each other: score = (1 − standard deviation of the fractions) × 100.
import { maxNodeScore, type ScorePlugin } from '../../framework/types.js';
import { amountOf, nodeAmountOf } from '../node-resources-fit/index.js';

export const name = 'NodeResourcesBalancedAllocation';

export function balancedAllocation(args: { resources?: string[] } = {}): ScorePlugin {
  const resources = (args.resources ?? ['cpu', 'memory']).map((r) => ({ pod: amountOf(r), node: nodeAmountOf(r), isDefault: r === 'cpu' || r === 'memory' }));
  // One scratch array for the fractions (score runs on hundreds of nodes per pod; it is synchronous).
  const fractions = new Float64Array(resources.length);
  return {
    name,
    score: (_s, pod, ni) => {
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
    },
  };
}
