// metadata.managedFields bookkeeping as upstream's field manager (k8s.io/apimachinery/pkg/util/managedfields)
// keeps it on every write: decoding/encoding entries (sorted Apply first, then by time, manager, apiVersion,
// subresource), recording which manager changed which fields on create/update/patch ("Update" operations),
// stripping identity metadata from sets, and capping the number of Update entries. Pure: mutates only the
// object it is given; no I/O, no clock (the caller passes the time).
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1.js';
import type { Schema, SchemaResolver } from '../../api/schema/types.js';
import type { JsonObject, JsonValue, KubeObject } from '../../api/types.js';
import { FieldSet, fieldPE, hasKeys } from './field-set.js';
import { deepEqual, isObject } from './json-value.js';
import { resolve } from './schema-shape.js';
import { compareObjects, createdFieldsV1, type Comparison } from './structured-merge.js';

export type Operation = 'Apply' | 'Update';

/** One manager's ownership: upstream's (manager identifier → versioned set, time). */
export interface ManagerEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  subresource?: string;
  time?: string;
  set: FieldSet;
}

/** Upstream DefaultMaxUpdateManagers and the bucket older Update entries are folded into. */
export const MAX_UPDATE_MANAGERS = 10;
export const ANCIENT_CHANGES_MANAGER = 'ancient-changes';
export const BEFORE_FIRST_APPLY_MANAGER = 'before-first-apply';

const IDENTITY_METADATA = ['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'];

/** Paths never owned by anyone (upstream stripMetaManager). */
export const STRIPPED_FIELDS = FieldSet.of(
  [fieldPE('apiVersion')],
  [fieldPE('kind')],
  [fieldPE('metadata')],
  ...IDENTITY_METADATA.map((f) => [fieldPE('metadata'), fieldPE(f)]),
);

/** STRIPPED_FIELDS as createdFieldsV1 takes them: by top-level element, "" for the element itself. */
const STRIPPED_AT_CREATE: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  [fieldPE('apiVersion'), new Set([''])],
  [fieldPE('kind'), new Set([''])],
  [fieldPE('metadata'), new Set(['', ...IDENTITY_METADATA.map(fieldPE)])],
]);

/**
 * What a write to the main resource of a kind with a status subresource resets, and so nobody owns through
 * it (upstream's GetResetFields of such kinds: status, e.g. the phase and QoS class a pod's create sets).
 */
export const STATUS_RESET = FieldSet.of([fieldPE('status')]);

/** The field names of a set holding top-level fields only (as STATUS_RESET); undefined for any other set. */
function topLevelFields(set: FieldSet): string[] | undefined {
  for (const pe of set.childElements()) if (!set.withPrefix(pe).isEmpty()) return undefined;
  const names: string[] = [];
  for (const pe of set.memberElements()) {
    if (!pe.startsWith('f:')) return undefined;
    names.push(pe.slice(2));
  }
  return names;
}

/** topLevelFields(STATUS_RESET), the reset fields of every create of a kind with a status subresource. */
const STATUS_RESET_TOP: readonly string[] | undefined = topLevelFields(STATUS_RESET);

/**
 * Identity of an entry as upstream's BuildManagerIdentifier: no time, and no apiVersion for appliers. One
 * string per identity and identity per string (the manager and apiVersion length-prefixed, the operation one
 * of two words), built without JSON.stringify (it is made for every entry of every write).
 */
export function managerKey(e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  const apiVersion = e.operation === 'Apply' ? '' : e.apiVersion;
  return `${e.manager.length}:${e.manager}${e.operation}${apiVersion.length}:${apiVersion}${e.subresource ?? ''}`;
}

export class ManagedFieldsError extends Error {}

/**
 * Decodes metadata.managedFields; throws ManagedFieldsError for entries upstream would refuse. `stored` says
 * the entries are what this server encoded (a stored object's), so unchanged sets re-encode to them as they are.
 */
