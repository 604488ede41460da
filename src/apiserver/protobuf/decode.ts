// Generic decoding of one Kubernetes protobuf message into the JSON object upstream's encoding/json would
// print for the same Go value, driven by the tables in descriptors.json. What it maps:
//   - scalars: int32/int64/uint*/bool → numbers and booleans; int64 beyond 2^53 loses precision exactly as
//     JSON.parse of the same number would;
//   - zero values (0, false, "", empty bytes) of singular fields: gogo writes every plain (non-pointer) Go
//     field, so a zero there is dropped when the Go json tag has omitempty, as encoding/json would drop it;
//     a zero in a pointer field was set on purpose and is kept (`replicas: 0`, `storageClassName: ""`), as is
//     one in a field without omitempty (`value: 0`); lists and map values keep every element;
//   - bytes → base64 (Secret.data, ConfigMap.binaryData); messages → objects, kept even when empty (Go's
//     JSON never omits a struct); map entries → objects; repeated → arrays; embedded structs inlined;
//   - the special JSON forms in well-known.ts (Time, Quantity, IntOrString, RawExtension, ...).
// Unknown field numbers are skipped; a wire type that does not fit the field is malformed. Recursion depth is
// bounded; work is linear in the input (repeated occurrences of a singular message merge, as protobuf
// requires, by decoding the concatenation once). It must not do I/O or know about HTTP.

import { T, messageDesc, type FieldDesc, type MessageDesc } from './descriptors.js';
import { wellKnown, type JsonValue } from './well-known.js';
import { Malformed, Reader, WIRE_BYTES, WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT, readFields, utf8String, type WireField } from './wire.js';

export type JsonObject = { [key: string]: JsonValue };

/** Deeper than any real object (a CronJob's pod affinity terms sit about 15 levels down). */
export const MAX_DEPTH = 100;

/** Per-message clean-ups of values gogo always writes but that only the server sets. */
const normalise: ReadonlyMap<string, (o: JsonObject) => void> = new Map([
  [
    'k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    (o: JsonObject) => {
      // Read-only and server-managed: a zero grace period in a request means nothing.
      if (o.deletionGracePeriodSeconds === 0) delete o.deletionGracePeriodSeconds;
      // An owner reference with no fields at all cannot come from a Go client (its strings are always written).
      if (Array.isArray(o.ownerReferences)) {
        const refs = o.ownerReferences.filter((r) => !(isObject(r) && Object.keys(r).length === 0));
        if (refs.length) o.ownerReferences = refs;
        else delete o.ownerReferences;
      }
    },
  ],
]);

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const wireFor = (type: number): number => {
  switch (type) {
    case T.DOUBLE:
    case T.FIXED64:
    case T.SFIXED64:
      return WIRE_FIXED64;
    case T.FLOAT:
    case T.FIXED32:
    case T.SFIXED32:
      return WIRE_FIXED32;
    case T.STRING:
    case T.BYTES:
    case T.MESSAGE:
      return WIRE_BYTES;
    default:
      return WIRE_VARINT;
  }
};

function bigOf(v: number | bigint): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}

/** A varint or fixed-width scalar as JSON. */
function scalar(type: number, f: WireField, fd: FieldDesc): JsonValue {
  const v = f.int;
  switch (type) {
    case T.INT32:
    case T.ENUM:
      return typeof v === 'number' ? v | 0 : Number(BigInt.asIntN(32, v));
    case T.UINT32:
      return typeof v === 'number' ? v >>> 0 : Number(BigInt.asUintN(32, v));
    case T.INT64:
      return typeof v === 'number' ? v : Number(BigInt.asIntN(64, v));
    case T.UINT64:
      return typeof v === 'number' ? v : Number(BigInt.asUintN(64, v));
    case T.SINT32:
    case T.SINT64: {
      const u = BigInt.asUintN(64, bigOf(v));
      return Number((u >> 1n) ^ -(u & 1n));
    }
    case T.BOOL:
      return v !== 0 && v !== 0n;
  }
  const dv = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
  switch (type) {
    case T.DOUBLE:
      return finite(dv.getFloat64(0, true), fd);
    case T.FLOAT:
      return finite(dv.getFloat32(0, true), fd);
    case T.FIXED64:
      return Number(dv.getBigUint64(0, true));
    case T.SFIXED64:
      return Number(dv.getBigInt64(0, true));
    case T.FIXED32:
      return dv.getUint32(0, true);
    case T.SFIXED32:
      return dv.getInt32(0, true);
  }
  throw new Malformed(`${fd.path}: unsupported field type ${type}`);
}

function finite(n: number, fd: FieldDesc): number {
  if (!Number.isFinite(n)) throw new Malformed(`${fd.path}: ${n} has no JSON form`);
  return n;
}

/** The bytes of all occurrences of a singular message field, merged as protobuf merges them. */
function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Decodes a message-typed value (well-known or generic). undefined means Go's JSON would print null. */
function messageValue(typeName: string, bytes: Uint8Array, depth: number): JsonValue | undefined {
  if (depth > MAX_DEPTH) throw new Malformed(`nested deeper than ${MAX_DEPTH} messages`);
  const special = wellKnown.get(typeName);
  if (special) return special(readFields(bytes));
  const desc = messageDesc(typeName);
  if (!desc) throw new Malformed(`no schema for message ${typeName}`);
  return decodeMessage(desc, bytes, depth);
}

