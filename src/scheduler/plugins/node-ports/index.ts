// NodePorts: a pod's host ports must be free on the node (same protocol and port, overlapping host IP;
// 0.0.0.0 overlaps every address).
import { skip, unschedulable, type FilterPlugin, type PreFilterPlugin } from '../../framework/types.js';

export const name = 'NodePorts';
export const reason = "node(s) didn't have free ports for the requested pod ports";
const rejected = unschedulable(reason); // shared by every node it rejects (statuses are read-only)

export function nodePorts(): PreFilterPlugin & FilterPlugin {
  return {
    name,
    events: () => ['NodeAdd', 'AssignedPodDelete'],
    // As upstream: a pod without host ports skips the filter.
    preFilter: (_s, pod) => (pod.hostPorts.length ? null : skip),
    filter: (_s, pod, ni) => {
      for (const hp of pod.hostPorts) {
        const used = ni.usedPorts.get(`${hp.protocol}/${hp.port}`);
        if (!used) continue;
        for (const ip of used) if (ip === hp.ip || ip === '0.0.0.0' || hp.ip === '0.0.0.0') return rejected;
      }
      return null;
    },
  };
}
