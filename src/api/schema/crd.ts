// CustomResourceDefinition schemas (apiextensions.k8s.io/v1): the structural-schema check a CRD must pass,
// conversion of a version's openAPIV3Schema into the Schema the registry serves, defaulting, and validation of
// custom resources with OpenAPI v3 keywords, producing upstream's field causes. Pruning is prune.ts.
// x-kubernetes-validations (CEL) rules are NOT evaluated; celRulePaths() lists them so callers can say so.
// Pure functions; no I/O, no registry mutation.
import type { CustomResourceDefinition, JSONSchemaProps } from 'kubernetes-types/apiextensions/v1.js';
import { cause, type StatusCause } from '../errors.js';
import { REF_PREFIX } from './registry.js';
import type { Schema, SchemaResolver } from './types.js';
import { OBJECT_META, child, deref, isDateTime, isPlainObject, openApiType } from './walk.js';
import { deepEqual } from '../../util/deep-equal.js';

type Props = JSONSchemaProps & Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------
// Structural schema check

type Level = 'root' | 'item' | 'field';

/** Causes for every served/stored version whose schema is missing or not structural. */
export function validateCrdSchemas(crd: CustomResourceDefinition): StatusCause[] {
  const out: StatusCause[] = [];
  (crd.spec?.versions ?? []).forEach((v, i) => {
    const path = `spec.versions[${i}].schema.openAPIV3Schema`;
    const schema = v.schema?.openAPIV3Schema;
    if (!schema) {
      out.push(cause.required(path, 'Required value: schemas are required'));
      return;
    }
    out.push(...structuralErrors(schema, path));
  });
  return out;
}

/** Structural-schema violations of one openAPIV3Schema, with field paths below `path`. */
export function structuralErrors(schema: JSONSchemaProps, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  checkNode(schema as Props, path, 'root', out);
  return out;
}

