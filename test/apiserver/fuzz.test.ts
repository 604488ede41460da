// Sends more than 10,000 generated malformed or hostile requests (seeded, so every run is the same) to a
// real API server: broken JSON/YAML/protobuf, wrong types, deep nesting, huge bodies, bad names, selectors,
// resourceVersions, patches, content types and paths. The server must never answer 5xx, every error must be
// a Status object carrying its HTTP code, and the server must still be healthy afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './harness.js';
import { rng } from '../support/rng.js';

const total = Number(process.env.SKIFF_FUZZ_REQUESTS ?? 10_500);
const concurrency = 16;


interface FuzzRequest {
  method: string;
  path: string;
  body?: string | Buffer;
  contentType?: string;
  accept?: string;
}

const collections = [
  '/api/v1/namespaces/fuzz/configmaps',
  '/api/v1/namespaces/fuzz/pods',
  '/api/v1/namespaces/fuzz/services',
  '/api/v1/namespaces/fuzz/secrets',
  '/api/v1/namespaces/fuzz/events',
  '/apis/apps/v1/namespaces/fuzz/deployments',
  '/apis/apps/v1/namespaces/fuzz/statefulsets',
  '/apis/batch/v1/namespaces/fuzz/jobs',
  '/apis/batch/v1/namespaces/fuzz/cronjobs',
  '/apis/autoscaling/v2/namespaces/fuzz/horizontalpodautoscalers',
  '/apis/autoscaling/v1/namespaces/fuzz/horizontalpodautoscalers',
  '/apis/networking.k8s.io/v1/namespaces/fuzz/ingresses',
  '/apis/rbac.authorization.k8s.io/v1/clusterroles',
  '/apis/coordination.k8s.io/v1/namespaces/fuzz/leases',
  '/apis/events.k8s.io/v1/namespaces/fuzz/events',
  '/api/v1/nodes',
  '/api/v1/namespaces',
  '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
  '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
];

