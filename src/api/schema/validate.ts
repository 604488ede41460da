// Decode-time checks of a request body against a kind's schema, as upstream's JSON decoding does for
// built-in kinds: type mismatches (Go's "cannot unmarshal" errors, quantities, times, int-or-string) and
// unknown fields (strict decoding, reported as dotted paths like "spec.template.spec.containers[0].foo").
// It does not check semantic rules (those are the kinds' strategies) nor OpenAPI value constraints (CRDs:
// crd.ts). It never mutates the object.
import { cause, errors, type StatusCause, type StatusError } from '../errors.js';
import { isBuiltinDefinition } from './registry.js';
import { deepEqual } from '../../util/deep-equal.js';
import type { Schema, SchemaResolver } from './types.js';
import {
  INT_OR_STRING,
  QUANTITY,
  QUANTITY_FORMAT_ERROR,
  child,
  deref,
  goJsonType,
  isDateTime,
  isPlainObject,
  knownProperties,
  openApiType,
  quantityError,
} from './walk.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface ValidationOptions {
  unknownFields: FieldValidation;
  /**
   * Message style of type errors: "go" mimics the JSON decoding of compiled-in kinds (400), "openapi" the
   * schema validation of custom resources (422 causes). Default: "go" for built-in definitions.
   */
  style?: 'go' | 'openapi';
  /**
   * The stored object this one replaces: members deep-equal to its members were checked (and pruned) when
   * it was written, so they are not walked again (an update's unchanged parts cost a comparison only).
   */
  old?: unknown;
}

export interface ValidationResult {
  /** One cause per type mismatch; `message` is upstream's decoding error text, `field` the display path. */
  typeErrors: StatusCause[];
  /** Unknown field paths (empty when unknownFields is Ignore). */
  unknownFields: string[];
}

/**
 * The walk's state. Paths are kept as stacks of segments and joined only when a mismatch or unknown field is
 * reported (most walks report nothing, and a joined path per visited field was most of what a walk allocated).
 */
interface Ctx {
  resolver: SchemaResolver;
  go: boolean;
  collectUnknown: boolean;
  out: ValidationResult;
  /** The display path of the value being walked: keys, and list indices as numbers ("a.b[0].c"). */
  field: (string | number)[];
  /** Go's dotted path (struct fields only, no indices). */
  goPath: string[];
}

/** A display path from its segments, as child() and "[i]" join them. */
function joinField(segs: readonly (string | number)[]): string {
  let s = '';
  for (const x of segs) s = typeof x === 'number' ? `${s}[${x}]` : child(s, x);
  return s;
}

function joinGoPath(segs: readonly string[]): string {
  let s = '';
  for (const x of segs) s = child(s, x);
  return s;
}

export function validateObject(
  obj: unknown,
  schema: Schema,
  resolver: SchemaResolver,
  opts: ValidationOptions,
): ValidationResult {
  const go = (opts.style ?? (isBuiltinDefinition(schema) ? 'go' : 'openapi')) === 'go';
  const ctx: Ctx = { resolver, go, collectUnknown: opts.unknownFields !== 'Ignore', out: { typeErrors: [], unknownFields: [] }, field: [], goPath: [] };
  const root = deref(schema, resolver);
  if (!root) return ctx.out;
  if (!isPlainObject(obj)) {
    if (!go) {
      openApiMismatch(ctx, obj, 'object');
      return ctx.out;
    }
    ctx.out.typeErrors.push({
      reason: 'FieldValueTypeInvalid',
      message: `json: cannot unmarshal ${goJsonType(obj)} into Go value of type ${goTypeOf(schema, resolver)}`,
    });
    return ctx.out;
  }
  const kind = root.schema['x-kubernetes-group-version-kind']?.[0]?.kind;
  walkStruct(obj, root.schema, root.name ?? kind, ctx, opts.old);
  return ctx.out;
}

/** Go type name for error messages: "int32", "[]v1.Container", "map[string]string", "v1.PodSpec". */
function goTypeOf(schema: Schema, resolver: SchemaResolver): string {
  const r = deref(schema, resolver);
  if (!r) return 'interface {}';
  const s = r.schema;
  if (r.name) {
    const parts = r.name.split('.');
    if (s.type === 'object' || r.name === QUANTITY || r.name === INT_OR_STRING || s['x-kubernetes-preserve-unknown-fields']) {
      return `${parts[parts.length - 2]}.${parts[parts.length - 1]}`;
    }
  }
  switch (s.type) {
    case 'string':
      return s.format === 'byte' ? '[]uint8' : 'string';
    case 'boolean':
      return 'bool';
    case 'integer':
      return s.format === 'int64' ? 'int64' : 'int32';
    case 'number':
      return 'float64';
    case 'array':
      return `[]${s.items ? goTypeOf(s.items, resolver) : 'interface {}'}`;
    case 'object':
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        return `map[string]${goTypeOf(s.additionalProperties, resolver)}`;
      }
      return 'map[string]interface {}';
  }
  return 'interface {}';
}

