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

export interface RecorderOptions {
  /** The node an agent's events come from (source.host and reportingInstance, as the kubelet's). */
  host?: string;
  /**
   * Repeats of the same event (same object, type, reason and message) within 10 minutes raise the count of
   * the first one instead of creating another, as upstream's event correlator does ("x5 over 2m").
   */
  aggregate?: boolean;
}

const aggregateWindowMs = 10 * 60_000;
const aggregateMaxKeys = 4096;

export function newEventRecorder(client: ApiClient, component: string, clock: Clock, log: (l: string) => void, opts: RecorderOptions = {}): EventRecorder {
  let seq = 0;
  const host = opts.host;
  const seen = new Map<string, { name: string; namespace: string; count: number; lastMs: number }>();
  const fail = (reason: string, ns: string, name: string | undefined) => (e: unknown) =>
    log(`${component}: event ${reason} for ${ns}/${name}: ${(e as Error)?.message ?? String(e)}`);
  return {
    event(obj, type, reason, message, fieldPath) {
      const ns = obj.metadata?.namespace ?? 'default';
      const nowMs = clock.now();
      const now = new Date(nowMs).toISOString().replace(/\.\d+Z$/, 'Z');
      const ref = fieldPath ? { ...referenceTo(obj), fieldPath } : referenceTo(obj);
      if (opts.aggregate) {
        const key = JSON.stringify([ref.kind, ref.namespace, ref.name, ref.uid, ref.fieldPath, type, reason, message]);
        const prev = seen.get(key);
        if (prev && nowMs - prev.lastMs < aggregateWindowMs) {
          prev.count++;
          prev.lastMs = nowMs;
          seen.delete(key);
          seen.set(key, prev);
          client
            .patch(resources.events, prev.name, { count: prev.count, lastTimestamp: now }, 'merge', { namespace: prev.namespace })
            .catch(fail(reason, ns, obj.metadata?.name));
          return;
        }
      }
      const ev: Event = {
        metadata: { name: `${obj.metadata?.name ?? 'object'}.${(nowMs * 1000 + (seq++ % 1000)).toString(16)}`, namespace: ns },
        involvedObject: ref,
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
      if (opts.aggregate) {
        const key = JSON.stringify([ref.kind, ref.namespace, ref.name, ref.uid, ref.fieldPath, type, reason, message]);
        seen.set(key, { name: ev.metadata!.name!, namespace: ns, count: 1, lastMs: nowMs });
        if (seen.size > aggregateMaxKeys) seen.delete(seen.keys().next().value!);
      }
      client.create(resources.events, ev, { namespace: ns }).catch(fail(reason, ns, obj.metadata?.name));
    },
  };
}
