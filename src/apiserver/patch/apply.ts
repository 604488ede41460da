// Server-side apply (application/apply-patch+yaml) as upstream's field manager runs it: the applied
// configuration is merged over the live object with structured-merge-diff semantics, becomes the applier's
// (manager, Apply) field set, fields the applier owned before but no longer applies are pruned unless
// someone else owns them, and values other managers own may only change with force (else 409 Conflict with
// FieldManagerConflict causes). Includes upstream's before-first-apply, kubectl last-applied upgrade and
// last-applied sync behaviour. Pure: returns a new object; no I/O, no clock.
import type { Schema, SchemaResolver } from '../../api/schema/types.js';
import { StatusError, type StatusCause } from '../../api/errors.js';
import type { JsonObject, KubeObject } from '../../api/types.js';
import {
  DuplicateItemError,
  ensureNamedFieldsAreMembers,
  FieldSet,
  fieldSetFromObject,
  ListItemError,
  pathToString,
  type PathElement,
} from './field-set.js';
import { assertJson, canonicalJson, clone, deepEqual, isObject } from './json-value.js';
import {
  applyUpdateOwnership,
  BEFORE_FIRST_APPLY_MANAGER,
  capUpdateManagers,
  decodeManagedFields,
  encodeManagedFields,
  filterComparison,
  managerKey,
  STRIPPED_FIELDS,
  withoutManagedFields,
  type ManagerEntry,
} from './managed-fields.js';
import { resolve } from './schema-shape.js';
import { compareObjects, mergeObjects, removeItems } from './structured-merge.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** The manager name for which upstream upgrades from, and keeps in sync, client-side apply's annotation. */
const KUBECTL_MANAGER = 'kubectl';

export interface ServerSideApplyParams {
  /** The stored object; undefined when the apply creates it. */
  live?: KubeObject;
  /** The configuration sent by the client (already decoded from YAML/JSON). */
  applied: KubeObject;
  manager: string;
  force: boolean;
  subresource?: string;
  /** The group/version the request is served at, e.g. "apps/v1". */
  apiVersion: string;
  time: string;
  schema?: Schema;
  resolver: SchemaResolver;
  /** Fields the endpoint resets (e.g. status on the main resource): never owned through it. */
  ignoredFields?: FieldSet;
}

interface Conflict {
  entry: ManagerEntry;
  path: PathElement[];
}

export function serverSideApply(p: ServerSideApplyParams): KubeObject {
  assertJson(p.applied, 'error decoding YAML');
  if (!isObject(p.applied)) throw new StatusError(400, 'BadRequest', 'error decoding YAML: the apply patch must be an object');
  const appliedMeta: unknown = (p.applied as JsonObject).metadata;
  if (isObject(appliedMeta) && appliedMeta.managedFields !== undefined && appliedMeta.managedFields !== null) {
    throw new StatusError(400, 'BadRequest', 'metadata.managedFields must be nil');
  }
  if (p.applied.apiVersion !== p.apiVersion) {
    throw new StatusError(
      400,
      'BadRequest',
      `Incorrect version specified in apply patch. Specified patch version: ${p.applied.apiVersion ?? ''}, expected: ${p.apiVersion}`,
    );
  }
  const schema = resolve(p.schema, p.resolver);
  const config = clone(p.applied as unknown as JsonObject);
  if (isObject(config.metadata)) delete config.metadata.managedFields;

  let configSet: FieldSet;
  try {
    configSet = fieldSetFromObject(config, schema, p.resolver);
  } catch (e) {
    if (e instanceof DuplicateItemError || e instanceof ListItemError) throw invalidApply(p.applied, e.message);
    throw e;
  }
  if (p.ignoredFields) configSet = configSet.recursiveDifference(p.ignoredFields);

  const live: JsonObject = p.live ? withoutManagedFields(p.live) : {};
  let entries: ManagerEntry[];
  try {
    entries = decodeManagedFields(p.live?.metadata?.managedFields);
  } catch {
    entries = [];
  }
  // Upstream skipNonAppliedManager: an existing object without records gets one manager owning it all.
  if (entries.length === 0 && p.live) {
    entries = applyUpdateOwnership({
      entries: [],
      from: {},
      to: live,
      manager: BEFORE_FIRST_APPLY_MANAGER,
      apiVersion: p.apiVersion,
      time: p.time,
      schema,
      resolver: p.resolver,
      ...(p.ignoredFields ? { ignoredFields: p.ignoredFields } : {}),
    });
  }

  const core = (force: boolean) => applyCore({ ...p, schema, live, config, configSet, entries, force });
  let result = core(p.force);
  if ('conflicts' in result && p.manager === KUBECTL_MANAGER) {
    // Upstream lastAppliedManager: fields client-side apply recorded, and still live, may be taken over.
    const allowed = allowedFromLastApplied(live, schema, p.resolver);
    const remaining = result.conflicts.filter((c) => !allowed.has(c.path));
    result = remaining.length === 0 ? core(true) : { conflicts: remaining };
  }
  if ('conflicts' in result) throw conflictError(result.conflicts);

  let obj = result.obj;
  if (p.manager === KUBECTL_MANAGER && hasLastApplied(obj)) {
    obj = clone(obj);
    (obj.metadata as JsonObject).annotations = {
      ...((obj.metadata as JsonObject).annotations as JsonObject),
      [LAST_APPLIED_ANNOTATION]: buildLastApplied(p.applied),
    };
  }
  const out = (deepEqual(obj, live) && p.live ? clone(withoutManagedFields(p.live)) : obj) as unknown as KubeObject;
  out.metadata = out.metadata ?? {};
  const encoded = encodeManagedFields(capUpdateManagers(result.entries));
  if (encoded.length > 0) out.metadata.managedFields = encoded;
  else delete out.metadata.managedFields;
  return out;
}

