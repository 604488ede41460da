// The informer's cache: objects by "namespace/name" key plus named secondary indexes (e.g. pods by
// spec.nodeName, children by owner uid) kept up to date on every write. Objects are stored as given and
// handed out shared: callers must treat them as read-only (copy before changing). No I/O.
import type { ObjectLike } from './client.js';

/** Index values of one object for one index (several values allowed, none = not indexed). */
export type IndexFunc<T> = (obj: T) => string[];

/** "namespace/name", or "name" for cluster-scoped objects (client-go's MetaNamespaceKeyFunc). */
export function keyOf(obj: ObjectLike): string {
  const name = obj.metadata?.name ?? '';
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${name}` : name;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export const namespaceIndex = 'namespace';
export const byNamespace: IndexFunc<ObjectLike> = (o) => (o.metadata?.namespace ? [o.metadata.namespace] : []);
export const byOwnerUid: IndexFunc<ObjectLike> = (o) => (o.metadata?.ownerReferences ?? []).map((r) => r.uid);
export const byControllerUid: IndexFunc<ObjectLike> = (o) =>
  (o.metadata?.ownerReferences ?? []).filter((r) => r.controller).map((r) => r.uid);
export const byNodeName: IndexFunc<ObjectLike & { spec?: { nodeName?: string } }> = (o) =>
  o.spec?.nodeName ? [o.spec.nodeName] : [];

export interface ReadonlyIndexer<T> {
  get(key: string): T | undefined;
  has(key: string): boolean;
  list(): T[];
  listKeys(): string[];
  /** Objects whose index `indexName` contains value. */
  byIndex(indexName: string, value: string): T[];
  indexKeys(indexName: string, value: string): string[];
  /** Every value currently present in an index. */
  indexValues(indexName: string): string[];
  readonly size: number;
}

export class Indexer<T extends ObjectLike> implements ReadonlyIndexer<T> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** index name → value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.addIndexers(indexers);
  }

  /** Adds indexes; existing objects are indexed at once. A name already in use is an error. */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.indexers.has(name)) throw new Error(`indexer "${name}" already exists`);
      this.indexers.set(name, fn);
      const idx = new Map<string, Set<string>>();
      this.indices.set(name, idx);
      for (const [key, obj] of this.items) for (const v of fn(obj)) addTo(idx, v, key);
    }
  }

  hasIndex(name: string): boolean {
    return this.indexers.has(name);
  }

  get size(): number {
    return this.items.size;
  }

  /** Inserts or replaces; returns the previous object under the same key. */
  set(obj: T): T | undefined {
    return this.setAt(keyOf(obj), obj);
  }

  /** set(obj) when the caller has keyOf(obj) at hand already. */
  setAt(key: string, obj: T): T | undefined {
    const old = this.items.get(key);
    this.items.set(key, obj);
    this.reindex(key, old, obj);
    return old;
  }

  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    this.items.delete(key);
    this.reindex(key, old, undefined);
    return old;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  listKeys(): string[] {
    return [...this.items.keys()];
  }

  byIndex(indexName: string, value: string): T[] {
    return this.indexKeys(indexName, value).map((k) => this.items.get(k)!);
  }

  indexKeys(indexName: string, value: string): string[] {
    const idx = this.indices.get(indexName);
    if (!idx) throw new Error(`index "${indexName}" does not exist`);
    return [...(idx.get(value) ?? [])];
  }

  indexValues(indexName: string): string[] {
    const idx = this.indices.get(indexName);
    if (!idx) throw new Error(`index "${indexName}" does not exist`);
    return [...idx.keys()];
  }

  clear(): void {
    this.items.clear();
    for (const idx of this.indices.values()) idx.clear();
  }

  private reindex(key: string, old: T | undefined, obj: T | undefined): void {
    if (this.indexers.size === 0) return;
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name)!;
      const before = old ? fn(old) : [];
      const after = obj ? fn(obj) : [];
      if (before.length === after.length && before.every((v, i) => v === after[i])) continue;
      for (const v of before) removeFrom(idx, v, key);
      for (const v of after) addTo(idx, v, key);
    }
  }
}

function addTo(idx: Map<string, Set<string>>, value: string, key: string): void {
  let s = idx.get(value);
  if (!s) idx.set(value, (s = new Set()));
  s.add(key);
}

function removeFrom(idx: Map<string, Set<string>>, value: string, key: string): void {
  const s = idx.get(value);
  if (!s) return;
  s.delete(key);
  if (s.size === 0) idx.delete(value);
}
