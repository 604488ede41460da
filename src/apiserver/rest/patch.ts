// PATCH: JSON patch, JSON merge patch, strategic merge patch and server-side apply, on an object or its
// status. Patches are applied to the current object inside guaranteedUpdate, so concurrent writers retry
// instead of losing updates; apply to a missing object creates it (201).
import type { KubeObject, JsonObject, JsonValue } from '../../api/types.js';
import { errors } from '../../api/errors.js';
import { patchType } from '../negotiation.js';
import { applyJsonPatch } from '../patch/json-patch.js';
import { applyMergePatch } from '../patch/merge-patch.js';
import { applyStrategicMergePatch } from '../patch/strategic-merge.js';
import { serverSideApply } from '../patch/apply.js';
import { checkKind, checkSchema, fieldValidationOf } from './decode.js';
import { fieldManager, isDryRun } from './common.js';
import { admitAndCreate } from './create.js';
import { guaranteedUpdate } from './update.js';
import { now } from './object-meta.js';
import type { RestDeps, RestRequest, RestResponse } from './types.js';
import { cloneJson } from '../patch/json-value.js';

export async function patch(deps: RestDeps, req: RestRequest): Promise<RestResponse> {
  const { rt, info } = req;
  const type = patchType(req.contentType);
  const mode = fieldValidationOf(req.query);
  const dryRun = isDryRun(req.query);
  const subresource = info.subresource === 'status' ? 'status' : '';
  const forceParam = req.query.get('force');
  if (forceParam !== null && type !== 'apply') throw errors.badRequest('force flag is only supported for apply patches');
  if (type === 'strategic' && rt.custom) {
    throw errors.unsupportedMediaType('application/strategic-merge-patch+json is not supported for custom resources; use application/merge-patch+json or server-side apply');
  }
  if (req.body === undefined) throw errors.badRequest('the body of the request was empty: a patch is required');
  const warnings: string[] = [];
  const schema = deps.schemas.forKind(rt.group, rt.version, rt.kind);

  if (type === 'apply') {
    const manager = req.query.get('fieldManager');
    if (!manager) throw errors.badRequest('PATCH /apply requires fieldManager: it is required for apply requests');
    const force = forceParam === 'true';
    const applied = checkKind(rt, req.body);
    if (applied.metadata.name && applied.metadata.name !== info.name) {
      throw errors.badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${info.name})`);
    }
    applied.metadata.name = info.name;
    if (rt.namespaced && applied.metadata.namespace && applied.metadata.namespace !== info.namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    warnings.push(...checkSchema(rt, applied, deps.schemas, mode, rt.custom === true));
    const existing = await deps.storage.get(rt, info.namespace, info.name);
    if (!existing && subresource === '') {
      const obj = serverSideApply({ applied, manager, force, apiVersion: applied.apiVersion ?? '', time: now(), schema, resolver: deps.schemas });
      const created = await admitAndCreate(deps, req, obj, { dryRun, manager, recordManagedFields: false });
      return { status: 201, object: created, warnings };
    }
    const result = await guaranteedUpdate(deps, req, {
      dryRun,
      manager,
      subresource,
      recordManagedFields: false,
      mutate: (current) =>
        serverSideApply({
          live: current,
          applied: cloneJson(applied),
          manager,
          force,
          subresource: subresource || undefined,
          apiVersion: applied.apiVersion ?? '',
          time: now(),
          schema,
          resolver: deps.schemas,
        }),
    });
    return { status: 200, object: result, warnings };
  }

  const result = await guaranteedUpdate(deps, req, {
    dryRun,
    manager: fieldManager(req),
    subresource,
    recordManagedFields: true,
    readsOnly: true,
    mutate: (current) => {
      warnings.length = 0;
      // A status write keeps everything outside status as stored (statusOnly), and nothing on its way changes
      // those parts in place: the patched object may share them with the current one.
      const patched = applyPatchOfType(type, current as unknown as JsonObject, req.body, deps, rt.group, rt.version, rt.kind, subresource === 'status');
      const obj = checkKind(rt, patched);
      warnings.push(...checkSchema(rt, obj, deps.schemas, mode, rt.custom === true, current, subresource === 'status'));
      return obj;
    },
  });
  return { status: 200, object: result, warnings };
}

export function applyPatchOfType(
  type: 'json' | 'merge' | 'strategic',
  current: JsonObject,
  body: unknown,
  deps: Pick<RestDeps, 'schemas'>,
  group: string,
  version: string,
  kind: string,
  /** The result may share the members of `current` the patch leaves alone (metadata is always its own). */
  shareUntouched = false,
): KubeObject {
  let out: JsonValue;
  switch (type) {
    case 'json':
      out = applyJsonPatch(current, body);
      break;
    case 'merge':
      out = applyMergePatch(current, body, { shareUntouched });
      break;
    case 'strategic':
      out = applyStrategicMergePatch(current, body, deps.schemas.forKind(group, version, kind), deps.schemas, { shareUntouched });
      break;
  }
  if (out === null || typeof out !== 'object' || Array.isArray(out)) {
    throw errors.badRequest('the patch produced something that is not an object');
  }
  return out as unknown as KubeObject;
}
