// parseRequestTarget must give exactly what `new URL(target, "https://localhost")` gives (pathname and every
// query parameter), on the request shapes clients send and on the ones URL rewrites.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestInfo, parseRequestTarget } from '../../src/apiserver/request-info.js';
import { isMetricValuePath } from '../../src/metrics/custom-metrics.js';
import { StatusError } from '../../src/api/errors.js';

const targets = [
  '/',
  '/api',
  '/api/',
  '/apis/apps/v1',
  '/healthz',
  '/readyz?verbose',
  '/api/v1/namespaces/default/pods',
  '/api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply&fieldValidation=Strict',
  '/api/v1/namespaces/default/pods/p-1/status',
  '/api/v1/namespaces/default/pods/p-1/binding?dryRun=All',
  '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/sim-00042',
  '/api/v1/pods?watch=true&resourceVersion=123&allowWatchBookmarks=true&timeoutSeconds=343',
  '/api/v1/pods?fieldSelector=spec.nodeName%3Dsim-1%2Cstatus.phase!%3DSucceeded&labelSelector=app+in+(a,b)',
  '/api/v1/pods?labelSelector=a%3Db&limit=500&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEi%3D%3D',
  '/api/v1/namespaces/default/pods/x/log?container=c&follow=true&sinceSeconds=10',
  '/api/v1/namespaces/default/pods/x/proxy/some/path?q=1',
  '/api/v1/nodes/n1/proxy/stats/summary',
  '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/requests-per-second?labelSelector=app%3Dweb',
  '/openapi/v3/apis/apps/v1?hash=ABCDEF',
  '/api/v1/namespaces/default/configmaps/a.b.c',
  '/api/v1/namespaces/default/pods/.hidden',
  '/api/v1/namespaces/default/pods/..x',
  '/api/v1/namespaces/default/pods/x..',
  // URL rewrites these (dot segments, percent-encoding, backslashes, authority, fragments, whitespace).
  '/api/v1/./namespaces',
  '/api/v1/namespaces/../nodes',
  '/api/v1/namespaces/default/pods/.',
  '/api/v1/namespaces/default/pods/..',
  '/api/v1/namespaces/default/pods/..?watch=1',
  '/api/v1/namespaces/%2e%2e/pods',
  '/api/v1/namespaces/a%2Fb/pods',
  '/api/v1/namespaces/default/pods/%zz',
  '/api/v1/namespaces/default/pods/a b',
  '/api/v1/namespaces/default/pods/é',
  '/api/v1/namespaces/default/pods/"q"',
  '/api/v1/namespaces/default/pods/<x>',
  '/api/v1/namespaces/default/pods/`x`{y}',
  '/api\\v1\\nodes',
  '//evil.example/api/v1/nodes',
  'http://other.example:8080/api/v1/nodes?x=1',
  'api/v1/nodes',
  '',
  '/api/v1/nodes#frag',
  '/api/v1/nodes?x=1#frag?y=2',
  '/api/v1/nodes?',
  '/api/v1/nodes?#',
  '/api/v1/nodes?&&a&=b&c=',
  '/api/v1/nodes?x=1 ',
  '/api/v1/nodes?x=a b',
  '/api/v1/nodes?x=a\tb',
  '/api/v1/nodes?x=a\nb',
  "/api/v1/nodes?q='x'&r=\"y\"&s=<z>",
  '/api/v1/nodes?x=é&y=%C3%A9&z=%zz&w=+1%2B',
  '/api/v1/nodes?x=\ud800',
  '/api/v1/nodes?a=1&a=2&b',
  ' /api/v1/nodes',
  '/api/v1/nodes/\u0001x',
];

for (const target of targets) {
  test(`parseRequestTarget ${JSON.stringify(target)} is what URL gives`, () => {
    const url = new URL(target, 'https://localhost');
    const got = parseRequestTarget(target);
    assert.equal(got.path, url.pathname);
    assert.deepEqual([...got.query], [...url.searchParams]);
  });
}

