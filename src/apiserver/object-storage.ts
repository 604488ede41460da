// Bridges typed resources and the key/value Store: storage keys in upstream's layout, the codec (stored JSON
// never carries resourceVersion; it is the store revision), version conversion, and one watch cache per
// storage prefix (shared by every version served from it). It must not apply admission or validation.
import { randomUUID } from 'node:crypto';
import type { Store, KeyValue } from '../storage/store.js';
import { WatchCache } from '../storage/watch-cache.js';
import type { ResourceType } from '../api/resource.js';
import { apiVersionOf, type KubeObject } from '../api/types.js';
import { cloneJson } from './patch/json-value.js';
import { copyShared } from '../util/share-unchanged.js';

/**
 * The placeholder resourceVersion an object carries while it is serialized before its write (a random
 * value, so no client can send it): its JSON without that member is the storage form, and with the new
 * revision in its place the object's JSON as served.
 */
const rvMarker = `skiff-rv-${randomUUID()}`;
const rvMember = `"resourceVersion":"${rvMarker}"`;
/** Writes not yet seen by the watch cache, at most (oldest forgotten first). */
const maxPendingWrites = 256;
/** A written object's JSON serves its response at most this long after the write was prepared. */
const servedJsonMs = 1000;

/** A write on its way to the store: the JSON written, and the object's served JSON around its resourceVersion. */
interface PendingWrite {
  json: string;
  /** Absent when the storage version is not the served one. */
  served?: SplitJson;
  /** The object written (the JSON is its storage form); absent when it was converted to be stored. */
  obj?: KubeObject;
}

/** An object's JSON (with its resourceVersion), split where the revision goes. */
interface SplitJson {
  head: string;
  tail: string;
  /** Date.now() when it was recorded. */
  at: number;
}

export class ObjectStorage {
  private readonly caches = new Map<string, WatchCache>();
  private readonly starting = new Map<string, Promise<WatchCache>>();
  /** By storage key: what the watch cache will receive for a write in flight (see encodeForWrite). */
  private readonly pending = new Map<string, PendingWrite>();
  /**
   * Served JSON of objects just written, until their response or watch events are encoded. Weak: an entry
   * lives no longer than its object (a write whose answer is not the object, such as a binding's pod update,
   * leaves it to go with the object instead of holding it and its JSON through young-generation collections).
   */
  private readonly served = new WeakMap<KubeObject, SplitJson>();
  /** Cached objects with their write's JSON, for the dispatch of their event only (see servedForEvent). */
  private readonly eventServed = new Map<KubeObject, SplitJson>();

  private readonly historyCapacity?: number;
  /** The cache can serve consistent reads (see ApiServerOptions.consistentCacheReads). */
  readonly consistentCacheReads: boolean;

  constructor(
    readonly store: Store,
    opts: { historyCapacity?: number; consistentCacheReads?: boolean } = {},
  ) {
    this.historyCapacity = opts.historyCapacity;
    this.consistentCacheReads = opts.consistentCacheReads ?? true;
  }

  key(rt: ResourceType, namespace: string, name: string): string {
    return rt.namespaced ? `${rt.storagePrefix}/${namespace}/${name}` : `${rt.storagePrefix}/${name}`;
  }

  /** Key prefix for a collection: all namespaces when namespace is "" for a namespaced kind. */
  collectionPrefix(rt: ResourceType, namespace: string): string {
    return rt.namespaced && namespace ? `${rt.storagePrefix}/${namespace}/` : `${rt.storagePrefix}/`;
  }

  /** Serialized storage form: storage version, no resourceVersion. */
  encode(rt: ResourceType, obj: KubeObject): string {
    return this.serialize(rt, obj, undefined).json;
  }

  /** The storage-version object (obj itself unless converted) and its JSON with `rv` as resourceVersion. */
  private serialize(rt: ResourceType, obj: KubeObject, rv: string | undefined): { stored: KubeObject; json: string } {
    const stored = rt.conversion && rt.version !== rt.storageVersion ? rt.conversion.toStorage(obj) : obj;
    const meta = stored.metadata;
    const own = meta.resourceVersion;
    meta.resourceVersion = rv;
    stored.apiVersion = apiVersionOf(rt.group, rt.storageVersion);
    stored.kind = rt.kind;
    const json = JSON.stringify(stored);
    meta.resourceVersion = own;
    return { stored, json };
  }

