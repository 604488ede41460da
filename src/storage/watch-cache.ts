// The API server's in-memory cache of one resource (one storage prefix such as "/registry/pods/"): it lists
// once, then follows store.watch, and serves gets, lists and watches from memory so thousands of watchers
// cost one store watch. It must not validate, authorize or serialize; it holds decoded objects and events.
//
// Objects and events handed out are SHARED between all callers and watchers (the server memoizes the
// serialization of each event): callers must treat them as immutable and copy before changing anything.
// Parts of different objects are shared too (util/value-interner.ts: repeated strings, identical subtrees):
// the listed objects at once, a watched one once it has stayed its key's current version for a while
// (util/deferred-interner.ts), so versions superseded within seconds (a pod's first writes, Leases) cost no
// sharing work; a new version shares what did not change with the one it replaces (util/share-unchanged.ts),
// which the event history keeps. Sharing rewrites an object in place with equal values: what was handed out
// stays the same.
//
// Watchers receive events synchronously from the dispatch loop, so `CacheWatcher.onEvent` must not block:
// it should queue the event (e.g. write to its response) and close itself when its client cannot keep up,
// as upstream's cacheWatcher does; one that throws is closed with onClose('error') and the rest carry on.
import { errors, StatusError } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import { CompactedError, type KeyValue, type Store, type Watch, type WatchEvent } from './store.js';
import { ValueInterner } from '../util/value-interner.js';
import { DeferredInterner, type SettleClock } from '../util/deferred-interner.js';
import { shareUnchanged } from '../util/share-unchanged.js';

export type CacheEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: CacheEventType;
  key: string;
  object: KubeObject;
  prev?: KubeObject;
  revision: number;
}

export interface CacheWatcher {
  onEvent(e: CacheEvent): void;
  onClose(reason: 'stopped' | 'error'): void;
}

export interface WatchCacheOptions {
  /** Storage prefix, ends with "/". */
  prefix: string;
  /**
   * Parses the stored value and sets metadata.resourceVersion (to String(kv.modRevision)). The cache owns
   * the object from then on and rewrites it in place, without changing its content, to share repeated
   * values with the objects it already holds (at once when listed, later when watched).
   */
  decode(kv: KeyValue): KubeObject;
  /**
   * The new version of `prev` (the key's object the cache holds) that a put stored, without parsing it: an
   * object of the cache's own (nothing else may hold or change any part of it that is not prev's) equal to
   * what decode would give, in which what did not change is prev's already (util/share-unchanged.ts's
   * copyShared). Undefined when it cannot (then the cache decodes and shares itself). Optional.
   */
  derive?(kv: KeyValue, prev: KubeObject): KubeObject | undefined;
  /**
   * Events kept for watch resumption: at least this many (default 10,000). Without historyMaxCapacity the
   * history keeps exactly this many.
   */
  historyCapacity?: number;
  /**
   * As upstream's watch cache, the history grows (doubling, up to this many events; default 102,400 when
   * historyCapacity is not given) while its oldest event is younger than eventFreshMs, and halves back when
   * its newest quarter spans more than that: a watcher that fell behind during a burst of writes (one cut off
   * for not reading, or a client relisting) resumes from its resourceVersion instead of getting a 410 and
   * relisting everything, which under the same burst falls behind again.
   */
  historyMaxCapacity?: number;
  /** How long an event counts as fresh for sizing the history (upstream's eventFreshDuration, 75 s). */
  eventFreshMs?: number;
  /** Clock for the history's sizing (tests). */
  now?: () => number;
  /**
   * A watched object's values are shared once it has stayed its key's current version this long (default
   * util/deferred-interner.ts's DEFAULT_SHARE_DELAY_MS).
   */
  shareValuesAfterMs?: number;
  /** Time and timers of the deferred value sharing (tests); default real time, unref'd timers. */
  shareClock?: SettleClock;
}

export type ObjectFilter = (o: KubeObject) => boolean;

/**
 * A watcher's filter pins `field` to `value` (e.g. a kubelet's spec.nodeName=<node>): the cache offers it
 * only events whose object or previous object has that value, without running its filter on every other
 * event (upstream's indexed triggers). `valueOf` must give the value the filter compares ("" when absent).
 */
