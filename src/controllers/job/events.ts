// A small core/v1 Event recorder for the workload controllers in this folder (and cronjob, daemonset,
// statefulset): one Event per call with reason, message, involvedObject and source.component, as
// upstream's record.EventRecorder writes them (without its aggregation). Failures are logged, never thrown:
// an event must not fail a reconcile.
import type { Event, ObjectReference } from 'kubernetes-types/core/v1.js';
import type { ApiClient, ObjectLike } from '../../client/client.js';
import type { Clock } from '../../client/clock.js';
import * as resources from '../../client/resources.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  /** fieldPath names a part of the object, e.g. "spec.containers{app}" for a pod's container. */
  event(obj: ObjectLike, type: EventType, reason: string, message: string, fieldPath?: string): void;
}

export function referenceTo(obj: ObjectLike): ObjectReference {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    namespace: obj.metadata?.namespace,
    name: obj.metadata?.name,
    uid: obj.metadata?.uid,
    resourceVersion: obj.metadata?.resourceVersion,
  };
}

/** host: the node an agent's events come from (source.host and reportingInstance, as the kubelet's). */
export function newEventRecorder(client: ApiClient, component: string, clock: Clock, log: (l: string) => void, host?: string): EventRecorder {
  let seq = 0;
  return {
    event(obj, type, reason, message, fieldPath) {
      const ns = obj.metadata?.namespace ?? 'default';
      const now = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
      const ev: Event = {
        metadata: { name: `${obj.metadata?.name ?? 'object'}.${(clock.now() * 1000 + (seq++ % 1000)).toString(16)}`, namespace: ns },
        involvedObject: fieldPath ? { ...referenceTo(obj), fieldPath } : referenceTo(obj),
        reason,
        message,
        type,
        source: host ? { component, host } : { component },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        reportingComponent: component,
        reportingInstance: host ?? component,
      };
      client.create(resources.events, ev, { namespace: ns }).catch((e: unknown) => log(`${component}: event ${reason} for ${ns}/${obj.metadata?.name}: ${(e as Error)?.message ?? String(e)}`));
    },
  };
}
