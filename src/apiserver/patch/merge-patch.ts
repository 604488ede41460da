// RFC 7386 JSON merge patch (application/merge-patch+json) as kube-apiserver applies it (evanphx/json-patch
// MergePatch): objects merge recursively, null deletes, anything else replaces; nulls inside newly added
// values are dropped. A non-object patch replaces the document (the caller then rejects a non-object result
// as upstream does when decoding). Pure: never mutates its inputs.
import type { JsonObject, JsonValue } from '../../api/types.js';
import { assertJson, badRequest, clone, copyMembers, isObject } from './json-value.js';

export function applyMergePatch(doc: JsonValue, patch: unknown, opts: { shareUntouched?: boolean } = {}): JsonValue {
  assertJson(patch, 'error decoding patch');
  if (patch === null) throw badRequest('Invalid JSON Patch');
  if (!isObject(patch)) return pruneNulls(clone(patch));
  if (!isObject(doc)) return pruneNulls(clone(patch));
  return mergeInto(opts.shareUntouched ? copyMembers(doc, Object.keys(patch)) : clone(doc), patch);
}

function mergeInto(target: JsonObject, patch: JsonObject): JsonObject {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete target[k];
      continue;
    }
    const cur = target[k];
    if (isObject(cur) && isObject(v)) target[k] = mergeInto(cur, v);
    else target[k] = pruneNulls(clone(v));
  }
  return target;
}

/** Drops null members of objects, also inside arrays (array elements themselves are kept). */
export function pruneNulls(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map((e) => (e === null ? e : pruneNulls(e)));
  if (isObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) delete v[k];
      else v[k] = pruneNulls(v[k]!);
    }
  }
  return v;
}
