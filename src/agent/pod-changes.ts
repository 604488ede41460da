// Which pod updates from the API make the agent sync the pod, as the kubelet's pod config decides
// (podsDifferSemantically): another pod (uid), or a change of its spec, labels, annotations, deletion
// timestamp or deletion grace period. A change of the status alone (mostly the agent's own status writes) does
// not, except the conditions of a pod with readiness gates: its Ready condition depends on them (the kubelet
// syncs such a pod on reconcile). Pure.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { deepEqual } from '../util/deep-equal.js';

export function updateNeedsSync(old: Pod, cur: Pod): boolean {
  const a = old.metadata ?? {};
  const b = cur.metadata ?? {};
  if (a.uid !== b.uid || a.deletionTimestamp !== b.deletionTimestamp || a.deletionGracePeriodSeconds !== b.deletionGracePeriodSeconds) return true;
  if (!deepEqual(a.labels ?? {}, b.labels ?? {}) || !deepEqual(a.annotations ?? {}, b.annotations ?? {}) || !deepEqual(old.spec, cur.spec)) return true;
  return !!cur.spec?.readinessGates?.length && !deepEqual(old.status?.conditions, cur.status?.conditions);
}
