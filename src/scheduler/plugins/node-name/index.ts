// NodeName: a pod that names its node (spec.nodeName) fits only there.
import { skip, unresolvable, type FilterPlugin, type PreFilterPlugin } from '../../framework/types.js';

export const name = 'NodeName';
export const reason = "node(s) didn't match the requested node name";
const rejected = unresolvable(reason); // shared by every node it rejects (statuses are read-only)

export function nodeName(): PreFilterPlugin & FilterPlugin {
  return {
    name,
    events: () => ['NodeAdd'],
    // A pod without spec.nodeName fits every node: its filter is not run.
    preFilter: (_s, pod) => (pod.pod.spec?.nodeName ? null : skip),
    filter: (_s, pod, ni) => {
      const want = pod.pod.spec?.nodeName;
      return want && want !== ni.name ? rejected : null;
    },
  };
}
