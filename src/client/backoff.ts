// Exponential back-off with jitter, as client-go's wait.Backoff / BackoffManager: each failure doubles the
// delay up to a cap; a quiet period longer than resetAfterMs starts again from the initial delay. It only
// computes delays; sleeping is the caller's business.
import { realClock, type Clock } from './clock.js';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor?: number;
  /** Adds up to jitter×delay at random (client-go's reflector uses 1.0). */
  jitter?: number;
  /** After this long without a failure the delay starts again from initialMs. */
  resetAfterMs?: number;
  clock?: Clock;
  random?: () => number;
}

/** The reflector's defaults in client-go: 800 ms doubling to 30 s, reset after 2 min, jitter 1.0. */
export const reflectorBackoff: BackoffOptions = { initialMs: 800, maxMs: 30_000, factor: 2, jitter: 1, resetAfterMs: 120_000 };

export class Backoff {
  private current: number;
  private lastFailure = -Infinity;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(private readonly opts: BackoffOptions) {
    this.current = 0;
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
  }

  /** Delay to wait before the next attempt after a failure now. */
  next(): number {
    const now = this.clock.now();
    if (this.opts.resetAfterMs !== undefined && now - this.lastFailure > this.opts.resetAfterMs) this.current = 0;
    this.lastFailure = now;
    this.current = this.current === 0 ? this.opts.initialMs : Math.min(this.opts.maxMs, this.current * (this.opts.factor ?? 2));
    const jitter = this.opts.jitter ?? 0;
    return Math.round(jitter > 0 ? this.current + this.random() * jitter * this.current : this.current);
  }

  /** Forget past failures (after a success). */
  reset(): void {
    this.current = 0;
  }
}
