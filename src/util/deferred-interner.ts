// Value sharing (util/value-interner.ts) off the write path, for caches whose objects are often superseded
// within seconds (a pod is created, bound, ContainerCreating and Running within its first second; a node's
// Lease is rewritten every 10 s): a cached object is interned only once it has stayed the current version of
// its key for `delayMs`, by a background pass that runs in short slices (a few ms per turn, then it yields to
// the event loop) on unref'd timers. Each object is checked to still be its key's current one right before it
// is interned; a superseded or deleted version is skipped (it is never interned).
//
// Interning an object that was already handed out is safe: the interner only replaces values with equal ones
// (content and key order unchanged, frozen nodes untouched), so every holder keeps seeing the same content.
import { nextWake, SettleQueue, type SettlePacing } from './settle-queue.js';
import type { ValueInterner } from './value-interner.js';

/**
 * How long a cached object must stay current before its values are shared. Twice the node Lease renewal
 * interval (10 s): a Lease is always superseded before it is due, even when a renewal runs a tick late, so
 * Leases are never interned; pods and nodes settle within seconds of their last change and are interned
 * once, 20 s later (at 1,000 pods/s that keeps ~20,000 recent pods unshared at a time).
 */
export const DEFAULT_SHARE_DELAY_MS = 20_000;
/** Longest run of interning in one turn (ms). */
const SLICE_MS = 4;
const PACING: SettlePacing = { restMs: 10, batchMs: 1_000 };

/** Time and timers of the pass (client/clock.ts's Clock fits); the default is real time with unref'd timers. */
export interface SettleClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: SettleClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout | undefined),
};

export interface DeferredInternerOptions<T> {
  interner: ValueInterner;
  /** Whether obj is still key's current object in the cache (checked right before interning it). */
  isCurrent(key: string, obj: T): boolean;
  /** Default DEFAULT_SHARE_DELAY_MS. */
  delayMs?: number;
  clock?: SettleClock;
  /** Measures a slice's length (ms); default performance.now (real time even with a fake clock). */
  elapsed?: () => number;
}

export class DeferredInterner<T extends object> {
  private readonly queue: SettleQueue<T>;
  private readonly clock: SettleClock;
  private readonly elapsed: () => number;
  private timer: unknown;
  /** When the armed timer fires (clock time); undefined when none is armed. */
  private wakeAt: number | undefined;
  private counts = { interned: 0, skipped: 0 };

  constructor(private readonly opts: DeferredInternerOptions<T>) {
    this.queue = new SettleQueue(opts.delayMs ?? DEFAULT_SHARE_DELAY_MS);
    this.clock = opts.clock ?? realClock;
    this.elapsed = opts.elapsed ?? (() => performance.now());
  }

  /** obj is key's new current object (not yet interned). */
  note(key: string, obj: T): void {
    this.queue.note(key, obj, this.clock.now());
    if (this.wakeAt === undefined) this.arm();
  }

  /** key was deleted, or its current object is interned already (e.g. it came with a list). */
  forget(key: string): void {
    this.queue.forget(key);
  }

  /** Drops every pending object and the timer (the cache stopped or relisted); a later note arms it again. */
  stop(): void {
    this.queue.clear();
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.wakeAt = undefined;
  }

  /** Objects waiting, whether a timer is armed, and what the pass did so far (tests, benchmarks). */
  get stats(): { pending: number; armed: boolean; interned: number; skipped: number } {
    return { pending: this.queue.size, armed: this.wakeAt !== undefined, ...this.counts };
  }

  private arm(): void {
    const now = this.clock.now();
    const wait = nextWake(this.queue.nextDue(), now, PACING);
    if (wait === undefined) return;
    this.wakeAt = now + wait;
    this.timer = this.clock.setTimeout(() => this.turn(), wait);
  }

  /** One slice: interns due objects that are still current until the slice's time is used up, then re-arms. */
  private turn(): void {
    this.timer = undefined;
    this.wakeAt = undefined;
    const deadline = this.elapsed() + SLICE_MS;
    this.queue.takeDue(this.clock.now(), ({ key, value }) => {
      if (this.opts.isCurrent(key, value)) {
        this.opts.interner.intern(value);
        this.counts.interned++;
      } else this.counts.skipped++;
      return this.elapsed() < deadline;
    });
    this.arm();
  }
}
