// Shares repeated values between the decoded objects a watch cache holds, so 50,000 pods do not hold 50,000
// copies of the same strings and managed-fields trees: string values are interned, and each
// metadata.managedFields[].fieldsV1 tree is hash-consed (identical subtrees become one object; upstream keeps
// fieldsV1 as raw bytes for the same reason). It rewrites the object it is given in place, replacing values
// with equal ones: the object's content (and its JSON) never changes.
//
// What it returns is SHARED between objects: like everything the watch cache hands out, it must never be
// mutated (copy first). Pools are bounded (two generations: a full young pool becomes the old one, values
// still in use are promoted back on their next hit), so unique values (names, uids) never accumulate.
import type { KubeObject } from '../api/types.js';

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

/** A canonical fieldsV1 node and its identity, which parents' signatures use instead of its contents. */
interface TreeNode {
  node: Record<string, unknown>;
  id: number;
}

export class ValueInterner {
  private readonly strings: GenerationalPool<string>;
  private readonly trees: GenerationalPool<TreeNode>;
  private nextId = 0;

  constructor(capacity = DEFAULT_CAPACITY) {
    this.strings = new GenerationalPool(capacity);
    this.trees = new GenerationalPool(capacity);
  }

  /** Rewrites `obj` (fresh from JSON.parse, not yet shared) to use shared values; returns it. */
  intern<T extends KubeObject>(obj: T): T {
    const managed = obj.metadata?.managedFields;
    if (Array.isArray(managed)) {
      for (const entry of managed as unknown[]) {
        if (!isPlainObject(entry)) continue;
        const tree = entry.fieldsV1;
        if (isPlainObject(tree)) {
          const canonical = this.consTree(tree);
          if (canonical !== undefined) entry.fieldsV1 = canonical.node;
        }
      }
    }
    this.internStrings(obj as unknown as Record<string, unknown>);
    return obj;
  }

  /** Pool sizes (for tests and benchmarks). */
  get sizes(): { strings: number; trees: number } {
    return { strings: this.strings.size, trees: this.trees.size };
  }

  private internString(s: string): string {
    if (s.length > MAX_INTERNED_STRING) return s;
    const hit = this.strings.get(s);
    if (hit !== undefined) return hit;
    this.strings.set(s, s);
    return s;
  }

  /** Interns every string value below `v` (keys are already interned by JSON.parse). */
  private internStrings(v: Record<string, unknown> | unknown[]): void {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (typeof x === 'string') v[i] = this.internString(x);
        else if (x !== null && typeof x === 'object') this.internStrings(x as Record<string, unknown>);
      }
      return;
    }
    for (const k in v) {
      if (k === 'fieldsV1') continue; // keys only, and already shared
      const x = v[k];
      if (typeof x === 'string') v[k] = this.internString(x);
      else if (x !== null && typeof x === 'object') this.internStrings(x as Record<string, unknown>);
    }
  }

  /**
   * The canonical node for a fieldsV1 (sub)tree, whose children are canonical already; undefined when the
   * tree is not a valid encoding (a non-object value), which is then left as it is for validation to see.
   */
  private consTree(node: Record<string, unknown>): TreeNode | undefined {
    let signature = '';
    const children: [string, TreeNode][] = [];
    for (const k in node) {
      const child = node[k];
      if (!isPlainObject(child)) return undefined;
      const c = this.consTree(child);
      if (c === undefined) return undefined;
      children.push([k, c]);
      signature += `${k.length}:${k}${c.id},`;
    }
    const hit = this.trees.get(signature);
    if (hit !== undefined) return hit;
    for (const [k, c] of children) node[k] = c.node;
    const made: TreeNode = { node, id: this.nextId++ };
    this.trees.set(signature, made);
    return made;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
