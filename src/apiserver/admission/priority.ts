// Upstream's Priority admission plugin: on pod creation, resolve spec.priorityClassName (or the global
// default class) into spec.priority and spec.preemptionPolicy; an unknown class is refused (403). Also the
// two built-in classes every cluster has, created at bootstrap.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { errors } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { ObjectStorage } from '../object-storage.js';
import type { ResourceRegistry } from '../resource-registry.js';
import { withCache, type AdmissionPlugin } from './admission.js';

export const systemPriorityClasses: { name: string; value: number; description: string }[] = [
  { name: 'system-node-critical', value: 2000001000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { name: 'system-cluster-critical', value: 2000000000, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
];

/** The priority a pod gets (pure): its class's value, the global default's, or 0. */
export function resolvePriority(
  pod: Pick<Pod, 'spec'>,
  classes: PriorityClass[],
): { priority: number; preemptionPolicy: string; className?: string } | { missing: string } {
  const name = pod.spec?.priorityClassName;
  if (name) {
    const pc = classes.find((c) => c.metadata?.name === name);
    if (!pc) return { missing: name };
    return { priority: pc.value, preemptionPolicy: pc.preemptionPolicy ?? 'PreemptLowerPriority' };
  }
  // Among several global defaults upstream takes the one with the lowest value (the first of equal ones).
  let def: PriorityClass | undefined;
  for (const c of classes) if (c.globalDefault && (def === undefined || c.value < def.value)) def = c;
  if (def) return { priority: def.value, preemptionPolicy: def.preemptionPolicy ?? 'PreemptLowerPriority', className: def.metadata?.name };
  return { priority: 0, preemptionPolicy: 'PreemptLowerPriority' };
}

export function priorityPlugin(registry: ResourceRegistry, storage: ObjectStorage): AdmissionPlugin {
  return {
    name: 'Priority',
    handles: (rt, operation, subresource) => operation === 'CREATE' && !subresource && rt.group === '' && rt.resource === 'pods',
    mutate: (attrs) => {
      if (attrs.operation !== 'CREATE' || attrs.subresource || attrs.rt.group !== '' || attrs.rt.resource !== 'pods' || !attrs.object) return;
      const pcType = registry.lookup('scheduling.k8s.io', 'v1', 'priorityclasses');
      if (!pcType) return;
      const pod = attrs.object as KubeObject & Pod;
      return withCache(storage, pcType, (cache) => {
        const classes = cache.list(`${pcType.storagePrefix}/`).items as unknown as PriorityClass[];
        const spec = (pod.spec ?? {}) as { priority?: number; priorityClassName?: string; preemptionPolicy?: string };
        const r = resolvePriority(pod, classes);
        if ('missing' in r) throw errors.forbidden(`pods "${attrs.name}" is forbidden: no PriorityClass with name ${r.missing} was found`);
        if (spec.priority !== undefined && spec.priority !== r.priority) {
          throw errors.forbidden(`pods "${attrs.name}" is forbidden: the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${r.priority} from the given PriorityClass name`);
        }
        spec.priority = r.priority;
        spec.preemptionPolicy = r.preemptionPolicy;
        if (r.className) spec.priorityClassName = r.className;
      });
    },
  };
}