  /**
   * The storage form of `obj`, about to be written at `key`, serialized once for everything that follows
   * the write: the response and the write's watch event reuse this JSON (`servedJson`), and the watch cache
   * copies a new version of an object it holds from `obj` (deriveForCache; a created one it parses). So after
   * the write the caller may only set metadata.resourceVersion to the new revision (`wrote`), and must not
   * change the object afterwards; a failed write must call `writeFailed`.
   */
  encodeForWrite(rt: ResourceType, key: string, obj: KubeObject): string {
    const { stored, json: full } = this.serialize(rt, obj, rvMarker);
    const converted = stored !== obj;
    const at = full.indexOf(rvMember);
    if (at < 0) return this.encode(rt, obj); // not a plain JSON object (a toJSON somewhere): no reuse
    const end = at + rvMember.length;
    // Without the member and one comma beside it: exactly what encode() gives.
    const json = full.charCodeAt(at - 1) === 0x2c ? full.slice(0, at - 1) + full.slice(end) : full.charCodeAt(end) === 0x2c ? full.slice(0, at) + full.slice(end + 1) : full.slice(0, at) + full.slice(end);
    const valueAt = at + rvMember.length - rvMarker.length - 2;
    const served = converted ? undefined : { head: full.slice(0, valueAt), tail: full.slice(end), at: Date.now() };
    remember(this.pending, key, served ? { json, served, obj } : { json });
    if (served) this.served.set(obj, served);
    return json;
  }

  /** The write prepared by encodeForWrite did not happen. */
  writeFailed(key: string, obj: KubeObject): void {
    this.pending.delete(key);
    this.served.delete(obj);
  }

  /** The write prepared by encodeForWrite stored `obj` at `revision`: obj, carrying that revision. */
  wrote(obj: KubeObject, revision: number): KubeObject {
    obj.metadata.resourceVersion = String(revision);
    return obj;
  }

  /**
   * The JSON of an object as served, when this server has just written it in its served version and it is
   * unchanged since (see encodeForWrite); `take` forgets it (the response, the last use).
   */
  servedJson(obj: KubeObject, take = false): string | undefined {
    const split = this.eventServed.get(obj) ?? this.served.get(obj);
    if (split === undefined) return undefined;
    if (take) this.served.delete(obj);
    if (Date.now() - split.at > servedJsonMs) return undefined;
    const rv = obj.metadata.resourceVersion;
    if (typeof rv !== 'string' || rv === rvMarker) return undefined;
    return `${split.head}${JSON.stringify(rv)}${split.tail}`;
  }

  /**
   * The watch cache's decode. It parses what was written rather than keep the request's object (the request's
   * object is the writer's, and a parsed one is compact: a created object, most of which lives as long as it
   * does, is parsed); for this server's own writes it remembers the JSON the write already has, so the event's
   * watchers are sent that instead of a new serialization.
   */
  private decodeForCache(kv: KeyValue): KubeObject {
    const obj = this.decode(kv);
    const p = this.takePending(kv);
    if (p !== undefined) this.servedForEvent(obj, p);
    return obj;
  }

  /**
   * The watch cache's derive: a new version of an object this server has just written, copied from the
   * written object (util/share-unchanged.ts's copyShared: only what changed is allocated, the rest is the
   * cached version's) instead of parsed from its JSON.
   */
  private deriveForCache(kv: KeyValue, prev: KubeObject): KubeObject | undefined {
    const p = this.pending.get(kv.key);
    if (p === undefined || p.obj === undefined || p.json !== kv.value) return undefined;
    let obj = copyShared(p.obj, prev);
    if (obj === undefined) return undefined;
    // The written object may or may not carry its new revision yet (`wrote` may run after this).
    if (obj === prev) obj = { ...prev };
    if (obj.metadata === prev.metadata) obj.metadata = { ...prev.metadata };
    obj.metadata.resourceVersion = String(kv.modRevision);
    this.takePending(kv);
    this.servedForEvent(obj, p);
    return obj;
  }

  /** The write in flight that stored kv, forgotten (its watch event is being built). */
  private takePending(kv: KeyValue): PendingWrite | undefined {
    const p = this.pending.get(kv.key);
    if (p === undefined || p.json !== kv.value) return undefined;
    this.pending.delete(kv.key);
    return p;
  }

