// Pure key arithmetic for the etcd backend: how a Store key, prefix or page maps onto etcd's byte ranges
// [key, range_end). It must not do I/O or know about gRPC.

/** etcd's "every key from here on" range end. */
const ZERO = Buffer.from([0]);

/**
 * The smallest key greater than every key starting with `prefix` (etcd's prefix range end): drop trailing
 * 0xff bytes and increment the last remaining byte. An empty or all-0xff prefix has no end: "\0" (= no limit).
 */
export function prefixEnd(prefix: Buffer): Buffer {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) {
      const end = Buffer.from(prefix.subarray(0, i + 1));
      end[i] = end[i]! + 1;
      return end;
    }
  }
  return ZERO;
}

export interface KeyRange {
  key: Buffer;
  rangeEnd: Buffer;
}

/** The etcd range holding every stored key that starts with `prefix` (both already carrying the store prefix). */
export function prefixRange(fullPrefix: Buffer): KeyRange {
  // etcd treats key "\0" + range_end "\0" as "all keys"; an empty key would mean "no key".
  if (fullPrefix.length === 0) return { key: ZERO, rangeEnd: ZERO };
  return { key: fullPrefix, rangeEnd: prefixEnd(fullPrefix) };
}

/**
 * The range for one list page: keys under `fullPrefix` strictly greater than `fullStartAfter` (when given).
 * The smallest key greater than k is k + "\0".
 */
export function pageRange(fullPrefix: Buffer, fullStartAfter?: Buffer): KeyRange {
  const all = prefixRange(fullPrefix);
  if (fullStartAfter === undefined) return all;
  const after = Buffer.concat([fullStartAfter, ZERO]);
  return { key: Buffer.compare(after, all.key) > 0 ? after : all.key, rangeEnd: all.rangeEnd };
}

/** True when the range holds no key at all (start at or past a bounded end). */
export function isEmptyRange(r: KeyRange): boolean {
  const unbounded = r.rangeEnd.length === 1 && r.rangeEnd[0] === 0;
  return !unbounded && Buffer.compare(r.key, r.rangeEnd) >= 0;
}