function typeError(ctx: Ctx, message: string): void {
  ctx.out.typeErrors.push({ reason: 'FieldValueTypeInvalid', message, field: joinField(ctx.field) });
}

function openApiMismatch(ctx: Ctx, value: unknown, expected: string): void {
  const field = joinField(ctx.field);
  const actual = openApiType(value);
  ctx.out.typeErrors.push(cause.typeInvalid(field, actual, `${field || 'body'} in body must be of type ${expected}: "${actual}"`));
}

/**
 * `structDef` is the definition of the Go struct holding the field (its short name is the struct's, made only
 * here: most walks find no mismatch); the field's paths are the walk's (ctx.field, ctx.goPath).
 */
function mismatch(ctx: Ctx, value: unknown, schema: Schema, structDef: string | undefined): void {
  const structName = shortName(structDef);
  if (!ctx.go) {
    const s = deref(schema, ctx.resolver)?.schema;
    openApiMismatch(ctx, value, s?.type ?? 'object');
    return;
  }
  const jsonType = goJsonType(value);
  // Go names the literal only when a number does not fit a numeric field ("number 1.5").
  const numericTarget = deref(schema, ctx.resolver)?.schema.type === 'integer';
  const shown = jsonType === 'number' && numericTarget ? `number ${String(value)}` : jsonType;
  typeError(ctx, `json: cannot unmarshal ${shown} into Go struct field ${structName}.${joinGoPath(ctx.goPath)} of type ${goTypeOf(schema, ctx.resolver)}`);
}

function shortName(defName: string | undefined): string {
  if (!defName) return '';
  return defName.slice(defName.lastIndexOf('.') + 1);
}

/**
 * A value equal to the one it replaces at the same place, which was checked when that was written (see
 * ValidationOptions.old): the same scalar (a timestamp, a name) or a deep-equal object or list. null is
 * never skipped (it is no check either way).
 */
function unchanged(value: unknown, prev: unknown): boolean {
  if (value === null) return false;
  if (value === prev) return true;
  return typeof value === 'object' && deepEqual(value, prev);
}

/** `old`: the value this one replaces, if any (see ValidationOptions.old). */
function walkStruct(obj: Record<string, unknown>, s: Schema, defName: string | undefined, ctx: Ctx, old?: unknown): void {
  const olds = old !== undefined && isPlainObject(old) ? old : undefined;
  const known = knownProperties(s);
  const props = known ?? s.properties ?? {};
  const structName = defName;
  const { field, goPath } = ctx;
  for (const key in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
    const value = obj[key];
    const prev = olds?.[key];
    if (prev !== undefined && unchanged(value, prev)) continue;
    const ps = props[key];
    field.push(key);
    if (ps) {
      goPath.push(key);
      walkValue(value, ps, structName, ctx, prev);
      goPath.pop();
    } else if (s.additionalProperties && typeof s.additionalProperties === 'object') {
      // Go's path stays the struct's, or is the key at the top (`goPath || key`).
      const top = joinGoPath(goPath) === '';
      if (top) goPath.push(key);
      walkValue(value, s.additionalProperties, structName, ctx, prev);
      if (top) goPath.pop();
    } else if (known && ctx.collectUnknown) {
      ctx.out.unknownFields.push(joinField(field));
    }
    field.pop();
  }
}

