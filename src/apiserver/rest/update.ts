// Updates: PUT on an object or its status, and the compare-and-swap loop (`guaranteedUpdate`) that PATCH,
// apply and scale also use. The loop re-reads and retries on a storage conflict unless the client gave a
// resourceVersion precondition, skips the write when nothing changed (resourceVersion stays), and completes
// a pending deletion once the last finalizer is gone.
import type { JsonObject, KubeObject } from '../../api/types.js';
import { errors } from '../../api/errors.js';
import { ConflictError } from '../../storage/store.js';
import { recordUpdate } from '../patch/managed-fields.js';
import { checkKind, checkSchema, fieldValidationOf } from './decode.js';
import { fieldManager, isDryRun, storeError } from './common.js';
import { hasPendingFinalizers, now, prepareUpdateMeta, reconcileNamespace, validateObjectMeta } from './object-meta.js';
import { deepEqual } from '../../util/deep-equal.js';
import type { RestDeps, RestRequest, RestResponse } from './types.js';
import { cloneJson, copyMembers } from '../patch/json-value.js';

const maxRetries = 16;

export interface UpdateOptions {
  dryRun: boolean;
  manager: string;
  /**
   * '' and 'scale' keep the stored status; 'status' keeps everything else; 'binding' writes both;
   * 'finalize' (namespaces) skips the kind's update hook, which otherwise keeps spec.finalizers.
   */
  subresource: '' | 'status' | 'scale' | 'binding' | 'finalize';
  /** Produces the desired object from a private copy of the current one (served version). */
  mutate(current: KubeObject): KubeObject;
  /**
   * mutate only reads its argument and builds the desired object anew (PUT, and the patch types, which copy
   * what they patch): it is handed the current object itself rather than a copy.
   */
  readsOnly?: boolean;
  /** Server-side apply records managed fields itself. */
  recordManagedFields: boolean;
}