function checkNode(s: Props, path: string, level: Level, out: StatusCause[]): void {
  const type = s.type ?? '';
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'];

  if (s.$ref !== undefined) out.push(cause.forbidden(child(path, '$ref'), '$ref is not supported'));
  if (preserve === false) {
    out.push(cause.invalid(child(path, 'x-kubernetes-preserve-unknown-fields'), false, 'must be true or undefined'));
  }
  if (embedded && type !== 'object') {
    if (!type) out.push(cause.required(child(path, 'type'), 'Required value: must be object if x-kubernetes-embedded-resource is true'));
    else out.push(cause.invalid(child(path, 'type'), type, 'must be object if x-kubernetes-embedded-resource is true'));
  } else if (!type && !embedded && !intOrString) {
    if (level === 'root') out.push(cause.required(child(path, 'type'), 'Required value: must not be empty at the root'));
    else if (level === 'item') {
      out.push(cause.required(child(path, 'type'), 'Required value: must not be empty for specified array items'));
    } else if (preserve !== true) {
      out.push(cause.required(child(path, 'type'), 'Required value: must not be empty for specified object fields'));
    }
  }
  if (intOrString && type) out.push(cause.invalid(child(path, 'type'), type, 'must be empty if x-kubernetes-int-or-string is true'));
  if (embedded && s.additionalProperties !== undefined) {
    out.push(cause.forbidden(child(path, 'additionalProperties'), 'must not be used if x-kubernetes-embedded-resource is set'));
  }
  if (embedded && preserve !== true && !Object.keys(s.properties ?? {}).length) {
    out.push(
      cause.required(
        child(path, 'properties'),
        'Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields',
      ),
    );
  }
  if (level === 'root' && type && type !== 'object') out.push(cause.invalid(child(path, 'type'), type, 'must be object at the root'));
  if (s.properties && s.additionalProperties !== undefined && s.additionalProperties !== false) {
    out.push(cause.forbidden(child(path, 'additionalProperties'), 'additionalProperties and properties are mutual exclusive'));
  }
  if (s.uniqueItems === true) {
    out.push(cause.forbidden(child(path, 'uniqueItems'), 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  }
  if (s['x-kubernetes-list-type'] === 'map' && !(s['x-kubernetes-list-map-keys'] as unknown[] | undefined)?.length) {
    out.push(cause.required(child(path, 'x-kubernetes-list-map-keys'), 'Required value: must not be empty if x-kubernetes-list-type is map'));
  }
  if (type === 'array') {
    if (s.items === undefined) out.push(cause.required(child(path, 'items'), 'Required value: must be specified'));
  }
  if (Array.isArray(s.items)) {
    out.push(cause.forbidden(child(path, 'items'), 'items must be a schema object and not an array'));
  } else if (s.items) {
    checkNode(s.items as Props, child(path, 'items'), 'item', out);
  }
  if (level === 'root' && s.properties) {
    const kind = s.properties.kind;
    if (kind && kind.type !== 'string') out.push(cause.invalid(`${path}.properties[kind].type`, kind.type ?? '', 'must be string'));
    const apiVersion = s.properties.apiVersion;
    if (apiVersion && apiVersion.type !== 'string') {
      out.push(cause.invalid(`${path}.properties[apiVersion].type`, apiVersion.type ?? '', 'must be string'));
    }
    const metadata = s.properties.metadata as Props | undefined;
    if (metadata) checkMetadata(metadata, `${path}.properties[metadata]`, out);
  }
  for (const [name, ps] of Object.entries(s.properties ?? {})) {
    if (level === 'root' && name === 'metadata') continue;
    checkNode(ps as Props, `${path}.properties[${name}]`, 'field', out);
  }
  if (isPlainObject(s.additionalProperties)) {
    checkNode(s.additionalProperties as Props, child(path, 'additionalProperties'), 'field', out);
  }
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    (s[key] ?? []).forEach((sub, i) => checkValueValidation(sub as Props, `${path}.${key}[${i}]`, intOrString, out));
  }
  if (s.not) checkValueValidation(s.not as Props, child(path, 'not'), false, out);
  if (s.default !== undefined && !s.nullable && s.default === null) {
    out.push(cause.invalid(child(path, 'default'), null, 'must not be null for a non-nullable schema'));
  }
}

/** Inside allOf/anyOf/oneOf/not only value validations are allowed (the int-or-string pattern excepted). */
function checkValueValidation(s: Props, path: string, intOrString: boolean, out: StatusCause[]): void {
  const intOrStringType = intOrString && (s.type === 'integer' || s.type === 'string') && Object.keys(s).length === 1;
  if (s.type !== undefined && !intOrStringType) out.push(cause.forbidden(child(path, 'type'), 'must be empty to be structural'));
  for (const key of ['additionalProperties', 'default', 'description', 'nullable', 'title'] as const) {
    if (s[key] !== undefined) out.push(cause.forbidden(child(path, key), 'must be empty to be structural'));
  }
  for (const key of ['x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string']) {
    if (s[key] !== undefined) out.push(cause.forbidden(child(path, key), 'must be false to be structural'));
  }
  for (const [name, ps] of Object.entries(s.properties ?? {})) {
    checkValueValidation(ps as Props, `${path}.properties[${name}]`, false, out);
  }
  if (isPlainObject(s.items)) checkValueValidation(s.items as Props, child(path, 'items'), false, out);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    (s[key] ?? []).forEach((sub, i) => checkValueValidation(sub as Props, `${path}.${key}[${i}]`, intOrString, out));
  }
  if (s.not) checkValueValidation(s.not as Props, child(path, 'not'), false, out);
}

