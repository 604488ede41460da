// Small ResourceType fixtures for the OpenAPI tests (the real list lives in src/api/kinds).
import type { ResourceType, Verb } from '../../../src/api/resource.js';

const ALL: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function rt(p: Partial<ResourceType> & Pick<ResourceType, 'group' | 'version' | 'resource' | 'kind'>): ResourceType {
  return {
    listKind: `${p.kind}List`,
    singular: p.kind.toLowerCase(),
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ALL,
    subresources: [],
    storagePrefix: `/registry/${p.resource}`,
    storageVersion: p.version,
    preferred: true,
    strategy: { nameRule: 'dns1123-subdomain', statusSubresource: false, generation: false },
    ...p,
  };
}

export const deployments = rt({
  group: 'apps',
  version: 'v1',
  resource: 'deployments',
  kind: 'Deployment',
  subresources: [
    { name: 'status', responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' }, verbs: ['get', 'patch', 'update'] },
    { name: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] },
  ],
});

export const pods = rt({
  group: '',
  version: 'v1',
  resource: 'pods',
  kind: 'Pod',
  subresources: [
    { name: 'status', responseKind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get', 'patch', 'update'] },
    { name: 'log', responseKind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get'] },
    { name: 'exec', responseKind: { group: '', version: 'v1', kind: 'PodExecOptions' }, verbs: ['create', 'get'] },
  ],
});

export const clusterRoles = rt({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  resource: 'clusterroles',
  kind: 'ClusterRole',
  namespaced: false,
});

export const widgets = rt({ group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget' });

export const resources: ResourceType[] = [pods, deployments, clusterRoles];