const kinds: Record<string, { apiVersion: string; kind: string }> = {
  configmaps: { apiVersion: 'v1', kind: 'ConfigMap' },
  pods: { apiVersion: 'v1', kind: 'Pod' },
  services: { apiVersion: 'v1', kind: 'Service' },
  secrets: { apiVersion: 'v1', kind: 'Secret' },
  events: { apiVersion: 'v1', kind: 'Event' },
  deployments: { apiVersion: 'apps/v1', kind: 'Deployment' },
  statefulsets: { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  jobs: { apiVersion: 'batch/v1', kind: 'Job' },
  cronjobs: { apiVersion: 'batch/v1', kind: 'CronJob' },
  horizontalpodautoscalers: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
  ingresses: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  clusterroles: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' },
  leases: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' },
  nodes: { apiVersion: 'v1', kind: 'Node' },
  namespaces: { apiVersion: 'v1', kind: 'Namespace' },
  customresourcedefinitions: { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
  selfsubjectaccessreviews: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview' },
};

const weirdStrings = [
  '',
  ' ',
  'UPPER',
  'a'.repeat(300),
  '../../etc/passwd',
  '%2e%2e',
  'ü-ñí-çødé',
  '\u0000',
  'a/b',
  '-leading',
  'trailing-',
  'x'.repeat(64),
  '💥',
  '${jndi:ldap://x}',
  "'; DROP TABLE kv; --",
  'name with spaces',
];
const weirdValues: unknown[] = [null, true, false, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 1.5, '', 'str', [], {}, [1, 'a', null], { a: { b: { c: [] } } }, 'a'.repeat(5000)];
const contentTypes = [
  'application/json',
  'application/yaml',
  'application/vnd.kubernetes.protobuf',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/json-patch+json',
  'application/apply-patch+yaml',
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  '',
];
const accepts = [
  'application/json',
  'application/json;as=Table;v=v1;g=meta.k8s.io',
  'application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
  'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
  'application/vnd.kubernetes.protobuf',
  'application/yaml',
  '*/*',
  'text/html',
  'application/json;as=Nonsense;v=v9;g=x',
  ';;;,,,',
];
const queries = [
  'labelSelector=a%3Db',
  'labelSelector=a+in+(b',
  'labelSelector=!!!',
  'labelSelector=' + encodeURIComponent('x notin (a,b),y'),
  'fieldSelector=metadata.name%3Dx',
  'fieldSelector=spec.bogus%3D1',
  'fieldSelector=%3D%3D%3D',
  'limit=-1',
  'limit=abc',
  'limit=2',
  'limit=99999999999999999999',
  'continue=garbage',
  'continue=' + Buffer.from('{"v":"meta.k8s.io/v1","rv":1,"start":"../x"}').toString('base64url'),
  'resourceVersion=abc',
  'resourceVersion=0',
  'resourceVersion=1',
  'resourceVersion=999999999',
  'resourceVersion=1&resourceVersionMatch=Exact',
  'resourceVersionMatch=Exact',
  'resourceVersionMatch=Bogus&resourceVersion=1',
  'watch=true&timeoutSeconds=0',
  'watch=true&timeoutSeconds=0&resourceVersion=1',
  'watch=1&timeoutSeconds=0&allowWatchBookmarks=true&sendInitialEvents=true',
  'watch=true&timeoutSeconds=-5',
  'dryRun=All',
  'dryRun=Bogus',
  'fieldValidation=Strict',
  'fieldValidation=Bogus',
  'fieldManager=' + 'm'.repeat(200),
  'fieldManager=%00%01',
  'force=true',
  'includeObject=Nonsense',
  'propagationPolicy=Sideways',
  'gracePeriodSeconds=abc',
  'timeout=5s',
];

function deepNest(depth: number, array: boolean): string {
  return (array ? '['.repeat(depth) : '{"a":'.repeat(depth)) + '1' + (array ? ']'.repeat(depth) : '}'.repeat(depth));
}

function generate(r: () => number, i: number): FuzzRequest {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const coll = pick(collections);
  const resource = coll.split('/').pop()!;
  const kind = kinds[resource] ?? { apiVersion: 'v1', kind: 'Thing' };
  const name = r() < 0.6 ? `fz-${i % 50}` : pick(weirdStrings);
  const base = (): Record<string, unknown> => ({ apiVersion: kind.apiVersion, kind: kind.kind, metadata: { name: `fz-${i % 50}`, namespace: 'fuzz' } });
  const mutateDeep = (o: Record<string, unknown>) => {
    // put a weird value at a random path
    const paths = [['metadata', 'name'], ['metadata', 'labels'], ['metadata', 'annotations'], ['metadata', 'finalizers'], ['metadata', 'ownerReferences'], ['metadata', 'generateName'], ['metadata', 'resourceVersion'], ['metadata', 'namespace'], ['spec'], ['spec', 'replicas'], ['spec', 'selector'], ['spec', 'template'], ['spec', 'containers'], ['spec', 'ports'], ['data'], ['stringData'], ['status'], ['kind'], ['apiVersion'], ['spec', 'versions']];
    const p = pick(paths);
    let cur = o;
    for (const k of p.slice(0, -1)) {
      if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
      cur = cur[k] as Record<string, unknown>;
    }
    cur[p[p.length - 1]!] = pick(weirdValues);
    return o;
  };
  const bodyKinds = [
    () => '{',
    () => '{"apiVersion":',
    () => 'null',
    () => '[]',
    () => '"string"',
    () => '12345',
    () => JSON.stringify(mutateDeep(base())),
    () => JSON.stringify(mutateDeep(mutateDeep(base()))),
    () => JSON.stringify({ ...base(), kind: pick(['Pod', 'Deployment', '', 'Nope', 5]) }),
    () => JSON.stringify({ ...base(), apiVersion: pick(['v2', 'apps/v9', '', 'x/y/z', 7]) }),
    () => JSON.stringify({ ...base(), metadata: pick(weirdValues) }),
    () => JSON.stringify({ ...base(), metadata: { name: pick(weirdStrings), namespace: 'fuzz', labels: { [pick(weirdStrings)]: pick(weirdStrings) } } }),
    () => JSON.stringify({ ...base(), spec: { bogus: true }, extraTop: 1 }),
    () => deepNest(2000 + Math.floor(r() * 3000), r() < 0.5),
    () => deepNest(50, r() < 0.5),
    () => 'a: b\nc: [\n',
    () => 'x: &a [*a]\n',
    () => 'a: &a ["x","x","x"]\nb: &b [*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c]\ne: [*d,*d,*d,*d]\n',
    () => Buffer.from([0x6b, 0x38, 0x73, 0x00, ...Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256))]),
    () => Buffer.from(Array.from({ length: Math.floor(r() * 128) }, () => Math.floor(r() * 256))),
    () => '[{"op":"replace","path":"/spec/replicas","value":3}]',
    () => '[{"op":"move","from":"/metadata","path":"/metadata/x"}]',
    () => '[{"op":"test","path":"/nope","value":1}]',
    () => '[{"op":"bogus"}]',
    () => '{"metadata":{"labels":{"a":null}},"$patch":"delete"}',
    () => '{"spec":{"$setElementOrder/containers":[{"name":"x"}],"containers":[{"$patch":"delete"}]}}',
    () => '{"spec":{"$retainKeys":"notalist"}}',
    () => JSON.stringify({ ...base(), metadata: { name: 'x'.repeat(1000), namespace: 'fuzz', annotations: { a: 'b'.repeat(300_000) } } }),
    () => 'x'.repeat(3 * 1024 * 1024 + 10),
    () => '{"kind":"DeleteOptions","propagationPolicy":"Nope","gracePeriodSeconds":"x","preconditions":{"uid":5}}',
  ];
  const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE'];
  const method = pick(methods);
  let path: string;
  const shape = r();
  if (shape < 0.35) path = coll;
  else if (shape < 0.75) path = `${coll}/${encodeURIComponent(name)}`;
  else if (shape < 0.85) path = `${coll}/${encodeURIComponent(name)}/${pick(['status', 'scale', 'log', 'exec', 'binding', 'eviction', 'bogus', 'finalize'])}`;
  else if (shape < 0.9) path = pick(['/api', '/apis', '/api/v1', '/apis/apps', '/apis/apps/v1', '/apis/nope/v1', '/openapi/v3', '/openapi/v3/apis/apps/v1', '/openapi/v2', '/version', '/healthz', '/readyz', '/']);
  else path = pick(['/api/v1/namespaces/fuzz/nonexistent', '/apis/x/y/z/w/v/u', '//api//v1', '/api/v1/namespaces//configmaps', '/api/v1/namespaces/fuzz/configmaps/%zz', '/apis/apps/v1/namespaces/fuzz/deployments/a/b/c/d/e', '/api/' + 'v'.repeat(5000), '/api/v1/watch/namespaces/fuzz/pods?timeoutSeconds=0']);
  if (r() < 0.7) path += (path.includes('?') ? '&' : '?') + pick(queries) + (r() < 0.3 ? '&' + pick(queries) : '');
  if (path.includes('watch') && !path.includes('timeoutSeconds')) path += '&timeoutSeconds=0';
  const withBody = method === 'POST' || method === 'PUT' || method === 'PATCH' || (method === 'DELETE' && r() < 0.3);
  return {
    method,
    path,
    body: withBody ? pick(bodyKinds)() : undefined,
    contentType: withBody ? pick(contentTypes) : undefined,
    accept: pick(accepts),
  };
}

