import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resourcePath } from '../../src/client/resource.js';
import { deployments, nodes, pods } from '../../src/client/resources.js';
import { apiErrorFromResponse, isConflict, isNotFound, isResourceExpired } from '../../src/client/errors.js';
import { encodeQuery } from '../../src/client/transport.js';

test('REST paths for every scope and subresource', () => {
  const table: Array<[string, string]> = [
    [resourcePath(pods), '/api/v1/pods'],
    [resourcePath(pods, 'ns'), '/api/v1/namespaces/ns/pods'],
    [resourcePath(pods, 'ns', 'p', 'binding'), '/api/v1/namespaces/ns/pods/p/binding'],
    [resourcePath(nodes, 'ignored', 'n1', 'status'), '/api/v1/nodes/n1/status'],
    [resourcePath(deployments, 'ns', 'd', 'scale'), '/apis/apps/v1/namespaces/ns/deployments/d/scale'],
    [resourcePath(pods, 'ns', 'a b'), '/api/v1/namespaces/ns/pods/a%20b'],
  ];
  for (const [got, want] of table) assert.equal(got, want);
  assert.throws(() => resourcePath(pods, 'ns', ''));
});

test('query strings drop empty values and repeat arrays', () => {
  assert.equal(encodeQuery({ a: 'x=y', b: undefined, c: '', d: 0, e: true, f: ['1', '2'] }), '?a=x%3Dy&d=0&e=true&f=1&f=2');
  assert.equal(encodeQuery({}), '');
});

test('error bodies become ApiErrors with the Status reason; non-Status bodies get a reason from the code', () => {
  const notFound = apiErrorFromResponse(404, JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "x" not found', reason: 'NotFound', code: 404, details: { name: 'x', kind: 'pods' } }));
  assert.equal(notFound.message, 'pods "x" not found');
  assert.equal(notFound.details?.name, 'x');
  assert.ok(isNotFound(notFound));
  const table: Array<[number, string, (e: unknown) => boolean]> = [
    [409, 'conflict', isConflict],
    [410, '', isResourceExpired],
    [404, '<html>', isNotFound],
  ];
  for (const [code, body, pred] of table) {
    const e = apiErrorFromResponse(code, body);
    assert.equal(e.code, code);
    assert.ok(pred(e), `${code}`);
    assert.equal(e.status.kind, 'Status');
  }
});
