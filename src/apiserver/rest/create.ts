// POST to a collection: decode → namespace → defaults → prepare → admission → validate → managed fields →
// store. Also the tail shared with server-side apply's create path (`admitAndCreate`).
import type { KubeObject } from '../../api/types.js';
import { errors } from '../../api/errors.js';
import { recordUpdate, STATUS_RESET } from '../patch/managed-fields.js';
import { checkKind, checkSchema, fieldValidationOf } from './decode.js';
import { ensureNamespaceWritable, fieldManager, isDryRun, storeError } from './common.js';
import { now, prepareCreateMeta, reconcileNamespace, validateObjectMeta } from './object-meta.js';
import type { RestDeps, RestRequest, RestResponse } from './types.js';

export async function create(deps: RestDeps, req: RestRequest): Promise<RestResponse> {
  const { rt } = req;
  const mode = fieldValidationOf(req.query);
  const dryRun = isDryRun(req.query);
  const obj = checkKind(rt, req.body);
  const warnings = checkSchema(rt, obj, deps.schemas, mode, rt.custom === true);
  const created = await admitAndCreate(deps, req, obj, { dryRun, manager: fieldManager(req), recordManagedFields: true });
  return { status: 201, object: created, warnings };
}

export interface CreateOptions {
  dryRun: boolean;
  manager: string;
  /** False when the caller (server-side apply) has already set managedFields. */
  recordManagedFields: boolean;
}

export async function admitAndCreate(deps: RestDeps, req: RestRequest, obj: KubeObject, opts: CreateOptions): Promise<KubeObject> {
  const { rt } = req;
  reconcileNamespace(rt, obj, req.info.namespace);
  const s = rt.strategy;
  const timestamp = now();
  s.defaults?.(obj);
  prepareCreateMeta(rt, obj, timestamp);
  s.prepareForCreate?.(obj);
  const name = obj.metadata.name ?? '';
  if (rt.namespaced && obj.metadata.namespace) {
    const checking = ensureNamespaceWritable(deps, rt, obj.metadata.namespace, name);
    if (checking !== undefined) await checking;
  }

  const attrs = {
    rt,
    operation: 'CREATE' as const,
    subresource: '',
    namespace: obj.metadata.namespace ?? '',
    name,
    object: obj,
    user: req.user,
    dryRun: opts.dryRun,
  };
  const mutating = deps.admission.mutate(attrs);
  if (mutating !== undefined) await mutating;
  const causes = [...validateObjectMeta(rt, obj, true), ...(s.validate?.(obj, {}) ?? [])];
  if (causes.length) throw errors.invalid(rt.group, rt.kind, name, causes);
  const validating = deps.admission.validate(attrs);
  if (validating !== undefined) await validating;

  if (opts.recordManagedFields) {
    recordUpdate({
      obj,
      manager: opts.manager,
      apiVersion: obj.apiVersion ?? '',
      time: timestamp,
      schema: deps.schemas.forKind(rt.group, rt.version, rt.kind),
      resolver: deps.schemas,
      // As upstream's reset fields: the status a create sets (prepareForCreate) is nobody's.
      ...(s.statusSubresource ? { ignoredFields: STATUS_RESET } : {}),
    });
  }
  if (opts.dryRun) return obj;
  const key = deps.storage.key(rt, obj.metadata.namespace ?? '', name);
  try {
    const kv = await deps.storage.store.create(key, deps.storage.encodeForWrite(rt, key, obj));
    return deps.storage.wrote(obj, kv.modRevision);
  } catch (err) {
    deps.storage.writeFailed(key, obj);
    storeError(err, rt, name);
  }
}