export async function update(deps: RestDeps, req: RestRequest): Promise<RestResponse> {
  const { rt, info } = req;
  const mode = fieldValidationOf(req.query);
  const obj = checkKind(rt, req.body);
  if (obj.metadata.name && obj.metadata.name !== info.name) {
    throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${info.name})`);
  }
  obj.metadata.name = info.name;
  reconcileNamespace(rt, obj, info.namespace);
  // The stored object as the watch cache holds it (read only; stale at worst, which only means more to check).
  const warnings = checkSchema(rt, obj, deps.schemas, mode, rt.custom === true, deps.storage.cached(rt, info.namespace, info.name));
  const status = info.subresource === 'status';
  const result = await guaranteedUpdate(deps, req, {
    dryRun: isDryRun(req.query),
    manager: fieldManager(req),
    subresource: status ? 'status' : '',
    recordManagedFields: true,
    readsOnly: true,
    // A status write takes only metadata and status from the body (statusOnly): only those are copied.
    mutate: () => (status ? copyMembers(obj as unknown as JsonObject, ['status']) : cloneJson(obj as unknown as JsonObject)) as unknown as KubeObject,
  });
  return { status: 200, object: result, warnings };
}

export async function guaranteedUpdate(deps: RestDeps, req: RestRequest, opts: UpdateOptions): Promise<KubeObject> {
  const { rt, info } = req;
  const key = deps.storage.key(rt, info.namespace, info.name);
  // As upstream's cacher, the first attempt starts from the watch cache's copy of the object, saving a store
  // read; that copy may be a moment behind the store. The store's compare-and-swap catches a stale copy that
  // is written, and whatever else it leads to (a failed precondition, an invalid change, nothing to write)
  // is decided again on the object read from the store.
  let live = false;
  const shared = sharesCachedObject(rt, opts);
  for (let attempt = 0; ; attempt++) {
    const cached = live ? undefined : shared ? deps.storage.cached(rt, info.namespace, info.name) : deps.storage.cachedCopy(rt, info.namespace, info.name);
    let current: KubeObject;
    if (cached !== undefined) current = cached;
    else {
      const stored = await deps.storage.get(rt, info.namespace, info.name);
      if (!stored) throw errors.notFound(rt.group, rt.resource, info.name);
      current = deps.storage.toServed(rt, stored);
    }
    live = true;
    // The store's read is a private object, and so is the cache's copy unless `shared`; only the copy handed to
    // mutate needs cloning.
    try {
      const result = await attemptUpdate(deps, req, opts, key, current, cached !== undefined, shared && cached !== undefined);
      if (result !== staleRead) return result;
    } catch (err) {
      if (cached !== undefined && !(err instanceof ConflictError)) continue;
      // Retry with the fresh object: a client's resourceVersion is checked against it again at the top of the
      // loop, while a patch without one applies to whatever is current (the patched object carries the
      // current resourceVersion, so it must not count as the client's precondition here).
      if (err instanceof ConflictError && attempt < maxRetries) continue;
      storeError(err, rt, info.name);
    }
  }
}

/**
 * A write straight to storage, as upstream's subresources that call the store's GuaranteedUpdate themselves
 * (pods/binding): no defaults, strategy hooks, admission, validation or managed fields. `mutate` gets the
 * current object in the served version, the watch cache's SHARED copy on the first attempt: it must not change
 * it, and returns the object to write (new top-level and metadata objects, anything unchanged shared), or the
 * same object when there is nothing to write. It retries on a storage conflict; whatever it throws on the
 * cache's copy (which may be a moment behind) is decided again on the store's object.
 */
export async function storageUpdate(deps: RestDeps, req: RestRequest, dryRun: boolean, mutate: (current: KubeObject) => KubeObject): Promise<KubeObject> {
  const { rt, info } = req;
  const key = deps.storage.key(rt, info.namespace, info.name);
  let live = false;
  for (let attempt = 0; ; attempt++) {
    let current = live ? undefined : deps.storage.cached(rt, info.namespace, info.name);
    const fromCache = current !== undefined;
    live = true;
    if (current === undefined) {
      const stored = await deps.storage.get(rt, info.namespace, info.name);
      if (!stored) throw errors.notFound(rt.group, rt.resource, info.name);
      current = deps.storage.toServed(rt, stored);
    }
    try {
      const next = mutate(current);
      if (next === current) return current;
      if (next.metadata === current.metadata) throw new Error('storageUpdate: mutate must give the object its own metadata');
      if (dryRun) return next;
      const json = deps.storage.encodeForWrite(rt, key, next);
      try {
        const kv = await deps.storage.store.update(key, json, Number(current.metadata.resourceVersion ?? ''));
        return deps.storage.wrote(next, kv.modRevision);
      } catch (err) {
        deps.storage.writeFailed(key, next);
        throw err;
      }
    } catch (err) {
      if (fromCache && !(err instanceof ConflictError)) continue;
      if (err instanceof ConflictError && attempt < maxRetries) continue;
      storeError(err, rt, info.name);
    }
  }
}

/** An attempt on the watch cache's copy found nothing to write: that is decided on the store's object. */
const staleRead = Symbol('stale read');

/**
 * Whether guaranteedUpdate may start from the watch cache's SHARED object instead of a private copy of it (a
 * deep copy of the whole object per write), when mutate only reads the current object (readsOnly) and
 * attemptUpdate then changes nothing the cache holds:
 * - a main-resource write (PUT, and the patch types, which copy what they patch): the object written shares
 *   nothing with the current one (keepStatus copies the stored status), and the current one is only read
 *   (prepareUpdateMeta, the kind's prepareForUpdate and admission take it read only);
 * - a status write of a kind without an update hook (which sees the whole object): statusOnly shares the
 *   members outside status and metadata, and what runs on the object before it is stored (defaults,
 *   admission) sees only its own copies of status and metadata (statusView).
 */
function sharesCachedObject(rt: RestRequest['rt'], opts: UpdateOptions): boolean {
  if (opts.readsOnly !== true) return false;
  if (opts.subresource === 'status') return rt.strategy.prepareForUpdate === undefined;
  return opts.subresource === '';
}

/**
 * One attempt of guaranteedUpdate on `current`; store errors (a ConflictError: retry) propagate. `shared`:
 * current is the watch cache's own object (sharesCachedObject), read only.
 */
async function attemptUpdate(deps: RestDeps, req: RestRequest, opts: UpdateOptions, key: string, current: KubeObject, fromCache: boolean, shared = false): Promise<KubeObject | typeof staleRead> {
  const { rt, info } = req;
  const s = rt.strategy;
  const currentRv = current.metadata.resourceVersion ?? '';
  let next = opts.mutate(opts.readsOnly ? current : cloneJson(current));
  const precondition = next.metadata?.resourceVersion;
  if (precondition && precondition !== currentRv) {
    throw errors.conflict(rt.group, rt.resource, info.name, 'the object has been modified; please apply your changes to the latest version and try again');
  }
  if (next.metadata?.name && next.metadata.name !== info.name) {
    throw errors.badRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${info.name})`);
  }
  next.metadata = next.metadata ?? {};
  next.metadata.name = info.name;
  if (rt.namespaced) next.metadata.namespace = info.namespace;

  if (opts.subresource === 'status') next = statusOnly(current, next);
  else if ((opts.subresource === '' || opts.subresource === 'scale' || opts.subresource === 'finalize') && s.statusSubresource) next = keepStatus(current, next);

  const causes = prepareUpdateMeta(rt, next, current);
  const status = opts.subresource === 'status';
  // A status write keeps everything but status and metadata as stored (statusOnly): as upstream, where the
  // status strategy resets the rest after defaulting and mutating admission, whatever those would change
  // there is not kept; they see the object without it (statusView), so they change nothing shared with the
  // current object either.
  const view = status ? statusView(next, shared) : next;
  s.defaults?.(view);
  if (status) adoptStatusView(next, view);
  if (opts.subresource !== 'finalize') s.prepareForUpdate?.(next, current);
  const attrs = {
    rt,
    operation: 'UPDATE' as const,
    subresource: opts.subresource,
    namespace: info.namespace,
    name: info.name,
    object: status ? statusView(next, false) : next,
    oldObject: current,
    user: req.user,
    dryRun: opts.dryRun,
  };
  const mutating = deps.admission.mutate(attrs);
  if (mutating !== undefined) await mutating;
  if (status) {
    adoptStatusView(next, attrs.object);
    attrs.object = next;
  }
  causes.push(...validateObjectMeta(rt, next, false, current), ...(s.validate?.(next, { old: current, subresource: opts.subresource }) ?? []));
  if (causes.length) throw errors.invalid(rt.group, rt.kind, info.name, causes);
  const validating = deps.admission.validate(attrs);
  if (validating !== undefined) await validating;

  if (opts.recordManagedFields) {
    recordUpdate({
      old: current,
      obj: next,
      manager: opts.manager,
      subresource: opts.subresource || undefined,
      apiVersion: current.apiVersion ?? '',
      time: now(),
      schema: deps.schemas.forKind(rt.group, rt.version, rt.kind),
      resolver: deps.schemas,
    });
  }
  next.metadata.resourceVersion = currentRv;
  if (objectsEqual(next, current)) return fromCache ? staleRead : current;
  if (opts.dryRun) return next;

  if (next.metadata.deletionTimestamp && !hasPendingFinalizers(rt, next)) {
    // The last finalizer is gone: the pending deletion completes now.
    const { revision } = await deps.storage.store.delete(key, Number(currentRv));
    next.metadata.resourceVersion = String(revision);
    return next;
  }
  const json = deps.storage.encodeForWrite(rt, key, next);
  let kv;
  try {
    kv = await deps.storage.store.update(key, json, Number(currentRv));
  } catch (err) {
    deps.storage.writeFailed(key, next);
    throw err;
  }
  return deps.storage.wrote(next, kv.modRevision);
}