function checkMetadata(s: Props, path: string, out: StatusCause[]): void {
  if (s.type !== undefined && s.type !== 'object') out.push(cause.invalid(child(path, 'type'), s.type, 'must be object'));
  const allowed = new Set(['type', 'description', 'properties', 'nullable']);
  const extra = Object.keys(s).filter((k) => !allowed.has(k));
  const props = Object.keys(s.properties ?? {}).filter((p) => p !== 'name' && p !== 'generateName');
  if (extra.length || props.length) {
    out.push(
      cause.forbidden(path, 'must not specify anything other than name and generateName, but metadata is implicitly specified'),
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Conversion to the registry's Schema

const API_VERSION_DESCRIPTION =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const KIND_DESCRIPTION =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
const METADATA_DESCRIPTION =
  "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

const COPIED_KEYS = [
  'type',
  'format',
  'description',
  'required',
  'enum',
  'default',
  'nullable',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'x-kubernetes-patch-merge-key',
  'x-kubernetes-patch-strategy',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-validations',
] as const;

/** A JSONSchemaProps subtree as the internal Schema shape (no metadata handling). */
export function toSchema(p: JSONSchemaProps): Schema {
  const src = p as Props;
  const out: Record<string, unknown> = {};
  for (const key of COPIED_KEYS) if (src[key] !== undefined) out[key] = structuredClone(src[key]);
  if (p.properties) {
    out.properties = Object.fromEntries(Object.entries(p.properties).map(([k, v]) => [k, toSchema(v)]));
  }
  if (p.additionalProperties !== undefined) {
    const ap = p.additionalProperties as JSONSchemaProps | boolean;
    out.additionalProperties = typeof ap === 'boolean' ? ap : toSchema(ap);
  }
  if (p.items !== undefined) {
    const items = p.items as JSONSchemaProps | JSONSchemaProps[];
    const first = Array.isArray(items) ? items[0] : items;
    if (first) out.items = toSchema(first);
  }
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = p[key];
    if (list) out[key] = list.map(toSchema);
  }
  if (p.not) out.not = toSchema(p.not);
  return out as Schema;
}

/**
 * The Schema a CRD version serves: its openAPIV3Schema with apiVersion/kind as strings and metadata as
 * ObjectMeta (upstream's published OpenAPI does the same). Undefined when the version has no schema.
 */
export function crdVersionSchema(crd: CustomResourceDefinition, version: string): Schema | undefined {
  const v = crd.spec?.versions?.find((x) => x.name === version);
  const raw = v?.schema?.openAPIV3Schema;
  if (!raw) return undefined;
  const s = toSchema(raw);
  s.type = 'object';
  s.properties = {
    ...s.properties,
    apiVersion: { type: 'string', description: API_VERSION_DESCRIPTION },
    kind: { type: 'string', description: KIND_DESCRIPTION },
    metadata: { allOf: [{ $ref: REF_PREFIX + OBJECT_META }], description: METADATA_DESCRIPTION },
  };
  return s;
}

/** Field paths (dotted) of every x-kubernetes-validations rule in a schema: CEL is not evaluated by Skiff. */
export function celRulePaths(schema: Schema, path = ''): string[] {
  const out: string[] = [];
  if (schema['x-kubernetes-validations']?.length) out.push(path || '<root>');
  for (const [k, v] of Object.entries(schema.properties ?? {})) out.push(...celRulePaths(v, child(path, k)));
  if (schema.items) out.push(...celRulePaths(schema.items, `${path}[*]`));
  if (isPlainObject(schema.additionalProperties)) out.push(...celRulePaths(schema.additionalProperties as Schema, `${path}[*]`));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Defaulting

/**
 * Applies `default`s in place, top-down, as upstream does on decode (request bodies and reads from storage):
 * a missing property with a default gets a copy of it; a null in a non-nullable field is replaced by its
 * default or dropped. $ref'd (built-in) subtrees such as metadata are left alone.
 */
export function applyDefaults(obj: unknown, schema: Schema): void {
  if (schema.$ref || schema.allOf?.some((s) => s.$ref)) return;
  if (Array.isArray(obj)) {
    if (schema.items) for (const item of obj) applyDefaults(item, schema.items);
    return;
  }
  if (!isPlainObject(obj)) return;
  for (const [key, ps] of Object.entries(schema.properties ?? {})) {
    if (obj[key] === null && !ps.nullable) {
      if (ps.default !== undefined) obj[key] = structuredClone(ps.default);
      else delete obj[key];
    } else if (obj[key] === undefined && ps.default !== undefined) {
      obj[key] = structuredClone(ps.default);
    }
    if (obj[key] !== undefined) applyDefaults(obj[key], ps);
  }
  if (isPlainObject(schema.additionalProperties)) {
    const ap = schema.additionalProperties as Schema;
    for (const key of Object.keys(obj)) {
      if (schema.properties?.[key]) continue;
      if (obj[key] === null && !ap.nullable) {
        if (ap.default !== undefined) obj[key] = structuredClone(ap.default);
        else delete obj[key];
      }
      if (obj[key] !== undefined) applyDefaults(obj[key], ap);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Custom resource validation

/**
 * Validates a custom resource against its version's Schema (from crdVersionSchema) with OpenAPI v3
 * keywords; causes carry upstream's field paths and messages. `metadata` (a built-in $ref) is not checked
 * here: the generic ObjectMeta validation covers it.
 */
export function validateCustomResource(obj: unknown, schema: Schema, resolver?: SchemaResolver): StatusCause[] {
  const out: StatusCause[] = [];
  validateValue(obj, schema, '', out, resolver);
  return out;
}

function where(path: string): string {
  return path || 'body';
}

function typeInvalid(out: StatusCause[], path: string, actual: string, expected: string): void {
  out.push(cause.typeInvalid(path, actual, `${where(path)} in body must be of type ${expected}: "${actual}"`));
}

function goValue(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function matchesType(v: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isPlainObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
  }
  return true;
}

function validateValue(v: unknown, schema: Schema, path: string, out: StatusCause[], resolver?: SchemaResolver): void {
  if (schema.$ref || (schema.allOf?.length === 1 && schema.allOf[0]!.$ref && !schema.type)) {
    // Built-in definitions (ObjectMeta) are validated by their own code; only check the JSON shape.
    const r = resolver ? deref(schema, resolver) : undefined;
    if (r?.schema.type && v !== null && v !== undefined && !matchesType(v, r.schema.type)) typeInvalid(out, path, openApiType(v), r.schema.type);
    return;
  }
  if (v === null) {
    if (!schema.nullable && schema.type) typeInvalid(out, path, 'null', schema.type);
    return;
  }
  const intOrString = schema['x-kubernetes-int-or-string'] === true;
  if (intOrString) {
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)))) {
      typeInvalid(out, path, openApiType(v), 'integer,string');
      return;
    }
  } else if (schema.type && !matchesType(v, schema.type)) {
    typeInvalid(out, path, openApiType(v), schema.type);
    return;
  }

  if (schema.enum && !schema.enum.some((e) => deepEqual(e, v))) {
    out.push({
      reason: 'FieldValueNotSupported',
      field: path,
      message: `Unsupported value: ${goValue(v)}: supported values: ${schema.enum.map(goValue).join(', ')}`,
    });
  }

  if (typeof v === 'number') validateNumber(v, schema, path, out);
  if (typeof v === 'string') validateString(v, schema, path, out);
  if (Array.isArray(v)) validateArray(v, schema, path, out, resolver);
  if (isPlainObject(v)) validateObjectValue(v, schema, path, out, resolver);
  validateComposition(v, schema, path, out, resolver);
}

function validateNumber(v: number, s: Schema, path: string, out: StatusCause[]): void {
  const w = where(path);
  if (s.maximum !== undefined) {
    if (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum) {
      out.push(cause.invalid(path, v, `${w} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`));
    }
  }
  if (s.minimum !== undefined) {
    if (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum) {
      out.push(cause.invalid(path, v, `${w} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`));
    }
  }
  if (s.multipleOf !== undefined && s.multipleOf !== 0) {
    const q = v / s.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9) out.push(cause.invalid(path, v, `${w} in body should be a multiple of ${s.multipleOf}`));
  }
  if (s.type === 'integer' && s.format === 'int32' && (v > 2147483647 || v < -2147483648)) {
    out.push(cause.typeInvalid(path, v, `${w} in body must be of type int32: "${v}"`));
  }
}

function validateString(v: string, s: Schema, path: string, out: StatusCause[]): void {
  const w = where(path);
  const length = [...v].length;
  if (s.maxLength !== undefined && length > s.maxLength) out.push(cause.tooLong(path, s.maxLength));
  if (s.minLength !== undefined && length < s.minLength) {
    out.push(cause.invalid(path, v, `${w} in body should be at least ${s.minLength} chars long`));
  }
  if (s.pattern !== undefined) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(s.pattern, 'u');
    } catch {
      re = undefined;
    }
    if (re && !re.test(v)) out.push(cause.invalid(path, v, `${w} in body should match '${s.pattern}'`));
  }
  if (s.format && !formatOk(s.format, v)) {
    out.push(cause.typeInvalid(path, v, `${w} in body must be of type ${s.format}: ${JSON.stringify(v)}`));
  }
}

