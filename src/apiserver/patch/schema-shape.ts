// Reads the merge-relevant facts out of an OpenAPI schema node: child schemas, strategic-merge metadata
// (x-kubernetes-patch-strategy / -merge-key) and structured-merge-diff list/map semantics, derived the way
// upstream's schemaconv does (list-type first, then patch strategy, else atomic). Knows nothing of values
// beyond the key defaults it reports; no I/O.
import type { Schema, SchemaResolver } from '../../api/schema/types.js';

export type ListSemantics =
  | { type: 'atomic' }
  | { type: 'set' }
  | { type: 'map'; keys: string[] };

export function resolve(schema: Schema | undefined, resolver: SchemaResolver): Schema | undefined {
  if (!schema) return undefined;
  const r = resolver.resolve(schema) ?? schema;
  if (r.allOf && r.allOf.length === 1 && !r.properties && !r.items && !r.type) {
    return resolve(r.allOf[0], resolver) ?? r;
  }
  return r;
}

/** Schema for a member `key` of an object: a declared property, else the additionalProperties schema. */
export function childSchema(schema: Schema | undefined, key: string, resolver: SchemaResolver): Schema | undefined {
  if (!schema) return undefined;
  const prop = schema.properties?.[key];
  if (prop) return resolve(prop, resolver);
  if (typeof schema.additionalProperties === 'object') return resolve(schema.additionalProperties, resolver);
  return undefined;
}

/** True when `key` is a declared field (struct field) rather than an entry of a map. */
export function isDeclaredField(schema: Schema | undefined, key: string): boolean {
  return !!schema?.properties && Object.prototype.hasOwnProperty.call(schema.properties, key);
}

/** Raw schema of the member (before $ref resolution) so its x-kubernetes-patch-* annotations can be read. */
export function memberSchemaRaw(schema: Schema | undefined, key: string): Schema | undefined {
  if (!schema) return undefined;
  const prop = schema.properties?.[key];
  if (prop) return prop;
  if (typeof schema.additionalProperties === 'object') return schema.additionalProperties;
  return undefined;
}

export function itemsSchema(schema: Schema | undefined, resolver: SchemaResolver): Schema | undefined {
  return schema?.items ? resolve(schema.items, resolver) : undefined;
}

/** Reads an extension from the member schema itself or, when it is a $ref wrapper, from what it resolves to. */
function ext<K extends keyof Schema>(raw: Schema | undefined, resolved: Schema | undefined, key: K): Schema[K] | undefined {
  return raw?.[key] ?? resolved?.[key];
}

export interface PatchMeta {
  /** "merge", "replace" or "" (the retainKeys part is reported separately). */
  strategy: string;
  retainKeys: boolean;
  mergeKey: string;
}

/** patchMeta by member schema, with what that schema resolved to when it was read (a CRD change re-reads it). */
const patchMetas = new WeakMap<Schema, { resolved: Schema | undefined; meta: Readonly<PatchMeta> }>();

/** The member's strategic-merge metadata (shared: read it, never change it). */
export function patchMeta(raw: Schema | undefined, resolver: SchemaResolver): Readonly<PatchMeta> {
  const resolved = resolve(raw, resolver);
  if (raw === undefined) return NO_PATCH_META;
  const hit = patchMetas.get(raw);
  if (hit !== undefined && hit.resolved === resolved) return hit.meta;
  const meta = readPatchMeta(raw, resolved);
  patchMetas.set(raw, { resolved, meta });
  return meta;
}

const NO_PATCH_META: Readonly<PatchMeta> = Object.freeze({ strategy: '', retainKeys: false, mergeKey: '' });

function readPatchMeta(raw: Schema | undefined, resolved: Schema | undefined): Readonly<PatchMeta> {
  const strategies = (ext(raw, resolved, 'x-kubernetes-patch-strategy') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const retainKeys = strategies.includes('retainKeys');
  const strategy = strategies.find((s) => s !== 'retainKeys') ?? '';
  return Object.freeze({ strategy, retainKeys, mergeKey: ext(raw, resolved, 'x-kubernetes-patch-merge-key') ?? '' });
}

const ATOMIC: ListSemantics = Object.freeze({ type: 'atomic' });
const SET: ListSemantics = Object.freeze({ type: 'set' });

/** Structured-merge-diff list semantics for an array schema (schemaconv's getListElementRelationship). Shared: read only. */
export function listSemantics(schema: Schema | undefined): ListSemantics {
  if (!schema) return ATOMIC;
  const lt = schema['x-kubernetes-list-type'];
  if (lt === 'atomic') return ATOMIC;
  if (lt === 'set') return SET;
  if (lt === 'map') {
    const keys = schema['x-kubernetes-list-map-keys'];
    return keys && keys.length > 0 ? mapSemantics(schema, keys) : SET;
  }
  const ps = schema['x-kubernetes-patch-strategy'];
  if (ps === 'merge' || ps === 'merge,retainKeys' || ps === 'retainKeys,merge') {
    const mk = schema['x-kubernetes-patch-merge-key'];
    return mk ? mapSemantics(schema, [mk]) : SET;
  }
  return ATOMIC;
}

/** Map semantics by schema node, made once per node and its keys (asked for every list of every write). */
const mapSemanticsMemo = new WeakMap<Schema, { type: 'map'; keys: string[] }>();

function mapSemantics(schema: Schema, keys: string[]): ListSemantics {
  const hit = mapSemanticsMemo.get(schema);
  if (hit !== undefined && sameKeys(hit.keys, keys)) return hit;
  const sem = Object.freeze({ type: 'map' as const, keys: Object.freeze([...keys]) as string[] });
  mapSemanticsMemo.set(schema, sem);
  return sem;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function isAtomicMap(schema: Schema | undefined): boolean {
  return schema?.['x-kubernetes-map-type'] === 'atomic';
}

/** Default of a list-map key field, from the item schema (upstream getAssociativeKeyDefault). */
export function keyDefault(item: Schema | undefined, key: string, resolver: SchemaResolver): unknown {
  const prop = childSchema(item, key, resolver);
  return prop?.default;
}
