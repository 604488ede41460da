// NodePorts: a pod's host ports must be free on the node (same protocol and port, overlapping host IP;
// 0.0.0.0 overlaps every address).
import { unschedulable, type FilterPlugin } from '../../framework/types.js';

export const name = 'NodePorts';
export const reason = "node(s) didn't have free ports for the requested pod ports";

export function nodePorts(): FilterPlugin {
  return {
    name,
    events: () => ['NodeAdd', 'AssignedPodDelete'],
    filter: (_s, pod, ni) => {
      for (const hp of pod.hostPorts) {
        const used = ni.usedPorts.get(`${hp.protocol}/${hp.port}`);
        if (!used) continue;
        for (const ip of used) if (ip === hp.ip || ip === '0.0.0.0' || hp.ip === '0.0.0.0') return unschedulable(reason);
      }
      return null;
    },
  };
}
