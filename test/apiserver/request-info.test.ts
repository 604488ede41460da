import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestInfo, splitPath } from '../../src/apiserver/request-info.js';

const cases: [string, string, string, Record<string, string> | false][] = [
  ['GET', '/api/v1/namespaces/default/pods', '', { verb: 'list', namespace: 'default', resource: 'pods', name: '' }],
  ['GET', '/api/v1/namespaces/default/pods', 'watch=true', { verb: 'watch', resource: 'pods' }],
  ['GET', '/api/v1/namespaces/default/pods/x', '', { verb: 'get', name: 'x', namespace: 'default' }],
  ['GET', '/api/v1/namespaces/default/pods/x/log', '', { verb: 'get', name: 'x', subresource: 'log' }],
  ['POST', '/api/v1/namespaces/default/pods', '', { verb: 'create', resource: 'pods' }],
  ['DELETE', '/api/v1/namespaces/default/pods', '', { verb: 'deletecollection' }],
  ['DELETE', '/api/v1/namespaces/default/pods/x', '', { verb: 'delete', name: 'x' }],
  ['PATCH', '/apis/apps/v1/namespaces/ns/deployments/d/scale', '', { verb: 'patch', group: 'apps', version: 'v1', resource: 'deployments', name: 'd', subresource: 'scale' }],
  ['GET', '/api/v1/namespaces', '', { verb: 'list', resource: 'namespaces', namespace: '' }],
  ['GET', '/api/v1/namespaces/kube-system', '', { verb: 'get', resource: 'namespaces', name: 'kube-system', namespace: '' }],
  ['PUT', '/api/v1/namespaces/x/finalize', '', { verb: 'update', resource: 'namespaces', name: 'x', subresource: 'finalize' }],
  ['PUT', '/api/v1/namespaces/x/status', '', { verb: 'update', resource: 'namespaces', name: 'x', subresource: 'status' }],
  ['GET', '/api/v1/nodes', '', { verb: 'list', resource: 'nodes' }],
  ['GET', '/api/v1/watch/namespaces/default/pods', '', { verb: 'watch', resource: 'pods', namespace: 'default' }],
  ['GET', '/apis/apps/v1/deployments', '', { verb: 'list', group: 'apps', resource: 'deployments', namespace: '' }],
  ['GET', '/apis/apps/v1', '', false],
  ['GET', '/api/v1', '', false],
  ['GET', '/version', '', false],
];

for (const [method, path, q, want] of cases) {
  test(`${method} ${path}${q ? '?' + q : ''}`, () => {
    const info = parseRequestInfo(method, path, new URLSearchParams(q));
    if (want === false) {
      assert.equal(info.isResourceRequest, false);
      return;
    }
    assert.equal(info.isResourceRequest, true);
    for (const [k, v] of Object.entries(want)) assert.equal((info as unknown as Record<string, string>)[k], v, k);
  });
}

test('splitPath: the non-empty segments, percent-decoded, as splitting at every "/" gives them', () => {
  const reference = (path: string): string[] =>
    path
      .split('/')
      .filter((p) => p !== '')
      .map((p) => {
        try {
          return decodeURIComponent(p);
        } catch {
          return p;
        }
      });
  const paths = ['', '/', '//', 'a', '/a', 'a/', '/a/b/', '///a//b///', '/a%2Fb/c%zz/%41', '/api/v1/namespaces/x/pods/p/binding'];
  let seed = 3;
  const rnd = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) % n;
  for (let i = 0; i < 5000; i++) paths.push(Array.from({ length: rnd(12) }, () => ['/', 'a', '%', '2F', 'b', '%4', '//', 'é'][rnd(8)]).join(''));
  for (const p of paths) assert.deepEqual(splitPath(p), reference(p), JSON.stringify(p));
});
