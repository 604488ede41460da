import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinResources } from '../../../src/api/kinds/index.js';
import type { ResourceType } from '../../../src/api/resource.js';

const all = builtinResources();
const find = (group: string, version: string, resource: string): ResourceType => {
  const rt = all.find((r) => r.group === group && r.version === version && r.resource === resource);
  assert.ok(rt, `${group}/${version}/${resource}`);
  return rt;
};

test('discovery identity and storage layout as upstream', () => {
  // group, version, resource, kind, namespaced, shortNames, categories, storagePrefix
  const cases: [string, string, string, string, boolean, string[], string[], string][] = [
    ['', 'v1', 'pods', 'Pod', true, ['po'], ['all'], '/registry/pods'],
    ['', 'v1', 'services', 'Service', true, ['svc'], ['all'], '/registry/services/specs'],
    ['', 'v1', 'endpoints', 'Endpoints', true, ['ep'], [], '/registry/services/endpoints'],
    ['', 'v1', 'nodes', 'Node', false, ['no'], [], '/registry/minions'],
    ['', 'v1', 'namespaces', 'Namespace', false, ['ns'], [], '/registry/namespaces'],
    ['', 'v1', 'configmaps', 'ConfigMap', true, ['cm'], [], '/registry/configmaps'],
    ['', 'v1', 'events', 'Event', true, ['ev'], [], '/registry/events'],
    ['', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, ['pvc'], [], '/registry/persistentvolumeclaims'],
    ['', 'v1', 'resourcequotas', 'ResourceQuota', true, ['quota'], [], '/registry/resourcequotas'],
    ['', 'v1', 'limitranges', 'LimitRange', true, ['limits'], [], '/registry/limitranges'],
    ['apps', 'v1', 'deployments', 'Deployment', true, ['deploy'], ['all'], '/registry/deployments'],
    ['apps', 'v1', 'statefulsets', 'StatefulSet', true, ['sts'], ['all'], '/registry/statefulsets'],
    ['apps', 'v1', 'daemonsets', 'DaemonSet', true, ['ds'], ['all'], '/registry/daemonsets'],
    ['batch', 'v1', 'cronjobs', 'CronJob', true, ['cj'], ['all'], '/registry/cronjobs'],
    ['batch', 'v1', 'jobs', 'Job', true, [], ['all'], '/registry/jobs'],
    ['autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, ['hpa'], ['all'], '/registry/horizontalpodautoscalers'],
    ['autoscaling', 'v1', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, ['hpa'], ['all'], '/registry/horizontalpodautoscalers'],
    ['networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, ['ing'], [], '/registry/ingress'],
    ['events.k8s.io', 'v1', 'events', 'Event', true, ['ev'], [], '/registry/events'],
    ['policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, ['pdb'], [], '/registry/poddisruptionbudgets'],
    ['apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, ['crd', 'crds'], ['api-extensions'], '/registry/apiextensions.k8s.io/customresourcedefinitions'],
    ['storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false, ['sc'], [], '/registry/storageclasses'],
    ['scheduling.k8s.io', 'v1', 'priorityclasses', 'PriorityClass', false, ['pc'], [], '/registry/priorityclasses'],
    ['rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false, [], [], '/registry/clusterroles'],
    ['coordination.k8s.io', 'v1', 'leases', 'Lease', true, [], [], '/registry/leases'],
    ['discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true, [], [], '/registry/endpointslices'],
  ];
  for (const [g, v, r, kind, ns, short, cats, prefix] of cases) {
    const rt = find(g, v, r);
    assert.equal(rt.kind, kind, r);
    assert.equal(rt.listKind, `${kind}List`, r);
    assert.equal(rt.singular, kind.toLowerCase(), r);
    assert.equal(rt.namespaced, ns, r);
    assert.deepEqual(rt.shortNames, short, r);
    assert.deepEqual(rt.categories, cats, r);
    assert.equal(rt.storagePrefix, prefix, r);
  }
});

test('verbs and subresources', () => {
  assert.deepEqual(find('', 'v1', 'namespaces').verbs, ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
  assert.deepEqual(find('', 'v1', 'bindings').verbs, ['create']);
  assert.deepEqual(find('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews').verbs, ['create']);
  assert.deepEqual(find('authentication.k8s.io', 'v1', 'selfsubjectreviews').verbs, ['create']);
  const pods = find('', 'v1', 'pods');
  assert.deepEqual(
    pods.subresources.map((s) => s.name).sort(),
    ['attach', 'binding', 'ephemeralcontainers', 'eviction', 'exec', 'log', 'portforward', 'proxy', 'status'],
  );
  assert.deepEqual(pods.subresources.find((s) => s.name === 'log')!.verbs, ['get']);
  assert.deepEqual(pods.subresources.find((s) => s.name === 'exec')!.verbs, ['create', 'get']);
  assert.deepEqual(pods.subresources.find((s) => s.name === 'eviction')!.responseKind, { group: 'policy', version: 'v1', kind: 'Eviction' });
  for (const r of ['deployments', 'replicasets', 'statefulsets']) {
    const scale = find('apps', 'v1', r).subresources.find((s) => s.name === 'scale');
    assert.deepEqual(scale, { name: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] }, r);
    assert.equal(find('apps', 'v1', r).strategy.scale?.specReplicasPath, 'spec.replicas');
  }
  assert.deepEqual(find('', 'v1', 'namespaces').subresources.map((s) => s.name), ['finalize', 'status']);
  assert.deepEqual(find('', 'v1', 'serviceaccounts').subresources.map((s) => s.name), ['token']);
});

test('versions: autoscaling/v2 preferred and the storage version for both', () => {
  const v2 = find('autoscaling', 'v2', 'horizontalpodautoscalers');
  const v1 = find('autoscaling', 'v1', 'horizontalpodautoscalers');
  assert.equal(v2.preferred, true);
  assert.equal(v1.preferred, false);
  assert.equal(v1.storageVersion, 'v2');
  assert.equal(v2.storageVersion, 'v2');
  assert.ok(v1.conversion);
  assert.ok(find('events.k8s.io', 'v1', 'events').conversion);
  const keys = new Set<string>();
  for (const rt of all) {
    const k = `${rt.group}/${rt.version}/${rt.resource}`;
    assert.ok(!keys.has(k), `duplicate ${k}`);
    keys.add(k);
  }
  assert.equal(all[0]!.group, '', 'core first');
});

test('generation and status subresource flags', () => {
  const gen = ['deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs', 'horizontalpodautoscalers', 'poddisruptionbudgets', 'ingresses', 'networkpolicies', 'customresourcedefinitions'];
  for (const rt of all) {
    if (gen.includes(rt.resource)) assert.equal(rt.strategy.generation, true, rt.resource);
    assert.equal(rt.strategy.statusSubresource, rt.subresources.some((s) => s.name === 'status'), rt.resource);
  }
  assert.equal(find('', 'v1', 'pods').strategy.generation, false);
  assert.equal(find('', 'v1', 'services').strategy.nameRule, 'dns1035-label');
  assert.equal(find('', 'v1', 'namespaces').strategy.nameRule, 'dns1123-label');
  assert.equal(find('rbac.authorization.k8s.io', 'v1', 'roles').strategy.nameRule, 'path-segment');
  assert.equal(find('apps', 'v1', 'deployments').strategy.nameRule, 'dns1123-subdomain');
});
