// Subresources with their own semantics: pods/binding (and the bindings resource) as the scheduler uses
// them, pods/eviction with PodDisruptionBudget checks (429 when a budget forbids), namespaces/finalize, and
// the streaming subresources (log, exec, attach, portforward, proxy) which need a node agent to serve them.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { KubeObject } from '../../api/types.js';
import { errors, StatusError } from '../../api/errors.js';
import { labelSelectorFromObject } from '../../util/label-selector.js';
import { fieldManager, isDryRun } from './common.js';
import { guaranteedUpdate, storageUpdate } from './update.js';
import { bindingRefusal, boundPod, checkBinding } from './binding.js';
import { deleteObject, type DeleteOptions } from './delete.js';
import { now } from './object-meta.js';
import type { RestDeps, RestRequest, RestResponse } from './types.js';

const success = (code: number) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code });

/**
 * POST pods/<name>/binding or bindings: assigns the pod to a node, once. As upstream, the pod is changed in
 * storage directly (see binding.ts), and a pod that cannot be bound is a Conflict on pods/binding.
 */
export async function bind(deps: RestDeps, req: RestRequest, podName: string): Promise<RestResponse> {
  const binding = checkBinding(req.body, podName);
  const podType = deps.registry.lookup('', 'v1', 'pods')!;
  const podReq: RestRequest = { ...req, rt: podType, info: { ...req.info, resource: 'pods', name: podName, subresource: '' } };
  const time = now();
  await storageUpdate(deps, podReq, isDryRun(req.query), (current) => {
    const refusal = bindingRefusal(current, binding);
    if (refusal !== undefined) throw errors.conflict('', 'pods/binding', podName, refusal);
    return boundPod(current, binding, time);
  });
  return { status: 201, object: success(201) };
}

/** POST pods/<name>/eviction: delete the pod unless a PodDisruptionBudget forbids it (429). */
export async function evict(deps: RestDeps, req: RestRequest): Promise<RestResponse> {
  const { info } = req;
  const body = (req.body ?? {}) as { deleteOptions?: Omit<Partial<DeleteOptions>, 'dryRun'> & { dryRun?: string[] } };
  const podType = req.rt;
  const pod = (await deps.storage.get(podType, info.namespace, info.name)) as (KubeObject & Pod) | undefined;
  if (!pod) throw errors.notFound('', 'pods', info.name);
  const phase = pod.status?.phase;
  const dryRun = isDryRun(req.query) || (body.deleteOptions?.dryRun ?? []).includes('All');
  const deleteOpts: DeleteOptions = {
    gracePeriodSeconds: body.deleteOptions?.gracePeriodSeconds,
    propagationPolicy: body.deleteOptions?.propagationPolicy,
    preconditions: body.deleteOptions?.preconditions,
    dryRun,
  };
  // Pods that are not running count against no budget.
  if (phase !== 'Succeeded' && phase !== 'Failed' && phase !== 'Pending' && !pod.metadata.deletionTimestamp) {
    const pdbType = deps.registry.lookup('policy', 'v1', 'poddisruptionbudgets');
    if (pdbType) {
      const cache = await deps.storage.cache(pdbType);
      const pdbs = cache
        .list(deps.storage.collectionPrefix(pdbType, info.namespace))
        .items.filter((p) => labelSelectorFromObject((p as unknown as PodDisruptionBudget).spec?.selector).matches(pod.metadata.labels)) as unknown as PodDisruptionBudget[];
      if (pdbs.length > 1) {
        throw new StatusError(429, 'TooManyRequests', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
      }
      const pdb = pdbs[0];
      if (pdb) {
        const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        const allowed = pdb.status?.disruptionsAllowed ?? 0;
        const observed = (pdb.status?.observedGeneration ?? 0) >= (pdb.metadata?.generation ?? 0);
        if (ready && (!observed || allowed <= 0)) {
          throw new StatusError(429, 'TooManyRequests', 'Cannot evict pod as it would violate the pod\'s disruption budget.', {
            causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdb.metadata?.name} needs ${pdb.status?.desiredHealthy ?? 0} healthy pods and has ${pdb.status?.currentHealthy ?? 0} currently` }],
          });
        }
        if (ready && !dryRun) await consumeDisruption(deps, req, pdb, info.name);
      }
    }
  }
  await deleteObject(deps, req, info.namespace, info.name, deleteOpts);
  return { status: 201, object: success(201) };
}

/** Records the eviction in the budget's status (upstream's disruptedPods), so concurrent evictions count. */
async function consumeDisruption(deps: RestDeps, req: RestRequest, pdb: PodDisruptionBudget, podName: string): Promise<void> {
  const pdbType = deps.registry.lookup('policy', 'v1', 'poddisruptionbudgets')!;
  const pdbReq: RestRequest = { ...req, rt: pdbType, info: { ...req.info, group: 'policy', resource: 'poddisruptionbudgets', name: pdb.metadata?.name ?? '', subresource: 'status' } };
  await guaranteedUpdate(deps, pdbReq, {
    dryRun: false,
    manager: 'skiff-eviction',
    subresource: 'status',
    recordManagedFields: false,
    mutate: (current) => {
      const st = ((current as { status?: Record<string, unknown> }).status ??= {}) as { disruptionsAllowed?: number; disruptedPods?: Record<string, string> };
      if ((st.disruptionsAllowed ?? 0) <= 0) {
        throw new StatusError(429, 'TooManyRequests', 'Cannot evict pod as it would violate the pod\'s disruption budget.');
      }
      st.disruptionsAllowed = (st.disruptionsAllowed ?? 0) - 1;
      st.disruptedPods = { ...(st.disruptedPods ?? {}), [podName]: now() };
      return current;
    },
  });
}

/** PUT namespaces/<name>/finalize: replaces spec.finalizers only; a terminating namespace goes once empty. */
export async function finalizeNamespace(deps: RestDeps, req: RestRequest): Promise<RestResponse> {
  const body = req.body as { spec?: { finalizers?: unknown } } | undefined;
  if (!body || typeof body !== 'object') throw errors.badRequest('the body must be a Namespace');
  const fins = body.spec?.finalizers ?? [];
  if (!Array.isArray(fins) || fins.some((f) => typeof f !== 'string')) {
    throw errors.invalid('', 'Namespace', req.info.name, [{ reason: 'FieldValueInvalid', field: 'spec.finalizers', message: 'must be a list of strings' }]);
  }
  const result = await guaranteedUpdate(deps, req, {
    dryRun: isDryRun(req.query),
    manager: fieldManager(req),
    subresource: 'finalize',
    recordManagedFields: true,
    mutate: (current) => {
      current['spec'] = { ...((current['spec'] as object) ?? {}), finalizers: fins as string[] };
      return current;
    },
  });
  return { status: 200, object: result };
}

/** Streaming subresources are served by the node agent the pod runs on. */
export async function connect(deps: RestDeps, req: RestRequest): Promise<RestResponse> {
  const { rt, info } = req;
  const obj = await deps.storage.get(rt, info.namespace, info.name);
  if (!obj) throw errors.notFound(rt.group, rt.resource, info.name);
  if (rt.resource === 'pods') {
    const nodeName = (obj['spec'] as { nodeName?: string } | undefined)?.nodeName;
    if (!nodeName) throw errors.badRequest(`pod ${info.name} does not have a host assigned`);
    throw errors.badRequest(`pod ${info.name} is on node ${nodeName}, which has no node agent serving ${info.subresource} on this cluster`);
  }
  throw errors.badRequest(`${rt.resource}/${info.subresource} needs a node agent, and none serves it on this cluster`);
}
