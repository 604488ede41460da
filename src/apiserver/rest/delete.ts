// DELETE of one object and of a collection: DeleteOptions (from body or query), preconditions, propagation
// policy finalizers (orphan / foregroundDeletion), graceful deletion (pods on a node), and finalizers that
// keep an object around with deletionTimestamp set until controllers remove them.
import type { KubeObject } from '../../api/types.js';
import { errors } from '../../api/errors.js';
import { ConflictError } from '../../storage/store.js';
import { isDryRun, storeError } from './common.js';
import { finalizers as fin, hasPendingFinalizers } from './object-meta.js';
import { listAll } from './read.js';
import type { RestDeps, RestRequest, RestResponse } from './types.js';
import { cloneJson } from '../patch/json-value.js';

const maxRetries = 16;

export type Propagation = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: Propagation;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

export function deleteOptionsOf(req: RestRequest): DeleteOptions {
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('DeleteOptions must be a JSON object');
  const q = req.query;
  const graceRaw = body['gracePeriodSeconds'] ?? (q.get('gracePeriodSeconds') !== null ? Number(q.get('gracePeriodSeconds')) : undefined);
  if (graceRaw !== undefined && (typeof graceRaw !== 'number' || !Number.isInteger(graceRaw))) {
    throw errors.badRequest('gracePeriodSeconds must be an integer');
  }
  let policy = (body['propagationPolicy'] ?? q.get('propagationPolicy') ?? undefined) as string | undefined;
  const orphan = body['orphanDependents'] ?? (q.get('orphanDependents') !== null ? q.get('orphanDependents') === 'true' : undefined);
  if (policy !== undefined && policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
    throw errors.invalid('', 'DeleteOptions', '', [
      { reason: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"` },
    ]);
  }
  if (policy === undefined && orphan !== undefined) policy = orphan ? 'Orphan' : 'Background';
  const dryRunBody = body['dryRun'];
  const dryRun = isDryRun(req.query) || (Array.isArray(dryRunBody) && dryRunBody.includes('All'));
  return {
    gracePeriodSeconds: graceRaw as number | undefined,
    propagationPolicy: policy as Propagation | undefined,
    preconditions: body['preconditions'] as DeleteOptions['preconditions'],
    dryRun,
  };
}

export async function deleteOne(deps: RestDeps, req: RestRequest): Promise<RestResponse> {
  const opts = deleteOptionsOf(req);
  const obj = await deleteObject(deps, req, req.info.namespace, req.info.name, opts);
  return { status: 200, object: obj };
}

/** Deletes (or starts deleting) one object; returns its last state. */
export async function deleteObject(deps: RestDeps, req: RestRequest, namespace: string, name: string, opts: DeleteOptions): Promise<KubeObject> {
  const { rt } = req;
  const key = deps.storage.key(rt, namespace, name);
  for (let attempt = 0; ; attempt++) {
    const stored = await deps.storage.get(rt, namespace, name);
    if (!stored) throw errors.notFound(rt.group, rt.resource, name);
    const current = cloneJson(deps.storage.toServed(rt, stored));
    const meta = current.metadata;
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== meta.uid) {
      throw errors.conflict(rt.group, rt.resource, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
      throw errors.conflict(rt.group, rt.resource, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion}`);
    }
    await deps.admission.validate({
      rt,
      operation: 'DELETE',
      subresource: '',
      namespace,
      name,
      oldObject: current,
      user: req.user,
      dryRun: opts.dryRun,
    });

    const next = cloneJson(current);
    const nm = next.metadata;
    const finalizers = new Set(nm.finalizers ?? []);
    if (opts.propagationPolicy === 'Orphan') {
      finalizers.add(fin.orphan);
      finalizers.delete(fin.foreground);
    } else if (opts.propagationPolicy === 'Foreground') {
      finalizers.add(fin.foreground);
      finalizers.delete(fin.orphan);
    } else if (opts.propagationPolicy === 'Background') {
      finalizers.delete(fin.orphan);
      finalizers.delete(fin.foreground);
    }
    if (finalizers.size) nm.finalizers = [...finalizers];
    else delete nm.finalizers;
    const grace = gracePeriod(req, current, opts);
    const immediate = !hasPendingFinalizers(rt, next) && !grace;

    if (!immediate) {
      if (meta.deletionTimestamp) {
        // Already being deleted: a shorter grace period or changed finalizers are the only news.
        if (grace !== undefined && grace < (meta.deletionGracePeriodSeconds ?? 0)) {
          nm.deletionGracePeriodSeconds = grace;
          nm.deletionTimestamp = isoIn(grace);
        }
        if (deepEqualSets(nm.finalizers, meta.finalizers) && nm.deletionGracePeriodSeconds === meta.deletionGracePeriodSeconds) return current;
      } else {
        nm.deletionTimestamp = isoIn(grace ?? 0);
        nm.deletionGracePeriodSeconds = grace ?? 0;
        if (rt.group === '' && rt.resource === 'namespaces') next['status'] = { ...((next['status'] as object) ?? {}), phase: 'Terminating' };
      }
      if (opts.dryRun) return next;
      try {
        const kv = await deps.storage.store.update(key, deps.storage.encode(rt, next), Number(meta.resourceVersion));
        nm.resourceVersion = String(kv.modRevision);
        return next;
      } catch (err) {
        if (err instanceof ConflictError && !pre?.resourceVersion && attempt < maxRetries) continue;
        storeError(err, rt, name);
      }
    }
    if (opts.dryRun) return current;
    try {
      const { revision } = await deps.storage.store.delete(key, Number(meta.resourceVersion));
      current.metadata.resourceVersion = String(revision);
      return current;
    } catch (err) {
      if (err instanceof ConflictError && !pre?.resourceVersion && attempt < maxRetries) continue;
      storeError(err, rt, name);
    }
  }
}

function gracePeriod(req: RestRequest, obj: KubeObject, opts: DeleteOptions): number | undefined {
  const byKind = req.rt.strategy.defaultGracePeriodSeconds;
  if (!byKind) return undefined;
  const fallback = byKind(obj);
  if (fallback === undefined) return undefined; // this object is deleted at once (e.g. an unscheduled pod)
  const g = opts.gracePeriodSeconds ?? fallback;
  return g < 0 ? 0 : g;
}

export async function deleteCollection(deps: RestDeps, req: RestRequest): Promise<RestResponse> {
  const opts = deleteOptionsOf(req);
  const list = await listAll(deps, req);
  const deleted: KubeObject[] = [];
  for (const item of list.items) {
    try {
      deleted.push(await deleteObject(deps, req, item.metadata.namespace ?? '', item.metadata.name ?? '', opts));
    } catch (err) {
      if (err instanceof Error && 'code' in err && (err as { code: number }).code === 404) continue;
      throw err;
    }
  }
  return { status: 200, object: { ...list, items: deleted } };
}

function isoIn(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function deepEqualSets(a: string[] | undefined, b: string[] | undefined): boolean {
  const sa = new Set(a ?? []);
  const sb = new Set(b ?? []);
  if (sa.size !== sb.size) return false;
  for (const x of sa) if (!sb.has(x)) return false;
  return true;
}