export interface WatchIndex {
  field: string;
  value: string;
  valueOf(o: KubeObject): string;
}

export interface CacheListOptions {
  startAfter?: string;
  limit?: number;
  filter?: ObjectFilter;
}

export interface CacheListResult {
  items: KubeObject[];
  revision: number;
  more: boolean;
  remaining: number;
  lastKey?: string;
}

interface Registration {
  readonly prefix: string;
  readonly filter: ObjectFilter | undefined;
  readonly index: WatchIndex | undefined;
  readonly watcher: CacheWatcher;
  /** Live events at or below this revision are not for this watcher (replayed or older than its start). */
  readonly after: number;
  /** Replay not yet delivered; live events queue behind it. null once caught up. */
  backlog: CacheEvent[] | null;
  closed: boolean;
}

interface Waiter {
  revision: number;
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Per-event memo of the filtered variants, so watchers that see the same variant share one object. */
interface Variants {
  added?: CacheEvent;
  deleted?: CacheEvent;
}

/** Grace period before asking the store for its revision when no progress notification arrived. */
const FRESHNESS_FALLBACK_MS = 25;
const FRESHNESS_FALLBACK_MAX_MS = 1_000;
const RELIST_BACKOFF_MIN_MS = 100;
const DEFAULT_HISTORY_CAPACITY = 10_000;
const DEFAULT_HISTORY_MAX_CAPACITY = 100 * 1024;
const EVENT_FRESH_MS = 75_000;
const RELIST_BACKOFF_MAX_MS = 5_000;

/** Index of the first key >= x. */
function lowerBound(keys: readonly string[], x: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first key > x. */
function upperBound(keys: readonly string[], x: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index just past the keys that start with prefix (they form one run in sorted order). */
function prefixEndIndex(keys: readonly string[], prefix: string, from: number): number {
  let lo = from;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = keys[mid]!;
    if (k < prefix || k.startsWith(prefix)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The object as it was, stamped with a later revision (upstream's shape for DELETED events). */
function atRevision(o: KubeObject, revision: number): KubeObject {
  return { ...o, metadata: { ...o.metadata, resourceVersion: String(revision) } };
}

/**
 * What a watcher with `filter` sees of event e, as upstream's cacheWatcher: new state matches and old did
 * not → ADDED; both → MODIFIED; old did and new does not (or the object was deleted) → DELETED carrying the
 * old object at the event's revision; neither → nothing.
 */
export function filterEvent(e: CacheEvent, filter: ObjectFilter | undefined, memo: Variants = {}): CacheEvent | undefined {
  if (filter === undefined) return e;
  const curPasses = e.type !== 'DELETED' && filter(e.object);
  const oldPasses = e.prev !== undefined && filter(e.prev);
  if (curPasses) {
    if (oldPasses || e.type === 'ADDED') return e;
    return (memo.added ??= { type: 'ADDED', key: e.key, object: e.object, prev: e.prev, revision: e.revision });
  }
  if (!oldPasses) return undefined;
  if (e.type === 'DELETED') return e;
  return (memo.deleted ??= {
    type: 'DELETED',
    key: e.key,
    object: atRevision(e.prev!, e.revision),
    prev: e.prev,
    revision: e.revision,
  });
}

export class WatchCache {
  private readonly prefix: string;
  private readonly decode: (kv: KeyValue) => KubeObject;
  private readonly derive: ((kv: KeyValue, prev: KubeObject) => KubeObject | undefined) | undefined;
  /** decode, then value sharing at once (listed objects: the settled state, most of them long-lived). */
  private readonly decodeShared: (kv: KeyValue) => KubeObject;
  /** The history's current size limit, between minCapacity and maxCapacity. */
  private capacity: number;
  private readonly minCapacity: number;
  private readonly maxCapacity: number;
  private readonly freshMs: number;
  private readonly now: () => number;
  /** Repeated strings and identical subtrees (managed-fields trees, tolerations, containers...) are held once. */
  private readonly interner = new ValueInterner();
  /** Shares a watched object's values once it has stayed current for a while (superseded versions never). */
  private readonly deferred: DeferredInterner<KubeObject>;

  private readonly objects = new Map<string, KubeObject>();
  /** Keys of `objects`, kept sorted (JavaScript string order) as writes arrive. */
  private keys: string[] = [];
  /** Ring buffer of recent events, oldest at `head` (0 until it is full). */
  private history: CacheEvent[] = [];
  /** When each event in `history` was recorded (same positions). */
  private recordedAt: number[] = [];
  private head = 0;
  /** Every event with revision > historyStart is in `history`. */
  private historyStart = 0;
  private rev = 0;
  private lastEventRev = 0;

  /** Every registration; those without an index are also in `unindexed`, the others in `indexed`. */
  private readonly watchers = new Set<Registration>();
  private readonly unindexed = new Set<Registration>();
  /** field → its value function and the registrations by the value they pin it to. */
  private readonly indexed = new Map<string, { valueOf(o: KubeObject): string; byValue: Map<string, Set<Registration>> }>();
  private waiters: Waiter[] = [];
  private freshnessTimer: NodeJS.Timeout | undefined;
  private freshnessCheck: Promise<void> | undefined;
  private freshnessDelay = FRESHNESS_FALLBACK_MS;
  private storeWatch: Watch | undefined;
  /** Bumped on every (re)list so callbacks of an abandoned store watch are ignored. */
  private generation = 0;
  private relistTimer: NodeJS.Timeout | undefined;
  private relistBackoff = RELIST_BACKOFF_MIN_MS;
  private stopped = false;

  constructor(
    private readonly store: Store,
    opts: WatchCacheOptions,
  ) {
    this.prefix = opts.prefix;
    this.decode = opts.decode;
    this.derive = opts.derive;
    this.decodeShared = (kv) => this.interner.intern(opts.decode(kv));
    this.deferred = new DeferredInterner({
      interner: this.interner,
      isCurrent: (key, o) => this.objects.get(key) === o,
      delayMs: opts.shareValuesAfterMs,
      clock: opts.shareClock,
    });
    this.minCapacity = Math.max(1, opts.historyCapacity ?? DEFAULT_HISTORY_CAPACITY);
    this.maxCapacity = Math.max(this.minCapacity, opts.historyMaxCapacity ?? (opts.historyCapacity === undefined ? DEFAULT_HISTORY_MAX_CAPACITY : this.minCapacity));
    this.capacity = this.minCapacity;
    this.freshMs = opts.eventFreshMs ?? EVENT_FRESH_MS;
    this.now = opts.now ?? Date.now;
  }

  /** Events the history holds now, and its current limit. */
  get historySize(): { events: number; capacity: number } {
    return { events: this.history.length, capacity: this.capacity };
  }

  /** Watched objects waiting for value sharing, and what the deferred pass did so far (tests, benchmarks). */
  get sharing(): { pending: number; armed: boolean; interned: number; skipped: number } {
    return this.deferred.stats;
  }

  /** Highest revision applied, including other prefixes' writes learnt from progress notifications. */
  get revision(): number {
    return this.rev;
  }

  /** Initial list, then a store watch from the list's revision. Rejects if the first list fails. */
  async start(): Promise<void> {
    await this.load();
  }

  /** Ends the store watch; every cache watcher gets onClose('stopped') and pending waitFor calls reject. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.generation++;
    clearTimeout(this.relistTimer);
    clearTimeout(this.freshnessTimer);
    this.deferred.stop();
    this.storeWatch?.close();
    this.storeWatch = undefined;
    this.closeAllWatchers('stopped');
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.reject(errors.unavailable('the watch cache has been stopped'));
    }
  }

  /** Resolves once the cache has applied `revision`; rejects with a 504 "Too large resource version". */
  waitFor(revision: number, timeoutMs: number): Promise<void> {
    if (revision <= this.rev) return Promise.resolve();
    if (this.stopped) return Promise.reject(errors.unavailable('the watch cache has been stopped'));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        revision,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(tooLargeResourceVersion(revision, this.rev));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
      this.scheduleFreshnessCheck();
    });
  }

  get(key: string): KubeObject | undefined {
    return this.objects.get(key);
  }

  /**
   * True when the cache's current objects are exactly the state at `revision`: it has applied that revision
   * and nothing under its prefix was written after it. Lets a continuation or exact-revision list read the
   * cache instead of the store's history.
   */
  holdsStateAt(revision: number): boolean {
    return revision <= this.rev && this.lastEventRev <= revision;
  }

  /** Objects under keyPrefix in key order; the filter applies before the limit (pagination over matches). */
  list(keyPrefix: string, opts: CacheListOptions = {}): CacheListResult {
    const keys = this.keys;
    const start = lowerBound(keys, keyPrefix);
    const end = prefixEndIndex(keys, keyPrefix, start);
    let i = opts.startAfter !== undefined && opts.startAfter >= keyPrefix ? Math.max(start, upperBound(keys, opts.startAfter)) : start;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const filter = opts.filter;
    const items: KubeObject[] = [];
    let lastKey: string | undefined;
    for (; i < end; i++) {
      if (limit > 0 && items.length >= limit) break;
      const key = keys[i]!;
      const o = this.objects.get(key)!;
      if (filter !== undefined && !filter(o)) continue;
      items.push(o);
      lastKey = key;
    }
    const more = i < end;
    return { items, revision: this.rev, more, remaining: end - i, lastKey };
  }

  /**
   * Objects under keyPrefix as they were at `revision` (a continuation's snapshot): the current objects with
   * the history's later events undone, each changed key taking its state from its first event after
   * `revision` (an ADDED one: absent then; otherwise the event's previous object). Undefined when the cache
   * has not applied `revision` or its history no longer reaches back to it. O(limit + log n + the events
   * under keyPrefix since `revision`).
   */
  listAt(keyPrefix: string, revision: number, opts: CacheListOptions = {}): CacheListResult | undefined {
    if (revision > this.rev || revision < this.historyStart) return undefined;
    if (this.lastEventRev <= revision) return { ...this.list(keyPrefix, opts), revision };
    const changed = new Map<string, KubeObject | null>();
    for (const e of this.eventsAfter(keyPrefix, revision)) {
      if (!changed.has(e.key)) changed.set(e.key, e.type === 'ADDED' ? null : (e.prev ?? null));
    }
    const from = opts.startAfter !== undefined && opts.startAfter >= keyPrefix ? opts.startAfter : undefined;
    const restored: [string, KubeObject][] = [];
    for (const [k, o] of changed) if (o !== null && (from === undefined || k > from)) restored.push([k, o]);
    restored.sort((a, b) => (a[0] < b[0] ? -1 : 1));

    const keys = this.keys;
    const start = lowerBound(keys, keyPrefix);
    const end = prefixEndIndex(keys, keyPrefix, start);
    let i = from !== undefined ? Math.max(start, upperBound(keys, from)) : start;
    let r = 0;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const filter = opts.filter;
    const items: KubeObject[] = [];
    let lastKey: string | undefined;
    const take = (key: string, o: KubeObject): void => {
      if (filter !== undefined && !filter(o)) return;
      items.push(o);
      lastKey = key;
    };
    while ((i < end || r < restored.length) && !(limit > 0 && items.length >= limit)) {
      const ck = i < end ? keys[i]! : undefined;
      const rk = r < restored.length ? restored[r]![0] : undefined;
      if (rk !== undefined && (ck === undefined || rk <= ck)) {
        take(rk, restored[r]![1]);
        r++;
        if (rk === ck) i++;
      } else {
        if (!changed.has(ck!)) take(ck!, this.objects.get(ck!)!);
        i++;
      }
    }
    // Not yet visited: keys[i..end) and restored[r..]; a changed key among the former is either created since
    // (absent at `revision`) or counted again in the latter.
    let remaining = end - i + (restored.length - r);
    if (i < end) for (const k of changed.keys()) if (k >= keys[i]! && this.objects.has(k)) remaining--;
    return { items, revision, more: remaining > 0, remaining, lastKey };
  }

  /**
   * Events under keyPrefix after fromRevision: 0 → only future events; a revision still in the history →
   * replay, then live; older → CompactedError (the server answers 410 Gone).
   */
  watch(keyPrefix: string, fromRevision: number, filter: ObjectFilter | undefined, w: CacheWatcher, index?: WatchIndex): { close(): void } {
    if (this.stopped) {
      queueMicrotask(() => w.onClose('stopped'));
      return { close: () => undefined };
    }
    let backlog: CacheEvent[] | null = null;
    if (fromRevision > 0 && fromRevision < this.rev) {
      if (fromRevision < this.historyStart) throw new CompactedError(fromRevision, this.historyStart);
      backlog = this.eventsAfter(keyPrefix, fromRevision);
    }
    const reg: Registration = {
      prefix: keyPrefix,
      filter,
      index: filter === undefined ? undefined : index,
      watcher: w,
      after: Math.max(this.rev, fromRevision),
      backlog,
      closed: false,
    };
    this.addWatcher(reg);
    if (backlog !== null) queueMicrotask(() => this.drain(reg));
    return { close: () => this.removeWatcher(reg) };
  }

  // ---- store side ----

  private async load(): Promise<void> {
    const gen = ++this.generation;
    const res = await this.store.list(this.prefix);
    if (gen !== this.generation) return;
    const decoded: [string, KubeObject][] = res.items.map((kv) => [kv.key, this.decodeShared(kv)]);
    this.deferred.stop(); // what waited belongs to the objects being replaced
    this.objects.clear();
    for (const [k, o] of decoded) this.objects.set(k, o);
    this.keys = decoded.map(([k]) => k).sort();
    this.history = [];
    this.recordedAt = [];
    this.head = 0;
    this.historyStart = res.revision;
    this.lastEventRev = res.revision;
    this.advance(res.revision);
    const watch = await this.store.watch(this.prefix, res.revision, {
      onEvent: (e) => {
        if (gen === this.generation) this.apply(e);
      },
      onProgress: (r) => {
        if (gen === this.generation) this.advance(r);
      },
      onError: (err) => {
        if (gen === this.generation) this.restart(err);
      },
    });
    if (gen !== this.generation) {
      watch.close();
      return;
    }
    this.storeWatch = watch;
    this.relistBackoff = RELIST_BACKOFF_MIN_MS;
  }

  /** The store watch failed: like upstream's cacher, end every cache watcher and relist (with back-off). */
  private restart(_err: Error): void {
    if (this.stopped) return;
    this.generation++;
    this.storeWatch?.close();
    this.storeWatch = undefined;
    this.closeAllWatchers('error');
    clearTimeout(this.relistTimer);
    this.relistTimer = setTimeout(() => {
      this.relistTimer = undefined;
      this.load().catch((err: unknown) => this.restart(err instanceof Error ? err : new Error(String(err))));
    }, this.relistBackoff);
    this.relistBackoff = Math.min(this.relistBackoff * 2, RELIST_BACKOFF_MAX_MS);
  }

  private apply(e: WatchEvent): void {
    const revision = e.type === 'put' ? e.kv.modRevision : e.revision;
    if (revision <= this.lastEventRev) return; // already applied (e.g. part of the initial list)
    this.lastEventRev = revision;
    let event: CacheEvent;
    if (e.type === 'put') {
      const key = e.kv.key;
      const prev = this.objects.get(key);
      let object: KubeObject | undefined;
      if (prev === undefined) {
        object = this.decode(e.kv);
        this.insertKey(key);
      } else {
        // The history keeps prev: what did not change is held once.
        object = this.derive?.(e.kv, prev);
        if (object === undefined) shareUnchanged((object = this.decode(e.kv)), prev);
      }
      this.objects.set(key, object);
      this.deferred.note(key, object);
      event = { type: prev === undefined ? 'ADDED' : 'MODIFIED', key, object, prev, revision };
    } else {
      const key = e.key;
      const cached = this.objects.get(key);
      const prev = cached ?? this.decode(e.prev);
      if (cached !== undefined) {
        this.objects.delete(key);
        this.removeKey(key);
        this.deferred.forget(key);
      }
      event = { type: 'DELETED', key, object: atRevision(prev, revision), prev, revision };
    }
    this.record(event);
    if (revision > this.rev) this.rev = revision;
    this.dispatch(event);
    this.resolveWaiters();
  }

  private advance(revision: number): void {
    if (revision <= this.rev) return;
    this.rev = revision;
    this.resolveWaiters();
  }

  // ---- fan-out ----

  private dispatch(e: CacheEvent): void {
    const memo: Variants = {};
    for (const reg of this.unindexed) this.offer(reg, e, memo);
    if (this.indexed.size === 0) return;
    for (const idx of this.indexed.values()) {
      const v = idx.valueOf(e.object);
      const now = idx.byValue.get(v);
      if (now !== undefined) for (const reg of now) this.offer(reg, e, memo);
      if (e.prev === undefined || e.type === 'DELETED') continue; // a DELETED event's object is its prev
      const pv = idx.valueOf(e.prev);
      const before = pv === v ? undefined : idx.byValue.get(pv);
      if (before !== undefined) for (const reg of before) this.offer(reg, e, memo);
    }
  }

  private offer(reg: Registration, e: CacheEvent, memo: Variants): void {
    if (e.revision <= reg.after || !e.key.startsWith(reg.prefix)) return;
    if (reg.backlog !== null) reg.backlog.push(e);
    else this.deliver(reg, e, memo);
  }

  private addWatcher(reg: Registration): void {
    this.watchers.add(reg);
    const index = reg.index;
    if (index === undefined) {
      this.unindexed.add(reg);
      return;
    }
    let idx = this.indexed.get(index.field);
    if (idx === undefined) this.indexed.set(index.field, (idx = { valueOf: index.valueOf, byValue: new Map() }));
    let set = idx.byValue.get(index.value);
    if (set === undefined) idx.byValue.set(index.value, (set = new Set()));
    set.add(reg);
  }

  private drain(reg: Registration): void {
    const backlog = reg.backlog;
    if (reg.closed || backlog === null) return;
    for (let i = 0; i < backlog.length; i++) {
      if (!this.deliver(reg, backlog[i]!, {})) return;
    }
    reg.backlog = null;
  }

  private deliver(reg: Registration, e: CacheEvent, memo: Variants): boolean {
    if (reg.closed) return false;
    try {
      const out = filterEvent(e, reg.filter, memo);
      if (out !== undefined) reg.watcher.onEvent(out);
      return true;
    } catch {
      this.removeWatcher(reg);
      this.notifyClose(reg, 'error');
      return false;
    }
  }

  private removeWatcher(reg: Registration): void {
    reg.closed = true;
    reg.backlog = null;
    this.watchers.delete(reg);
    const index = reg.index;
    if (index === undefined) {
      this.unindexed.delete(reg);
      return;
    }
    const idx = this.indexed.get(index.field);
    const set = idx?.byValue.get(index.value);
    if (idx === undefined || set === undefined) return;
    set.delete(reg);
    if (set.size === 0) idx.byValue.delete(index.value);
    if (idx.byValue.size === 0) this.indexed.delete(index.field);
  }

  private closeAllWatchers(reason: 'stopped' | 'error'): void {
    const all = [...this.watchers];
    this.watchers.clear();
    this.unindexed.clear();
    this.indexed.clear();
    for (const reg of all) {
      reg.closed = true;
      reg.backlog = null;
      this.notifyClose(reg, reason);
    }
  }

  private notifyClose(reg: Registration, reason: 'stopped' | 'error'): void {
    try {
      reg.watcher.onClose(reason);
    } catch {
      // A watcher failing to close must not stop the others from being closed.
    }
  }

  // ---- history ----

  private record(e: CacheEvent): void {
    const t = this.now();
    if (this.history.length === this.capacity) this.resize(t);
    if (this.history.length < this.capacity) {
      this.history.push(e);
      this.recordedAt.push(t);
      return;
    }
    this.historyStart = this.history[this.head]!.revision;
    this.history[this.head] = e;
    this.recordedAt[this.head] = t;
    this.head = (this.head + 1) % this.capacity;
  }

  /**
   * The history is full: upstream's resizeCacheLocked. Double while the oldest event is still fresh; halve
   * (keeping the newest events) once the newest quarter reaches back further than the fresh duration.
   */
  private resize(t: number): void {
    const n = this.capacity;
    if (t - this.recordedAt[this.head]! < this.freshMs) {
      if (n < this.maxCapacity) this.relayout(Math.min(n * 2, this.maxCapacity));
      return;
    }
    const quarterAgo = (this.head + n - Math.floor(n / 4)) % n;
    if (n > this.minCapacity && t - this.recordedAt[quarterAgo]! > this.freshMs) this.relayout(Math.max(Math.floor(n / 2), this.minCapacity));
  }

  /** Oldest-first arrays with room for `capacity` events; the oldest are dropped if more are held. */
  private relayout(capacity: number): void {
    const h = this.history;
    const n = h.length;
    const drop = Math.max(0, n - capacity);
    const events: CacheEvent[] = [];
    const times: number[] = [];
    for (let i = drop; i < n; i++) {
      const j = (this.head + i) % n;
      events.push(h[j]!);
      times.push(this.recordedAt[j]!);
    }
    if (drop > 0) this.historyStart = h[(this.head + drop - 1) % n]!.revision;
    this.history = events;
    this.recordedAt = times;
    this.head = 0;
    this.capacity = capacity;
  }

  /** Buffered events under keyPrefix with revision > after, oldest first. */
  private eventsAfter(keyPrefix: string, after: number): CacheEvent[] {
    const h = this.history;
    const n = h.length;
    const at = (i: number): CacheEvent => h[(this.head + i) % n]!;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at(mid).revision <= after) lo = mid + 1;
      else hi = mid;
    }
    const out: CacheEvent[] = [];
    for (let i = lo; i < n; i++) {
      const e = at(i);
      if (e.key.startsWith(keyPrefix)) out.push(e);
    }
    return out;
  }

  // ---- sorted keys ----

  private insertKey(key: string): void {
    const keys = this.keys;
    if (keys.length === 0 || keys[keys.length - 1]! < key) keys.push(key);
    else keys.splice(lowerBound(keys, key), 0, key);
  }

  private removeKey(key: string): void {
    const i = lowerBound(this.keys, key);
    if (this.keys[i] === key) this.keys.splice(i, 1);
  }

  // ---- freshness ----

  private resolveWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.revision <= this.rev) {
        clearTimeout(w.timer);
        w.resolve();
      } else still.push(w);
    }
    this.waiters = still;
    if (still.length === 0) {
      clearTimeout(this.freshnessTimer);
      this.freshnessTimer = undefined;
      this.freshnessDelay = FRESHNESS_FALLBACK_MS;
    }
  }

  /**
   * Fallback for backends that send no progress notifications: a write to another prefix advances the store
   * revision but produces no event here. After a short grace period, ask the store for its revision, let any
   * in-process notification already queued be delivered (one macrotask turn), then treat the cache as fresh
   * up to that revision. While waiters remain (a revision not written yet), checks repeat with back-off.
   * With SqliteStore, progress notifications arrive first and the check does not run.
   */
  private scheduleFreshnessCheck(): void {
    if (this.freshnessTimer !== undefined || this.freshnessCheck !== undefined) return;
    this.freshnessTimer = setTimeout(() => {
      this.freshnessTimer = undefined;
      if (this.waiters.length === 0 || this.stopped) return;
      const gen = this.generation;
      this.freshnessCheck = (async () => {
        const current = await this.store.currentRevision();
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (gen === this.generation && this.storeWatch !== undefined) this.advance(current);
      })()
        .catch(() => undefined)
        .finally(() => {
          this.freshnessCheck = undefined;
          if (this.waiters.length > 0 && !this.stopped) {
            this.freshnessDelay = Math.min(this.freshnessDelay * 2, FRESHNESS_FALLBACK_MAX_MS);
            this.scheduleFreshnessCheck();
          }
        });
    }, this.freshnessDelay);
  }
}

/** Upstream's "Too large resource version" (504 with a ResourceVersionTooLarge cause and retry-after 1s). */
function tooLargeResourceVersion(requested: number, current: number): StatusError {
  return new StatusError(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}