/**
 * Status writes change only status (upstream resets the rest of the object to the stored one). `next` is a
 * private object; its members outside status and metadata become the current object's own (shared, not
 * copied: nothing on a status write changes them in place, and every later comparison with the current
 * object then sees the same object).
 */
function statusOnly(current: KubeObject, next: KubeObject): KubeObject {
  const managedFields = next.metadata.managedFields ?? current.metadata.managedFields;
  const resourceVersion = next.metadata.resourceVersion;
  for (const k of Object.keys(next)) if (k !== 'status' && !(k in current)) delete next[k];
  for (const k of Object.keys(current)) {
    if (k === 'status' || k === 'metadata') continue;
    next[k] = current[k];
  }
  if (!metadataEqual(next.metadata, current.metadata)) next.metadata = cloneJson(current.metadata);
  next.metadata.managedFields = managedFields;
  next.metadata.resourceVersion = resourceVersion;
  if (next['status'] === undefined) delete next['status'];
  return next;
}

/** The members a status write takes from the object written (statusOnly); the rest are the stored object's. */
const STATUS_WRITE_MEMBERS = ['apiVersion', 'kind', 'metadata', 'status'] as const;

/**
 * What defaulting and mutating admission see of a status write: the object's apiVersion, kind, metadata and
 * status only. `own`: the object shares members with the watch cache's (sharesCachedObject), so status and
 * metadata are deep copies (managedFields aside, which nothing changes in place: recordUpdate replaces it).
 */
