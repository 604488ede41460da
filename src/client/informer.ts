// Shared informer: keeps an indexed cache of one resource (optionally one namespace / selector) in step
// with the server by list + watch, and tells handlers what changed. The watch resumes from the last seen
// resourceVersion (bookmarks requested and honoured); a 410 or ERROR event leads to a relist, whose
// differences reach handlers as adds, updates and deletes (deletes then carry the last known state,
// finalStateUnknown). Failures back off exponentially; nothing retries in a hot loop.
// Objects in the cache and passed to handlers are shared by every consumer: never mutate them. Parts of
// different objects are shared too (identical subtrees and strings, util/value-interner.ts) unless
// shareValues is false: listed objects at once, watched ones once they have stayed their key's current version
// for a while (util/deferred-interner.ts; sharing rewrites them in place with equal values).
import { Backoff, reflectorBackoff, type BackoffOptions } from './backoff.js';
import { realClock, sleep, type Clock } from './clock.js';
import { watchError, type ApiClient, type ObjectLike } from './client.js';
import { isResourceExpired, isTooManyRequests, isTransportError } from './errors.js';
import { Indexer, keyOf, type IndexFunc, type ReadonlyIndexer } from './indexer.js';
import type { ResourceRef } from './resource.js';
import type { WatchEvent } from './watch-event.js';
import { ValueInterner } from '../util/value-interner.js';
import { DeferredInterner } from '../util/deferred-interner.js';

export interface InformerOptions<T> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** List page size. Default 500. */
  pageSize?: number;
  /** Server-side watch duration; default random in [300, 600) s as client-go's reflector. */
  watchTimeoutSeconds?: number;
  backoff?: BackoffOptions;
  indexers?: Record<string, IndexFunc<T>>;
  clock?: Clock;
  /** Where problems are reported (default: stderr). */
  log?: (line: string) => void;
  /**
   * Applied to every listed or watched object before it is cached and handed to handlers (client-go's
   * SetTransform), e.g. stripManagedFields: a cache holds only what its consumers read.
   */
  transform?: (obj: T) => T;
  /**
   * The transform drops metadata.managedFields (or nothing reads them): watched objects are decoded without
   * them (cut from the event's text before parsing, client/watch-event.ts), which saves parsing and allocating
   * a third to a half of a pod's JSON per event. Listed objects still go through the transform alone.
   */
  omitManagedFields?: boolean;
  /**
   * Share repeated strings and identical subtrees (a pod's default tolerations, containers, labels, owner
   * references...) between the cached objects, after the transform: at 150,000 pods a cache holds a third to
   * a half less. Costs some CPU per object (tens of µs per pod): listed objects are shared as they arrive,
   * watched ones only once they have stayed current for shareValuesAfterMs (versions superseded sooner cost
   * nothing). Default: true, except for resources whose objects are rewritten all the time
   * (sharesValuesByDefault).
   */
  shareValues?: boolean;
  /** Default util/deferred-interner.ts's DEFAULT_SHARE_DELAY_MS; the pass runs on `clock` when one is given. */
  shareValuesAfterMs?: number;
}

/**
 * Whether an informer of `r` shares values unless told otherwise. Not for Leases: every node renews its own
 * every 10 s, so a cached Lease lives seconds and sharing its values is pure cost (at 5,000 nodes the
 * controller manager's Lease informers spent ~9 % of a core on it).
 */
export function sharesValuesByDefault(r: ResourceRef): boolean {
  return !(r.group === 'coordination.k8s.io' && r.resource === 'leases');
}

export interface EventHandlers<T> {
  /** isInInitialList: the object came with the first list (or the handler was added late). */
  onAdd?(obj: T, isInInitialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** finalStateUnknown: the delete was noticed by a relist; obj is the last state this cache saw. */
  onDelete?(obj: T, info: { finalStateUnknown: boolean }): void;
}

/**
 * Drops metadata.managedFields, as kube-scheduler's and kube-controller-manager's informers do; they never
 * read it, and it is often as large as the rest. The object (fresh from the wire) gets a new metadata without
 * it, other keys in their order: deleting a property that is not the last one added turns an object into a
 * slow dictionary (twice the memory, slower reads), and the server writes managedFields before
 * resourceVersion.
 */
export function stripManagedFields<T extends ObjectLike>(obj: T): T {
  const m = obj.metadata as Record<string, unknown> | undefined;
  if (m?.['managedFields'] === undefined) return obj;
  const out: Record<string, unknown> = {};
  for (const k in m) if (k !== 'managedFields') out[k] = m[k];
  (obj as { metadata?: unknown }).metadata = out;
  return obj;
}

/** Pool size of an informer's value sharing (each busy informer's pools hold at most ~2× this many entries). */
const informerPoolCapacity = 16_384;

function preparer<T extends object>(transform: ((obj: T) => T) | undefined, interner: ValueInterner | undefined): ((obj: T) => T) | undefined {
  if (interner === undefined) return transform;
  if (transform === undefined) return (o) => interner.intern(o);
  return (o) => interner.intern(transform(o));
}

/** A watch that ends this soon without delivering anything is treated as a failure (back-off). */
const shortWatchMs = 1000;

export class Informer<T extends ObjectLike> {
  private readonly store: Indexer<T>;
  private readonly handlers = new Set<EventHandlers<T>>();
  private readonly backoff: Backoff;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private abort: AbortController | undefined;
  private running: Promise<void> | undefined;
  private rv = '';
  /** True after a 410: the next list must be a consistent read (resourceVersion ""). */
  private rvUnavailable = false;
  private stats = { lists: 0, watches: 0 };
  /** The transform, then value sharing: what every listed object goes through before caching. */
  private readonly prepare: ((obj: T) => T) | undefined;
  /** Shares a watched object's values once it has stayed current for a while; undefined without sharing. */
  private readonly deferred: DeferredInterner<T> | undefined;

