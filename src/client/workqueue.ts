// The controllers' work queue of string keys, with client-go's guarantees: a key waiting in the queue is
// held once however often it is added; a key being processed is never handed to a second worker (adding it
// meanwhile queues it again after done()); delayed and rate-limited adds; shutdown. runWorkers() is the
// standard loop around it: reconcile(key), forget on success, requeue with back-off on error.
// It does not know what the keys mean.
import { realClock, type Clock, type TimerHandle } from './clock.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';
import { KeyedHeap } from '../util/keyed-heap.js';

export interface WorkQueueOptions {
  clock?: Clock;
  rateLimiter?: RateLimiter;
  name?: string;
}

export class WorkQueue {
  readonly name: string;
  private queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private waiters: Array<(key: string | undefined) => void> = [];
  /** Delayed keys by when each becomes ready; one timer waits for the earliest. */
  private delayed = newDelayedHeap();
  private seq = 0;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private shutting = false;
  private drainWaiters: Array<() => void> = [];
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;

  constructor(opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter(this.clock);
    this.name = opts.name ?? '';
  }

  add(key: string): void {
    if (this.shutting || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.queue.push(key);
    this.pump();
  }

  /** Next key, waiting until there is one; undefined once shut down and empty. Call done(key) after. */
  get(): Promise<string | undefined> {
    const key = this.tryGet();
    if (key !== undefined || this.shutting) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Next key if one is ready now. */
  tryGet(): string | undefined {
    if (this.head >= this.queue.length) return undefined;
    const key = this.queue[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  /** Processing of key finished; if it was added meanwhile it is queued again now. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.queue.push(key);
      this.pump();
    }
    if (this.processing.size === 0 && this.drainWaiters.length > 0) {
      const w = this.drainWaiters;
      this.drainWaiters = [];
      for (const f of w) f();
    }
  }

  /** Keys waiting (not counting those being processed or delayed). */
  len(): number {
    return this.queue.length - this.head;
  }

  /**
   * Adds key after ms; a key already waiting keeps the earlier of the two times. As client-go's delaying
   * queue: the waiting keys are a heap under one timer (not a timer per key), so a controller requeueing
   * thousands of keys a second (the simulated kubelet: one per pod) costs a heap push each.
   */
  addAfter(key: string, ms: number): void {
    if (this.shutting) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing !== undefined && existing.at <= at) return;
    this.delayed.push({ key, at, seq: this.seq++ });
    if (at < this.timerAt) this.arm(at);
  }

  private arm(at: number): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => this.fireDue(), at - this.clock.now());
  }

  /** Adds the keys whose time has come (in time order), then waits for the next. */
  private fireDue(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    for (let top = this.delayed.peek(); top !== undefined && top.at <= now; top = this.delayed.peek()) {
      this.delayed.pop();
      this.add(top.key);
    }
    const next = this.delayed.peek();
    if (next !== undefined && !this.shutting) this.arm(next.at);
  }

  /** Adds key after the rate limiter's delay (per-item back-off combined with the overall bucket). */
  addRateLimited(key: string): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** Stop tracking the key's failures (call after it was processed successfully). */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiter.numRequeues(key);
  }

  get shuttingDown(): boolean {
    return this.shutting;
  }

  /** No more adds; get() hands out what is queued, then undefined. Delayed keys are dropped. */
  shutdown(): void {
    if (this.shutting) return;
    this.shutting = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.delayed = newDelayedHeap();
    this.pump();
  }

  /** shutdown(), then resolves when no key is being processed. */
  shutdownWithDrain(): Promise<void> {
    this.shutdown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private pump(): void {
    while (this.waiters.length > 0) {
      const key = this.tryGet();
      if (key === undefined) {
        if (!this.shutting) return;
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f(undefined);
        return;
      }
      this.waiters.shift()!(key);
    }
  }
}

interface DelayedEntry {
  key: string;
  at: number;
  /** Insertion order: keys due at the same time are added in the order they were delayed. */
  seq: number;
}

const newDelayedHeap = () =>
  new KeyedHeap<DelayedEntry>(
    (e) => e.key,
    (a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq),
  );

/** What reconcile may ask for besides success: process the key again later. */
export type ReconcileResult = void | { requeueAfterMs?: number; requeue?: boolean };

export interface RunWorkersOptions {
  /** Called for every failed reconcile (default: one line on stderr). */
  onError?: (key: string, err: unknown) => void;
}

/**
 * n workers taking keys until the queue shuts down. Success → forget (and requeueAfterMs / requeue if
 * asked); error → addRateLimited. Resolves when every worker has stopped.
 */
export async function runWorkers(
  queue: WorkQueue,
  n: number,
  reconcile: (key: string) => Promise<ReconcileResult> | ReconcileResult,
  opts: RunWorkersOptions = {},
): Promise<void> {
  const onError =
    opts.onError ??
    ((key: string, err: unknown) =>
      process.stderr.write(`${queue.name || 'workqueue'}: reconcile ${key} failed: ${(err as Error)?.message ?? String(err)}\n`));
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const res = await reconcile(key);
        queue.forget(key);
        if (res && res.requeueAfterMs !== undefined && res.requeueAfterMs > 0) queue.addAfter(key, res.requeueAfterMs);
        else if (res && res.requeue) queue.addRateLimited(key);
      } catch (err) {
        onError(key, err);
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, n) }, worker));
}
