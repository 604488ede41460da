// The /scale subresource (autoscaling/v1 Scale) for kinds whose strategy names replica paths: Deployments,
// ReplicaSets, StatefulSets and CRDs with a scale subresource. Reads build a Scale from the parent; writes
// (PUT or any patch type) change only the parent's spec replicas, through guaranteedUpdate.
import type { KubeObject, JsonObject } from '../../api/types.js';
import { errors } from '../../api/errors.js';
import { labelSelectorFromObject } from '../../util/label-selector.js';
import { patchType } from '../negotiation.js';
import { applyJsonPatch } from '../patch/json-patch.js';
import { applyMergePatch } from '../patch/merge-patch.js';
import { fieldManager, isDryRun } from './common.js';
import { guaranteedUpdate } from './update.js';
import { consistentGet } from './read.js';
import type { RestDeps, RestRequest, RestResponse } from './types.js';

export interface Scale {
  kind: 'Scale';
  apiVersion: 'autoscaling/v1';
  metadata: KubeObject['metadata'];
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

export function readPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.replace(/^\./, '').split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export function writePath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.replace(/^\./, '').split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    if (cur[part] === null || typeof cur[part] !== 'object') cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
}

export function scaleOf(parent: KubeObject, paths: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string }): Scale {
  const m = parent.metadata;
  const status: Scale['status'] = { replicas: Number(readPath(parent, paths.statusReplicasPath) ?? 0) };
  if (paths.labelSelectorPath) {
    const sel = readPath(parent, paths.labelSelectorPath);
    if (typeof sel === 'string') status.selector = sel;
    else if (sel && typeof sel === 'object') status.selector = labelSelectorFromObject(sel).toString();
  }
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: readPath(parent, paths.specReplicasPath) as number | undefined },
    status,
  };
}

function pathsOf(req: RestRequest) {
  const paths = req.rt.strategy.scale;
  if (!paths) throw errors.noRoute();
  return paths;
}

export async function getScale(deps: RestDeps, req: RestRequest): Promise<RestResponse> {
  const { rt, info } = req;
  const paths = pathsOf(req);
  const stored = await consistentGet(deps, rt, info.namespace, info.name);
  if (!stored) throw errors.notFound(rt.group, rt.resource, info.name);
  return { status: 200, object: scaleOf(deps.storage.toServed(rt, stored), paths) };
}

/** PUT or PATCH of /scale. */
export async function writeScale(deps: RestDeps, req: RestRequest, method: 'PUT' | 'PATCH'): Promise<RestResponse> {
  const { rt, info } = req;
  const paths = pathsOf(req);
  const kind = method === 'PATCH' ? patchType(req.contentType) : undefined;
  if (kind === 'apply' || kind === 'strategic') {
    // A Scale has no lists or merge keys: strategic merge equals JSON merge; apply is treated as a merge.
  }
  const result = await guaranteedUpdate(deps, req, {
    dryRun: isDryRun(req.query),
    manager: fieldManager(req),
    subresource: 'scale',
    recordManagedFields: true,
    mutate: (current) => {
      const scale = scaleOf(current, paths) as unknown as JsonObject;
      let next: unknown;
      if (method === 'PUT') next = req.body;
      else if (kind === 'json') next = applyJsonPatch(scale, req.body);
      else next = applyMergePatch(scale, req.body);
      const n = next as Partial<Scale> | null;
      if (!n || typeof n !== 'object' || Array.isArray(n)) throw errors.badRequest('the body must be a Scale object');
      if (n.kind !== undefined && n.kind !== 'Scale') throw errors.badRequest(`expected a Scale, got ${String(n.kind)}`);
      const replicas = n.spec?.replicas;
      if (replicas === undefined || replicas === null || typeof replicas !== 'number' || !Number.isInteger(replicas)) {
        throw errors.invalid('autoscaling', 'Scale', info.name, [{ reason: 'FieldValueRequired', field: 'spec.replicas', message: 'Required value' }]);
      }
      if (replicas < 0) {
        throw errors.invalid('autoscaling', 'Scale', info.name, [{ reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${replicas}: must be greater than or equal to 0` }]);
      }
      const rvPrecondition = n.metadata?.resourceVersion;
      const out = current;
      writePath(out as Record<string, unknown>, paths.specReplicasPath, replicas);
      if (rvPrecondition && method === 'PUT') out.metadata.resourceVersion = rvPrecondition;
      return out;
    },
  });
  return { status: 200, object: scaleOf(result, paths) };
}