export function decodeManagedFields(entries: unknown, stored = false): ManagerEntry[] {
  if (entries === undefined || entries === null) return [];
  if (!Array.isArray(entries)) throw new ManagedFieldsError('managedFields must be a list');
  const byKey = new Map<string, ManagerEntry>();
  for (const raw of entries as unknown[]) {
    if (!isObject(raw)) throw new ManagedFieldsError('managedFields entry must be an object');
    const op = raw.operation;
    if (op !== 'Apply' && op !== 'Update') throw new ManagedFieldsError('operation must be `Apply` or `Update`');
    if (raw.fieldsType !== 'FieldsV1') throw new ManagedFieldsError(`invalid fieldsType: ${JSON.stringify(raw.fieldsType ?? '')}`);
    const set = FieldSet.fromFieldsV1(raw.fieldsV1 ?? {}, stored);
    const e: ManagerEntry = {
      manager: typeof raw.manager === 'string' ? raw.manager : '',
      operation: op,
      apiVersion: typeof raw.apiVersion === 'string' ? raw.apiVersion : '',
      set,
    };
    if (typeof raw.subresource === 'string' && raw.subresource) e.subresource = raw.subresource;
    if (typeof raw.time === 'string') e.time = raw.time;
    byKey.set(managerKey(e), e);
  }
  return [...byKey.values()];
}

/** Entry times already parsed (every sort of the entries compares them; a handful of times recur). Bounded. */
const parsedTimes = new Map<string, number>();

function seconds(t: string | undefined): number {
  if (!t) return 0;
  let s = parsedTimes.get(t);
  if (s === undefined) {
    const ms = Date.parse(t);
    s = Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
    if (parsedTimes.size >= 1024) parsedTimes.clear();
    parsedTimes.set(t, s);
  }
  return s;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

type EntryOrder = { operation?: string; time?: string; manager?: string; apiVersion?: string; subresource?: string };

/** Upstream's order of managedFields entries: operation, time (seconds), manager, apiVersion, subresource. */
function compareEntries(a: EntryOrder, b: EntryOrder): number {
  return (
    cmp(a.operation ?? '', b.operation ?? '') ||
    seconds(a.time) - seconds(b.time) ||
    cmp(a.manager ?? '', b.manager ?? '') ||
    cmp(a.apiVersion ?? '', b.apiVersion ?? '') ||
    cmp(a.subresource ?? '', b.subresource ?? '')
  );
}

/** Encodes entries as upstream: empty sets dropped, sorted by operation, time, manager, apiVersion, subresource. */
export function encodeManagedFields(entries: ManagerEntry[]): ManagedFieldsEntry[] {
  return entries
    .filter((e) => !e.set.isEmpty())
    .sort(compareEntries)
    .map((e) => {
      const out: ManagedFieldsEntry = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion };
      if (e.time) out.time = e.time;
      out.fieldsType = 'FieldsV1';
      out.fieldsV1 = e.set.toFieldsV1();
      if (e.subresource) out.subresource = e.subresource;
      return out;
    });
}

/** The object without metadata.managedFields, as the comparisons see it. */
export function withoutManagedFields(obj: KubeObject): JsonObject {
  // The object being written has had them removed already (recordUpdate): no copy.
  if (isObject(obj.metadata as JsonValue) && !Object.prototype.hasOwnProperty.call(obj.metadata, 'managedFields')) return obj as unknown as JsonObject;
  const { managedFields: _drop, ...meta } = obj.metadata ?? {};
  return { ...(obj as unknown as JsonObject), metadata: meta as JsonObject };
}

/** Upstream's isResetManagedFields: `[]` or `[{}]` sent by a client clears the ownership records. */
function isReset(mf: unknown): boolean {
  if (!Array.isArray(mf)) return false;
  if (mf.length === 0) return true;
  return mf.length === 1 && isObject(mf[0]) && Object.keys(mf[0]).length === 0;
}

/** Drops the ignored (reset) fields from a comparison, as upstream's per-version IgnoreFilter does. */
export function filterComparison(c: Comparison, ignored: FieldSet | undefined): Comparison {
  if (!ignored || ignored.isEmpty()) return c;
  return {
    added: c.added.recursiveDifference(ignored),
    modified: c.modified.recursiveDifference(ignored),
    removed: c.removed.recursiveDifference(ignored),
  };
}

/**
 * Folds the oldest Update entries into "ancient-changes" (one per apiVersion) until at most
 * MAX_UPDATE_MANAGERS Update entries remain (upstream capManagersManager).
 */
