// Bridges typed resources and the key/value Store: storage keys in upstream's layout, the codec (stored JSON
// never carries resourceVersion; it is the store revision), version conversion, and one watch cache per
// storage prefix (shared by every version served from it). It must not apply admission or validation.
import type { Store, KeyValue } from '../storage/store.js';
import { WatchCache } from '../storage/watch-cache.js';
import type { ResourceType } from '../api/resource.js';
import { apiVersionOf, type KubeObject } from '../api/types.js';

export class ObjectStorage {
  private readonly caches = new Map<string, WatchCache>();
  private readonly starting = new Map<string, Promise<WatchCache>>();

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
    const stored = rt.conversion && rt.version !== rt.storageVersion ? rt.conversion.toStorage(obj) : obj;
    const meta = stored.metadata;
    const rv = meta.resourceVersion;
    meta.resourceVersion = undefined;
    stored.apiVersion = apiVersionOf(rt.group, rt.storageVersion);
    stored.kind = rt.kind;
    const json = JSON.stringify(stored);
    meta.resourceVersion = rv;
    return json;
  }

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

  /** The started watch cache for a resource's storage prefix. */
  cache(rt: ResourceType): Promise<WatchCache> {
    if (!rt.storagePrefix) return Promise.reject(new Error(`${rt.resource} is not stored and has no watch cache`));
    const prefix = `${rt.storagePrefix}/`;
    const ready = this.caches.get(prefix);
    if (ready) return Promise.resolve(ready);
    let p = this.starting.get(prefix);
    if (!p) {
      const cache = new WatchCache(this.store, { prefix, decode: (kv) => this.decode(kv), historyCapacity: this.historyCapacity });
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
