import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOpenApiV3Group, buildOpenApiV3Root, hashOf } from '../../../src/api/openapi/v3.js';
import { SchemaRegistry } from '../../../src/api/schema/registry.js';
import { clusterRoles, deployments, resources, widgets } from './fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const registry = new SchemaRegistry();
const group = (gv: string, rs = resources, reg = registry): Json => JSON.parse(buildOpenApiV3Group(rs, reg, gv)!.body) as Json;

test('root lists every served group version with a content hash', () => {
  const root = JSON.parse(buildOpenApiV3Root(resources, registry).body) as Json;
  assert.deepEqual(Object.keys(root.paths), ['api/v1', 'apis/apps/v1', 'apis/rbac.authorization.k8s.io/v1']);
  const apps = buildOpenApiV3Group(resources, registry, 'apis/apps/v1')!;
  assert.equal(root.paths['apis/apps/v1'].serverRelativeURL, `/openapi/v3/apis/apps/v1?hash=${hashOf(apps.body)}`);
  assert.match(hashOf(apps.body), /^[0-9A-F]{128}$/);
  assert.equal(apps.etag, `"${hashOf(apps.body)}"`);
  assert.equal(buildOpenApiV3Group(resources, registry, 'apis/nope/v1'), undefined);
});

test('PATCH operations carry fieldValidation, fieldManager, force, dryRun, the GVK and patch content types', () => {
  const doc = group('apis/apps/v1');
  assert.equal(doc.openapi, '3.0.0');
  assert.deepEqual(doc.info, { title: 'Kubernetes', version: 'v1.32.5' });
  const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
  assert.equal(patch.operationId, 'patchAppsV1NamespacedDeployment');
  assert.equal(patch['x-kubernetes-action'], 'patch');
  assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
  const params = (patch.parameters as Json[]).map((p) => `${p.in}:${p.name}`);
  for (const p of ['fieldValidation', 'fieldManager', 'force', 'dryRun']) assert.ok(params.includes(`query:${p}`), p);
  assert.deepEqual(Object.keys(patch.requestBody.content).sort(), [
    'application/apply-patch+yaml',
    'application/json-patch+json',
    'application/merge-patch+json',
    'application/strategic-merge-patch+json',
  ]);
  assert.equal(patch.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/io.k8s.api.apps.v1.Deployment');
});

test('collection, item, status and scale operations', () => {
  const doc = group('apis/apps/v1');
  const coll = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments'];
  assert.equal(coll.get.operationId, 'listAppsV1NamespacedDeployment');
  assert.equal(coll.get['x-kubernetes-action'], 'list');
  const listParams = (coll.get.parameters as Json[]).map((p) => p.name);
  for (const p of ['watch', 'labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'timeoutSeconds']) {
    assert.ok(listParams.includes(p), p);
  }
  assert.equal(coll.get.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/io.k8s.api.apps.v1.DeploymentList');
  assert.equal(coll.post['x-kubernetes-action'], 'post');
  assert.equal(coll.delete['x-kubernetes-action'], 'deletecollection');
  assert.equal(coll.delete.operationId, 'deleteAppsV1CollectionNamespacedDeployment');
  const item = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
  assert.deepEqual(Object.keys(item).sort(), ['delete', 'get', 'parameters', 'patch', 'put']);
  assert.deepEqual((item.parameters as Json[]).map((p) => p.name), ['name', 'namespace', 'pretty']);
  assert.equal(doc.paths['/apis/apps/v1/deployments'].get.operationId, 'listAppsV1DeploymentForAllNamespaces');
  const status = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status'];
  assert.equal(status.patch.operationId, 'patchAppsV1NamespacedDeploymentStatus');
  const scale = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
  assert.deepEqual(scale.patch['x-kubernetes-group-version-kind'], { group: 'autoscaling', version: 'v1', kind: 'Scale' });
  assert.equal(scale.get.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/io.k8s.api.autoscaling.v1.Scale');
});

test('components hold only definitions reachable from the group version', () => {
  const schemas = group('apis/apps/v1').components.schemas as Json;
  for (const name of [
    'io.k8s.api.apps.v1.Deployment',
    'io.k8s.api.apps.v1.DeploymentList',
    'io.k8s.api.core.v1.PodSpec',
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
    'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions',
    'io.k8s.api.autoscaling.v1.Scale',
    'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
  ]) {
    assert.ok(schemas[name], name);
  }
  assert.equal(schemas['io.k8s.api.rbac.v1.ClusterRole'], undefined);
  assert.equal(schemas['io.k8s.api.apps.v1.DaemonSet'], undefined);
  // kubectl explain deployment.spec.strategy: GVK on the kind, descriptions along the path.
  assert.deepEqual(schemas['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [
    { group: 'apps', version: 'v1', kind: 'Deployment' },
  ]);
  assert.match(schemas['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy.description, /strategy/);
  assert.ok(schemas['io.k8s.api.apps.v1.DeploymentStrategy'].properties.rollingUpdate);
  // Every $ref in the document resolves inside it.
  const body = buildOpenApiV3Group(resources, registry, 'apis/apps/v1')!.body;
  for (const m of body.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) assert.ok(schemas[m[1]!], m[1]);
});

test('core and cluster-scoped naming; log subresource; connect subresources omitted', () => {
  const core = group('api/v1');
  assert.equal(core.paths['/api/v1/namespaces/{namespace}/pods'].get.operationId, 'listCoreV1NamespacedPod');
  assert.equal(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/log'].get.operationId, 'readCoreV1NamespacedPodLog');
  assert.equal(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/exec'], undefined);
  const rbac = group('apis/rbac.authorization.k8s.io/v1', [clusterRoles]);
  assert.equal(rbac.paths['/apis/rbac.authorization.k8s.io/v1/clusterroles'].get.operationId, 'listRbacAuthorizationV1ClusterRole');
  const item = rbac.paths['/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}'];
  assert.equal(item.patch.operationId, 'patchRbacAuthorizationV1ClusterRole');
  assert.deepEqual((item.parameters as Json[]).map((p) => p.name), ['name', 'pretty']);
});

test('custom resources: schema from the registry, synthesized list kind, no strategic merge patch, regenerated on change', () => {
  const reg = new SchemaRegistry();
  const rs = [...resources, widgets];
  const rootBefore = buildOpenApiV3Root(rs, reg).body;
  assert.ok(JSON.parse(rootBefore).paths['apis/example.com/v1']);
  reg.setCustomResource('example.com', 'v1', 'Widget', {
    type: 'object',
    properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
  });
  const doc = group('apis/example.com/v1', rs, reg);
  const schemas = doc.components.schemas as Json;
  assert.ok(schemas['com.example.v1.Widget'].properties.spec);
  assert.deepEqual(schemas['com.example.v1.WidgetList']['x-kubernetes-group-version-kind'], [
    { group: 'example.com', version: 'v1', kind: 'WidgetList' },
  ]);
  const patch = doc.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}'].patch;
  assert.equal(patch.operationId, 'patchExampleComV1NamespacedWidget');
  assert.ok(!('application/strategic-merge-patch+json' in patch.requestBody.content));
  assert.notEqual(buildOpenApiV3Root(rs, reg).body, rootBefore, 'root hash changes with the schema');
});

test('memoized: repeated calls return the same document until the registry changes', () => {
  const reg = new SchemaRegistry();
  const a = buildOpenApiV3Group([deployments], reg, 'apis/apps/v1');
  assert.equal(buildOpenApiV3Group([deployments], reg, '/apis/apps/v1'), a);
  reg.setCustomResource('example.com', 'v1', 'Widget', { type: 'object' });
  const b = buildOpenApiV3Group([deployments], reg, 'apis/apps/v1');
  assert.notEqual(b, a);
  assert.equal(b!.body, a!.body);
});
