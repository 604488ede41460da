// Test helper: a tiny protobuf encoder driven by the same descriptor tables the decoder uses, so tests can
// write objects in their JSON form and get the bytes a Go client would send. It writes exactly the fields
// given (a zero in the input is written, as gogo writes plain Go fields); it is not a general encoder.
import { T, messageDesc, type FieldDesc, type MessageDesc } from '../../../src/apiserver/protobuf/descriptors.js';
import { PROTOBUF_MAGIC } from '../../../src/apiserver/protobuf.js';

type Json = unknown;

export function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

export const key = (no: number, wire: number): number[] => varint(no * 8 + wire);
export const lenField = (no: number, bytes: Uint8Array | number[]): number[] => [...key(no, 2), ...varint(bytes.length), ...bytes];
const utf8 = (s: string): number[] => [...new TextEncoder().encode(s)];

function timeMessage(iso: string): number[] {
  const ms = Date.parse(iso);
  const seconds = Math.floor(ms / 1000);
  const frac = /\.(\d+)Z$/.exec(iso)?.[1] ?? '';
  const nanos = frac ? Number(frac.padEnd(9, '0')) : 0;
  return [...key(1, 0), ...varint(seconds), ...key(2, 0), ...varint(nanos)];
}

/** Bytes of a message-typed value given in JSON form. */
function messageBytes(typeName: string, v: Json): number[] {
  switch (typeName) {
    case 'k8s.io.apimachinery.pkg.apis.meta.v1.Time':
    case 'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime':
      return timeMessage(String(v));
    case 'k8s.io.apimachinery.pkg.api.resource.Quantity':
      return lenField(1, utf8(String(v)));
    case 'k8s.io.apimachinery.pkg.util.intstr.IntOrString':
      return typeof v === 'number' ? [...key(1, 0), 0, ...key(2, 0), ...varint(v), ...lenField(3, [])] : [...key(1, 0), 1, ...key(2, 0), 0, ...lenField(3, utf8(String(v)))];
    case 'k8s.io.apimachinery.pkg.runtime.RawExtension':
    case 'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1':
      return lenField(1, utf8(JSON.stringify(v)));
    case 'k8s.io.api.authentication.v1.ExtraValue':
    case 'k8s.io.api.authorization.v1.ExtraValue':
    case 'k8s.io.apimachinery.pkg.apis.meta.v1.Verbs':
      return (v as string[]).flatMap((s) => lenField(1, utf8(s)));
  }
  const desc = messageDesc(typeName);
  if (!desc) throw new Error(`no message ${typeName}`);
  return encodeMessage(desc, v as Record<string, Json>);
}

function one(fd: FieldDesc, v: Json): number[] {
  switch (fd.type) {
    case T.STRING:
      return lenField(fd.no, utf8(String(v)));
    case T.BYTES:
      return lenField(fd.no, v instanceof Uint8Array ? [...v] : [...Buffer.from(String(v), 'base64')]);
    case T.MESSAGE:
      return lenField(fd.no, messageBytes(fd.typeName!, v));
    case T.BOOL:
      return [...key(fd.no, 0), v ? 1 : 0];
    default:
      return [...key(fd.no, 0), ...varint(typeof v === 'bigint' ? v : Number(v))];
  }
}

export function encodeMessage(desc: MessageDesc, obj: Record<string, Json>): number[] {
  const out: number[] = [];
  for (const fd of desc.fields.values()) {
    if (fd.json === '') {
      // inlined struct: its fields live in obj itself
      const sub = messageDesc(fd.typeName!)!;
      const has = [...sub.fields.values()].some((f) => obj[f.json] !== undefined);
      if (has) out.push(...lenField(fd.no, encodeMessage(sub, obj)));
      continue;
    }
    const v = obj[fd.json];
    if (v === undefined) continue;
    const entry = fd.type === T.MESSAGE ? messageDesc(fd.typeName!) : undefined;
    if (fd.repeated && entry?.mapEntry) {
      for (const [k, val] of Object.entries(v as Record<string, Json>)) {
        out.push(...lenField(fd.no, [...one(entry.fields.get(1)!, k), ...one(entry.fields.get(2)!, val)]));
      }
    } else if (fd.repeated) {
      for (const item of v as Json[]) out.push(...one(fd, item));
    } else out.push(...one(fd, v));
  }
  return out;
}

/** A whole request body: magic, runtime.Unknown{typeMeta, raw, "", ""} around `raw`. */
export function envelope(apiVersion: string, kind: string, raw: number[] | Uint8Array): Uint8Array {
  const typeMeta = [...lenField(1, utf8(apiVersion)), ...lenField(2, utf8(kind))];
  return Uint8Array.from([...PROTOBUF_MAGIC, ...lenField(1, typeMeta), ...lenField(2, [...raw]), ...lenField(3, []), ...lenField(4, [])]);
}

/** Encodes an object given in JSON form (apiVersion, kind, ...) as its message `message`. */
export function encodeObject(message: string, obj: Record<string, Json>): Uint8Array {
  const desc = messageDesc(message);
  if (!desc) throw new Error(`no message ${message}`);
  return envelope(String(obj.apiVersion), String(obj.kind), encodeMessage(desc, obj));
}
