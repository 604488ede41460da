// Events of the HPA controller with upstream's aggregation: an HPA failing the same way every sync period
// (FailedGetResourceMetric, FailedComputeMetricsReplicas, ...) updates one Event's count and lastTimestamp
// instead of writing a new Event every 15 s, as client-go's event correlator does, so `kubectl describe hpa`
// shows "(x12 over 3m)". Best effort: a failed write is logged, never thrown.
import type { Event, ObjectReference } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../client/client.js';
import { isNotFound } from '../../client/errors.js';
import * as resources from '../../client/resources.js';

const component = 'horizontal-pod-autoscaler';
/** How long a repeated event keeps being counted into the same Event (the correlator's cache expiry). */
const aggregateMs = 10 * 60_000;

interface Seen {
  name: string;
  namespace: string;
  count: number;
  lastMs: number;
}

export class HpaEventRecorder {
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly client: ApiClient,
    private readonly log: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  record(obj: ObjectReference, type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.write(obj, type, reason, message).catch((e: unknown) => this.log(`${component}: event ${reason} for ${obj.namespace}/${obj.name}: ${(e as Error)?.message ?? String(e)}`));
  }

  /** Forgets an HPA's events (it was deleted). */
  forget(uid: string | undefined): void {
    if (!uid) return;
    for (const key of this.seen.keys()) if (key.startsWith(`${uid}\u0000`)) this.seen.delete(key);
  }

  private async write(obj: ObjectReference, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const nowMs = this.now();
    const ts = new Date(nowMs).toISOString().replace(/\.\d+Z$/, 'Z');
    const key = `${obj.uid ?? `${obj.namespace}/${obj.name}`}\u0000${type}\u0000${reason}\u0000${message}`;
    const prev = this.seen.get(key);
    if (prev && nowMs - prev.lastMs < aggregateMs) {
      prev.count++;
      prev.lastMs = nowMs;
      try {
        await this.client.patch(resources.events, prev.name, { count: prev.count, lastTimestamp: ts }, 'merge', { namespace: prev.namespace });
        return;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    const namespace = obj.namespace || 'default';
    const name = `${obj.name}.${(nowMs * 1e6 + Math.floor(Math.random() * 1e6)).toString(16)}`;
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
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
    if (this.seen.size >= 10_000) for (const [k, v] of this.seen) if (nowMs - v.lastMs >= aggregateMs) this.seen.delete(k);
    this.seen.set(key, { name, namespace, count: 1, lastMs: nowMs });
    await this.client.create(resources.events, ev, { namespace });
  }
}
