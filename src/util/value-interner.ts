// Shares repeated values between decoded objects that a cache holds for a long time (the API server's watch
// cache, the informers' caches), so 150,000 pods do not hold 150,000 copies of the same strings and subtrees:
// string values are interned, and identical subtrees (a pod's default tolerations, its containers, its
// labels, conditions written in the same second, every managed-fields tree) are hash-consed into one object.
// It rewrites the object it is given in place, replacing values with equal ones: the object's content (and its
// JSON, key order included) never changes.
//
// What it returns is SHARED between objects: like everything these caches hand out, it must never be mutated
// (copy first). Pools are bounded (two generations: a full young pool becomes the old one, values still in use
// are promoted back on their next hit), so unique values (names, uids) never accumulate. A subtree holding a
// string seen for the first time (a uid, a name) is not pooled: it is almost always unique, and pooling it
// would only evict useful entries. Pure (no I/O).
//
// Because content never changes, an object may be interned after it was handed out (util/deferred-interner.ts
// interns cached objects once they have stayed current for a while): holders see the same content before and
// after, as long as nobody mutates it (which the caches forbid anyway).

/** Strings longer than this are rarely repeated (certificates, last-applied annotations); left alone. */
const MAX_INTERNED_STRING = 256;
const DEFAULT_CAPACITY = 65_536;

/** A bounded map that keeps what is used: two generations, the older dropped when the younger fills up. */
class GenerationalPool<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const aged = this.old.get(key);
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  set(key: K, value: V): void {
    if (this.young.size >= this.capacity) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}

/**
 * A canonical subtree: the node, its identity (which parents' hashes use instead of its contents) and, for an
 * object, its keys in order (to tell it from a candidate with the same hash). The pool holds, per hash, the
 * newest entry; entries with the same hash are chained from it (never re-linked once made).
 */
interface Canonical {
  readonly node: object;
  readonly id: number;
  readonly keys: string[] | undefined;
  readonly next: Canonical | undefined;
}

/** Whether node has the same entries as the canonical c: same keys in the same order, identical values. */
function sameShallow(c: Canonical, node: Node): boolean {
  const other = c.node as Node;
  const keys = c.keys;
  if (keys === undefined) {
    if (!Array.isArray(node)) return false;
    const a = other as unknown[];
    if (a.length !== node.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== node[i]) return false;
    return true;
  }
  if (Array.isArray(node)) return false;
  const o = other as Record<string, unknown>;
  let i = 0;
  for (const k in node) {
    if (i >= keys.length || keys[i] !== k || o[k] !== node[k]) return false;
    i++;
  }
  return i === keys.length;
}

/** A pooled string and its identity (ids are never reused, so an id always stands for one string). */
interface PooledString {
  s: string;
  id: number;
}

type Node = Record<string, unknown> | unknown[];

// Hashes of subtrees: 32-bit multiplicative mixing of type tags, pooled strings' and canonical children's ids
// and numbers. Equal hashes are told apart by comparing entries (sameShallow), so collisions cost a compare only.
const NOT_POOLABLE = -1;
const mix = (h: number, x: number): number => Math.imul(h ^ x, 0x01000193);
const numberBits = new Float64Array(1);
const numberWords = new Int32Array(numberBits.buffer);
const TAG_STRING = 0x11;
const TAG_NUMBER = 0x22;
const TAG_TRUE = 0x33;
const TAG_FALSE = 0x44;
const TAG_NULL = 0x55;
const TAG_UNDEFINED = 0x66;
const TAG_NODE = 0x77;
const SEED_ARRAY = 0x2f3d5a71;
const SEED_OBJECT = 0x6b43a9b5;

export class ValueInterner {
  private readonly strings: GenerationalPool<string, PooledString>;
  /** Canonical subtrees by hash (the newest of a chain). */
  private readonly trees: GenerationalPool<number, Canonical>;
  private nextId = 0;

  constructor(capacity = DEFAULT_CAPACITY) {
    this.strings = new GenerationalPool(capacity);
    this.trees = new GenerationalPool(capacity);
  }