export function statusView(next: KubeObject, own: boolean): KubeObject {
  const view: Record<string, unknown> = {};
  for (const k of STATUS_WRITE_MEMBERS) {
    if (!Object.prototype.hasOwnProperty.call(next, k) || next[k] === undefined) continue;
    view[k] = own && k === 'status' ? cloneJson(next[k]) : own && k === 'metadata' ? ownMetadata(next.metadata) : next[k];
  }
  return view as KubeObject;
}

/** Takes a status view's members back (what defaulting or admission set there); the rest stays as it is. */
export function adoptStatusView(next: KubeObject, view: KubeObject): void {
  const to = next as unknown as Record<string, unknown>;
  const from = view as unknown as Record<string, unknown>;
  for (const k of STATUS_WRITE_MEMBERS) {
    if (from[k] !== undefined) to[k] = from[k];
    else delete to[k];
  }
  next.metadata = next.metadata ?? {};
}

/** A deep copy of metadata that shares managedFields (never changed in place). */
function ownMetadata(meta: KubeObject['metadata']): KubeObject['metadata'] {
  const out: Record<string, unknown> = {};
  for (const k in meta) {
    const v = (meta as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = k === 'managedFields' ? v : cloneJson(v);
  }
  return out as KubeObject['metadata'];
}

/**
 * Metadata equal apart from what a status write may carry itself (managedFields, resourceVersion): deepEqual
 * of the two without those members, compared member by member without copies of them.
 */
export function metadataEqual(a: KubeObject['metadata'], b: KubeObject['metadata']): boolean {
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let count = 0;
  for (const k in ao) {
    if (!Object.prototype.hasOwnProperty.call(ao, k) || k === 'managedFields' || k === 'resourceVersion' || ao[k] === undefined) continue;
    count++;
    if (!Object.prototype.hasOwnProperty.call(bo, k) || !deepEqual(ao[k], bo[k])) return false;
  }
  for (const k in bo) if (Object.prototype.hasOwnProperty.call(bo, k) && k !== 'managedFields' && k !== 'resourceVersion' && bo[k] !== undefined) count--;
  return count === 0;
}

/**
 * deepEqual of two objects with their metadata compared last: a write's change is mostly outside it (a Lease
 * renewal's spec, a status write's status), and metadata holds managedFields, the largest member, so a changed
 * object is told from the current one without walking them. The same answer as deepEqual (table-tested).
 */
export function objectsEqual(a: KubeObject, b: KubeObject): boolean {
  if (a === b) return true;
  const ao = a as unknown as Record<string, unknown>;
  const bo = b as unknown as Record<string, unknown>;
  let count = 0;
  for (const k in ao) {
    if (!Object.prototype.hasOwnProperty.call(ao, k) || ao[k] === undefined) continue;
    count++;
    if (k === 'metadata') continue;
    if (!Object.prototype.hasOwnProperty.call(bo, k) || !deepEqual(ao[k], bo[k])) return false;
  }
  for (const k in bo) if (Object.prototype.hasOwnProperty.call(bo, k) && bo[k] !== undefined) count--;
  return count === 0 && deepEqual(ao['metadata'], bo['metadata']);
}

/** Main-resource writes of kinds with a status subresource keep the stored status. */
function keepStatus(current: KubeObject, next: KubeObject): KubeObject {
  if (current['status'] === undefined) delete next['status'];
  else if (!deepEqual(next['status'], current['status'])) next['status'] = cloneJson(current['status']);
  return next;
}
