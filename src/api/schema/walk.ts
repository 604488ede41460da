// Small helpers shared by schema validation, pruning and CRD handling: following $refs while remembering
// the definition name, JSON type names, and the quantity / date-time syntax checks upstream applies while
// decoding. Pure functions only.
import { REF_PREFIX, refName } from './registry.js';
import type { Schema, SchemaResolver } from './types.js';
import { memoByText } from '../../util/text-memo.js';

export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** Fields every x-kubernetes-embedded-resource object has, whatever its schema lists. */
export const EMBEDDED_META: Record<string, Schema> = {
  apiVersion: { type: 'string' },
  kind: { type: 'string' },
  metadata: { $ref: REF_PREFIX + OBJECT_META },
};

/**
 * The properties an object schema knows, or undefined when it accepts any key: the rule both pruning and
 * unknown-field detection follow (preserve-unknown-fields, additionalProperties, embedded resources).
 */
export function knownProperties(s: Schema): Record<string, Schema> | undefined {
  if (s['x-kubernetes-preserve-unknown-fields'] === true || s.additionalProperties === true) return undefined;
  if (s.additionalProperties && typeof s.additionalProperties === 'object') return undefined;
  const props = s.properties ?? {};
  return s['x-kubernetes-embedded-resource'] === true ? { ...EMBEDDED_META, ...props } : props;
}

export interface Resolved {
  schema: Schema;
  /** Name of the last definition followed, when the schema came from a $ref. */
  name?: string;
}

/** deref results by schema node, per resolver and its generation (see SchemaResolver.generation). */
const derefMemo = new WeakMap<SchemaResolver, { generation: number; resolved: WeakMap<Schema, Resolved | null> }>();

/**
 * Follows $ref and single-$ref allOf wrappers; keeps the wrapper's description out of the way. The result
 * may be shared between calls: read it, never change it.
 */
export function deref(schema: Schema, resolver: SchemaResolver): Resolved | undefined {
  const generation = resolver.generation;
  if (generation === undefined) return follow(schema, resolver);
  let memo = derefMemo.get(resolver);
  if (memo === undefined || memo.generation !== generation) {
    memo = { generation, resolved: new WeakMap() };
    derefMemo.set(resolver, memo);
  }
  let hit = memo.resolved.get(schema);
  if (hit === undefined) {
    hit = follow(schema, resolver) ?? null;
    memo.resolved.set(schema, hit);
  }
  return hit ?? undefined;
}

function follow(schema: Schema, resolver: SchemaResolver): Resolved | undefined {
  let s: Schema | undefined = schema;
  let name: string | undefined;
  for (let i = 0; s && i < 32; i++) {
    const ref: string | undefined = s.$ref ?? (s.allOf?.length === 1 && !s.type && !s.properties ? s.allOf[0]!.$ref : undefined);
    if (!ref) return { schema: s, name };
    name = refName(ref) ?? name;
    s = resolver.resolve({ $ref: ref });
  }
  return s ? { schema: s, name } : undefined;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON type name as Go's encoding/json names it in UnmarshalTypeError ("bool", "number", ...). */
export function goJsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  return 'object';
}

/** JSON type name as OpenAPI validation names it ("boolean", "integer", ...). */
export function openApiType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/**
 * Checks quantity syntax as resource.ParseQuantity; returns the upstream error text or undefined. Answers by
 * text are kept (a few values — "100m", "64Mi" — recur in every pod, and the match allocated a result per
 * call); bounded: emptied when full.
 */
export const quantityError: (s: string) => string | undefined = memoByText(quantitySyntaxError);

function quantitySyntaxError(s: string): string | undefined {
  const m = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$/.exec(s);
  if (!m) return QUANTITY_FORMAT_ERROR;
  const suffix = m[2]!;
  if (!/^[eEinumkKMGTP]*[-+]?[0-9]*$/.test(suffix)) return QUANTITY_FORMAT_ERROR;
  if (suffix === '' || /^(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)$/.test(suffix) || /^[eE][-+]?[0-9]+$/.test(suffix)) {
    return undefined;
  }
  return "unable to parse quantity's suffix";
}

/** The ASCII digit at s[i] as a number, or -1. */
function digitAt(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/** The two ASCII digits at s[i], s[i+1] as a number, or -1. */
function twoDigits(s: string, i: number): number {
  const a = digitAt(s, i);
  const b = digitAt(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/**
 * RFC 3339 date-time as upstream's time decoding takes it: YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM), 't' and
 * 'z' accepted, month 1-12, day 1-31, hour < 24, minute < 60, second < 61. Scanned by hand (every timestamp
 * of every write is checked; a regular expression with captures allocated a match per call).
 */
export function isDateTime(s: string): boolean {
  const n = s.length;
  if (n < 20) return false;
  if (twoDigits(s, 0) < 0 || twoDigits(s, 2) < 0) return false;
  const mo = twoDigits(s, 5);
  const d = twoDigits(s, 8);
  const h = twoDigits(s, 11);
  const mi = twoDigits(s, 14);
  const se = twoDigits(s, 17);
  if (s[4] !== '-' || s[7] !== '-' || (s[10] !== 'T' && s[10] !== 't') || s[13] !== ':' || s[16] !== ':') return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h >= 24 || mi < 0 || mi >= 60 || se < 0 || se >= 61) return false;
  let i = 19;
  if (s[i] === '.') {
    const start = ++i;
    while (i < n && digitAt(s, i) >= 0) i++;
    if (i === start) return false;
  }
  const zone = s[i];
  if (zone === 'Z' || zone === 'z') return i === n - 1;
  if (zone !== '+' && zone !== '-') return false;
  return i === n - 6 && twoDigits(s, i + 1) >= 0 && s[i + 3] === ':' && twoDigits(s, i + 4) >= 0;
}

/** Joins a display field path ("spec" + "replicas" → "spec.replicas"). */
export function child(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
