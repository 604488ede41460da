// The kubelet's container restart back-off (flowcontrol.Backoff as the kubelet uses it): per pod+container,
// 10 s doubling up to 5 min, forgotten once the container stayed up for twice the maximum (10 min).
// The first restart after a clean stretch happens at once; each later one waits the current back-off
// counted from when the container finished, during which the container shows CrashLoopBackOff.
// Pure: time is passed in; it never schedules anything.

export const initialBackoffMs = 10_000;
export const maxBackoffMs = 300_000;

interface Entry {
  backoffMs: number;
  lastUpdateMs: number;
}

export type RestartDecision = { restartNow: true } | { restartNow: false; waitMs: number; backoffMs: number };

export class RestartBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly initialMs = initialBackoffMs,
    private readonly maxMs = maxBackoffMs,
  ) {}

  private expired(eventMs: number, e: Entry): boolean {
    return eventMs - e.lastUpdateMs > this.maxMs * 2;
  }

  /**
   * Called when a container that finished at finishedMs should be restarted, at nowMs: either restart now
   * (and the back-off grows for next time) or wait.
   */
  decide(key: string, finishedMs: number, nowMs: number): RestartDecision {
    const e = this.entries.get(key);
    if (e && !this.expired(finishedMs, e) && nowMs - finishedMs < e.backoffMs) {
      return { restartNow: false, waitMs: e.backoffMs - (nowMs - finishedMs), backoffMs: e.backoffMs };
    }
    if (!e || this.expired(finishedMs, e)) this.entries.set(key, { backoffMs: this.initialMs, lastUpdateMs: nowMs });
    else this.entries.set(key, { backoffMs: Math.min(e.backoffMs * 2, this.maxMs), lastUpdateMs: nowMs });
    return { restartNow: true };
  }

  /** flowcontrol.Backoff.IsInBackOffSinceUpdate: whether key's back-off, counted from its last update, lasts at nowMs. */
  inBackOffSinceUpdate(key: string, nowMs: number): boolean {
    const e = this.entries.get(key);
    return !!e && !this.expired(nowMs, e) && nowMs - e.lastUpdateMs < e.backoffMs;
  }

  /** flowcontrol.Backoff.Next: a failure at nowMs starts (or doubles, up to the maximum) key's back-off. */
  next(key: string, nowMs: number): void {
    const e = this.entries.get(key);
    const backoffMs = !e || this.expired(nowMs, e) ? this.initialMs : Math.min(e.backoffMs * 2, this.maxMs);
    this.entries.set(key, { backoffMs, lastUpdateMs: nowMs });
  }

  /** Current back-off of key (0 = none). */
  current(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** Drops entries of a pod (prefix "<uid>/") and entries idle for longer than twice the maximum. */
  gc(nowMs: number, uidPrefix?: string): void {
    for (const [k, e] of this.entries) {
      if ((uidPrefix && k.startsWith(uidPrefix)) || nowMs - e.lastUpdateMs > this.maxMs * 2) this.entries.delete(k);
    }
  }
}

/** Upstream's human form of a back-off in messages ("10s", "1m20s", "5m0s"). */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return `${m}m${s % 60}s`;
}