export function capUpdateManagers(entries: ManagerEntry[]): ManagerEntry[] {
  const updaters = entries.filter((e) => e.operation === 'Update');
  if (updaters.length <= MAX_UPDATE_MANAGERS) return entries;
  updaters.sort((a, b) => seconds(a.time) - seconds(b.time) || cmp(a.manager, b.manager));
  const result = new Map(entries.map((e) => [managerKey(e), e]));
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > MAX_UPDATE_MANAGERS; i++) {
    const e = updaters[i]!;
    const bucketKey = managerKey({ manager: ANCIENT_CHANGES_MANAGER, operation: 'Update', apiVersion: e.apiVersion });
    const key = managerKey(e);
    if (key === bucketKey) continue;
    const bucket = result.get(bucketKey);
    if (bucket) {
      bucket.set = e.set.union(bucket.set);
      bucket.time = e.time;
    } else {
      result.set(bucketKey, { manager: ANCIENT_CHANGES_MANAGER, operation: 'Update', apiVersion: e.apiVersion, time: e.time, set: e.set });
      length++;
    }
    result.delete(key);
    length--;
  }
  return [...result.values()];
}

/** What a comparison adds or changes (`changed`), and of that what a manager takes (`self`: no identity metadata). */
export interface ChangedFields {
  changed: FieldSet;
  self: FieldSet;
}

export function changedFields(c: Comparison): ChangedFields {
  // compareObjects' oneChangedSet gives the union as one set already.
  const changed = c.modified === c.added || c.modified.isEmpty() ? c.added : c.added.isEmpty() ? c.modified : c.modified.union(c.added);
  // Usually no identity metadata changed: then the manager takes the very set (no copy).
  return { changed, self: changed.disjoint(STRIPPED_FIELDS) ? changed : changed.difference(STRIPPED_FIELDS) };
}

/**
 * Upstream Updater.Update for one manager, on decoded entries: the fields that `from` → `to` adds or changes
 * become the manager's (taken from everyone else), removed fields leave every set. Returns the new entries
 * and whether the manager changed anything (its time is then set to `time`).
 */
export function applyUpdateOwnership(p: {
  entries: ManagerEntry[];
  from: JsonObject;
  to: JsonObject;
  manager: string;
  subresource?: string;
  apiVersion: string;
  time: string;
  schema: Schema | undefined;
  resolver: SchemaResolver;
  ignoredFields?: FieldSet;
  /** compareObjects(from, to) when the caller has it already. */
  comparison?: Comparison;
  /** changedFields(comparison) when the caller has it already (only without ignoredFields). */
  changedFields?: ChangedFields;
}): ManagerEntry[] {
  const c = filterComparison(p.comparison ?? compareObjects(p.from, p.to, resolve(p.schema, p.resolver), p.resolver), p.ignoredFields);
  const { changed, self } = p.changedFields && !p.ignoredFields ? p.changedFields : changedFields(c);
  const selfEmpty = self.isEmpty();
  const id: Omit<ManagerEntry, 'set'> = { manager: p.manager, operation: 'Update', apiVersion: p.apiVersion };
  if (p.subresource) id.subresource = p.subresource;
  const out: ManagerEntry[] = [];
  // The common write changes only fields its manager already owns: then every set stays as it was (the
  // same FieldSet objects, whose stored encoding is reused) and only the manager's time moves.
  let ownUnchanged: FieldSet | undefined;
  for (const e of p.entries) {
    const keepsChanged = changed.disjoint(e.set);
    const keepsRemoved = c.removed.disjoint(e.set);
    if (!(keepsChanged && keepsRemoved) && !selfEmpty && sameIdentity(e, id) && self.subsetOf(e.set) && keepsRemoved && changed.difference(self).disjoint(e.set)) {
      ownUnchanged = e.set;
    }
    // A difference with a disjoint set would only copy the set.
    let set = keepsChanged ? e.set : e.set.difference(changed);
    if (!keepsRemoved) set = set.difference(c.removed);
    if (!set.isEmpty()) out.push(set === e.set ? e : { ...e, set });
  }
  if (selfEmpty) return out;
  let idx = -1;
  for (let i = 0; i < out.length && idx < 0; i++) if (sameIdentity(out[i]!, id)) idx = i;
  const prev = idx >= 0 ? out[idx] : undefined;
  const set = ownUnchanged ?? (prev ? self.union(prev.set) : self);
  const entry: ManagerEntry = { ...id, time: p.time, set };
  if (idx >= 0) out[idx] = entry;
  else out.push(entry);
  return out;
}

