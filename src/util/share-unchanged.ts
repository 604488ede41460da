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
