// Objects every cluster starts with, created through the normal REST path when missing: the namespaces
// default, kube-system, kube-public and kube-node-lease (as upstream's system namespaces controller).
import { errors, StatusError } from '../api/errors.js';
import { create } from './rest/create.js';
import { systemRequest } from './rest/system-request.js';
import type { RestDeps } from './rest/types.js';

export const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function bootstrap(deps: RestDeps): Promise<void> {
  const nsType = deps.registry.lookup('', 'v1', 'namespaces');
  if (!nsType) throw errors.internal('namespaces are not registered');
  for (const name of systemNamespaces) {
    if (await deps.storage.get(nsType, '', name)) continue;
    try {
      await create(deps, systemRequest(nsType, 'create', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } }));
    } catch (err) {
      if (!(err instanceof StatusError && err.reason === 'AlreadyExists')) throw err;
    }
  }
}