export interface RecordUpdateParams {
  /** The stored object before the write; undefined on create. */
  old?: KubeObject;
  /** The object about to be stored; its metadata.managedFields is rewritten. */
  obj: KubeObject;
  manager: string;
  subresource?: string;
  apiVersion: string;
  time: string;
  schema?: Schema;
  resolver: SchemaResolver;
  /** Fields the operation resets and nobody owns through it (e.g. status on the main resource). */
  ignoredFields?: FieldSet;
}

/** The writer and schema of a recordUpdate, as applyUpdateOwnership takes them. */
function writer(p: RecordUpdateParams): Pick<Parameters<typeof applyUpdateOwnership>[0], 'manager' | 'subresource' | 'apiVersion' | 'time' | 'schema' | 'resolver'> {
  return { manager: p.manager, ...(p.subresource ? { subresource: p.subresource } : {}), apiVersion: p.apiVersion, time: p.time, schema: p.schema, resolver: p.resolver };
}

/**
 * Keeps metadata.managedFields as upstream on create/update/patch (anything but apply). Never fails the
 * write: like upstream's UpdateNoErrors, unusable ownership data leaves the object without managedFields.
 */
export function recordUpdate(p: RecordUpdateParams): void {
  const meta = p.obj.metadata ?? (p.obj.metadata = {});
  try {
    let entries: ManagerEntry[];
    const sent: unknown = meta.managedFields;
    const fromOld = () => {
      try {
        return decodeManagedFields(p.old?.metadata?.managedFields, true);
      } catch {
        return [];
      }
    };
    const storedEntries = p.old?.metadata?.managedFields;
    /** The entries are the stored object's, as this server wrote them. */
    let fromStored = false;
    // A client that sends the stored entries back, or none at all (as upstream, the live object's are kept
    // then), keeps them.
    const keepsStored = p.subresource ? true : isReset(sent) ? false : p.old !== undefined && (sent === undefined || sent === null || deepEqual(sent, storedEntries));
    let comparison: Comparison | undefined;
    if (keepsStored && p.old !== undefined && Array.isArray(storedEntries) && storedEntries.length > 0 && !p.ignoredFields) {
      // The common write keeps the stored entries: decided on them as they are (storedOwnership), the ones
      // it touches decoded alone; all of them only when the general path below must decide. The member is
      // replaced, not deleted and added again (a deleted member that is not the last one turns the metadata
      // into a slow dictionary-mode object); the comparison sees a copy without it.
      comparison = compareObjects(withoutManagedFields(p.old), withoutManagedFields(p.obj), resolve(p.schema, p.resolver), p.resolver, true);
      const kept = storedOwnership(storedEntries as unknown[], comparison, p);
      if (kept !== undefined) {
        if (kept.length > 0) meta.managedFields = kept;
        else delete meta.managedFields;
        return;
      }
    }
    if (p.subresource) {
      entries = fromOld();
      fromStored = true;
    } else if (isReset(sent)) entries = [];
    else if (keepsStored) {
      entries = fromOld();
      fromStored = true;
    } else {
      let decoded: ManagerEntry[] = [];
      try {
        decoded = decodeManagedFields(sent);
      } catch {
        decoded = [];
      }
      fromStored = decoded.length === 0;
      entries = decoded.length > 0 ? decoded : fromOld();
    }
    fromStored &&= entries.length > 0 && Array.isArray(storedEntries) && !p.ignoredFields;
    delete meta.managedFields;
    // Upstream skipNonAppliedManager: an existing object whose records were cleared stays untracked
    // until the next apply.
    if (entries.length === 0 && p.old) return;
    const ignoredTop = p.ignoredFields === STATUS_RESET ? STATUS_RESET_TOP : p.ignoredFields && topLevelFields(p.ignoredFields);
    if (entries.length === 0 && !p.old && !p.subresource && (!p.ignoredFields || ignoredTop)) {
      // A create with no ownership records: the manager owns everything the object holds but the ignored
      // top-level fields (what the general path below gives, encoded in one walk).
      const skip = ignoredTop && ignoredTop.length > 0 ? ignoredTop : undefined;
      const fieldsV1 = createdFieldsV1(p.obj as unknown as JsonObject, resolve(p.schema, p.resolver), p.resolver, STRIPPED_AT_CREATE, skip);
      if (!hasKeys(fieldsV1)) return;
      const entry: ManagedFieldsEntry = { manager: p.manager, operation: 'Update', apiVersion: p.apiVersion };
      if (p.time) entry.time = p.time;
      entry.fieldsType = 'FieldsV1';
      entry.fieldsV1 = fieldsV1;
      meta.managedFields = [entry];
      return;
    }

    const from = p.old ? withoutManagedFields(p.old) : {};
    const to = withoutManagedFields(p.obj);
    if (fromStored && comparison === undefined) {
      comparison = compareObjects(from, to, resolve(p.schema, p.resolver), p.resolver, true);
      const kept = storedOwnership(storedEntries as unknown[], comparison, p);
      if (kept !== undefined) {
        if (kept.length > 0) meta.managedFields = kept;
        return;
      }
    }
    const next = capUpdateManagers(
      applyUpdateOwnership({
        entries,
        from,
        to,
        ...writer(p),
        ...(p.ignoredFields ? { ignoredFields: p.ignoredFields } : {}),
        ...(comparison ? { comparison } : {}),
      }),
    );
    const encoded = encodeManagedFields(next);
    if (encoded.length > 0) meta.managedFields = encoded;
  } catch {
    delete meta.managedFields;
  }
}