/** `structName`: the definition name of the struct holding the value (see mismatch); its paths are ctx's. */
function walkValue(value: unknown, schema: Schema, structName: string | undefined, ctx: Ctx, old?: unknown): void {
  if (value === null || value === undefined) return; // Go decodes null as the zero value
  const r = deref(schema, ctx.resolver);
  if (!r) return;
  const s = r.schema;
  const name = r.name;

  if (name === INT_OR_STRING || s['x-kubernetes-int-or-string']) {
    if (typeof value === 'string') return;
    if (typeof value === 'number' && Number.isInteger(value) && (!ctx.go || Math.abs(value) <= 2147483647)) return;
    if (!ctx.go) return openApiMismatch(ctx, value, 'integer,string');
    const shown = typeof value === 'number' ? `number ${value}` : goJsonType(value);
    typeError(ctx, `json: cannot unmarshal ${shown} into Go value of type int32`);
    return;
  }
  if (name === QUANTITY) {
    if (typeof value === 'number') return;
    if (typeof value !== 'string') {
      typeError(ctx, QUANTITY_FORMAT_ERROR);
      return;
    }
    const err = quantityError(value);
    if (err) typeError(ctx, err);
    return;
  }
  if (s['x-kubernetes-preserve-unknown-fields'] && !s.properties && !s.additionalProperties) {
    if (s.type === 'object' && !isPlainObject(value)) mismatch(ctx, value, schema, structName);
    return;
  }
  if (s.format === 'date-time' && s.type === 'string') {
    if (typeof value !== 'string') {
      if (!ctx.go) return openApiMismatch(ctx, value, 'string');
      typeError(ctx, `json: cannot unmarshal ${goJsonType(value)} into Go value of type string`);
    } else if (value !== '' && !isDateTime(value)) {
      if (!ctx.go) {
        const field = joinField(ctx.field);
        ctx.out.typeErrors.push(cause.typeInvalid(field, value, `${field} in body must be of type date-time: ${JSON.stringify(value)}`));
        return;
      }
      typeError(ctx, `parsing time "${value}" as "2006-01-02T15:04:05Z07:00": cannot parse "${value}" as "2006"`);
    }
    return;
  }

  switch (s.type) {
    case 'object': {
      if (!isPlainObject(value)) return mismatch(ctx, value, schema, structName);
      if (s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties) {
        const olds = old !== undefined && isPlainObject(old) ? old : undefined;
        for (const k in value) {
          if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
          const v = value[k];
          const prev = olds?.[k];
          if (prev !== undefined && unchanged(v, prev)) continue;
          ctx.field.push(k);
          walkValue(v, s.additionalProperties, structName, ctx, prev);
          ctx.field.pop();
        }
        return;
      }
      return walkStruct(value, s, name, ctx, old);
    }
    case 'array': {
      if (!Array.isArray(value)) return mismatch(ctx, value, schema, structName);
      const items = s.items;
      if (!items) return;
      const olds = Array.isArray(old) ? old : undefined;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        const prev = olds?.[i];
        if (prev !== undefined && unchanged(item, prev)) continue;
        ctx.field.push(i);
        walkValue(item, items, structName, ctx, prev);
        ctx.field.pop();
      }
      return;
    }
    case 'string':
      if (typeof value !== 'string') mismatch(ctx, value, schema, structName);
      else if (s.format === 'byte' && !/^[A-Za-z0-9+/]*={0,2}$/.test(value.replace(/\s/g, ''))) {
        typeError(ctx, 'illegal base64 data at input byte 0');
      }
      return;
    case 'boolean':
      if (typeof value !== 'boolean') mismatch(ctx, value, schema, structName);
      return;
    case 'integer': {
      const limit = s.format === 'int64' || !ctx.go ? Number.MAX_SAFE_INTEGER : 2147483647;
      if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > limit) {
        mismatch(ctx, value, schema, structName);
      }
      return;
    }
    case 'number':
      if (typeof value !== 'number') mismatch(ctx, value, schema, structName);
      return;
  }
}

/**
 * The 400 upstream returns when a built-in kind's body cannot be decoded: the first type error, or (under
 * Strict) every unknown field. Undefined when the body decodes.
 */
export function decodeError(
  kind: string,
  version: string,
  result: ValidationResult,
  policy: FieldValidation,
): StatusError | undefined {
  const prefix = `${kind} in version "${version}" cannot be handled as a ${kind}: `;
  const first = result.typeErrors[0];
  if (first) return errors.badRequest(prefix + (first.message ?? ''));
  if (policy === 'Strict' && result.unknownFields.length) {
    return errors.badRequest(prefix + `strict decoding error: ${result.unknownFields.map((f) => `unknown field "${f}"`).join(', ')}`);
  }
  return undefined;
}

/** Warning header texts for fieldValidation=Warn (upstream: one `unknown field "<path>"` per field). */
export function unknownFieldWarnings(result: ValidationResult): string[] {
  return result.unknownFields.map((f) => `unknown field "${f}"`);
}
