// Scheduler events (core/v1 Events, source default-scheduler): FailedScheduling, Scheduled, Preempted.
// A repeat of the same reason and message for the same pod bumps the existing Event's count instead of
// creating another, as upstream's event correlator does. Writes go out without blocking scheduling
// (bounded in flight; when saturated, events are dropped rather than queued without end).
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { resources, type ApiClient } from '../client/index.js';

export class EventRecorder {
  private readonly seen = new Map<string, { name: string; namespace: string; count: number; message: string }>();
  private inFlight = 0;
  dropped = 0;

  constructor(
    private readonly client: ApiClient,
    private readonly component: string,
    private readonly log: (line: string) => void,
    private readonly maxInFlight = 64,
  ) {}

  record(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (this.inFlight >= this.maxInFlight) {
      this.dropped++;
      return;
    }
    const ns = pod.metadata?.namespace ?? 'default';
    const key = `${pod.metadata?.uid ?? ns + '/' + pod.metadata?.name}|${reason}`;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const prev = this.seen.get(key);
    this.inFlight++;
    let p: Promise<unknown>;
    if (prev && prev.message === message) {
      prev.count++;
      p = this.client.patch(resources.events, prev.name, { count: prev.count, lastTimestamp: now }, 'merge', { namespace: prev.namespace });
    } else {
      const name = `${pod.metadata?.name}.${(Date.now() * 1000 + Math.floor(Math.random() * 1000)).toString(16)}`;
      this.seen.set(key, { name, namespace: ns, count: 1, message });
      if (this.seen.size > 50_000) this.seen.delete(this.seen.keys().next().value!);
      const ev: Event = {
        metadata: { name, namespace: ns },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: pod.metadata?.name, uid: pod.metadata?.uid, resourceVersion: pod.metadata?.resourceVersion },
        reason,
        message,
        type,
        source: { component: this.component },
        reportingComponent: this.component,
        reportingInstance: this.component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      };
      p = this.client.create(resources.events, ev, { namespace: ns });
    }
    p.catch((err: unknown) => this.log(`scheduler: event ${reason} for ${ns}/${pod.metadata?.name}: ${(err as Error)?.message ?? String(err)}`)).finally(() => this.inFlight--);
  }

  forget(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    for (const r of ['FailedScheduling', 'Scheduled']) this.seen.delete(`${uid}|${r}`);
  }
}