/**
 * The update of stored entries (this server's canonical encoding) without decoding the ones the write
 * leaves alone: an entry none of whose fields the write changes or removes stays as stored, and only the
 * entries it touches, plus the manager's own when it changed a field that is not identity metadata, are
 * decoded, updated (applyUpdateOwnership) and encoded again. The common write changes or removes only
 * fields its own manager already owns or that nobody owns: then nothing is decoded and only the manager's
 * time moves. Gives exactly what the general path gives (the set algebra is per entry; entries are ordered
 * totally by compareEntries); undefined when the general path must decide (the entries are not in this
 * server's canonical form, or the Update entries need capping).
 */
function storedOwnership(stored: unknown[], c: Comparison, p: RecordUpdateParams): ManagedFieldsEntry[] | undefined {
  const fields = changedFields(c);
  const { changed, self } = fields;
  const selfEmpty = self.isEmpty();
  const subresource = p.subresource ?? '';
  const entries = stored as ManagedFieldsEntry[];
  /** Entries kept as stored; those to decode; the manager's own (when self is not empty). */
  const kept: ManagedFieldsEntry[] = [];
  const touched: ManagedFieldsEntry[] = [];
  let own: ManagedFieldsEntry | undefined;
  for (let i = 0; i < stored.length; i++) {
    const e = stored[i];
    if (!isObject(e) || (e.operation !== 'Apply' && e.operation !== 'Update') || e.fieldsType !== 'FieldsV1' || !isObject(e.fieldsV1) || !hasKeys(e.fieldsV1)) return undefined;
    if (typeof e.manager !== 'string' || typeof e.apiVersion !== 'string' || (e.time !== undefined && (typeof e.time !== 'string' || e.time === ''))) return undefined;
    if (e.subresource !== undefined && (typeof e.subresource !== 'string' || e.subresource === '')) return undefined;
    const entry = e as ManagedFieldsEntry;
    // Two entries of one manager identity (managerKey's, compared member by member): the general path decides.
    for (let j = 0; j < i; j++) if (sameIdentity(entries[j]!, entry)) return undefined;
    const isOwn = entry.operation === 'Update' && entry.manager === p.manager && entry.apiVersion === p.apiVersion && (entry.subresource ?? '') === subresource;
    if (isOwn && !selfEmpty) own = entry;
    else if (changed.disjointFromFieldsV1(e.fieldsV1) && c.removed.disjointFromFieldsV1(e.fieldsV1)) kept.push(entry);
    else touched.push(entry);
  }
  const updaters = (list: { operation?: string }[]) => list.reduce((n, e) => (e.operation === 'Update' ? n + 1 : n), 0);
  let updated: ManagedFieldsEntry[];
  const fv = own?.fieldsV1 as JsonObject | undefined;
  if (touched.length === 0 && (selfEmpty || (fv !== undefined && self.subsetOfFieldsV1(fv) && c.removed.disjointFromFieldsV1(fv) && changed.difference(self).disjointFromFieldsV1(fv)))) {
    // Nothing to decode: the manager's set stays as it is and only its time moves.
    if (own === undefined) return updaters(entries) > MAX_UPDATE_MANAGERS ? undefined : [...entries];
    const moved: ManagedFieldsEntry = { manager: own.manager, operation: own.operation, apiVersion: own.apiVersion, time: p.time, fieldsType: 'FieldsV1', fieldsV1: own.fieldsV1 };
    if (own.subresource) moved.subresource = own.subresource;
    updated = [moved];
  } else if (touched.length === 0) {
    // Only the writer's own entry changes, or it is new (a kubelet's first status write: nobody else owns
    // those fields): built from the comparison's sets without decoding or sorting entries.
    updated = [ownEntry(own, fields, c.removed, p)];
  } else {
    const next = applyUpdateOwnership({
      entries: decodeManagedFields(own === undefined ? touched : [...touched, own], true),
      from: {},
      to: {},
      ...writer(p),
      comparison: c,
      changedFields: fields,
    });
    updated = encodeManagedFields(next);
  }
  if (updaters(kept) + updaters(updated) > MAX_UPDATE_MANAGERS) return undefined;
  return sortEntries(kept.concat(updated));
}

