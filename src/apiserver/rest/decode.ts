// Turns a decoded request body into an object of the addressed kind: checks apiVersion/kind, then schema
// types and unknown fields according to fieldValidation (Strict → 400, Warn → warnings, Ignore), pruning
// what the schema does not know. Built-in kinds answer type errors with upstream's 400 decode message;
// custom resources answer 422 Invalid with field causes, as upstream does.
import type { ResourceType } from '../../api/resource.js';
import { apiVersionOf, type KubeObject } from '../../api/types.js';
import { errors } from '../../api/errors.js';
import type { SchemaResolver } from '../../api/schema/types.js';
import { decodeError, validateObject } from '../../api/schema/validate.js';
import { prune } from '../../api/schema/prune.js';
import { cloneJson } from '../patch/json-value.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw errors.badRequest(`fieldValidation must be one of "Ignore", "Warn" or "Strict", got "${v}"`);
}

export interface Decoded {
  obj: KubeObject;
  warnings: string[];
}

/** Checks the body is an object of this kind; fills apiVersion/kind when absent. */
export function checkKind(rt: ResourceType, body: unknown, opts: { allowOtherKind?: string } = {}): KubeObject {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw errors.badRequest(`the object provided is unrecognized (must be of type ${rt.kind}): expected a JSON object`);
  }
  const obj = body as KubeObject;
  const expectedVersion = apiVersionOf(rt.group, rt.version);
  if (obj.kind !== undefined && obj.kind !== rt.kind && obj.kind !== opts.allowOtherKind) {
    if (typeof obj.kind !== 'string' || obj.kind === '') {
      throw errors.badRequest(`Object 'Kind' is missing in '${truncate(JSON.stringify(body))}'`);
    }
    throw errors.badRequest(`the server could not find the requested resource: ${obj.kind} is not ${rt.kind}`);
  }
  if (obj.apiVersion !== undefined && obj.apiVersion !== expectedVersion) {
    throw errors.badRequest(
      `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${expectedVersion})`,
    );
  }
  obj.apiVersion = expectedVersion;
  obj.kind = obj.kind ?? rt.kind;
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
  if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) {
    throw errors.badRequest(`${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: metadata must be an object`);
  }
  return obj;
}

/**
 * Schema checks. `isCustom` selects the CRD error style (422 with causes) instead of the built-in decode
 * error (400). Mutates obj (pruning) unless Strict rejected it. `old`: the stored object obj replaces (read only).
 */
export function checkSchema(
  rt: ResourceType,
  obj: KubeObject,
  schemas: SchemaResolver,
  mode: FieldValidation,
  isCustom: boolean,
  old?: KubeObject,
  /** obj may share members with old (a patch that leaves them alone): pruning then works on copies of them. */
  sharesOld = false,
): string[] {
  const schema = schemas.forKind(rt.group, rt.version, rt.kind);
  if (!schema) return [];
  // Parts equal to the stored object's were checked when it was written (validateObject's `old`).
  const result = validateObject(obj, schema, schemas, old === undefined ? { unknownFields: mode } : { unknownFields: mode, old });
  if (result.typeErrors.length && isCustom) throw errors.invalid(rt.group, rt.kind, obj.metadata.name ?? '', result.typeErrors);
  const failure = decodeError(rt.kind, rt.version, result, mode);
  if (failure) throw failure;
  const unknown = result.unknownFields;
  // The walk above finds every field pruning would drop (except under Ignore, where it looks for none).
  if (unknown.length > 0 || mode === 'Ignore') {
    if (sharesOld) for (const k of Object.keys(obj)) (obj as Record<string, unknown>)[k] = cloneJson(obj[k]);
    prune(obj, schema, schemas);
  }
  return mode === 'Warn' ? unknown.map((f) => `unknown field "${f}"`) : [];
}

function truncate(s: string): string {
  return s.length > 200 ? s.slice(0, 200) + '…' : s;
}
