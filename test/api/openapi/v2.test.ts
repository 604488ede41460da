import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOpenApiV2 } from '../../../src/api/openapi/v2.js';
import { SchemaRegistry } from '../../../src/api/schema/registry.js';
import { resources } from './fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

test('one Swagger 2.0 document with all paths and #/definitions refs', () => {
  const registry = new SchemaRegistry();
  const doc = buildOpenApiV2(resources, registry);
  assert.equal(buildOpenApiV2(resources, registry), doc, 'memoized');
  const v2 = JSON.parse(doc.body) as Json;
  assert.equal(v2.swagger, '2.0');
  assert.ok(v2.paths['/api/v1/namespaces/{namespace}/pods']);
  assert.ok(v2.paths['/apis/rbac.authorization.k8s.io/v1/clusterroles']);
  const patch = v2.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
  assert.ok(patch.consumes.includes('application/strategic-merge-patch+json'));
  assert.ok((patch.parameters as Json[]).some((p) => p.name === 'fieldValidation' && p.in === 'query'));
  assert.equal(patch.parameters[0].in, 'body');
  assert.doesNotMatch(doc.body, /#\/components\/schemas\//);
  for (const m of doc.body.matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)) assert.ok(v2.definitions[m[1]!], m[1]);
  const spec = v2.definitions['io.k8s.api.apps.v1.DeploymentSpec'].properties;
  assert.deepEqual(Object.keys(spec.strategy).sort(), ['$ref', 'description']);
  assert.equal(spec.strategy.$ref, '#/definitions/io.k8s.api.apps.v1.DeploymentStrategy');
  assert.deepEqual(
    { type: v2.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].type, format: v2.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].format },
    { type: 'string', format: 'int-or-string' },
  );
  assert.equal(v2.definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'].type, 'string');
  assert.doesNotMatch(doc.body, /"oneOf"/);
});