/**
 * The writer's entry as applyUpdateOwnership then encodeManagedFields give it when no other entry is
 * touched: its set is self ∪ ((own − changed) − removed), or self for a writer without an entry. When self
 * is the changed set itself (no identity metadata changed), (own − changed) ∪ changed = own ∪ changed, so
 * the own set is not first stripped of what the write changed, and is updated in its stored (canonical)
 * encoding without decoding it (unionIntoFieldsV1). `own`: the writer's stored entry.
 */
function ownEntry(own: ManagedFieldsEntry | undefined, { changed, self }: ChangedFields, removed: FieldSet, p: RecordUpdateParams): ManagedFieldsEntry {
  let fieldsV1: JsonObject;
  if (own === undefined) fieldsV1 = self.toFieldsV1();
  else if (self === changed) fieldsV1 = self.unionIntoFieldsV1(own.fieldsV1 as JsonObject, removed);
  else {
    let prev = FieldSet.fromFieldsV1(own.fieldsV1, true);
    if (!changed.disjoint(prev)) prev = prev.difference(changed);
    if (!removed.disjoint(prev)) prev = prev.difference(removed);
    fieldsV1 = self.union(prev).toFieldsV1();
  }
  const out: ManagedFieldsEntry = { manager: p.manager, operation: 'Update', apiVersion: p.apiVersion };
  if (p.time) out.time = p.time;
  out.fieldsType = 'FieldsV1';
  out.fieldsV1 = fieldsV1;
  if (p.subresource) out.subresource = p.subresource;
  return out;
}

/** managerKey(a) === managerKey(b), without the keys (string members; an absent subresource is ''). */
function sameIdentity(a: EntryOrder, b: EntryOrder): boolean {
  return a.manager === b.manager && a.operation === b.operation && (a.operation === 'Apply' || a.apiVersion === b.apiVersion) && (a.subresource ?? '') === (b.subresource ?? '');
}

/** Sorts entries in place in upstream's order (compareEntries); insertion sort: an object has a handful. */
function sortEntries(entries: ManagedFieldsEntry[]): ManagedFieldsEntry[] {
  for (let i = 1; i < entries.length; i++) {
    const x = entries[i]!;
    let j = i - 1;
    while (j >= 0 && compareEntries(entries[j] as EntryOrder, x as EntryOrder) > 0) {
      entries[j + 1] = entries[j]!;
      j--;
    }
    entries[j + 1] = x;
  }
  return entries;
}