test('parseRequestTarget on every printable ASCII character in the path and the query', () => {
  for (let c = 0; c < 0x80; c++) {
    const ch = String.fromCharCode(c);
    for (const target of [`/api/v1/x${ch}y`, `/api/v1/${ch}`, `/api/v1/${ch}${ch}/z`, `/api/v1/x?k${ch}=v${ch}w&z=1`, `/a/.${ch}`]) {
      const url = new URL(target, 'https://localhost');
      const got = parseRequestTarget(target);
      assert.equal(got.path, url.pathname, JSON.stringify(target));
      assert.deepEqual([...got.query], [...url.searchParams], JSON.stringify(target));
    }
  }
});

test('parseRequestInfo on parsed targets: percent-decoded segments, watch from the query, the rest of a proxy path', () => {
  const info = (method: string, target: string) => {
    const t = parseRequestTarget(target);
    return parseRequestInfo(method, t.path, t.query);
  };
  assert.deepEqual(info('GET', '/api/v1/namespaces/default/pods/x/proxy/a/b%20c?x=1'), {
    isResourceRequest: true,
    prefix: 'api',
    group: '',
    version: 'v1',
    namespace: 'default',
    resource: 'pods',
    name: 'x',
    subresource: 'proxy',
    verb: 'get',
    rest: ['a', 'b c'],
  });
  const w = info('get', '/apis/apps/v1/namespaces/a%2Fb/deployments?watch=1');
  assert.ok(w.isResourceRequest);
  assert.equal(w.verb, 'watch');
  assert.equal(w.namespace, 'a/b');
  const bad = info('GET', '/api/v1/namespaces/%zz/pods');
  assert.ok(bad.isResourceRequest);
  assert.equal(bad.namespace, '%zz');
  assert.deepEqual(info('OPTIONS', '/api/v1/pods'), { isResourceRequest: false, path: '/api/v1/pods', verb: 'options' });
  assert.deepEqual(info('GET', '/apis/apps'), { isResourceRequest: false, path: '/apis/apps', verb: 'get' });
});

test('isMetricValuePath: custom and external metric reads only', () => {
  const cases: [string, boolean][] = [
    ['/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/rps', true],
    ['/apis/custom.metrics.k8s.io/v1beta2/x', true],
    ['//apis//custom.metrics.k8s.io/v1beta2/x', true],
    ['/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue', true],
    ['/apis/custom.metrics.k8s.io/v1beta2', false],
    ['/apis/custom.metrics.k8s.io/v1beta2/', false],
    ['/apis/custom.metrics.k8s.io/v1beta1/x', false],
    ['/apis/metrics.k8s.io/v1beta1/pods', false],
    ['/api/v1/namespaces/default/pods', false],
    ['/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n', false],
  ];
  for (const [path, want] of cases) assert.equal(isMetricValuePath(path), want, path);
});

test('parseRequestTarget agrees with URL on 20,000 generated targets (fixed seed)', () => {
  const alphabet = ['/', '/', '/', '.', '.', '?', '#', '%', '%2e', '%2F', '%zz', '&', '=', '+', ' ', '\t', '\\', 'a', 'b', 'pods', 'é', '\ud83d\ude00', '\ud800', "'", '"', '~', '|'];
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let n = 0; n < 20_000; n++) {
    let target = next() % 8 === 0 ? '' : '/';
    const len = next() % 12;
    for (let k = 0; k < len; k++) target += alphabet[next() % alphabet.length];
    let url: URL;
    try {
      url = new URL(target, 'https://localhost');
    } catch {
      // An authority URL cannot parse ("//%zz"): a 400, not a crash.
      assert.throws(() => parseRequestTarget(target), (e: unknown) => e instanceof StatusError && e.code === 400, JSON.stringify(target));
      continue;
    }
    const got = parseRequestTarget(target);
    assert.equal(got.path, url.pathname, JSON.stringify(target));
    assert.deepEqual([...got.query], [...url.searchParams], JSON.stringify(target));
  }
});