/** The value of one occurrence of a non-message field, or of a message-typed map value/list item. */
function value(fd: FieldDesc, f: WireField, depth: number): JsonValue | undefined {
  if (f.wire !== wireFor(fd.type)) throw new Malformed(`${fd.path}: wire type ${f.wire} does not fit its type`);
  switch (fd.type) {
    case T.STRING:
      return utf8String(f.bytes, fd.path);
    case T.BYTES:
      return Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength).toString('base64');
    case T.MESSAGE:
      return messageValue(fd.typeName ?? '', f.bytes, depth + 1);
    case T.GROUP:
      throw new Malformed(`${fd.path}: groups are not supported`);
    default:
      return scalar(fd.type, f, fd);
  }
}

/** Packed repeated scalars: one length-delimited field holding consecutive values. */
function packed(fd: FieldDesc, bytes: Uint8Array, out: JsonValue[]): void {
  const wire = wireFor(fd.type);
  const r = new Reader(bytes);
  while (!r.done) {
    const f: WireField =
      wire === WIRE_VARINT
        ? { no: fd.no, wire, int: r.varint(), bytes: new Uint8Array(0) }
        : { no: fd.no, wire, int: 0, bytes: r.take(wire === WIRE_FIXED64 ? 8 : 4, fd.path) };
    out.push(scalar(fd.type, f, fd));
  }
}

/** A map entry's key and value; a missing part takes its type's zero value. */
function mapEntry(entry: MessageDesc, bytes: Uint8Array, depth: number): [string, JsonValue] {
  const keyDesc = entry.fields.get(1);
  const valDesc = entry.fields.get(2);
  if (!keyDesc || !valDesc) throw new Malformed(`${entry.name}: not a map entry`);
  let key: JsonValue | undefined;
  const valueParts: Uint8Array[] = [];
  let val: JsonValue | undefined;
  for (const f of readFields(bytes)) {
    if (f.no === 1) key = value(keyDesc, f, depth);
    else if (f.no === 2) {
      if (valDesc.type === T.MESSAGE) {
        if (f.wire !== WIRE_BYTES) throw new Malformed(`${valDesc.path}: wire type ${f.wire} does not fit its type`);
        valueParts.push(f.bytes);
      } else val = value(valDesc, f, depth);
    }
  }
  if (valDesc.type === T.MESSAGE) val = messageValue(valDesc.typeName ?? '', valueParts.length ? concat(valueParts) : new Uint8Array(0), depth + 1);
  else if (val === undefined) val = valDesc.type === T.STRING || valDesc.type === T.BYTES ? '' : valDesc.type === T.BOOL ? false : 0;
  return [key === undefined ? '' : String(key), val ?? null];
}

/** Decodes `bytes` as message `desc` into its JSON object. */
export function decodeMessage(desc: MessageDesc, bytes: Uint8Array, depth = 0): JsonObject {
  if (depth > MAX_DEPTH) throw new Malformed(`nested deeper than ${MAX_DEPTH} messages`);
  const lists = new Map<number, JsonValue[]>();
  const maps = new Map<number, JsonObject>();
  const singles = new Map<number, JsonValue>();
  const messageParts = new Map<number, Uint8Array[]>();
  const r = new Reader(bytes);
  while (!r.done) {
    const f = r.field();
    const fd = desc.fields.get(f.no);
    if (!fd) continue; // unknown field: skipped, as upstream does
    if (fd.type === T.MESSAGE && !fd.repeated) {
      if (f.wire !== WIRE_BYTES) throw new Malformed(`${fd.path}: wire type ${f.wire} does not fit its type`);
      const parts = messageParts.get(f.no);
      if (parts) parts.push(f.bytes);
      else messageParts.set(f.no, [f.bytes]);
      continue;
    }
    if (!fd.repeated) {
      singles.set(f.no, value(fd, f, depth) ?? null);
      continue;
    }
    const entry = fd.type === T.MESSAGE ? messageDesc(fd.typeName ?? '') : undefined;
    if (entry?.mapEntry) {
      if (f.wire !== WIRE_BYTES) throw new Malformed(`${fd.path}: wire type ${f.wire} does not fit its type`);
      let m = maps.get(f.no);
      if (!m) maps.set(f.no, (m = {}));
      const [k, v] = mapEntry(entry, f.bytes, depth + 1);
      // An own property even for "__proto__", as JSON.parse would make it.
      Object.defineProperty(m, k, { value: v, enumerable: true, writable: true, configurable: true });
      continue;
    }
    let list = lists.get(f.no);
    if (!list) lists.set(f.no, (list = []));
    if (f.wire === WIRE_BYTES && wireFor(fd.type) !== WIRE_BYTES) packed(fd, f.bytes, list);
    else list.push(value(fd, f, depth) ?? null);
  }

  // Assemble in field-number order; inlined structs are merged at their position.
  const out: JsonObject = {};
  for (const fd of desc.fields.values()) {
    let v: JsonValue | undefined;
    if (fd.type === T.MESSAGE && !fd.repeated) {
      const parts = messageParts.get(fd.no);
      if (!parts) continue;
      v = messageValue(fd.typeName ?? '', concat(parts), depth + 1);
    } else if (fd.repeated) {
      v = maps.get(fd.no) ?? lists.get(fd.no);
    } else {
      v = singles.get(fd.no);
      if ((v === '' || v === 0 || v === false) && !fd.keepZero) v = undefined;
    }
    if (v === undefined) continue;
    if (fd.json === '') {
      if (isObject(v)) Object.assign(out, v);
    } else out[fd.json] = v;
  }
  normalise.get(desc.name)?.(out);
  return out;
}
