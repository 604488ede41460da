// Small helpers shared by schema validation, pruning and CRD handling: following $refs while remembering
// the definition name, JSON type names, and the quantity / date-time syntax checks upstream applies while
// decoding. Pure functions only.
import { REF_PREFIX, refName } from './registry.js';
import type { Schema, SchemaResolver } from './types.js';

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

/** Checks quantity syntax as resource.ParseQuantity; returns the upstream error text or undefined. */
export function quantityError(s: string): string | undefined {
  const m = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$/.exec(s);
  if (!m) return QUANTITY_FORMAT_ERROR;
  const suffix = m[2]!;
  if (!/^[eEinumkKMGTP]*[-+]?[0-9]*$/.test(suffix)) return QUANTITY_FORMAT_ERROR;
  if (suffix === '' || /^(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)$/.test(suffix) || /^[eE][-+]?[0-9]+$/.test(suffix)) {
    return undefined;
  }
  return "unable to parse quantity's suffix";
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function isDateTime(s: string): boolean {
  const m = RFC3339.exec(s);
  if (!m) return false;
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && se < 61;
}

/** Joins a display field path ("spec" + "replicas" → "spec.replicas"). */
export function child(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
