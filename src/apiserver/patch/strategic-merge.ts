// Strategic merge patch (application/strategic-merge-patch+json) with upstream's semantics
// (k8s.io/apimachinery/pkg/util/strategicpatch, StrategicMergeMapPatch with MergeParallelList and
// IgnoreUnmatchedNulls): maps merge recursively and null deletes; lists whose schema says
// x-kubernetes-patch-strategy "merge" merge by x-kubernetes-patch-merge-key (primitive lists union); other
// lists replace; directives $patch (replace/delete on maps and list elements), $retainKeys,
// $setElementOrder/<list> and $deleteFromPrimitiveList/<list>. A subtree without schema falls back to JSON
// merge semantics. Pure: never mutates its inputs; reads schemas only through the SchemaResolver.
//
// Deliberate differences: directives never leak into the result (upstream copies an unmatched patch value
// verbatim and relies on typed decoding to drop them), and client mistakes upstream answers with a 500
// (unknown $patch value, missing merge key) are 400s here with upstream's text.
import type { Schema, SchemaResolver } from '../../api/schema/types.js';
import { StatusError } from '../../api/errors.js';
import type { JsonObject, JsonValue } from '../../api/types.js';
import { clone, deepEqual, goFormat, isObject, jsonShape, setMember, withOwnMetadata } from './json-value.js';
import { childSchema, itemsSchema, memberSchemaRaw, patchMeta, resolve } from './schema-shape.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER_PREFIX = '$setElementOrder';
const DELETE_PRIMITIVE_PREFIX = '$deleteFromPrimitiveList';

const bad = (message: string) => new StatusError(400, 'BadRequest', message);
const ErrBadPatchFormatForRetainKeys = () => bad('invalid patch format of retainKeys');
const ErrBadPatchFormatForSetElementOrderList = () => bad('invalid patch format of setElementOrder list');
const ErrBadPatchFormatForPrimitiveList = () => bad('invalid patch format of primitive list');
const ErrNoListOfLists = () =>
  new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ message: 'lists of lists are not supported' }],
  });
const ErrNoMergeKey = (m: JsonObject, key: string) => bad(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);
const ErrBadPatchType = (t: unknown, m: JsonObject) => bad(`unknown patch type: ${goFormat(t)} in map: ${goFormat(m)}`);

interface Ctx {
  resolver: SchemaResolver;
}

export function applyStrategicMergePatch(
  doc: JsonObject,
  patch: unknown,
  schema: Schema | undefined,
  resolver: SchemaResolver,
  opts: ShareOptions = {},
): JsonObject {
  const shape = jsonShape(patch, 'error decoding patch');
  if (!isObject(patch)) {
    const t = patch === null ? 'null' : Array.isArray(patch) ? 'array' : typeof patch;
    throw bad(`json: cannot unmarshal ${t} into Go value of type map[string]interface {}`);
  }
  const ctx: Ctx = { resolver };
  // mergeMap changes its patch only where directives ("$…" members) are, and its result shares nothing with
  // the patch but lists inside lists: a patch with neither is used as it is, without a copy.
  const own = shape === 0 ? (patch as JsonObject) : clone(patch as JsonObject);
  return mergeMap(opts.shareUntouched ? withOwnMetadata(doc, ownAlong(doc, patch as JsonObject)) : clone(doc), own, resolve(schema, resolver), ctx);
}

export interface ShareOptions {
  /**
   * The result shares the document's top-level members the patch does not touch (a status patch leaves the
   * spec as the very same object); metadata is always the result's own. The caller must not change shared
   * members in place.
   */
  shareUntouched?: boolean;
}

/**
 * A copy of `doc` that mergeMap may change in place under `patch`, sharing the rest with `doc`: a new object
 * at every level where the patch merges a map into a map, the lists it merges into (or names in a list
 * directive) cloned whole; members it leaves alone, replaces or deletes are shared. A level carrying $patch or
 * $retainKeys is cloned whole.
 */