const FORMATS: Record<string, (v: string) => boolean> = {
  'date-time': isDateTime,
  datetime: isDateTime,
  date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)),
  byte: (v) => /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0,
  uuid: (v) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v),
  ipv4: (v) => /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(v),
  ipv6: (v) => v.includes(':') && /^[0-9a-fA-F:.]+$/.test(v),
  cidr: (v) => {
    const [ip, bits, rest] = v.split('/');
    if (rest !== undefined || bits === undefined || !/^\d+$/.test(bits)) return false;
    return FORMATS.ipv4!(ip!) ? Number(bits) <= 32 : FORMATS.ipv6!(ip!) && Number(bits) <= 128;
  },
  hostname: (v) =>
    v.length <= 255 && v.split('.').every((l) => /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(l)),
  email: (v) => /^[^\s@]+@[^\s@]+$/.test(v),
  mac: (v) => /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(v),
  duration: (v) => /^(-?\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v) || /^\d+\s*(ns|us|ms|s|m|h|d|w|minute|minutes|second|seconds|hour|hours|day|days)$/.test(v),
  hexcolor: (v) => /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(v),
};

function formatOk(format: string, v: string): boolean {
  const check = FORMATS[format];
  return check ? check(v) : true;
}

function validateArray(v: unknown[], s: Schema, path: string, out: StatusCause[], resolver?: SchemaResolver): void {
  const w = where(path);
  if (s.maxItems !== undefined && v.length > s.maxItems) {
    out.push({ reason: 'FieldValueTooMany', field: path, message: `Too many: ${v.length}: must have at most ${s.maxItems} items` });
  }
  if (s.minItems !== undefined && v.length < s.minItems) {
    out.push(cause.invalid(path, v, `${w} in body should have at least ${s.minItems} items`));
  }
  if (s.uniqueItems && v.some((x, i) => v.findIndex((y) => deepEqual(x, y)) !== i)) {
    out.push(cause.duplicate(path, v));
  }
  if (s.items) v.forEach((item, i) => validateValue(item, s.items!, `${path}[${i}]`, out, resolver));
  const listType = s['x-kubernetes-list-type'];
  if (listType === 'set') {
    v.forEach((x, i) => {
      if (v.findIndex((y) => deepEqual(x, y)) !== i) out.push(cause.duplicate(`${path}[${i}]`, x));
    });
  } else if (listType === 'map') {
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    const seen: unknown[] = [];
    v.forEach((x, i) => {
      if (!isPlainObject(x)) return;
      const key = Object.fromEntries(keys.map((k) => [k, x[k] ?? s.items?.properties?.[k]?.default ?? null]));
      if (seen.some((k) => deepEqual(k, key))) out.push(cause.duplicate(`${path}[${i}]`, key));
      else seen.push(key);
    });
  }
}

