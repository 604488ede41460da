// Lets a new version of an object share what did not change with the version it replaces: every subtree of
// `next` equal to the subtree at the same place in `prev` (same keys in the same order, same values) is
// replaced by prev's, and equal strings by prev's copy. The watch cache does it on each write, so the versions
// its event history keeps (a pod's first writes, every Lease renewal) cost only what changed, without
// value-sharing work on the write path (util/deferred-interner.ts shares across objects later).
// Content and key order of `next` never change; frozen nodes of `next` are left alone; `prev` is only read.
// Both must be JSON-like trees (as from JSON.parse) that nobody mutates afterwards. Pure (no I/O).

type Node = Record<string, unknown> | unknown[];

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null;

/** Rewrites next's unchanged subtrees to prev's; true when next equals prev entirely (then nothing of next's own is left below its root). */
export function shareUnchanged(next: object, prev: object): boolean {
  if (Object.isFrozen(next)) return false;
  return share(next as Node, prev as Node);
}

function share(next: Node, prev: Node): boolean {
  if (Array.isArray(next)) {
    if (!Array.isArray(prev)) return false;
    let same = next.length === prev.length;
    const n = Math.min(next.length, prev.length);
    for (let i = 0; i < n; i++) if (!shareChild(next, i, next[i], prev[i])) same = false;
    return same;
  }
  if (Array.isArray(prev)) return false;
  let same = true;
  let i = 0;
  const prevKeys = Object.keys(prev);
  for (const k in next) {
    if (prevKeys[i++] !== k) same = false;
    if (!Object.prototype.hasOwnProperty.call(prev, k)) {
      same = false;
      continue;
    }
    if (!shareChild(next, k, next[k], prev[k])) same = false;
  }
  return same && i === prevKeys.length;
}

/** Whether parent[key] (= a) equals b; if so it is set to b (a subtree or string shared with prev). */
function shareChild(parent: Node, key: string | number, a: unknown, b: unknown): boolean {
  if (a === b) {
    if (typeof a === 'string') (parent as Record<string | number, unknown>)[key] = b;
    return true;
  }
  if (!isNode(a) || !isNode(b) || Object.isFrozen(a)) return false;
  if (!share(a, b)) return false;
  (parent as Record<string | number, unknown>)[key] = b;
  return true;
}

/** What copyShared gives when `next` holds a value JSON would not give back as it is. */
const notJson: unique symbol = Symbol('not JSON');

/**
 * What the JSON text of `next` parses to, with shareUnchanged applied against `prev` (the version it replaces),
 * built without the text: every subtree of next equal to the subtree at the same place in prev (same keys in
 * the same order, same values; one that IS prev's is not even walked) is prev's own, equal strings are prev's
 * copies, and only what changed is allocated — as fresh nodes, never next's own, so whoever holds `next` may
 * change it afterwards without touching the copy. As JSON does, members whose value is undefined are left out
 * and undefined array elements become null. Undefined when next holds something JSON would not give back as it
 * is (a non-plain object such as a Date, a function, a symbol, a bigint, a non-finite number): then parse its
 * JSON instead.
 * `prev` is only read and must be a JSON-like tree nobody mutates. Pure (no I/O).
 */
export function copyShared<T extends object>(next: T, prev: object | undefined): T | undefined {
  const out = copy(next, prev);
  return out === notJson ? undefined : (out as T);
}

const isPlainNode = (v: object): boolean => {
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

/** The copy of `a` (prev's `b` itself when equal), or notJson. */
function copy(a: unknown, b: unknown): unknown {
  if (a === b) return b; // equal primitives, or a subtree of prev itself
  switch (typeof a) {
    case 'string':
    case 'boolean':
      return a;
    case 'number':
      if (!Number.isFinite(a)) return notJson;
      return a === 0 ? 0 : a; // -0 reads back as 0
    case 'object':
      if (a === null) return null;
      if (!isPlainNode(a)) return notJson;
      return Array.isArray(a) ? copyArray(a, Array.isArray(b) ? b : undefined) : copyObject(a as Record<string, unknown>, isNode(b) && !Array.isArray(b) ? (b as Record<string, unknown>) : undefined);
    default:
      return notJson; // undefined (handled by the parent), function, symbol, bigint
  }
}

function copyArray(a: readonly unknown[], b: readonly unknown[] | undefined): unknown {
  const n = a.length;
  // Equal to b so far: nothing allocated until the first difference.
  let same = b !== undefined && b.length === n;
  let out: unknown[] | undefined;
  for (let i = 0; i < n; i++) {
    const v = a[i];
    const c = v === undefined ? null : copy(v, b !== undefined && i < b.length ? b[i] : undefined);
    if (c === notJson) return notJson;
    if (same) {
      if (c === b![i]) continue;
      same = false;
      out = b!.slice(0, i);
      out.length = n;
    } else if (out === undefined) {
      out = new Array<unknown>(n);
    }
    out![i] = c;
  }
  return same ? b : (out ?? []);
}

function copyObject(a: Record<string, unknown>, b: Record<string, unknown> | undefined): unknown {
  const bKeys = b === undefined ? undefined : Object.keys(b);
  // Equal to b over its first `i` members so far: nothing allocated until the first difference.
  let same = b !== undefined;
  let i = 0;
  let out: Record<string, unknown> | undefined;
  for (const k in a) {
    const v = a[k];
    if (v === undefined) continue;
    const bv = same && bKeys![i] === k ? b![k] : b !== undefined && Object.prototype.hasOwnProperty.call(b, k) ? b[k] : undefined;
    const c = copy(v, bv);
    if (c === notJson) return notJson;
    if (same) {
      if (bKeys![i] === k && c === bv) {
        i++;
        continue;
      }
      same = false;
      out = firstMembers(b!, bKeys!, i);
    }
    out ??= {};
    setMember(out, k, c);
  }
  if (same) return i === bKeys!.length ? b : firstMembers(b!, bKeys!, i);
  return out ?? {};
}

/** A new object with b's first n members (b's values). */
function firstMembers(b: Record<string, unknown>, keys: readonly string[], n: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let j = 0; j < n; j++) setMember(out, keys[j]!, b[keys[j]!]);
  return out;
}

function setMember(o: Record<string, unknown>, k: string, v: unknown): void {
  // An own "__proto__" member (JSON.parse makes one) stays data, never a prototype.
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}