  constructor(
    readonly client: ApiClient,
    readonly resource: ResourceRef,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.store = new Indexer<T>(opts.indexers ?? {});
    this.clock = opts.clock ?? realClock;
    this.backoff = new Backoff({ ...(opts.backoff ?? reflectorBackoff), clock: this.clock });
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    const interner = !(opts.shareValues ?? sharesValuesByDefault(resource)) ? undefined : new ValueInterner(informerPoolCapacity);
    this.prepare = preparer(opts.transform, interner);
    this.deferred =
      interner &&
      new DeferredInterner<T>({
        interner,
        isCurrent: (key, o) => this.store.get(key) === o,
        delayMs: opts.shareValuesAfterMs,
        clock: opts.clock === realClock ? undefined : opts.clock, // the real one's timers are not unref'd
      });
  }

  /** The cache. Shared, read-only objects. */
  get indexer(): ReadonlyIndexer<T> {
    return this.store;
  }

  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    this.store.addIndexers(indexers);
  }

  hasIndex(name: string): boolean {
    return this.store.hasIndex(name);
  }

  /** Registers handlers; objects already cached are delivered to onAdd first. Returns the remover. */
  addEventHandler(h: EventHandlers<T>): () => void {
    this.handlers.add(h);
    if (h.onAdd) for (const o of this.store.list()) this.call(() => h.onAdd!(o, true));
    return () => this.handlers.delete(h);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list is in the cache; rejects if the signal aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** The resourceVersion the cache reflects. */
  lastSyncResourceVersion(): string {
    return this.rv;
  }

  /** Counters for tests and status: how many list and watch requests were made. */
  counters(): { lists: number; watches: number } {
    return { ...this.stats };
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  start(): void {
    if (this.running) return;
    const ac = new AbortController();
    this.abort = ac;
    this.running = this.run(ac.signal).finally(() => {
      if (this.abort === ac) {
        this.running = undefined;
        this.abort = undefined;
      }
    });
  }

  /** Stops list/watch (and the deferred value sharing); the cache keeps its content. Resolves when the loop has ended. */
  async stop(): Promise<void> {
    const r = this.running;
    this.abort?.abort(new Error('informer stopped'));
    await r;
    this.deferred?.stop();
  }

  /** Watched objects waiting for value sharing, and what the deferred pass did so far (tests, benchmarks). */
  get sharing(): { pending: number; armed: boolean; interned: number; skipped: number } | undefined {
    return this.deferred?.stats;
  }

  // ---- the list/watch loop ----

  private async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.listAndReplace(signal);
          needList = false;
        }
        const progressed = await this.watchOnce(signal);
        if (!progressed) await sleep(this.clock, this.backoff.next(), signal);
      } catch (err) {
        if (signal.aborted) break;
        const where = needList ? 'list' : 'watch';
        if (isResourceExpired(err) && !needList) {
          // Our resourceVersion is too old: relist now (with back-off only if this keeps happening).
          needList = true;
          this.rvUnavailable = true;
          this.log(`informer ${this.describe()}: ${where} expired (${(err as Error).message}); relisting`);
          if (this.recentlyListed()) await this.pause(signal);
          continue;
        }
        this.log(`informer ${this.describe()}: ${where} failed: ${(err as Error)?.message ?? String(err)}`);
        // Connection trouble and throttling resume the watch where it was; anything else relists.
        if (!needList && !(isTransportError(err) || isTooManyRequests(err))) needList = true;
        await this.pause(signal);
      }
    }
  }

  private lastListAt = -Infinity;
  private recentlyListed(): boolean {
    return this.clock.now() - this.lastListAt < shortWatchMs;
  }

  private async pause(signal: AbortSignal): Promise<void> {
    try {
      await sleep(this.clock, this.backoff.next(), signal);
    } catch {
      // aborted: the loop condition ends the run
    }
  }

  private async listAndReplace(signal: AbortSignal): Promise<void> {
    this.stats.lists++;
    // Each page is prepared (transform, value sharing) as it arrives: a relist of 150,000 pods holds one page of
    // whole objects at a time, not all of them.
    const res = await this.client.list<T>(
      this.resource,
      {
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        limit: this.opts.pageSize ?? 500,
        resourceVersion: this.relistResourceVersion(),
        signal,
      },
      this.prepare,
    );
    this.rvUnavailable = false;
    if (signal.aborted) return;
    this.lastListAt = this.clock.now();
    this.replace(res.items);
    this.rv = res.resourceVersion;
    if (!this.synced) {
      this.synced = true;
      const w = this.syncWaiters;
      this.syncWaiters = [];
      for (const f of w) f();
    }
  }

  /**
   * As client-go's reflector: "0" for the first list (served from the server's watch cache), the last
   * synced version for later relists, "" (a consistent read) once that version was reported expired.
   */
  private relistResourceVersion(): string | undefined {
    if (this.rvUnavailable) return undefined;
    return this.rv === '' ? '0' : this.rv;
  }

  /** One watch request from this.rv until it ends. Returns false for a suspiciously short empty watch. */
  private async watchOnce(signal: AbortSignal): Promise<boolean> {
    this.stats.watches++;
    const started = this.clock.now();
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? Math.floor(300 * (1 + Math.random()));
    const w = await this.client.watch<T>(this.resource, {
      namespace: this.opts.namespace,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
      resourceVersion: this.rv,
      allowWatchBookmarks: true,
      timeoutSeconds,
      signal,
      omitManagedFields: this.opts.omitManagedFields,
    });
    let events = 0;
    try {
      for await (const ev of w) {
        if (signal.aborted) break;
        events++;
        this.apply(ev);
      }
    } catch (err) {
      // A stream cut mid-way is resumed from the last resourceVersion, like a normal end.
      if (!isTransportError(err) || err.kind === 'protocol') throw err;
      if (!signal.aborted) this.log(`informer ${this.describe()}: watch stream interrupted: ${err.message}`);
    } finally {
      w.close();
    }
    if (events > 0) this.backoff.reset();
    return events > 0 || this.clock.now() - started >= shortWatchMs;
  }

  private apply(ev: WatchEvent<T>): void {
    switch (ev.type) {
      case 'ERROR':
        throw watchError(ev);
      case 'BOOKMARK': {
        const rv = ev.object.metadata?.resourceVersion;
        if (rv) this.rv = rv;
        return;
      }
      case 'ADDED':
      case 'MODIFIED': {
        const obj = this.opts.transform ? this.opts.transform(ev.object) : ev.object;
        const key = keyOf(obj);
        const old = this.store.setAt(key, obj);
        this.deferred?.note(key, obj);
        if (old) this.emitUpdate(old, obj);
        else this.emitAdd(obj, false);
        break;
      }
      case 'DELETED': {
        const key = keyOf(ev.object);
        this.deferred?.forget(key);
        const old = this.store.delete(key);
        if (old) this.emitDelete(ev.object, false);
        break;
      }
    }
    const rv = ev.object.metadata?.resourceVersion;
    if (rv) this.rv = rv;
  }

  /** Makes the cache equal to a fresh list (objects already prepared), telling handlers the differences. */
  private replace(items: T[]): void {
    const initial = !this.synced;
    const seen = new Set<string>();
    for (const obj of items) {
      const key = keyOf(obj);
      seen.add(key);
      this.deferred?.forget(key); // listed objects are shared already
      const old = this.store.setAt(key, obj);
      if (!old) this.emitAdd(obj, initial);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emitUpdate(old, obj);
    }
    for (const key of this.store.listKeys()) {
      if (seen.has(key)) continue;
      this.deferred?.forget(key);
      const old = this.store.delete(key)!;
      this.emitDelete(old, true);
    }
  }

  // One emitter per kind of event, without a closure per event (every watch event of every informer).
  private emitAdd(obj: T, initial: boolean): void {
    for (const h of this.handlers) {
      if (!h.onAdd) continue;
      try {
        h.onAdd(obj, initial);
      } catch (err) {
        this.handlerFailed(err);
      }
    }
  }

  private emitUpdate(old: T, obj: T): void {
    for (const h of this.handlers) {
      if (!h.onUpdate) continue;
      try {
        h.onUpdate(old, obj);
      } catch (err) {
        this.handlerFailed(err);
      }
    }
  }

  private emitDelete(obj: T, finalStateUnknown: boolean): void {
    for (const h of this.handlers) {
      if (!h.onDelete) continue;
      try {
        h.onDelete(obj, { finalStateUnknown });
      } catch (err) {
        this.handlerFailed(err);
      }
    }
  }

  private call(f: () => void): void {
    try {
      f();
    } catch (err) {
      this.handlerFailed(err);
    }
  }

  private handlerFailed(err: unknown): void {
    this.log(`informer ${this.describe()}: event handler failed: ${(err as Error)?.message ?? String(err)}`);
  }

  private describe(): string {
    const r = this.resource;
    const parts = [r.group ? `${r.resource}.${r.group}` : r.resource];
    if (this.opts.namespace) parts.push(`namespace=${this.opts.namespace}`);
    if (this.opts.labelSelector) parts.push(`labels=${this.opts.labelSelector}`);
    if (this.opts.fieldSelector) parts.push(`fields=${this.opts.fieldSelector}`);
    return parts.join(' ');
  }
}
