// NodeResourcesBalancedAllocation: prefers nodes whose CPU and memory utilisation (with the pod) are
// close to each other: score = (1 − standard deviation of the fractions) × 100.
import { maxNodeScore, type ScorePlugin } from '../../framework/types.js';
import { amount } from '../node-resources-fit/index.js';

export const name = 'NodeResourcesBalancedAllocation';

export function balancedAllocation(args: { resources?: string[] } = {}): ScorePlugin {
  const resources = args.resources ?? ['cpu', 'memory'];
  return {
    name,
    score: (_s, pod, ni) => {
      const fractions: number[] = [];
      for (const r of resources) {
        const cap = amount(ni.allocatable, r);
        if (cap === 0) continue;
        const isDefault = r === 'cpu' || r === 'memory';
        const req = isDefault ? amount(ni.nonZeroRequested, r) + amount(pod.nonZeroRequests, r) : amount(ni.requested, r) + amount(pod.requests, r);
        fractions.push(Math.min(1, req / cap));
      }
      let std = 0;
      if (fractions.length === 2) std = Math.abs(fractions[0]! - fractions[1]!) / 2;
      else if (fractions.length > 2) {
        const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
        std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) * (f - mean), 0) / fractions.length);
      }
      return Math.floor((1 - std) * maxNodeScore);
    },
  };
}
