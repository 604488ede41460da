// In-process fan-out of committed writes to store watchers: ordered, exactly once, asynchronous, and without
// gaps between a watcher's catch-up (read from the log) and its live events. It knows nothing about SQL;
// the store publishes each committed event and hands over the catch-up it read. It must never poll.
//
// How "no gaps, no duplicates" holds: the store reads the catch-up and subscribes in the same synchronous
// turn, so the catch-up covers exactly the revisions up to `after` and live delivery skips anything at or
// below it. Until the catch-up has been delivered, live events queue behind it in the subscriber's backlog.
import type { Watch, WatchEvent, WatchHandlers } from '../store.js';

export function eventRevision(e: WatchEvent): number {
  return e.type === 'put' ? e.kv.modRevision : e.revision;
}

export function eventKey(e: WatchEvent): string {
  return e.type === 'put' ? e.kv.key : e.key;
}

interface Subscriber {
  readonly prefix: string;
  readonly handlers: WatchHandlers;
  /** Live events at or below this revision are already covered by the catch-up. */
  readonly after: number;
  /** Events waiting behind the catch-up; null once the subscriber is caught up (then delivery is direct). */
  backlog: WatchEvent[] | null;
  /** Highest revision this subscriber has been told about (by an event or a progress notification). */
  notified: number;
  closed: boolean;
}

export class WatchHub {
  private readonly subs = new Set<Subscriber>();
  /**
   * Subscribers whose prefix ends with "/" (a directory of keys, as every watch cache's), by prefix: an event
   * is offered to those of its key's directories (a few lookups) instead of testing every subscriber's prefix
   * (one per resource type). The others are in `undirected`.
   */
  private readonly byDir = new Map<string, Set<Subscriber>>();
  private readonly undirected = new Set<Subscriber>();
  private pending: WatchEvent[] = [];
  private flushScheduled = false;

  get size(): number {
    return this.subs.size;
  }

  /** Called by the store right after a commit, in revision order. */
  publish(e: WatchEvent): void {
    this.pending.push(e);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** `catchUp` holds the events with revision in (fromRevision, after], in order. */
  subscribe(prefix: string, after: number, catchUp: WatchEvent[], handlers: WatchHandlers): Watch {
    const sub: Subscriber = { prefix, handlers, after, backlog: catchUp, notified: 0, closed: false };
    this.subs.add(sub);
    if (prefix.endsWith('/')) {
      let dir = this.byDir.get(prefix);
      if (dir === undefined) this.byDir.set(prefix, (dir = new Set()));
      dir.add(sub);
    } else this.undirected.add(sub);
    queueMicrotask(() => this.drain(sub));
    return { close: () => this.remove(sub) };
  }

  /** Ends every subscription silently (the store is closing). */
  closeAll(): void {
    for (const sub of this.subs) this.remove(sub);
    this.pending = [];
  }

  private remove(sub: Subscriber): void {
    sub.closed = true;
    sub.backlog = null;
    this.subs.delete(sub);
    this.undirected.delete(sub);
    const dir = this.byDir.get(sub.prefix);
    if (dir !== undefined && dir.delete(sub) && dir.size === 0) this.byDir.delete(sub.prefix);
  }

  private drain(sub: Subscriber): void {
    const backlog = sub.backlog;
    if (sub.closed || backlog === null) return;
    for (let i = 0; i < backlog.length; i++) {
      if (!this.deliver(sub, backlog[i]!)) return;
    }
    sub.backlog = null;
    if (sub.notified < sub.after) this.progress(sub, sub.after);
  }

  private readonly flush = (): void => {
    const pending = this.pending;
    // Handlers may write; their events are appended to `pending` and delivered by this same loop, in order.
    for (let i = 0; i < pending.length; i++) {
      const e = pending[i]!;
      const rev = eventRevision(e);
      const key = eventKey(e);
      // Every prefix of the key that ends with "/" ("/", "/registry/", "/registry/pods/", ...).
      for (let at = key.indexOf('/'); at >= 0; at = key.indexOf('/', at + 1)) {
        const dir = this.byDir.get(key.slice(0, at + 1));
        if (dir !== undefined) for (const sub of dir) this.offer(sub, e, rev);
      }
      for (const sub of this.undirected) if (key.startsWith(sub.prefix)) this.offer(sub, e, rev);
    }
    this.pending = [];
    this.flushScheduled = false;
    if (pending.length === 0) return;
    // One progress notification per flush tells watchers of other prefixes how far the store has got.
    const last = eventRevision(pending[pending.length - 1]!);
    for (const sub of this.subs) {
      if (sub.backlog === null && sub.notified < last && sub.after < last && sub.handlers.onProgress) {
        this.progress(sub, last);
      }
    }
  };

  private offer(sub: Subscriber, e: WatchEvent, rev: number): void {
    if (rev <= sub.after) return;
    if (sub.backlog !== null) sub.backlog.push(e);
    else this.deliver(sub, e);
  }

  private deliver(sub: Subscriber, e: WatchEvent): boolean {
    if (sub.closed) return false;
    sub.notified = eventRevision(e);
    try {
      sub.handlers.onEvent(e);
      return true;
    } catch (err) {
      this.fail(sub, err);
      return false;
    }
  }

  private progress(sub: Subscriber, revision: number): void {
    sub.notified = revision;
    if (!sub.handlers.onProgress) return;
    try {
      sub.handlers.onProgress(revision);
    } catch (err) {
      this.fail(sub, err);
    }
  }

  /** A handler threw: that watch is over (the caller re-watches), the others carry on. */
  private fail(sub: Subscriber, err: unknown): void {
    this.remove(sub);
    try {
      sub.handlers.onError(err instanceof Error ? err : new Error(String(err)));
    } catch {
      // The handler failed twice; nothing sensible is left to tell it.
    }
  }
}
