// NodeName: a pod that names its node (spec.nodeName) fits only there.
import { unresolvable, type FilterPlugin } from '../../framework/types.js';

export const name = 'NodeName';
export const reason = "node(s) didn't match the requested node name";

export function nodeName(): FilterPlugin {
  return {
    name,
    events: () => ['NodeAdd'],
    filter: (_s, pod, ni) => {
      const want = pod.pod.spec?.nodeName;
      return want && want !== ni.name ? unresolvable(reason) : null;
    },
  };
}
