// Which cached objects have stayed the current version of their key long enough to be worth work that only
// pays off for long-lived objects (sharing their values, util/value-interner.ts), and when to look again.
// A cache notes each new version of a key; a newer version supersedes the older one's entry (its value is
// dropped at once, so a superseded version is never handed back and is not kept alive), a deletion forgets the
// key. An entry is due `delayMs` after it was noted. Pure (no timers, no clock of its own): callers pass the
// time.
//
// Entries wait in one FIFO in the order they were noted, which with a constant delay and a non-decreasing
// clock is also the order they fall due; a Map finds a key's live entry. A key noted again keeps its entry
// (new value, later due time) and takes a new FIFO slot; its older slot stays behind, stale (the slot's due
// time, kept beside it, is no longer the entry's), until the pass reaches it: noting a version costs a Map
// lookup and two array pushes, whatever the key's history (a Lease is re-noted every 10 s), allocates nothing
// for a key already waiting (a pod's four versions in its first second are one entry, not four kept for the
// delay), and no Map deletions leave holes to skip.

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

interface Entry<V> {
  readonly key: string;
  /** Dropped (undefined) once the entry is forgotten or taken. */
  value: V | undefined;
  live: boolean;
  /** When the key's newest version falls due (its newest FIFO slot carries the same time). */
  due: number;
}

/** FIFO entries already passed are cut off once they are at least this many and half of the array. */
const COMPACT_AT = 1024;

export class SettleQueue<V> {
  /** Each waiting key's live entry. */
  private readonly live = new Map<string, Entry<V>>();
  /** Entries in the order noted (= due order); those before `head` were passed. */
  private fifo: Entry<V>[] = [];
  /** The due time each FIFO slot was noted with: a slot is its entry's current one while they are equal. */
  private fifoDue: number[] = [];
  private head = 0;

  constructor(readonly delayMs: number) {}

  /** Entries waiting (not yet taken, forgotten or superseded). */
  get size(): number {
    return this.live.size;
  }

  /** `value` became key's current version at `now`: due at now + delay; an older version is dropped. */
  note(key: string, value: V, now: number): void {
    const due = now + this.delayMs;
    let e = this.live.get(key);
    if (e === undefined) this.live.set(key, (e = { key, value, live: true, due }));
    else {
      e.value = value;
      e.due = due;
    }
    this.fifo.push(e);
    this.fifoDue.push(due);
  }

  /** key was deleted (or its current version needs no more work). */
  forget(key: string): void {
    const e = this.live.get(key);
    if (e === undefined) return;
    drop(e);
    this.live.delete(key);
    if (this.live.size === 0) this.clear(); // nothing left to pass
  }

  clear(): void {
    this.live.clear();
    this.fifo = [];
    this.fifoDue = [];
    this.head = 0;
  }

  /** When the earliest live entry falls due; undefined when nothing waits. Passes dead entries at the front. */
  nextDue(): number | undefined {
    const e = this.front();
    return e?.due;
  }

  /**
   * Removes the entries due at `now` in the order they fell due, handing each to `visit`, until none is due or
   * `visit` returns false (that entry is taken all the same). Returns how many were taken.
   */
  takeDue(now: number, visit: (e: SettleEntry<V>) => boolean): number {
    let taken = 0;
    for (let e = this.front(); e !== undefined && e.due <= now; e = this.front()) {
      this.head++;
      this.live.delete(e.key);
      const value = e.value as V;
      drop(e);
      taken++;
      if (!visit({ key: e.key, value })) break;
    }
    this.compact();
    return taken;
  }

  /** The first live entry at its current slot, after passing the dead and stale slots before it. */
  private front(): Entry<V> | undefined {
    const fifo = this.fifo;
    const dues = this.fifoDue;
    for (; this.head < fifo.length; this.head++) {
      const e = fifo[this.head]!;
      if (e.live && e.due === dues[this.head]) return e;
    }
    return undefined;
  }

  private compact(): void {
    if (this.head === this.fifo.length) {
      this.fifo = [];
      this.fifoDue = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AT && this.head * 2 >= this.fifo.length) {
      this.fifo = this.fifo.slice(this.head);
      this.fifoDue = this.fifoDue.slice(this.head);
      this.head = 0;
    }
  }
}

function drop<V>(e: Entry<V>): void {
  e.live = false;
  e.value = undefined;
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
