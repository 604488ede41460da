// Writes core/v1 Events for the workload controllers the way upstream's event recorder does (reason,
// message, involvedObject, source.component, first/last timestamps, count 1). Best effort: a failed write is
// logged, never thrown. It does not aggregate or deduplicate events.
import { randomBytes } from 'node:crypto';
import type { Event } from 'kubernetes-types/core/v1.js';
import type { ApiClient, ObjectLike } from '../../client/client.js';
import * as resources from '../../client/resources.js';

export interface EventRecorder {
  event(obj: ObjectLike & { apiVersion?: string; kind?: string }, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export function eventRecorder(client: ApiClient, component: string, log: (l: string) => void, kindOf: { apiVersion: string; kind: string }): EventRecorder {
  return {
    event(obj, type, reason, message) {
      const md = obj.metadata ?? {};
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const ev: Event = {
        metadata: { name: `${md.name}.${Date.now().toString(16)}${randomBytes(2).toString('hex')}`, namespace: md.namespace ?? 'default' },
        involvedObject: {
          apiVersion: obj.apiVersion ?? kindOf.apiVersion,
          kind: obj.kind ?? kindOf.kind,
          name: md.name,
          namespace: md.namespace,
          uid: md.uid,
          resourceVersion: md.resourceVersion,
        },
        reason,
        message,
        type,
        source: { component },
        reportingComponent: component,
        reportingInstance: component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      };
      client.create(resources.events, ev, { namespace: ev.metadata.namespace }).catch((e) => log(`${component}: event ${reason} for ${md.namespace}/${md.name} not recorded: ${(e as Error).message}`));
    },
  };
}
