// Upstream's DefaultTolerationSeconds admission plugin: every new pod tolerates the not-ready and
// unreachable NoExecute taints for 300 s unless it already says how long, so pods on a failed node are
// evicted about five minutes after the node is marked (node lifecycle controller).
import type { Toleration } from 'kubernetes-types/core/v1.js';
import type { AdmissionPlugin } from './admission.js';

export const notReadyTaint = 'node.kubernetes.io/not-ready';
export const unreachableTaint = 'node.kubernetes.io/unreachable';

/** The tolerations to append (pure): one per taint the pod does not tolerate for NoExecute already. */
export function defaultTolerations(existing: Toleration[] | undefined, seconds = 300): Toleration[] {
  const out: Toleration[] = [];
  for (const key of DEFAULT_TAINTS) {
    if (!tolerates(existing, key)) out.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
  }
  return out;
}

const DEFAULT_TAINTS = [notReadyTaint, unreachableTaint] as const;

/** Whether one of the tolerations covers the NoExecute taint `key` (no closure or list made per pod). */
function tolerates(tolerations: Toleration[] | undefined, key: string): boolean {
  if (!tolerations) return false;
  for (let i = 0; i < tolerations.length; i++) {
    const t = tolerations[i]!;
    if ((t.effect === 'NoExecute' || !t.effect) && (t.key === key || !t.key)) return true;
  }
  return false;
}

export function defaultTolerationsPlugin(seconds = 300): AdmissionPlugin {
  return {
    name: 'DefaultTolerationSeconds',
    handles: (rt, operation, subresource) => operation === 'CREATE' && !subresource && rt.group === '' && rt.resource === 'pods',
    mutate: (attrs) => {
      if (attrs.operation !== 'CREATE' || attrs.subresource || attrs.rt.group !== '' || attrs.rt.resource !== 'pods' || !attrs.object) return;
      const spec = (attrs.object['spec'] ?? {}) as { tolerations?: Toleration[] };
      const add = defaultTolerations(spec.tolerations, seconds);
      if (add.length) spec.tolerations = spec.tolerations ? spec.tolerations.concat(add) : add;
    },
  };
}
