// RFC 6902 JSON patch (application/json-patch+json) with kube-apiserver's behaviour: the operation
// semantics and error texts of evanphx/json-patch v4 (which upstream uses), a failed operation answered as
// 422 "the server rejected our request due to an error in our request", a malformed patch as 400, and more
// than 10,000 operations as 413. Pure: never mutates its inputs and does no I/O.
//
// Upstream quirks kept on purpose: "replace" of a missing key in an existing object adds it; negative array
// indices count from the end.
import { StatusError } from '../../api/errors.js';
import type { JsonObject, JsonValue } from '../../api/types.js';
import { assertJson, clone, deepEqual, isObject, unprocessable } from './json-value.js';

/** Upstream's maxJSONPatchOperations. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;
/** Cap on the bytes "copy" operations may add in one patch (upstream leaves it open; we guard memory). */
export const MAX_ACCUMULATED_COPY_BYTES = 3 * 1024 * 1024;

/** A failed operation; the text follows upstream's wrapped errors ("<context>: <cause>"). */
class PatchOpError extends Error {}

const missing = (msg: string) => new PatchOpError(`${msg}: missing value`);
const invalidIndex = (idx: number) => new PatchOpError(`Unable to access invalid index: ${idx}: invalid index referenced`);
const wrap = (msg: string, e: unknown) => new PatchOpError(`${msg}: ${(e as Error).message}`);

type Container = JsonObject | JsonValue[];

function decodeKey(part: string): string {
  return part.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Go's strconv.Atoi as used on array keys. */
function atoi(key: string): number {
  if (!/^[+-]?\d+$/.test(key)) throw new PatchOpError(`strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`);
  const n = Number(key);
  if (!Number.isSafeInteger(n)) throw new PatchOpError(`strconv.Atoi: parsing ${JSON.stringify(key)}: value out of range`);
  return n;
}

function getChild(c: Container, key: string): JsonValue | undefined {
  if (Array.isArray(c)) {
    let idx = atoi(key);
    if (idx < 0) {
      if (idx < -c.length) throw invalidIndex(idx);
      idx += c.length;
    }
    if (idx >= c.length) throw invalidIndex(idx);
    return c[idx];
  }
  return Object.prototype.hasOwnProperty.call(c, key) ? c[key] : undefined;
}

function setChild(c: Container, key: string, v: JsonValue): void {
  if (Array.isArray(c)) {
    let idx = atoi(key);
    if (idx < 0) {
      if (idx < -c.length) throw invalidIndex(idx);
      idx += c.length;
    }
    if (idx >= c.length) throw invalidIndex(idx);
    c[idx] = v;
    return;
  }
  c[key] = v;
}

function addChild(c: Container, key: string, v: JsonValue): void {
  if (!Array.isArray(c)) {
    c[key] = v;
    return;
  }
  if (key === '-') {
    c.push(v);
    return;
  }
  let idx: number;
  try {
    idx = atoi(key);
  } catch (e) {
    throw wrap(`value was not a proper array index: '${key}'`, e);
  }
  const size = c.length + 1;
  if (idx >= size || idx < -size) throw invalidIndex(idx);
  if (idx < 0) idx += size;
  c.splice(idx, 0, v);
}

function removeChild(c: Container, key: string): void {
  if (Array.isArray(c)) {
    let idx = atoi(key);
    if (idx >= c.length || idx < -c.length) throw invalidIndex(idx);
    if (idx < 0) idx += c.length;
    c.splice(idx, 1);
    return;
  }
  if (!Object.prototype.hasOwnProperty.call(c, key)) {
    throw new PatchOpError(`Unable to remove nonexistent key: ${key}: missing value`);
  }
  delete c[key];
}

/** Upstream's findObject: the container holding the last path segment, or undefined. */
function findContainer(root: Container, path: string): { c: Container; key: string } | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let cur: Container = root;
  for (const part of split.slice(1, -1)) {
    let next: JsonValue | undefined;
    try {
      next = getChild(cur, decodeKey(part));
    } catch {
      return undefined;
    }
    if (next === undefined || next === null || typeof next !== 'object') return undefined;
    cur = next;
  }
  return { c: cur, key: decodeKey(split[split.length - 1]!) };
}

interface Op {
  raw: JsonObject;
  field(name: 'path' | 'from'): string | undefined;
  value(): JsonValue | undefined;
}

function opOf(raw: JsonObject): Op {
  return {
    raw,
    field(name) {
      const v = raw[name];
      return typeof v === 'string' ? v : undefined;
    },
    value() {
      return Object.prototype.hasOwnProperty.call(raw, 'value') ? raw.value : undefined;
    },
  };
}

