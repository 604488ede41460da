// Kubernetes types whose JSON form is not the plain form of their protobuf message: they have custom Go
// MarshalJSON methods (Time, MicroTime, Duration, Quantity, IntOrString, RawExtension, FieldsV1) or are Go
// slices wrapped in a message for protobuf (ExtraValue, Verbs). Each converter turns the message's wire fields
// into the JSON value upstream's encoding/json would print, or undefined where that value is null (then the
// field is left out). Pure functions; defects are `Malformed`.

import { Malformed, WIRE_BYTES, WIRE_VARINT, utf8String, type WireField } from './wire.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
type Converter = (fields: readonly WireField[]) => JsonValue | undefined;

function lastOf(fields: readonly WireField[], no: number, wire: number, what: string): WireField | undefined {
  let hit: WireField | undefined;
  for (const f of fields) {
    if (f.no !== no) continue;
    if (f.wire !== wire) throw new Malformed(`${what}: field ${no} has wire type ${f.wire}`);
    hit = f;
  }
  return hit;
}

const int64 = (v: number | bigint): number => (typeof v === 'number' ? v : Number(BigInt.asIntN(64, v)));
const int32 = (v: number | bigint): number => (typeof v === 'number' ? v | 0 : Number(BigInt.asIntN(32, v)));

const GO_ZERO_TIME_SECONDS = -62135596800; // 0001-01-01T00:00:00Z, Go's zero time.Time
const MAX_SECONDS = 253402300799; // 9999-12-31T23:59:59Z: Go refuses to print later years in JSON

/** Seconds and nanos of a Timestamp-shaped message, normalised; undefined for the zero time. */
function instant(fields: readonly WireField[], what: string): { seconds: number; nanos: number } | undefined {
  const s = lastOf(fields, 1, WIRE_VARINT, what);
  const n = lastOf(fields, 2, WIRE_VARINT, what);
  let seconds = s ? int64(s.int) : 0;
  let nanos = n ? int32(n.int) : 0;
  seconds += Math.floor(nanos / 1e9);
  nanos = ((nanos % 1e9) + 1e9) % 1e9;
  // Go's zero time is the unset value; the Unix epoch is treated the same (no client means it, and hand-built
  // bodies use it for "unset").
  if ((seconds === GO_ZERO_TIME_SECONDS || seconds === 0) && nanos === 0) return undefined;
  if (!Number.isSafeInteger(seconds) || seconds < GO_ZERO_TIME_SECONDS - 365 * 86400 || seconds > MAX_SECONDS) {
    throw new Malformed(`${what}: time out of range (year outside [0,9999])`);
  }
  return { seconds, nanos };
}

/** "YYYY-MM-DDTHH:MM:SS" in UTC. */
function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19);
}

/** meta/v1 Time: RFC 3339 with whole seconds. */
const time: Converter = (fields) => {
  const t = instant(fields, 'Time');
  return t && `${isoSeconds(t.seconds)}Z`;
};

/** meta/v1 MicroTime: RFC 3339 with exactly six fractional digits. */
const microTime: Converter = (fields) => {
  const t = instant(fields, 'MicroTime');
  return t && `${isoSeconds(t.seconds)}.${String(Math.floor(t.nanos / 1000)).padStart(6, '0')}Z`;
};

/** Digits of v / 10^prec with trailing zeros (and a bare dot) dropped, as Go's fmtFrac prints them. */
function frac(v: bigint, prec: number): [string, bigint] {
  let digits = '';
  let print = false;
  for (let i = 0; i < prec; i++) {
    const d = v % 10n;
    print ||= d !== 0n;
    if (print) digits = `${d}${digits}`;
    v /= 10n;
  }
  return [print ? `.${digits}` : '', v];
}

/** Go's time.Duration.String(), e.g. "1h2m3.5s", "1.5ms", "0s". */
export function goDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    const [unit, prec] = u < 1000n ? ['ns', 0] : u < 1_000_000n ? ['µs', 3] : ['ms', 6];
    const [f, whole] = frac(u, prec);
    out = `${whole}${f}${unit}`;
  } else {
    const [f, secs] = frac(u, 9);
    u = secs;
    out = `${u % 60n}${f}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** meta/v1 Duration: Go's duration string. */
const duration: Converter = (fields) => {
  const d = lastOf(fields, 1, WIRE_VARINT, 'Duration');
  const v = d ? d.int : 0;
  return goDuration(BigInt.asIntN(64, typeof v === 'number' ? BigInt(v) : v));
};

/** resource.Quantity: its canonical string travels as field 1. An unset quantity prints as "0". */
const quantity: Converter = (fields) => {
  const s = lastOf(fields, 1, WIRE_BYTES, 'Quantity');
  const v = s ? utf8String(s.bytes, 'Quantity') : '';
  return v === '' ? '0' : v;
};

/** intstr.IntOrString: type 0 → intVal (a number), type 1 → strVal (a string). */
const intOrString: Converter = (fields) => {
  const type = lastOf(fields, 1, WIRE_VARINT, 'IntOrString');
  const t = type ? int64(type.int) : 0;
  if (t === 0) {
    const i = lastOf(fields, 2, WIRE_VARINT, 'IntOrString');
    return i ? int32(i.int) : 0;
  }
  if (t === 1) {
    const s = lastOf(fields, 3, WIRE_BYTES, 'IntOrString');
    return s ? utf8String(s.bytes, 'IntOrString') : '';
  }
  throw new Malformed(`IntOrString: impossible type ${t}`);
};

/** A message whose only field holds raw JSON (RawExtension.raw, FieldsV1.Raw); empty is null. */
const rawJson =
  (what: string): Converter =>
  (fields) => {
    const raw = lastOf(fields, 1, WIRE_BYTES, what);
    if (!raw || raw.bytes.length === 0) return undefined;
    try {
      return JSON.parse(utf8String(raw.bytes, what)) as JsonValue;
    } catch (e) {
      if (e instanceof Malformed) throw e;
      throw new Malformed(`${what}: raw bytes are not JSON (only JSON-encoded embedded objects are supported)`);
    }
  };

/** A Go []string sent as a message with `repeated string items = 1` (ExtraValue, Verbs). */
const stringSlice: Converter = (fields) => {
  const out: string[] = [];
  for (const f of fields) {
    if (f.no !== 1) continue;
    if (f.wire !== WIRE_BYTES) throw new Malformed(`string list: field 1 has wire type ${f.wire}`);
    out.push(utf8String(f.bytes, 'string list'));
  }
  return out;
};

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** Converters by full message name. */
export const wellKnown: ReadonlyMap<string, Converter> = new Map<string, Converter>([
  [`${META}.Time`, time],
  [`${META}.MicroTime`, microTime],
  [`${META}.Duration`, duration],
  [`${META}.FieldsV1`, rawJson('FieldsV1')],
  [`${META}.Verbs`, stringSlice],
  ['k8s.io.apimachinery.pkg.api.resource.Quantity', quantity],
  ['k8s.io.apimachinery.pkg.api.resource.QuantityValue', quantity],
  ['k8s.io.apimachinery.pkg.util.intstr.IntOrString', intOrString],
  ['k8s.io.apimachinery.pkg.runtime.RawExtension', rawJson('RawExtension')],
  ['k8s.io.api.authentication.v1.ExtraValue', stringSlice],
  ['k8s.io.api.authorization.v1.ExtraValue', stringSlice],
]);
