// Objects every cluster starts with, created through the normal REST path when missing: the namespaces
// default, kube-system, kube-public and kube-node-lease (as upstream's system namespaces controller) and the
// built-in priority classes system-node-critical and system-cluster-critical.
import { errors, StatusError } from '../api/errors.js';
import { create } from './rest/create.js';
import { systemRequest } from './rest/system-request.js';
import type { RestDeps } from './rest/types.js';
import type { KubeObject } from '../api/types.js';
import { systemPriorityClasses } from './admission/priority.js';

export const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function bootstrap(deps: RestDeps): Promise<void> {
  for (const name of systemNamespaces) {
    await ensure(deps, '', 'namespaces', name, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  for (const pc of systemPriorityClasses) {
    await ensure(deps, 'scheduling.k8s.io', 'priorityclasses', pc.name, {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: pc.name },
      value: pc.value,
      description: pc.description,
    });
  }
}

async function ensure(deps: RestDeps, group: string, resource: string, name: string, body: KubeObject): Promise<void> {
  const rt = deps.registry.lookup(group, 'v1', resource);
  if (!rt) throw errors.internal(`${resource} are not registered`);
  if (await deps.storage.get(rt, '', name)) return;
  try {
    await create(deps, systemRequest(rt, 'create', { body }));
  } catch (err) {
    if (!(err instanceof StatusError && err.reason === 'AlreadyExists')) throw err;
  }
}