  /**
   * Rewrites `obj` (owned by the caller's cache; nobody may mutate it) to use shared values; returns it. The
   * root itself is never replaced. Frozen nodes are left as they are.
   */
  intern<T extends object>(obj: T): T {
    if (obj !== null && typeof obj === 'object' && !Object.isFrozen(obj)) this.walk(obj as Node);
    return obj;
  }

  /** Pool sizes (for tests and benchmarks). */
  get sizes(): { strings: number; trees: number } {
    return { strings: this.strings.size, trees: this.trees.size };
  }

  /** The pooled copy of s; undefined when s is too long to pool or seen for the first time (then pooled). */
  private pooled(s: string): PooledString | undefined {
    if (s.length > MAX_INTERNED_STRING) return undefined;
    const hit = this.strings.get(s);
    if (hit !== undefined) return hit;
    this.strings.set(s, { s, id: this.nextId++ });
    return undefined; // first sighting: probably unique (a uid, a name)
  }

  /**
   * Replaces node's children with canonical ones and returns the hash of its contents (keys and strings by
   * pool id, children by identity, as a non-negative number), or NOT_POOLABLE when it cannot be pooled: a key
   * or string seen for the first time, a frozen or non-JSON value, or a child that cannot be pooled.
   */
  private walk(node: Node): number {
    let poolable = true;
    let h: number;
    if (Array.isArray(node)) {
      h = mix(SEED_ARRAY, node.length);
      for (let i = 0; i < node.length; i++) {
        const code = this.valueCode(node[i], node, i);
        if (code === NOT_POOLABLE) poolable = false;
        else h = mix(h, code);
      }
    } else {
      h = SEED_OBJECT;
      for (const k in node) {
        const code = this.valueCode(node[k], node, k);
        const key = this.pooled(k);
        if (code === NOT_POOLABLE || key === undefined) poolable = false;
        else h = mix(mix(h, key.id), code);
      }
    }
    return poolable ? (h ^ (h >>> 15)) >>> 1 : NOT_POOLABLE;
  }

  /** The hash code of parent[key], after replacing it with its shared copy; NOT_POOLABLE = not poolable. */
  private valueCode(v: unknown, parent: Node, key: string | number): number {
    switch (typeof v) {
      case 'string': {
        if (v.length > MAX_INTERNED_STRING) return NOT_POOLABLE;
        const hit = this.pooled(v);
        if (hit === undefined) return NOT_POOLABLE;
        // Always stored: strings compare by content, so `hit.s !== v` cannot tell the pooled copy from an equal one.
        (parent as Record<string | number, unknown>)[key] = hit.s;
        return mix(TAG_STRING, hit.id) >>> 1;
      }
      case 'number': {
        if ((v | 0) === v) return mix(TAG_NUMBER, v) >>> 1;
        numberBits[0] = v;
        return mix(mix(TAG_NUMBER, numberWords[0]!), numberWords[1]!) >>> 1;
      }
      case 'boolean':
        return v ? TAG_TRUE : TAG_FALSE;
      case 'undefined':
        return TAG_UNDEFINED;
      case 'object': {
        if (v === null) return TAG_NULL;
        if (Object.isFrozen(v)) return NOT_POOLABLE;
        const c = this.consNode(v as Node);
        if (c === undefined) return NOT_POOLABLE;
        if (c.node !== v) (parent as Record<string | number, unknown>)[key] = c.node;
        return mix(TAG_NODE, c.id) >>> 1;
      }
      default:
        return NOT_POOLABLE;
    }
  }

  /** The canonical node equal to `node` (after its children are made canonical), or undefined. */
  private consNode(node: Node): Canonical | undefined {
    const hash = this.walk(node);
    if (hash === NOT_POOLABLE) return undefined;
    const first = this.trees.get(hash);
    for (let c = first; c !== undefined; c = c.next) if (sameShallow(c, node)) return c;
    const made: Canonical = { node, id: this.nextId++, keys: Array.isArray(node) ? undefined : Object.keys(node), next: first };
    this.trees.set(hash, made);
    return made;
  }
}
