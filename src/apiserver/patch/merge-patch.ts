// RFC 7386 JSON merge patch (application/merge-patch+json) as kube-apiserver applies it (evanphx/json-patch
// MergePatch): objects merge recursively, null deletes, anything else replaces; nulls inside newly added
// values are dropped. A non-object patch replaces the document (the caller then rejects a non-object result
// as upstream does when decoding). Pure: never mutates its inputs.
import type { JsonObject, JsonValue } from '../../api/types.js';
import { assertJson, badRequest, clone, isObject, setMember, withOwnMetadata } from './json-value.js';

export function applyMergePatch(doc: JsonValue, patch: unknown, opts: { shareUntouched?: boolean } = {}): JsonValue {
  assertJson(patch, 'error decoding patch');
  if (patch === null) throw badRequest('Invalid JSON Patch');
  if (!isObject(patch)) return pruneNulls(clone(patch));
  if (!isObject(doc)) return pruneNulls(clone(patch));
  return mergeInto(opts.shareUntouched ? withOwnMetadata(doc, ownAlong(doc, patch)) : clone(doc), patch);
}

/**
 * A copy of `doc` that mergeInto may change in place under `patch`: a new object at every level where the
 * patch merges an object into an object; everything else (what the patch leaves alone, replaces or deletes)
 * shared with `doc`.
 */
function ownAlong(doc: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...doc };
  for (const k in patch) {
    if (!Object.prototype.hasOwnProperty.call(patch, k)) continue;
    const d = doc[k];
    const p = patch[k];
    if (Object.prototype.hasOwnProperty.call(doc, k) && isObject(d) && isObject(p)) setMember(out, k, ownAlong(d, p));
  }
  return out;
}

function mergeInto(target: JsonObject, patch: JsonObject): JsonObject {
  for (const k in patch) {
    if (!Object.prototype.hasOwnProperty.call(patch, k)) continue;
    const v = patch[k]!;
    if (v === null) {
      // Deleting a member that is not there is a no-op, but still a runtime call.
      if (Object.prototype.hasOwnProperty.call(target, k)) delete target[k];
      continue;
    }
    // Own members only, and set as data: a "__proto__" key is a key like any other, never the prototype.
    const cur = Object.prototype.hasOwnProperty.call(target, k) ? target[k] : undefined;
    setMember(target, k, isObject(cur) && isObject(v) ? mergeInto(cur, v) : copyWithoutNulls(v));
  }
  return target;
}

/** pruneNulls(clone(v)) in one pass: a copy without the null members of objects (array elements are kept). */
function copyWithoutNulls(v: JsonValue): JsonValue {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const out = new Array<JsonValue>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyWithoutNulls(v[i]!);
    return out;
  }
  const out: JsonObject = {};
  for (const k in v) {
    const x = v[k];
    if (x === undefined || x === null) continue;
    setMember(out, k, copyWithoutNulls(x));
  }
  return out;
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