  /** The served JSON of write p as that of obj, the cached object, for the event's dispatch only. */
  private servedForEvent(obj: KubeObject, p: PendingWrite): void {
    if (!p.served) return;
    // The dispatch runs right after the decode: not kept for the object's life.
    if (this.eventServed.size === 0) queueMicrotask(this.forgetEventServed);
    this.eventServed.set(obj, p.served);
  }

  private readonly forgetEventServed = (): void => this.eventServed.clear();

  /** Parsed storage form with resourceVersion set from the store revision. */
  decode(kv: KeyValue): KubeObject {
    const obj = JSON.parse(kv.value) as KubeObject;
    obj.metadata.resourceVersion = String(kv.modRevision);
    return obj;
  }

  /** Storage form → the version the client addressed. Returns a fresh object when conversion applies. */
  toServed(rt: ResourceType, stored: KubeObject): KubeObject {
    if (rt.conversion && rt.version !== rt.storageVersion) {
      const out = rt.conversion.fromStorage(structuredClone(stored));
      out.apiVersion = apiVersionOf(rt.group, rt.version);
      out.kind = rt.kind;
      return out;
    }
    if (stored.apiVersion !== apiVersionOf(rt.group, rt.version)) {
      // CRDs served at several versions with conversion "None": only apiVersion changes.
      return { ...stored, apiVersion: apiVersionOf(rt.group, rt.version) };
    }
    return stored;
  }

  async get(rt: ResourceType, namespace: string, name: string): Promise<KubeObject | undefined> {
    const kv = await this.store.get(this.key(rt, namespace, name));
    return kv ? this.decode(kv) : undefined;
  }

  /**
   * A private copy of the object as the watch cache holds it, in the addressed version; undefined when the
   * cache has not started or does not hold it. It may be a moment behind the store (see guaranteedUpdate).
   */
  cachedCopy(rt: ResourceType, namespace: string, name: string): KubeObject | undefined {
    const held = this.held(rt, namespace, name);
    return held === undefined ? undefined : this.toServed(rt, cloneJson(held));
  }

  /**
   * The object as the watch cache holds it, in the addressed version, SHARED: read it, never change it.
   * Undefined when the cache has not started or does not hold it; it may be a moment behind the store.
   */
  cached(rt: ResourceType, namespace: string, name: string): KubeObject | undefined {
    const held = this.held(rt, namespace, name);
    return held === undefined ? undefined : this.toServed(rt, held);
  }

  private held(rt: ResourceType, namespace: string, name: string): KubeObject | undefined {
    return this.caches.get(`${rt.storagePrefix}/`)?.get(this.key(rt, namespace, name));
  }

  /** The watch cache for a resource's storage prefix once it has started (cache() starts it), else undefined. */
  startedCache(rt: ResourceType): WatchCache | undefined {
    return rt.storagePrefix ? this.caches.get(`${rt.storagePrefix}/`) : undefined;
  }

  /** The started watch cache for a resource's storage prefix. */
  cache(rt: ResourceType): Promise<WatchCache> {
    if (!rt.storagePrefix) return Promise.reject(new Error(`${rt.resource} is not stored and has no watch cache`));
    const prefix = `${rt.storagePrefix}/`;
    const ready = this.caches.get(prefix);
    if (ready) return Promise.resolve(ready);
    let p = this.starting.get(prefix);
    if (!p) {
      const cache = new WatchCache(this.store, { prefix, decode: (kv) => this.decodeForCache(kv), derive: (kv, prev) => this.deriveForCache(kv, prev), historyCapacity: this.historyCapacity });
      p = cache.start().then(
        () => {
          this.caches.set(prefix, cache);
          this.starting.delete(prefix);
          return cache;
        },
        (err: unknown) => {
          this.starting.delete(prefix);
          throw err;
        },
      );
      this.starting.set(prefix, p);
    }
    return p;
  }

  /** Stops the cache of a prefix (a CRD was removed). */
  dropCache(storagePrefix: string): void {
    const prefix = `${storagePrefix}/`;
    this.caches.get(prefix)?.stop();
    this.caches.delete(prefix);
  }

  close(): void {
    for (const c of this.caches.values()) c.stop();
    this.caches.clear();
  }
}

/** Sets a bounded map's entry, forgetting the oldest when full. */
function remember<K, V>(m: Map<K, V>, key: K, value: V): void {
  m.delete(key);
  if (m.size >= maxPendingWrites) m.delete(m.keys().next().value as K);
  m.set(key, value);
}
