// What the scheduler does with its pod informer's events: pending pods of our profiles go to the queue
// (updates to it), bound pods to the cache, and changes of bound pods that may let a waiting pod fit
// become cluster events for the queue (upstream's assigned-pod add/update/delete). A bound pod's status
// updates (ContainerCreating, Running) change nothing the scheduler derives from it: the cache swaps the
// object and the queue hears nothing. No I/O.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { EventHandlers } from '../client/informer.js';
import type { SchedulerCache } from './cache.js';
import { sameLabels } from './framework/node-info.js';
import type { ClusterEvent } from './framework/types.js';
import type { SchedulingQueue } from './queue.js';

export const podKey = (p: Pod): string => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;

const terminal = (phase: string | undefined): boolean => phase === 'Succeeded' || phase === 'Failed';
const noLabels: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** A pod waiting to be scheduled by one of our profiles (responsible) that is not finished or going. */
export function isPending(p: Pod, responsible: (p: Pod) => boolean): boolean {
  return !p.spec?.nodeName && !p.metadata?.deletionTimestamp && !terminal(p.status?.phase) && responsible(p);
}

/**
 * The cluster event an update of a pod bound to a node is (o: the previous version; undefined when none
 * matters): just bound, just finished (its resources are free), or relabelled (affinity and spreading
 * count labels). Status updates of a running pod are none of these.
 */
export function assignedPodEvent(o: Pod, p: Pod): ClusterEvent | undefined {
  if (!o.spec?.nodeName) return 'AssignedPodAdd';
  if (terminal(p.status?.phase) && !terminal(o.status?.phase)) return 'AssignedPodDelete';
  if (!sameLabels(o.metadata?.labels ?? noLabels, p.metadata?.labels ?? noLabels)) return 'AssignedPodUpdate';
  return undefined;
}

export interface PodEventTargets {
  cache: SchedulerCache;
  queue: SchedulingQueue;
  /** Whether one of our profiles schedules the pod (its schedulerName). */
  responsible(p: Pod): boolean;
  /** The pod is gone (its uid): forget what was recorded about it. */
  forget(uid: string | undefined): void;
}

export function podEventHandlers(t: PodEventTargets): EventHandlers<Pod> {
  const { cache, queue, responsible } = t;
  return {
    onAdd: (p) => {
      if (p.spec?.nodeName) {
        cache.addOrUpdatePod(p);
        queue.onEvent('AssignedPodAdd');
      } else if (isPending(p, responsible) && !p.spec?.schedulingGates?.length) queue.add(p);
    },
    onUpdate: (o, p) => {
      if (p.spec?.nodeName) {
        if (!o.spec?.nodeName) queue.delete(o);
        cache.addOrUpdatePod(p);
        const e = assignedPodEvent(o, p);
        if (e) queue.onEvent(e);
        return;
      }
      if (!isPending(p, responsible) || p.spec?.schedulingGates?.length) queue.delete(p);
      else queue.update(o, p);
    },
    onDelete: (p) => {
      t.forget(p.metadata?.uid);
      const key = podKey(p);
      if (p.spec?.nodeName || cache.podNode(key)) {
        cache.removePod(key);
        queue.onEvent('AssignedPodDelete');
      }
      queue.delete(p);
    },
  };
}
