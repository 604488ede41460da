// NodeUnschedulable: cordoned nodes (spec.unschedulable) take only pods tolerating the
// node.kubernetes.io/unschedulable:NoSchedule taint.
import { unresolvable, type FilterPlugin } from '../../framework/types.js';
import { toleratesAny } from '../../framework/taints.js';

export const name = 'NodeUnschedulable';
export const reason = 'node(s) were unschedulable';
const taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
const rejected = unresolvable(reason); // shared by every node it rejects (statuses are read-only)

export function nodeUnschedulable(): FilterPlugin {
  return {
    name,
    events: () => ['NodeAdd', 'NodeTaint'],
    filter: (_s, pod, ni) => {
      if (!ni.unschedulable) return null;
      return toleratesAny(pod.tolerations, taint) ? null : rejected;
    },
  };
}
