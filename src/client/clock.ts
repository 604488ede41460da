// Time as the client library sees it: wall-clock milliseconds and one-shot timers, behind an interface so
// work queues, back-off and leader election can be tested with a fake clock. It must not keep the process
// alive on its own (real timers are unref'd only where a caller asks).

export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Milliseconds since the epoch (monotonic enough for intervals on the real clock). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

let nextId = 1;

class RealClock implements Clock {
  private readonly timers = new Map<number, NodeJS.Timeout>();
  now(): number {
    return Date.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = nextId++;
    const t = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, Math.max(0, ms));
    this.timers.set(id, t);
    return { id };
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const t = this.timers.get(handle.id);
    if (t) {
      clearTimeout(t);
      this.timers.delete(handle.id);
    }
  }
}

export const realClock: Clock = new RealClock();

/** A clock that moves only when told to; timers fire in due order during step(). */
export class FakeClock implements Clock {
  private t: number;
  private readonly pending = new Map<number, { at: number; fn: () => void; seq: number }>();
  private seq = 0;

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = nextId++;
    this.pending.set(id, { at: this.t + Math.max(0, ms), fn, seq: this.seq++ });
    return { id };
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.pending.delete(handle.id);
  }
  /** Number of timers not yet fired. */
  get waiters(): number {
    return this.pending.size;
  }
  /** Advances time by ms, firing every timer that comes due (including ones scheduled by fired timers). */
  step(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let bestId = -1;
      let best: { at: number; seq: number } | undefined;
      for (const [id, p] of this.pending) {
        if (p.at > end) continue;
        if (!best || p.at < best.at || (p.at === best.at && p.seq < best.seq)) {
          best = p;
          bestId = id;
        }
      }
      if (!best) break;
      const p = this.pending.get(bestId)!;
      this.pending.delete(bestId);
      this.t = Math.max(this.t, p.at);
      p.fn();
    }
    this.t = end;
  }
}

/** Resolves after ms on the clock, or rejects with the signal's reason when aborted first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(h);
      reject(signal!.reason);
    };
    const h = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
