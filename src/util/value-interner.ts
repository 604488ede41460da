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
class GenerationalPool<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const aged = this.old.get(key);
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  set(key: string, value: V): void {
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

/** A canonical subtree and its identity, which parents' signatures use instead of its contents. */
interface Canonical {
  node: object;
  id: number;
}

/** A pooled string and its identity (ids are never reused, so an id always stands for one string). */
interface PooledString {
  s: string;
  id: number;
}

type Node = Record<string, unknown> | unknown[];

export class ValueInterner {
  private readonly strings: GenerationalPool<PooledString>;
  private readonly trees: GenerationalPool<Canonical>;
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
   * Replaces node's children with canonical ones and returns the signature of its contents (keys and
   * strings by pool id, children by identity), or undefined when it cannot be pooled: a key or string seen
   * for the first time, a frozen or non-JSON value, or a child that cannot be pooled.
   */
  private walk(node: Node): string | undefined {
    let sig: string | undefined;
    if (Array.isArray(node)) {
      sig = '[';
      for (let i = 0; i < node.length; i++) {
        const code = this.valueCode(node[i], node, i);
        if (code === undefined) sig = undefined;
        else if (sig !== undefined) sig += code;
      }
    } else {
      sig = '{';
      for (const k in node) {
        const code = this.valueCode(node[k], node, k);
        const key = this.pooled(k);
        if (code === undefined || key === undefined) sig = undefined;
        else if (sig !== undefined) sig += `${key.id}:${code}`;
      }
    }
    return sig;
  }

  /** The signature code of parent[key], after replacing it with its shared copy; undefined = not poolable. */
  private valueCode(v: unknown, parent: Node, key: string | number): string | undefined {
    switch (typeof v) {
      case 'string': {
        if (v.length > MAX_INTERNED_STRING) return undefined;
        const hit = this.pooled(v);
        if (hit === undefined) return undefined;
        // Always stored: strings compare by content, so `hit.s !== v` cannot tell the pooled copy from an equal one.
        (parent as Record<string | number, unknown>)[key] = hit.s;
        return `s${hit.id},`;
      }
      case 'number':
        return `n${v},`;
      case 'boolean':
        return v ? 't,' : 'f,';
      case 'undefined':
        return 'u,';
      case 'object': {
        if (v === null) return 'z,';
        if (Object.isFrozen(v)) return undefined;
        const c = this.consNode(v as Node);
        if (c === undefined) return undefined;
        if (c.node !== v) (parent as Record<string | number, unknown>)[key] = c.node;
        return `o${c.id},`;
      }
      default:
        return undefined;
    }
  }

  /** The canonical node equal to `node` (after its children are made canonical), or undefined. */
  private consNode(node: Node): Canonical | undefined {
    const sig = this.walk(node);
    if (sig === undefined) return undefined;
    const hit = this.trees.get(sig);
    if (hit !== undefined) return hit;
    const made: Canonical = { node, id: this.nextId++ };
    this.trees.set(sig, made);
    return made;
  }
}