function applyCore(p: {
  live: JsonObject;
  config: JsonObject;
  configSet: FieldSet;
  entries: ManagerEntry[];
  force: boolean;
  manager: string;
  subresource?: string;
  apiVersion: string;
  time: string;
  schema: Schema | undefined;
  resolver: SchemaResolver;
  ignoredFields?: FieldSet;
}): { obj: JsonObject; entries: ManagerEntry[] } | { conflicts: Conflict[] } {
  const id: Omit<ManagerEntry, 'set'> = { manager: p.manager, operation: 'Apply', apiVersion: p.apiVersion };
  if (p.subresource) id.subresource = p.subresource;
  const key = managerKey(id);
  const previous = p.entries.find((e) => managerKey(e) === key);
  const others = p.entries.filter((e) => managerKey(e) !== key);

  let merged: JsonObject;
  try {
    merged = mergeObjects(p.live, p.config, p.schema, p.resolver);
  } catch (e) {
    if (e instanceof ListItemError) throw invalidApply(p.config, e.message);
    throw e;
  }

  // Prune what this applier applied last time but no longer does, unless anyone still owns it.
  if (previous && !previous.set.isEmpty()) {
    const last = ensureNamedFieldsAreMembers(previous.set, p.schema, p.resolver);
    let owned = ensureNamedFieldsAreMembers(p.configSet, p.schema, p.resolver);
    for (const e of others) owned = owned.union(ensureNamedFieldsAreMembers(e.set, p.schema, p.resolver));
    merged = removeItems(merged, last.difference(owned), p.schema, p.resolver);
  }

  const c = filterComparison(compareObjects(p.live, merged, p.schema, p.resolver), p.ignoredFields);
  const changed = c.modified.union(c.added);
  const conflicts: Conflict[] = [];
  for (const e of others) {
    for (const path of e.set.intersection(changed).paths()) conflicts.push({ entry: e, path });
  }
  if (conflicts.length > 0 && !p.force) return { conflicts };

  const next: ManagerEntry[] = [];
  for (const e of others) {
    const set = e.set.difference(changed).difference(c.removed);
    if (!set.isEmpty()) next.push({ ...e, set });
  }
  const noop = deepEqual(p.live, merged);
  const ownSet = p.configSet.difference(STRIPPED_FIELDS);
  if (!ownSet.isEmpty()) {
    const entry: ManagerEntry = { ...id, set: ownSet };
    const time = noop ? (previous?.time ?? p.time) : p.time;
    if (time) entry.time = time;
    next.push(entry);
  }
  return { obj: merged, entries: next };
}

function printManager(e: ManagerEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
  return s;
}

/** 409 as upstream's NewConflictError: one cause per conflicting field, message grouped by manager. */
function conflictError(conflicts: Conflict[]): StatusError {
  const sorted = [...conflicts].sort((a, b) => {
    const ka = managerKey(a.entry);
    const kb = managerKey(b.entry);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const causes: StatusCause[] = sorted.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.entry)}`,
    field: pathToString(c.path),
  }));
  let message: string;
  if (sorted.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(sorted[0]!.entry)}: ${pathToString(sorted[0]!.path)}`;
  } else {
    const lines: string[] = [];
    let lastKey = '';
    for (const c of sorted) {
      const k = managerKey(c.entry);
      if (k !== lastKey) {
        lines.push(`conflicts with ${printManager(c.entry)}:`);
        lastKey = k;
      }
      lines.push(`- ${pathToString(c.path)}`);
    }
    message = `Apply failed with ${sorted.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}

function invalidApply(applied: KubeObject | JsonObject, detail: string): StatusError {
  const kind = typeof applied.kind === 'string' ? applied.kind : '';
  const meta = isObject(applied.metadata) ? applied.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  return new StatusError(422, 'Invalid', `failed to create typed patch object (${kind} ${name}): ${detail}`, {
    ...(name ? { name } : {}),
    ...(kind ? { kind } : {}),
    causes: [{ reason: 'FieldValueInvalid', message: detail }],
  });
}

function lastAppliedOf(obj: JsonObject): string | undefined {
  const meta = obj.metadata;
  if (!isObject(meta) || !isObject(meta.annotations)) return undefined;
  const v = meta.annotations[LAST_APPLIED_ANNOTATION];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function hasLastApplied(obj: JsonObject): boolean {
  return lastAppliedOf(obj) !== undefined;
}

/** Upstream allowedConflictsFromLastApplied: last-applied fields whose values are still live. */
function allowedFromLastApplied(live: JsonObject, schema: Schema | undefined, resolver: SchemaResolver): FieldSet {
  const text = lastAppliedOf(live);
  if (!text) return new FieldSet();
  try {
    const last = JSON.parse(text) as unknown;
    if (!isObject(last)) return new FieldSet();
    const set = fieldSetFromObject(last, schema, resolver);
    const c = compareObjects(last, live, schema, resolver);
    return set.difference(c.modified).difference(c.added).difference(c.removed);
  } catch {
    return new FieldSet();
  }
}

/** Upstream buildLastApplied: the applied object without the annotation, as Go's JSON encoder writes it. */
function buildLastApplied(applied: KubeObject): string {
  const copy = clone(applied as unknown as JsonObject);
  const meta = copy.metadata;
  if (isObject(meta) && isObject(meta.annotations)) delete meta.annotations[LAST_APPLIED_ANNOTATION];
  return `${canonicalJson(copy)}\n`;
}