function ownAlong(doc: JsonObject, patch: JsonObject): JsonObject {
  if (Object.prototype.hasOwnProperty.call(patch, DIRECTIVE) || Object.prototype.hasOwnProperty.call(patch, RETAIN_KEYS)) return clone(doc);
  const out: JsonObject = { ...doc };
  for (const k in patch) {
    if (!Object.prototype.hasOwnProperty.call(patch, k)) continue;
    const listDirective = k.startsWith('$') && k.includes('/');
    const key = listDirective ? k.slice(k.indexOf('/') + 1) : k;
    if (!Object.prototype.hasOwnProperty.call(doc, key)) continue;
    const d = doc[key]!;
    const p = patch[k];
    if (!listDirective && isObject(d) && isObject(p)) setMember(out, key, ownAlong(d, p));
    else if (listDirective || (Array.isArray(d) && Array.isArray(p))) setMember(out, key, clone(d));
  }
  return out;
}

/** Merges `patch` into `original` (both owned by the caller, mutated) under the map's schema. */
function mergeMap(original: JsonObject, patch: JsonObject, schema: Schema | undefined, ctx: Ctx): JsonObject {
  if (Object.prototype.hasOwnProperty.call(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') {
      delete patch[DIRECTIVE];
      return mergeMap({}, patch, schema, ctx);
    }
    if (directive === 'delete') return {};
    throw ErrBadPatchType(directive, patch);
  }

  applyRetainKeys(original, patch);
  mergeSetElementOrder(original, patch, schema, ctx);

  // Members as they are when reached (only this map's directives are ever deleted from it, before the loop).
  for (const rawKey in patch) {
    if (!Object.prototype.hasOwnProperty.call(patch, rawKey)) continue;
    const patchV = patch[rawKey]!;
    let key = rawKey;
    let isDeleteList = false;
    if (rawKey.charCodeAt(0) === 36 /* $ */) {
      if (!rawKey.startsWith(DELETE_PRIMITIVE_PREFIX)) continue; // an unknown directive: never stored
      key = extractKey(rawKey, DELETE_PRIMITIVE_PREFIX);
      isDeleteList = true;
    }

    if (patchV === null) {
      // A delete of a member that is not there is a no-op, but still a runtime call (the patch's nulls on new
      // items: a kubelet's lastProbeTime, a container state's other members).
      if (Object.prototype.hasOwnProperty.call(original, key)) delete original[key];
      continue;
    }
    if (!isDeleteList && typeof patchV !== 'object') {
      // A scalar replaces whatever is there (what the general case below does for one, without its schema).
      setMember(original, key, patchV);
      continue;
    }
    const raw = memberSchemaRaw(schema, key);
    const sub = childSchema(schema, key, ctx.resolver);
    const meta = patchMeta(raw, ctx.resolver);
    // Own members only, and set as data: a "__proto__" key is a key like any other, never the prototype.
    const cur = Object.prototype.hasOwnProperty.call(original, key) ? original[key] : undefined;
    if (cur === undefined || kindOf(cur) !== kindOf(patchV)) {
      if (!isDeleteList) setMember(original, key, newValue(patchV, sub, meta.strategy, meta.mergeKey, ctx));
      continue;
    }
    if (isObject(cur) && isObject(patchV)) {
      setMember(original, key, meta.strategy === 'replace' ? newValue(patchV, sub, '', '', ctx) : mergeMap(cur, patchV, sub, ctx));
    } else if (Array.isArray(cur) && Array.isArray(patchV)) {
      setMember(original, key, mergeSliceHandler(cur, patchV, sub, meta.strategy, meta.mergeKey, isDeleteList, ctx));
    } else {
      setMember(original, key, patchV);
    }
  }
  return original;
}

function kindOf(v: JsonValue): 'object' | 'array' | 'scalar' {
  return Array.isArray(v) ? 'array' : isObject(v) ? 'object' : 'scalar';
}

/** A patch value with nothing to merge into: applied to an empty value so directives and nulls go away. */
function newValue(v: JsonValue, schema: Schema | undefined, strategy: string, mergeKey: string, ctx: Ctx): JsonValue {
  if (isObject(v)) return mergeMap({}, v, schema, ctx);
  if (Array.isArray(v)) return mergeSliceHandler([], v, schema, strategy, mergeKey, false, ctx);
  return v;
}