/** Decodes the patch as upstream's DecodePatch does: a JSON array of objects, else 400. */
function decodePatch(patch: unknown): JsonObject[] {
  assertJson(patch, 'error decoding patch');
  if (!Array.isArray(patch)) {
    throw new StatusError(400, 'BadRequest', `json: cannot unmarshal ${goJsonType(patch)} into Go value of type jsonpatch.Patch`);
  }
  for (const op of patch) {
    if (!isObject(op) && op !== null) {
      throw new StatusError(400, 'BadRequest', `json: cannot unmarshal ${goJsonType(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  return patch.map((op) => (op === null ? {} : op)) as JsonObject[];
}

function goJsonType(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

export function applyJsonPatch(doc: JsonValue, patch: unknown): JsonValue {
  const ops = decodePatch(patch);
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new StatusError(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
    );
  }
  if (doc === null || typeof doc !== 'object') throw unprocessable('the document to patch is not an object or array');
  const state = { root: clone(doc) as Container, copied: 0 };
  try {
    for (const raw of ops) applyOp(state, opOf(raw));
  } catch (e) {
    if (e instanceof PatchOpError) throw unprocessable(e.message);
    throw e;
  }
  return state.root;
}

function applyOp(state: { root: Container; copied: number }, op: Op): void {
  const kind = typeof op.raw.op === 'string' ? op.raw.op : 'unknown';
  switch (kind) {
    case 'add':
      return opAdd(state, op);
    case 'remove':
      return opRemove(state, op);
    case 'replace':
      return opReplace(state, op);
    case 'move':
      return opMove(state, op);
    case 'copy':
      return opCopy(state, op);
    case 'test':
      return opTest(state, op);
    default:
      throw new PatchOpError(`Unexpected kind: ${kind}`);
  }
}

function pathOf(op: Op, opName: string): string {
  const path = op.field('path');
  if (path === undefined) throw missing(`${opName} operation failed to decode path`);
  return path;
}

function fromOf(op: Op, opName: string): string {
  const from = op.field('from');
  if (from === undefined) throw missing(`${opName} operation failed to decode from: operation, missing from field`);
  return from;
}

function replaceRoot(state: { root: Container }, v: JsonValue | undefined, opName: string): void {
  if (v === null || v === undefined || typeof v !== 'object') {
    throw new PatchOpError(`${opName} operation value must be object or array`);
  }
  state.root = clone(v) as Container;
}

function opAdd(state: { root: Container }, op: Op): void {
  const path = pathOf(op, 'add');
  if (path === '') return replaceRoot(state, op.value(), 'add');
  const found = findContainer(state.root, path);
  if (!found) throw missing(`add operation does not apply: doc is missing path: "${path}"`);
  try {
    addChild(found.c, found.key, clone(op.value() ?? null));
  } catch (e) {
    throw wrap(`error in add for path: '${path}'`, e);
  }
}

function opRemove(state: { root: Container }, op: Op): void {
  const path = pathOf(op, 'remove');
  const found = findContainer(state.root, path);
  if (!found) throw missing(`remove operation does not apply: doc is missing path: "${path}"`);
  try {
    removeChild(found.c, found.key);
  } catch (e) {
    throw wrap(`error in remove for path: '${path}'`, e);
  }
}

function opReplace(state: { root: Container }, op: Op): void {
  const path = pathOf(op, 'replace');
  if (path === '') return replaceRoot(state, op.value(), 'replace');
  const found = findContainer(state.root, path);
  if (!found) throw missing(`replace operation does not apply: doc is missing path: ${path}`);
  try {
    getChild(found.c, found.key);
  } catch {
    throw missing(`replace operation does not apply: doc is missing key: ${path}`);
  }
  try {
    setChild(found.c, found.key, clone(op.value() ?? null));
  } catch (e) {
    throw wrap(`error in remove for path: '${path}'`, e);
  }
}

function opMove(state: { root: Container }, op: Op): void {
  const from = fromOf(op, 'move');
  const src = findContainer(state.root, from);
  if (!src) throw missing(`move operation does not apply: doc is missing from path: ${from}`);
  let val: JsonValue | undefined;
  try {
    val = getChild(src.c, src.key);
    removeChild(src.c, src.key);
  } catch (e) {
    throw wrap(`error in move for path: '${src.key}'`, e);
  }
  const path = pathOf(op, 'move');
  const dst = findContainer(state.root, path);
  if (!dst) throw missing(`move operation does not apply: doc is missing destination path: ${path}`);
  try {
    addChild(dst.c, dst.key, val ?? null);
  } catch (e) {
    throw wrap(`error in move for path: '${path}'`, e);
  }
}

function opCopy(state: { root: Container; copied: number }, op: Op): void {
  const from = fromOf(op, 'copy');
  const src = findContainer(state.root, from);
  if (!src) throw missing(`copy operation does not apply: doc is missing from path: ${from}`);
  let val: JsonValue | undefined;
  try {
    val = getChild(src.c, src.key);
  } catch (e) {
    throw wrap(`error in copy for from: '${from}'`, e);
  }
  if (val === undefined) throw missing(`copy operation does not apply: doc is missing from path: ${from}`);
  const path = pathOf(op, 'copy');
  const dst = findContainer(state.root, path);
  if (!dst) throw missing(`copy operation does not apply: doc is missing destination path: ${path}`);
  const size = JSON.stringify(val).length;
  state.copied += size;
  if (state.copied > MAX_ACCUMULATED_COPY_BYTES) {
    throw new PatchOpError(
      `Unable to complete the copy, the accumulated size increase of copy is ${state.copied}, exceeding the limit ${MAX_ACCUMULATED_COPY_BYTES}`,
    );
  }
  try {
    addChild(dst.c, dst.key, clone(val));
  } catch (e) {
    throw wrap('error while adding value during copy', e);
  }
}

function opTest(state: { root: Container }, op: Op): void {
  const path = pathOf(op, 'test');
  const expected = op.value();
  if (path === '') {
    if (deepEqual(state.root, expected)) return;
    throw new PatchOpError(`testing value ${path} failed: test failed`);
  }
  const found = findContainer(state.root, path);
  if (!found) throw missing(`test operation does not apply: is missing path: ${path}`);
  let actual: JsonValue | undefined;
  try {
    actual = getChild(found.c, found.key);
  } catch (e) {
    throw wrap(`error in test for path: '${path}'`, e);
  }
  if (actual === undefined || actual === null) {
    if (expected === undefined || expected === null) return;
    throw new PatchOpError(`testing value ${path} failed: test failed`);
  }
  if (expected !== undefined && deepEqual(actual, expected)) return;
  throw new PatchOpError(`testing value ${path} failed: test failed`);
}
