// Writing core/v1 Events the way upstream's event recorder does (name "<object>.<hex time>", source
// component, first/last timestamps, count 1). Best effort: a failed write is logged, never thrown.
import type { Event, ObjectReference } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../client/client.js';
import * as resources from '../../client/resources.js';

export interface EventSink {
  (obj: ObjectReference, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export function eventSink(client: ApiClient, component: string, log: (line: string) => void): EventSink {
  return (obj, type, reason, message) => {
    const now = new Date();
    const ts = now.toISOString().replace(/\.\d+Z$/, 'Z');
    const namespace = obj.namespace || 'default';
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${obj.name}.${(now.getTime() * 1e6 + Math.floor(Math.random() * 1e6)).toString(16)}`, namespace },
      involvedObject: obj,
      reason,
      message,
      type,
      source: { component },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      reportingComponent: component,
      reportingInstance: '',
    };
    client.create(resources.events, ev, { namespace }).catch((e: Error) => log(`${component}: event ${reason} for ${obj.kind} ${obj.name}: ${e.message}`));
  };
}