function extractKey(s: string, prefix: string): string {
  const i = s.indexOf('/');
  if (i < 0 || s.slice(0, i) !== prefix) {
    throw prefix === DELETE_PRIMITIVE_PREFIX ? ErrBadPatchFormatForPrimitiveList() : ErrBadPatchFormatForSetElementOrderList();
  }
  return s.slice(i + 1);
}

function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.prototype.hasOwnProperty.call(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw ErrBadPatchFormatForRetainKeys();
  const keep = new Set(list.filter((x): x is string => typeof x === 'string'));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_PRIMITIVE_PREFIX) || k.startsWith(SET_ORDER_PREFIX)) continue;
    if (!keep.has(k)) throw ErrBadPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/** Processes every $setElementOrder/<list> together with its list, removing both from the patch. */
function mergeSetElementOrder(original: JsonObject, patch: JsonObject, schema: Schema | undefined, ctx: Ctx): void {
  let directives: string[] | undefined;
  for (const key in patch) if (key.charCodeAt(0) === 36 /* $ */ && key.startsWith(SET_ORDER_PREFIX) && Object.prototype.hasOwnProperty.call(patch, key)) (directives ??= []).push(key);
  if (directives === undefined) return;
  for (const key of directives) {
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw ErrBadPatchFormatForSetElementOrderList();
    const listKey = extractKey(key, SET_ORDER_PREFIX);
    const origV = original[listKey];
    const patchV = patch[listKey];
    const foundOrig = origV !== undefined;
    const foundPatch = patchV !== undefined && patchV !== null;
    if (foundOrig && !Array.isArray(origV)) throw bad(`expected a []interface {}, but received ${goFormat(origV)}`);
    if (foundPatch && !Array.isArray(patchV)) throw bad(`expected a []interface {}, but received ${goFormat(patchV)}`);
    const origList = (origV as JsonValue[] | undefined) ?? [];
    const patchList = (patchV as JsonValue[] | undefined) ?? [];
    const meta = patchMeta(memberSchemaRaw(schema, listKey), ctx.resolver);
    const sub = childSchema(schema, listKey, ctx.resolver);
    validatePatchWithSetOrderList(patchList, order, meta.mergeKey);

    let merged: JsonValue[];
    if (foundOrig && !foundPatch) merged = origList;
    else if (!foundOrig && foundPatch) merged = mergeSliceHandler([], patchList, sub, meta.strategy, meta.mergeKey, false, ctx);
    else if (foundOrig && foundPatch) merged = mergeSliceHandler(origList, patchList, sub, meta.strategy, meta.mergeKey, false, ctx);
    else continue;

    const kind = sliceElementKind(origList, patchList);
    const [patchItems, serverOnly] = partition(merged, order, meta.mergeKey);
    original[listKey] = normalizeElementOrder(patchItems, serverOnly, order, origList, meta.mergeKey, kind);
    delete patch[listKey];
  }
}

