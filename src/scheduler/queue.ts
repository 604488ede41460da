// The scheduling queue, as upstream's PriorityQueue: an active heap ordered by the profile's queue-sort
// plugin (priority, then age); a back-off heap for pods that failed recently (1 s doubling to 10 s per
// attempt); and a set of unschedulable pods that wait for a cluster event one of the plugins that rejected
// them cares about (node added or changed, pod deleted, ...) rather than being polled. A pod that has
// waited 5 minutes is retried anyway (upstream's podMaxInUnschedulablePodsDuration). No I/O.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { KeyedHeap } from '../util/keyed-heap.js';
import { PodInfo } from './framework/node-info.js';
import type { ClusterEvent, QueuedPodInfo } from './framework/types.js';

export interface QueueOptions {
  less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxUnschedulableMs?: number;
  /** Which plugins care about an event (from the profiles). */
  pluginsFor: (event: ClusterEvent) => Set<string>;
  now?: () => number;
}

const keyOfPod = (p: Pod) => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;

export class SchedulingQueue {
  private readonly active: KeyedHeap<QueuedPodInfo>;
  private readonly backoff: KeyedHeap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  /** Pods popped and not yet done: an update meanwhile is kept for when they come back. */
  private readonly inFlight = new Map<string, QueuedPodInfo>();
  private waiters: Array<(q: QueuedPodInfo | undefined) => void> = [];
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  /** Incremented on each pop; a move request records the cycle it happened in. */
  schedulingCycle = 0;
  private moveRequestCycle = -1;
  private readonly initialBackoff: number;
  private readonly maxBackoff: number;
  private readonly maxUnschedulable: number;
  private readonly now: () => number;

  constructor(private readonly opts: QueueOptions) {
    this.active = new KeyedHeap((q) => q.key, opts.less);
    this.backoff = new KeyedHeap((q) => q.key, (a, b) => a.backoffExpiry < b.backoffExpiry);
    this.initialBackoff = opts.initialBackoffMs ?? 1000;
    this.maxBackoff = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulable = opts.maxUnschedulableMs ?? 300_000;
    this.now = opts.now ?? Date.now;
  }

  /** Starts the periodic flushes (back-off every second, long-unschedulable every 30 s). */
  run(): void {
    let ticks = 0;
    this.timer = setInterval(() => {
      this.flushBackoff();
      if (++ticks % 30 === 0) this.flushUnschedulable();
    }, 1000);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f(undefined);
  }