let s: TestServer;
before(async () => {
  s = await startTestServer();
  const ns = await s.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fuzz' } } });
  assert.equal(ns.status, 201);
});
after(async () => {
  await s?.close();
});

test(`${total} hostile requests: no 5xx, Status errors, still healthy`, { timeout: 600_000 }, async () => {
  const r = rng(20261122);
  const requests = Array.from({ length: total }, (_, i) => generate(r, i));
  const failures: string[] = [];
  const codes = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const req = requests[next++]!;
      const res = await s.request(req.method, req.path, {
        body: req.body,
        contentType: req.contentType,
        accept: req.accept,
      });
      codes.set(res.status, (codes.get(res.status) ?? 0) + 1);
      if (res.status >= 500) failures.push(`${res.status} ${req.method} ${req.path.slice(0, 200)} ct=${req.contentType}: ${res.body.slice(0, 300)}`);
      else if (res.status >= 400 && res.status !== 401 && req.method !== 'HEAD') {
        let st: { kind?: string; code?: number } | undefined;
        try {
          st = JSON.parse(res.body);
        } catch {
          failures.push(`${res.status} without a JSON Status: ${req.method} ${req.path.slice(0, 200)}: ${res.body.slice(0, 200)}`);
          continue;
        }
        if (st?.kind !== 'Status' || st.code !== res.status) failures.push(`${res.status} with a body that is not its Status: ${req.method} ${req.path.slice(0, 200)}: ${res.body.slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  console.log(`# status codes: ${[...codes.entries()].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}×${n}`).join(' ')}`);
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} bad answers`);
  const health = await s.request('GET', '/readyz');
  assert.equal(health.status, 200);
  const list = await s.request('GET', '/api/v1/namespaces/fuzz/configmaps');
  assert.equal(list.status, 200);
  const anon = await s.request('GET', '/api/v1/namespaces', { token: null });
  assert.equal(anon.status, 401);
  assert.equal(anon.json().kind, 'Status');
});