function validatePatchWithSetOrderList(patchList: JsonValue[], order: JsonValue[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  let nonDelete = patchList;
  if (mergeKey) {
    nonDelete = patchList.filter((v) => {
      if (!isObject(v)) throw bad(`expected a map[string]interface {}, but received ${goFormat(v)}`);
      return v[DIRECTIVE] !== 'delete';
    });
  }
  let pi = 0;
  let oi = 0;
  while (pi < nonDelete.length && oi < order.length) {
    const p = nonDelete[pi]!;
    if (isObject(p) && Object.prototype.hasOwnProperty.call(p, DIRECTIVE)) {
      pi++;
      continue;
    }
    if (mergeKeyValueEqual(p, order[oi]!, mergeKey)) pi++;
    oi++;
  }
  if (pi < nonDelete.length && oi >= order.length) {
    throw bad(
      `The order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ORDER_PREFIX} list:\n${goFormat(order)}\n`,
    );
  }
}

function mergeKeyValueEqual(a: JsonValue, b: JsonValue, mergeKey: string): boolean {
  if (!mergeKey) return scalarEq(a, b);
  if (!isObject(a)) throw bad(`expected a map[string]interface {}, but received ${goFormat(a)}`);
  if (!isObject(b)) throw bad(`expected a map[string]interface {}, but received ${goFormat(b)}`);
  if (!(mergeKey in a)) throw ErrNoMergeKey(a, mergeKey);
  if (!(mergeKey in b)) throw ErrNoMergeKey(b, mergeKey);
  return scalarEq(a[mergeKey]!, b[mergeKey]!);
}

function scalarEq(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return a === b || (typeof a === 'object' && a !== null && deepEqual(a, b));
}

function mergeSliceHandler(
  original: JsonValue[],
  patch: JsonValue[],
  schema: Schema | undefined,
  strategy: string,
  mergeKey: string,
  isDeleteList: boolean,
  ctx: Ctx,
): JsonValue[] {
  if (strategy === 'merge' || isDeleteList) {
    return mergeSlice(original, patch, itemsSchema(schema, ctx.resolver), mergeKey, isDeleteList, ctx);
  }
  // A replaced list: its elements are new values without a schema-driven merge.
  const items = itemsSchema(schema, ctx.resolver);
  return patch.map((e) => (isObject(e) ? mergeMap({}, e, items, ctx) : e));
}

type ElemKind = 'object' | 'string' | 'number' | 'boolean' | 'null';

function sliceElementKind(...lists: JsonValue[][]): ElemKind {
  let prev: ElemKind | undefined;
  for (const l of lists) {
    for (const v of l) {
      if (Array.isArray(v)) throw ErrNoListOfLists();
      const k: ElemKind = v === null ? 'null' : isObject(v) ? 'object' : (typeof v as ElemKind);
      if (prev === undefined) prev = k;
      else if (prev !== k) throw bad(`list element types are not identical: ${lists.map(goFormat).join(' ')}`);
    }
  }
  if (prev === undefined) throw bad('no elements in any of the given slices');
  return prev;
}

function mergeSlice(
  original: JsonValue[],
  patch: JsonValue[],
  items: Schema | undefined,
  mergeKey: string,
  isDeleteList: boolean,
  ctx: Ctx,
): JsonValue[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementKind(original, patch);
  let merged: JsonValue[];
  if (kind !== 'object') {
    if (isDeleteList) return original.filter((v) => !patch.some((d) => scalarEq(v, d)));
    merged = [];
    for (const v of [...original, ...patch]) if (!merged.some((m) => scalarEq(m, v))) merged.push(v);
  } else {
    if (!mergeKey) throw bad('cannot merge lists without merge key for type map');
    const special = mergeSliceWithSpecialElements(original as JsonObject[], patch as JsonObject[], mergeKey, items, ctx);
    original = special.original;
    patch = special.patch;
    merged = mergeSliceWithoutSpecialElements(special.original, special.patch, mergeKey, items, ctx);
  }
  const [patchItems, serverOnly] = partition(merged, patch, mergeKey);
  return normalizeElementOrder(patchItems, serverOnly, patch, original, mergeKey, kind);
}

function mergeSliceWithSpecialElements(
  original: JsonObject[],
  patch: JsonObject[],
  mergeKey: string,
  items: Schema | undefined,
  ctx: Ctx,
): { original: JsonObject[]; patch: JsonObject[] } {
  const plain: JsonObject[] = [];
  let replace = false;
  for (const v of patch) {
    if (!Object.prototype.hasOwnProperty.call(v, DIRECTIVE)) {
      plain.push(v);
      continue;
    }
    const d = v[DIRECTIVE];
    if (d === 'delete') {
      if (!(mergeKey in v)) throw ErrNoMergeKey(v, mergeKey);
      original = original.filter((o) => !(isObject(o) && mergeKey in o && scalarEq(o[mergeKey], v[mergeKey])));
    } else if (d === 'replace') {
      replace = true;
    } else if (d === 'merge') {
      throw bad('merging lists cannot yet be specified in the patch');
    } else {
      throw ErrBadPatchType(d, v);
    }
  }
  if (replace) return { original: plain.map((e) => mergeMap({}, e, items, ctx)), patch: [] };
  return { original, patch: plain };
}

function mergeSliceWithoutSpecialElements(
  original: JsonObject[],
  patch: JsonObject[],
  mergeKey: string,
  items: Schema | undefined,
  ctx: Ctx,
): JsonValue[] {
  const out: JsonValue[] = [...original];
  for (const v of patch) {
    if (!(mergeKey in v)) throw ErrNoMergeKey(v, mergeKey);
    const key = v[mergeKey];
    let idx = -1;
    for (let i = 0; i < out.length && idx < 0; i++) {
      const o = out[i];
      if (!isObject(o)) throw bad(`value for key ${goFormat(o)} is not a map.`);
      if (mergeKey in o && scalarEq(o[mergeKey], key)) idx = i;
    }
    if (idx >= 0) out[idx] = mergeMap(out[idx] as JsonObject, v, items, ctx);
    else out.push(mergeMap({}, v, items, ctx));
  }
  return out;
}

/** Splits `list` into the items present in `by` (compared by merge key, or by value) and the rest. */
function partition(list: JsonValue[], by: JsonValue[], mergeKey: string): [JsonValue[], JsonValue[]] {
  const inPatch: JsonValue[] = [];
  const serverOnly: JsonValue[] = [];
  for (const v of list) {
    if (mergeKey) {
      if (!isObject(v)) throw bad(`expected a map[string]interface {}, but received ${goFormat(v)}`);
      if (!(mergeKey in v)) throw ErrNoMergeKey(v, mergeKey);
    }
    (indexOf(by, v, mergeKey) >= 0 ? inPatch : serverOnly).push(v);
  }
  return [inPatch, serverOnly];
}

function indexOf(list: JsonValue[], item: JsonValue, mergeKey: string): number {
  const want = mergeValue(item, mergeKey);
  for (let i = 0; i < list.length; i++) if (scalarEq(mergeValue(list[i]!, mergeKey), want)) return i;
  return -1;
}

/** What indexOf compares an item by: its merge key's value (undefined for a non-object), or itself without a key. */
function mergeValue(x: JsonValue, mergeKey: string): JsonValue | undefined {
  if (!mergeKey) return x;
  return isObject(x) ? x[mergeKey] : undefined;
}

/**
 * Upstream's normalizeElementOrder: patch items ordered as in `patchOrder`, server-only items as in the live
 * list, then interleaved by their live positions (mergeSortedSlice).
 */
function normalizeElementOrder(
  patchItems: JsonValue[],
  serverOnly: JsonValue[],
  patchOrder: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string,
  kind: ElemKind,
): JsonValue[] {
  const key = kind === 'object' ? mergeKey : '';
  if (key) {
    for (const l of [patchItems, serverOnly, patchOrder, serverOrder]) {
      for (const it of l) {
        if (!isObject(it)) throw bad(`expected a map[string]interface {}, but received ${goFormat(it)}`);
        if (!(key in it)) throw ErrNoMergeKey(it, key);
      }
    }
  }
  const right = sortByOrder(patchItems, patchOrder, key);
  const left = sortByOrder(serverOnly, serverOrder, key);
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]!);
    else if (j >= right.length) out.push(left[i++]!);
    else {
      const li = indexOf(serverOrder, left[i]!, key);
      const ri = indexOf(serverOrder, right[j]!, key);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]!);
      else out.push(right[j++]!);
    }
  }
  return out;
}

/** `list` ordered by each item's position in `order` (items not in it last), stable: a new array. */
function sortByOrder(list: JsonValue[], order: JsonValue[], key: string): JsonValue[] {
  const n = list.length;
  const out = list.slice();
  if (n < 2) return out;
  const rank = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const at = indexOf(order, list[i]!, key);
    rank[i] = at < 0 ? Number.MAX_SAFE_INTEGER : at;
  }
  // Insertion sort of the items with their ranks (stable; lists here are short).
  for (let i = 1; i < n; i++) {
    const v = out[i]!;
    const r = rank[i]!;
    let j = i - 1;
    while (j >= 0 && rank[j]! > r) {
      out[j + 1] = out[j]!;
      rank[j + 1] = rank[j]!;
      j--;
    }
    out[j + 1] = v;
    rank[j + 1] = r;
  }
  return out;
}