function validateObjectValue(
  v: Record<string, unknown>,
  s: Schema,
  path: string,
  out: StatusCause[],
  resolver?: SchemaResolver,
): void {
  const w = where(path);
  const n = Object.keys(v).length;
  if (s.maxProperties !== undefined && n > s.maxProperties) {
    out.push({ reason: 'FieldValueTooMany', field: path, message: `Too many: ${n}: must have at most ${s.maxProperties} items` });
  }
  if (s.minProperties !== undefined && n < s.minProperties) {
    out.push(cause.invalid(path, v, `${w} in body should have at least ${s.minProperties} properties`));
  }
  for (const r of s.required ?? []) if (v[r] === undefined) out.push(cause.required(child(path, r)));
  if (s['x-kubernetes-embedded-resource']) {
    for (const key of ['apiVersion', 'kind']) {
      if (typeof v[key] !== 'string' || v[key] === '') out.push(cause.required(child(path, key), 'Required value: must not be empty'));
    }
  }
  for (const [key, value] of Object.entries(v)) {
    const ps = s.properties?.[key];
    if (ps) validateValue(value, ps, child(path, key), out, resolver);
    else if (isPlainObject(s.additionalProperties)) {
      validateValue(value, s.additionalProperties as Schema, child(path, key), out, resolver);
    }
  }
}

function validateComposition(v: unknown, s: Schema, path: string, out: StatusCause[], resolver?: SchemaResolver): void {
  const w = where(path);
  const run = (sub: Schema): StatusCause[] => {
    const errs: StatusCause[] = [];
    // Value validations apply to the same value; only the constraints in `sub` are checked.
    validateValue(v, sub, path, errs, resolver);
    return errs;
  };
  if (s.allOf && !(s.allOf.length === 1 && s.allOf[0]!.$ref)) {
    const errs = s.allOf.flatMap(run);
    if (errs.length) {
      out.push(...errs);
      out.push(cause.invalid(path, v, `${w} in body must validate all the schemas (allOf)`));
    }
  }
  if (s.anyOf) {
    const results = s.anyOf.map(run);
    if (!results.some((r) => r.length === 0)) {
      out.push(...(results[0] ?? []));
      out.push(cause.invalid(path, v, `${w} in body must validate at least one schema (anyOf)`));
    }
  }
  if (s.oneOf) {
    const ok = s.oneOf.map(run).filter((r) => r.length === 0).length;
    if (ok !== 1) out.push(cause.invalid(path, v, `${w} in body must validate one and only one schema (oneOf)`));
  }
  if (s.not && run(s.not).length === 0) {
    out.push(cause.invalid(path, v, `${w} in body should not validate the schema (not)`));
  }
}
