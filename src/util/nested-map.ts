// Maps of maps: lookups by several keys without joining them into one key string per call.

/** The map `outer` holds under `key`, made (empty) when it has none. `outer` may be a WeakMap. */
export function innerMap<K, K2, V>(outer: { get(key: K): Map<K2, V> | undefined; set(key: K, value: Map<K2, V>): unknown }, key: K): Map<K2, V> {
  let inner = outer.get(key);
  if (inner === undefined) outer.set(key, (inner = new Map()));
  return inner;
}
