// Drops fields a schema does not know, as upstream does when decoding a built-in kind non-strictly and when
// pruning custom resources: unknown object properties go, x-kubernetes-preserve-unknown-fields subtrees stay,
// embedded resources keep apiVersion/kind/metadata (metadata pruned as ObjectMeta). Values of the wrong type
// are left alone (validation reports them). Mutates in place.
import type { Schema, SchemaResolver } from './types.js';
import { EMBEDDED_META, child, deref, isPlainObject } from './walk.js';

/** Removes unknown fields from `obj` in place; returns the removed field paths (for warnings). */
export function prune(obj: unknown, schema: Schema, resolver: SchemaResolver): string[] {
  const removed: string[] = [];
  pruneValue(obj, schema, resolver, '', removed);
  return removed;
}

function pruneValue(value: unknown, schema: Schema, resolver: SchemaResolver, path: string, removed: string[]): void {
  if (value === null || typeof value !== 'object') return;
  const r = deref(schema, resolver);
  if (!r) return;
  const s = r.schema;

  if (Array.isArray(value)) {
    if (s.items) value.forEach((item, i) => pruneValue(item, s.items!, resolver, `${path}[${i}]`, removed));
    return;
  }
  if (!isPlainObject(value)) return;

  const embedded = s['x-kubernetes-embedded-resource'] === true;
  let props = s.properties;
  if (embedded) props = { ...EMBEDDED_META, ...props };
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;

  if (props) {
    for (const key of Object.keys(value)) {
      const ps = props[key];
      if (ps) {
        pruneValue(value[key], ps, resolver, child(path, key), removed);
      } else if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        pruneValue(value[key], s.additionalProperties, resolver, child(path, key), removed);
      } else if (!preserve && s.additionalProperties !== true) {
        delete value[key];
        removed.push(child(path, key));
      }
    }
    return;
  }
  if (s.additionalProperties && typeof s.additionalProperties === 'object') {
    for (const key of Object.keys(value)) {
      pruneValue(value[key], s.additionalProperties, resolver, child(path, key), removed);
    }
    return;
  }
  // An object schema without properties: everything goes unless preserved (structural-schema rule).
  if (s.type === 'object' && !preserve && s.additionalProperties !== true && !embedded) {
    for (const key of Object.keys(value)) {
      delete value[key];
      removed.push(child(path, key));
    }
  }
}