  get pendingCounts(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size };
  }

  has(key: string): boolean {
    return this.active.has(key) || this.backoff.has(key) || this.unschedulable.has(key) || this.inFlight.has(key);
  }

  /** A new pending pod. */
  add(pod: Pod): void {
    const key = keyOfPod(pod);
    if (this.inFlight.has(key)) {
      const q = this.inFlight.get(key)!;
      q.podInfo = PodInfo.next(q.podInfo, pod);
      return;
    }
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    const existing = this.active.get(key);
    const q: QueuedPodInfo = existing
      ? { ...existing, podInfo: PodInfo.next(existing.podInfo, pod) }
      : { key, podInfo: new PodInfo(pod), timestamp: this.now(), attempts: 0, unschedulablePlugins: new Set(), backoffExpiry: 0 };
    this.pushActive(q);
  }

  /** A pending pod changed. Status-only changes (our own condition writes) do not requeue it. */
  update(oldPod: Pod, pod: Pod): void {
    const key = keyOfPod(pod);
    const q = this.active.get(key) ?? this.backoff.get(key) ?? this.unschedulable.get(key) ?? this.inFlight.get(key);
    if (!q) return this.add(pod);
    q.podInfo = PodInfo.next(q.podInfo, pod);
    if (this.active.has(key)) return this.active.push(q);
    if (this.inFlight.has(key)) return;
    if (!specChanged(oldPod, pod)) return;
    if (this.unschedulable.has(key)) {
      this.unschedulable.delete(key);
      if (q.backoffExpiry > this.now()) this.backoff.push(q);
      else this.pushActive(q);
    }
  }

  delete(pod: Pod): void {
    const key = keyOfPod(pod);
    this.active.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.inFlight.delete(key);
  }

  /** Next pod to schedule (waits for one); undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    const q = this.tryPop();
    if (q || this.closed) return Promise.resolve(q);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  tryPop(): QueuedPodInfo | undefined {
    const q = this.active.pop();
    if (!q) return undefined;
    q.attempts++;
    q.initialAttemptTimestamp ??= this.now();
    this.schedulingCycle++;
    this.inFlight.set(q.key, q);
    return q;
  }

  /** The pod's attempt is over (bound, or handed back with requeue*()). */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /**
   * The pod could not be scheduled. If a relevant move request came in during its cycle it goes to
   * back-off straight away; otherwise it waits for an event in the unschedulable set.
   */
  requeueUnschedulable(q: QueuedPodInfo, podCycle: number): void {
    if (!this.inFlight.has(q.key)) return; // deleted meanwhile
    this.inFlight.delete(q.key);
    q.backoffExpiry = this.now() + this.backoffDuration(q.attempts);
    if (this.moveRequestCycle >= podCycle) this.backoff.push(q);
    else this.unschedulable.set(q.key, q);
  }

  /** A transient error (e.g. the binding failed): retry after back-off. */
  requeueBackoff(q: QueuedPodInfo): void {
    if (!this.inFlight.has(q.key)) return;
    this.inFlight.delete(q.key);
    q.backoffExpiry = this.now() + this.backoffDuration(q.attempts);
    this.backoff.push(q);
  }

  /** A cluster event: unschedulable pods rejected by a plugin that cares about it move on. */
  onEvent(event: ClusterEvent, filter?: (q: QueuedPodInfo) => boolean): void {
    this.moveRequestCycle = this.schedulingCycle;
    if (this.unschedulable.size === 0) return;
    const interested = this.opts.pluginsFor(event);
    const now = this.now();
    for (const [key, q] of this.unschedulable) {
      let hit = q.unschedulablePlugins.size === 0;
      if (!hit) for (const p of q.unschedulablePlugins) if (interested.has(p)) hit = true;
      if (!hit || (filter && !filter(q))) continue;
      this.unschedulable.delete(key);
      if (q.backoffExpiry > now) this.backoff.push(q);
      else this.pushActive(q);
    }
  }

  backoffDuration(attempts: number): number {
    let d = this.initialBackoff;
    for (let i = 1; i < attempts; i++) {
      d *= 2;
      if (d >= this.maxBackoff) return this.maxBackoff;
    }
    return d;
  }

  flushBackoff(): void {
    const now = this.now();
    for (;;) {
      const q = this.backoff.peek();
      if (!q || q.backoffExpiry > now) break;
      this.backoff.pop();
      this.pushActive(q);
    }
  }

  flushUnschedulable(): void {
    const now = this.now();
    for (const [key, q] of this.unschedulable) {
      if (now - (q.backoffExpiry - this.backoffDuration(q.attempts)) < this.maxUnschedulable) continue;
      this.unschedulable.delete(key);
      this.pushActive(q);
    }
  }

  private pushActive(q: QueuedPodInfo): void {
    if (this.closed) return;
    const w = this.waiters.shift();
    if (w) {
      this.active.push(q);
      w(this.tryPop());
      return;
    }
    this.active.push(q);
  }
}

/** Did anything but status and bookkeeping metadata change? */
function specChanged(a: Pod, b: Pod): boolean {
  const strip = (p: Pod) => {
    const { resourceVersion: _rv, generation: _g, managedFields: _m, ...meta } = p.metadata ?? {};
    return JSON.stringify({ metadata: meta, spec: p.spec });
  };
  return strip(a) !== strip(b);
}
