// Which cached objects have stayed the current version of their key long enough to be worth work that only
// pays off for long-lived objects (sharing their values, util/value-interner.ts), and when to look again.
// A cache notes each new version of a key; a newer version replaces the older one's entry (which is dropped,
// so a superseded version is never handed back and is not kept alive), a deletion forgets the key. An entry
// is due `delayMs` after it was noted. Pure (no timers, no clock of its own): callers pass the time.
//
// Entries live in one Map in the order they were noted (a re-noted key moves to the end), which with a
// constant delay and a non-decreasing clock is also the order they fall due: the earliest is always first.

export interface SettleEntry<V> {
  key: string;
  value: V;
}

/** How a background pass paces itself (see nextWake). */
export interface SettlePacing {
  /** Pause between two slices while due entries remain (lets the event loop serve I/O). */
  restMs: number;
  /** Least wait before looking again when nothing is due yet, so due entries are taken in batches. */
  batchMs: number;
}

export class SettleQueue<V> {
  private readonly pending = new Map<string, { value: V; due: number }>();

  constructor(readonly delayMs: number) {}

  /** Entries waiting (not yet taken, forgotten or superseded). */
  get size(): number {
    return this.pending.size;
  }

  /** `value` became key's current version at `now`: due at now + delay; an entry for an older version is dropped. */
  note(key: string, value: V, now: number): void {
    this.pending.delete(key);
    this.pending.set(key, { value, due: now + this.delayMs });
  }

  /** key was deleted (or its current version needs no more work). */
  forget(key: string): void {
    this.pending.delete(key);
  }

  clear(): void {
    this.pending.clear();
  }

  /** When the earliest entry falls due; undefined when nothing waits. */
  nextDue(): number | undefined {
    for (const e of this.pending.values()) return e.due;
    return undefined;
  }

  /**
   * Removes the entries due at `now` in the order they fell due, handing each to `visit`, until none is due or
   * `visit` returns false (that entry is taken all the same). Returns how many were taken.
   */
  takeDue(now: number, visit: (e: SettleEntry<V>) => boolean): number {
    let taken = 0;
    for (const [key, e] of this.pending) {
      if (e.due > now) break;
      this.pending.delete(key);
      taken++;
      if (!visit({ key, value: e.value })) break;
    }
    return taken;
  }
}

/**
 * How long a background pass waits before its next turn: `restMs` when due entries remain after a turn that ran
 * out of time, otherwise until the earliest entry falls due but at least `batchMs`; undefined when nothing waits
 * (the next note arms the pass again).
 */
export function nextWake(nextDue: number | undefined, now: number, pacing: SettlePacing): number | undefined {
  if (nextDue === undefined) return undefined;
  if (nextDue <= now) return pacing.restMs;
  return Math.max(nextDue - now, pacing.batchMs);
}
