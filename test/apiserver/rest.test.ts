// Generic API semantics against a real in-process server (HTTPS, SQLite): metadata system fields,
// generation, optimistic concurrency, dryRun, fieldValidation, status/spec split, finalizers and graceful
// deletion, pagination, watches from a resourceVersion (incl. 410 after compaction and bookmarks), Table and
// PartialObjectMetadata responses, the scale subresource, and bad input answered with the right Status.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { startTestServer, type TestServer } from './harness.js';

let s: TestServer;
before(async () => {
  s = await startTestServer({ watch: { bookmarkIntervalMs: 200 }, watchCacheCapacity: 40 });
  assert.equal((await s.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'rest' } } })).status, 201);
});
after(async () => {
  await s?.close();
});

const deploy = (name: string, replicas = 1) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'nginx' }] } },
  },
});
const D = '/apis/apps/v1/namespaces/rest/deployments';
const CM = '/api/v1/namespaces/rest/configmaps';

/** Reads newline-delimited watch events until `count` arrived or the stream ended. */
function watchEvents(path: string, count: number, timeoutMs = 5000): Promise<{ status: number; events: any[] }> {
  return new Promise((resolve, reject) => {
    const events: any[] = [];
    const req = request({ host: '127.0.0.1', port: s.port, path, headers: { Authorization: `Bearer ${s.token}`, Accept: 'application/json' }, ca: s.ca }, (res) => {
      let buf = '';
      const done = () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, events });
      };
      const timer = setTimeout(done, timeoutMs);
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, nl)));
          buf = buf.slice(nl + 1);
          if (events.length >= count) return done();
        }
      });
      res.on('end', done);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('metadata and writes', () => {
  test('create fills system fields, generation and defaults', async () => {
    const r = await s.request('POST', D, { body: deploy('meta') });
    assert.equal(r.status, 201);
    const o = r.json();
    assert.match(o.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(o.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(o.metadata.resourceVersion, /^\d+$/);
    assert.equal(o.metadata.generation, 1);
    assert.equal(o.metadata.namespace, 'rest');
    assert.equal(o.spec.strategy.rollingUpdate.maxUnavailable, '25%');
    assert.equal(o.metadata.managedFields[0].manager, 'unknown');
  });

  test('generateName, AlreadyExists, NotFound', async () => {
    const r = await s.request('POST', CM, { body: { metadata: { generateName: 'gen-' } } });
    assert.equal(r.status, 201);
    assert.match(r.json().metadata.name, /^gen-[a-z0-9]{5}$/);
    const again = await s.request('POST', CM, { body: { metadata: { name: r.json().metadata.name } } });
    assert.equal(again.status, 409);
    assert.equal(again.json().reason, 'AlreadyExists');
    const missing = await s.request('GET', `${CM}/nope`);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json().details, { name: 'nope', kind: 'configmaps', group: '' });
  });

  test('generation moves on spec changes only; stale resourceVersion conflicts', async () => {
    const created = (await s.request('POST', D, { body: deploy('gen') })).json();
    const labeled = await s.request('PATCH', `${D}/gen`, { body: { metadata: { labels: { x: 'y' } } }, contentType: 'application/merge-patch+json' });
    assert.equal(labeled.json().metadata.generation, 1);
    const scaled = await s.request('PATCH', `${D}/gen`, { body: { spec: { replicas: 3 } }, contentType: 'application/merge-patch+json' });
    assert.equal(scaled.json().metadata.generation, 2);
    const stale = await s.request('PUT', `${D}/gen`, { body: { ...deploy('gen', 5), metadata: { ...deploy('gen').metadata, resourceVersion: created.metadata.resourceVersion } } });
    assert.equal(stale.status, 409);
    assert.equal(stale.json().reason, 'Conflict');
    assert.match(stale.json().message, /the object has been modified/);
    const rvBefore = scaled.json().metadata.resourceVersion;
    const noop = await s.request('PATCH', `${D}/gen`, { body: { spec: { replicas: 3 } }, contentType: 'application/merge-patch+json' });
    assert.equal(noop.json().metadata.resourceVersion, rvBefore, 'a no-op patch does not write');
  });

  test('dryRun=All validates and stores nothing', async () => {
    const r = await s.request('POST', `${CM}?dryRun=All`, { body: { metadata: { name: 'dry' } } });
    assert.equal(r.status, 201);
    assert.equal((await s.request('GET', `${CM}/dry`)).status, 404);
    const bad = await s.request('POST', `${CM}?dryRun=All`, { body: { metadata: { name: 'Bad!' } } });
    assert.equal(bad.status, 422);
  });

  test('fieldValidation: Strict rejects, Warn warns, Ignore prunes', async () => {
    const body = { metadata: { name: 'fv' }, data: { a: 'b' }, bogus: 1 };
    const strict = await s.request('POST', `${CM}?fieldValidation=Strict`, { body });
    assert.equal(strict.status, 400);
    assert.match(strict.json().message, /strict decoding error: unknown field "bogus"/);
    const warn = await s.request('POST', `${CM}?fieldValidation=Warn`, { body });
    assert.equal(warn.status, 201);
    assert.equal(String(warn.headers['warning']), '299 - "unknown field \\"bogus\\""');
    assert.equal(warn.json().bogus, undefined);
    const ignore = await s.request('POST', `${CM}?fieldValidation=Ignore`, { body: { ...body, metadata: { name: 'fv2' } } });
    assert.equal(ignore.status, 201);
    assert.equal(ignore.headers['warning'], undefined);
    const wrongType = await s.request('POST', D, { body: { ...deploy('wt'), spec: { ...deploy('wt').spec, replicas: 'three' } } });
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.json().message, /cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32/);
  });

  test('status subresource: spec and status written separately', async () => {
    await s.request('POST', D, { body: deploy('st') });
    const withStatus = await s.request('PUT', `${D}/st/status`, { body: { ...deploy('st', 9), status: { replicas: 4, observedGeneration: 1 } } });
    assert.equal(withStatus.status, 200);
    assert.equal(withStatus.json().status.replicas, 4);
    assert.equal(withStatus.json().spec.replicas, 1, 'status writes ignore spec');
    const specWrite = await s.request('PUT', `${D}/st`, { body: { ...deploy('st', 2), status: { replicas: 99 } } });
    assert.equal(specWrite.json().spec.replicas, 2);
    assert.equal(specWrite.json().status.replicas, 4, 'main resource writes keep status');
  });

  test('scale subresource reads and writes spec.replicas', async () => {
    await s.request('POST', D, { body: deploy('sc', 2) });
    const scale = await s.request('GET', `${D}/sc/scale`);
    assert.deepEqual({ kind: scale.json().kind, spec: scale.json().spec, selector: scale.json().status.selector }, { kind: 'Scale', spec: { replicas: 2 }, selector: 'app=sc' });
    const patched = await s.request('PATCH', `${D}/sc/scale`, { body: { spec: { replicas: 6 } }, contentType: 'application/merge-patch+json' });
    assert.equal(patched.json().spec.replicas, 6);
    assert.equal((await s.request('GET', `${D}/sc`)).json().spec.replicas, 6);
  });

  test('finalizers keep a deleted object until they are removed', async () => {
    await s.request('POST', CM, { body: { metadata: { name: 'fin', finalizers: ['example.com/x'] } } });
    const del = await s.request('DELETE', `${CM}/fin`);
    assert.equal(del.status, 200);
    assert.ok(del.json().metadata.deletionTimestamp);
    const still = await s.request('GET', `${CM}/fin`);
    assert.equal(still.status, 200);
    const freed = await s.request('PATCH', `${CM}/fin`, { body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' });
    assert.equal(freed.status, 200);
    assert.equal((await s.request('GET', `${CM}/fin`)).status, 404);
  });

  test('delete preconditions and propagation finalizers', async () => {
    const cm = (await s.request('POST', CM, { body: { metadata: { name: 'pre' } } })).json();
    const wrong = await s.request('DELETE', `${CM}/pre`, { body: { preconditions: { uid: 'not-it' } } });
    assert.equal(wrong.status, 409);
    const orphan = await s.request('DELETE', `${CM}/pre`, { body: { propagationPolicy: 'Orphan', preconditions: { uid: cm.metadata.uid } } });
    assert.deepEqual(orphan.json().metadata.finalizers, ['orphan']);
  });

  test('pods: graceful deletion for scheduled pods, immediate for unscheduled', async () => {
    const pod = (name: string, nodeName?: string) => ({ metadata: { name }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] } });
    const created = await s.request('POST', '/api/v1/namespaces/rest/pods', { body: pod('unsched') });
    assert.equal(created.json().status.phase, 'Pending');
    assert.equal(created.json().spec.terminationGracePeriodSeconds, 30);
    await s.request('DELETE', '/api/v1/namespaces/rest/pods/unsched');
    assert.equal((await s.request('GET', '/api/v1/namespaces/rest/pods/unsched')).status, 404);
    await s.request('POST', '/api/v1/namespaces/rest/pods', { body: pod('onnode', 'n1') });
    const d = await s.request('DELETE', '/api/v1/namespaces/rest/pods/onnode');
    assert.equal(d.json().metadata.deletionGracePeriodSeconds, 30);
    const forced = await s.request('DELETE', '/api/v1/namespaces/rest/pods/onnode', { body: { gracePeriodSeconds: 0 } });
    assert.equal(forced.status, 200);
    assert.equal((await s.request('GET', '/api/v1/namespaces/rest/pods/onnode')).status, 404);
  });

  test('admission: priority classes and default tolerations', async () => {
    const r = await s.request('POST', '/api/v1/namespaces/rest/pods', { body: { metadata: { name: 'crit' }, spec: { priorityClassName: 'system-cluster-critical', containers: [{ name: 'c', image: 'busybox' }] } } });
    assert.equal(r.status, 201);
    assert.equal(r.json().spec.priority, 2000000000);
    assert.deepEqual(r.json().spec.tolerations.map((t: any) => `${t.key}:${t.effect}:${t.tolerationSeconds}`), [
      'node.kubernetes.io/not-ready:NoExecute:300',
      'node.kubernetes.io/unreachable:NoExecute:300',
    ]);
    const bad = await s.request('POST', '/api/v1/namespaces/rest/pods', { body: { metadata: { name: 'x' }, spec: { priorityClassName: 'nope', containers: [{ name: 'c', image: 'busybox' }] } } });
    assert.equal(bad.status, 403);
    assert.match(bad.json().message, /no PriorityClass with name nope was found/);
  });

  test('the kubernetes Service points at this server', async () => {
    const svc = (await s.request('GET', '/api/v1/namespaces/default/services/kubernetes')).json();
    assert.equal(svc.spec.clusterIP, '10.43.0.1');
    assert.equal(svc.spec.ports[0].port, 443);
    const ep = (await s.request('GET', '/api/v1/namespaces/default/endpoints/kubernetes')).json();
    assert.equal(ep.subsets[0].ports[0].port, s.port);
    const slice = (await s.request('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes')).json();
    assert.equal(slice.ports[0].port, s.port);
  });

  test('namespaces must exist and not be terminating', async () => {
    const r = await s.request('POST', '/api/v1/namespaces/ghost/configmaps', { body: { metadata: { name: 'x' } } });
    assert.equal(r.status, 404);
    assert.equal(r.json().message, 'namespaces "ghost" not found');
    await s.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'dying' } } });
    const del = await s.request('DELETE', '/api/v1/namespaces/dying');
    assert.equal(del.json().status.phase, 'Terminating');
    const blocked = await s.request('POST', '/api/v1/namespaces/dying/configmaps', { body: { metadata: { name: 'x' } } });
    assert.equal(blocked.status, 403);
    assert.match(blocked.json().message, /because it is being terminated/);
    const fin = await s.request('PUT', '/api/v1/namespaces/dying/finalize', { body: { metadata: { name: 'dying' }, spec: { finalizers: [] } } });
    assert.equal(fin.status, 200);
    assert.equal((await s.request('GET', '/api/v1/namespaces/dying')).status, 404);
  });
});

describe('lists and watches', () => {
  before(async () => {
    for (let i = 0; i < 7; i++) await s.request('POST', CM, { body: { metadata: { name: `page-${i}`, labels: { page: 'yes', odd: String(i % 2) } } } });
  });

  test('pagination with limit/continue is a consistent snapshot', async () => {
    const first = (await s.request('GET', `${CM}?labelSelector=page%3Dyes&limit=3`)).json();
    assert.equal(first.items.length, 3);
    assert.ok(first.metadata.continue);
    await s.request('POST', CM, { body: { metadata: { name: 'page-x', labels: { page: 'yes' } } } });
    const second = (await s.request('GET', `${CM}?labelSelector=page%3Dyes&limit=3&continue=${first.metadata.continue}`)).json();
    const third = (await s.request('GET', `${CM}?labelSelector=page%3Dyes&limit=3&continue=${second.metadata.continue}`)).json();
    const names = [...first.items, ...second.items, ...third.items].map((o: any) => o.metadata.name);
    assert.deepEqual(names, ['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6'], 'pages come from the first page\'s revision');
    assert.equal(third.metadata.continue, undefined);
    const odd = (await s.request('GET', `${CM}?labelSelector=odd%20in%20(1)`)).json();
    assert.deepEqual(odd.items.map((o: any) => o.metadata.name), ['page-1', 'page-3', 'page-5']);
  });

  test('field selectors and unsupported fields', async () => {
    const r = (await s.request('GET', `${CM}?fieldSelector=metadata.name%3Dpage-2`)).json();
    assert.deepEqual(r.items.map((o: any) => o.metadata.name), ['page-2']);
    const bad = await s.request('GET', `${CM}?fieldSelector=spec.x%3D1`);
    assert.equal(bad.status, 400);
    assert.match(bad.json().message, /field label not supported: spec.x/);
  });

  test('watch from a resourceVersion replays later events in order', async () => {
    const rv = (await s.request('GET', CM)).json().metadata.resourceVersion;
    await s.request('POST', CM, { body: { metadata: { name: 'w1' } } });
    await s.request('PATCH', `${CM}/w1`, { body: { data: { a: 'b' } }, contentType: 'application/merge-patch+json' });
    await s.request('DELETE', `${CM}/w1`);
    const { status, events } = await watchEvents(`${CM}?watch=true&resourceVersion=${rv}`, 3);
    assert.equal(status, 200);
    assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    assert.deepEqual([...rvs].sort((a, b) => a - b), rvs);
  });

  test('watch without resourceVersion starts with the current state; filtered watches', async () => {
    const { events } = await watchEvents(`${CM}?watch=true&labelSelector=odd%3D0`, 4);
    assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED page-0', 'ADDED page-2', 'ADDED page-4', 'ADDED page-6']);
  });

  test('bookmarks when asked, and timeoutSeconds ends the watch', async () => {
    const rv = (await s.request('GET', CM)).json().metadata.resourceVersion;
    const { events } = await watchEvents(`${CM}?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=1`, 100, 5000);
    assert.ok(events.some((e) => e.type === 'BOOKMARK' && Number(e.object.metadata.resourceVersion) >= Number(rv)), JSON.stringify(events));
  });

  test('watch from a revision older than the watch cache window gets 410 Gone', async () => {
    const rv = Number((await s.request('GET', CM)).json().metadata.resourceVersion);
    for (let i = 0; i < 45; i++) await s.request('POST', CM, { body: { metadata: { generateName: 'compact-' } } });
    await s.store.compact(rv + 2);
    const { events } = await watchEvents(`${CM}?watch=true&resourceVersion=1`, 1);
    assert.equal(events[0]?.type, 'ERROR');
    assert.equal(events[0].object.code, 410);
    const list = await s.request('GET', `${CM}?resourceVersion=1&resourceVersionMatch=Exact`);
    assert.equal(list.status, 410);
  });

  test('Table and PartialObjectMetadata responses', async () => {
    const t = (await s.request('GET', D, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' })).json();
    assert.equal(t.kind, 'Table');
    assert.deepEqual(t.columnDefinitions.slice(0, 5).map((c: any) => c.name), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age']);
    assert.equal(t.rows[0].object.kind, 'PartialObjectMetadata');
    const pm = (await s.request('GET', CM, { accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' })).json();
    assert.equal(pm.kind, 'PartialObjectMetadataList');
    assert.equal(pm.items[0].kind, 'PartialObjectMetadata');
    assert.equal(pm.items[0].data, undefined);
  });
});

describe('bad input', () => {
  const cases: [string, string, string, unknown, string | undefined, number, string][] = [
    ['malformed JSON', 'POST', CM, '{"metadata":', 'application/json', 400, 'BadRequest'],
    ['malformed YAML', 'POST', CM, 'metadata: [', 'application/yaml', 400, 'BadRequest'],
    ['wrong kind', 'POST', CM, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }, undefined, 400, 'BadRequest'],
    ['wrong apiVersion', 'POST', D, { ...deploy('x'), apiVersion: 'apps/v2' }, undefined, 400, 'BadRequest'],
    ['invalid name', 'POST', CM, { metadata: { name: 'UPPER_case' } }, undefined, 422, 'Invalid'],
    ['missing name', 'POST', CM, { metadata: {} }, undefined, 422, 'Invalid'],
    ['missing required field', 'POST', D, { metadata: { name: 'x' }, spec: { template: {} } }, undefined, 422, 'Invalid'],
    ['bad label', 'POST', CM, { metadata: { name: 'x', labels: { 'bad key!': 'v' } } }, undefined, 422, 'Invalid'],
    ['unknown resource', 'GET', '/api/v1/namespaces/rest/widgets', undefined, undefined, 404, 'NotFound'],
    ['unknown group', 'GET', '/apis/nope.example.com/v1/things', undefined, undefined, 404, 'NotFound'],
    ['unsupported media type', 'POST', CM, 'x', 'text/plain', 415, 'UnsupportedMediaType'],
    ['bad patch type', 'PATCH', `${CM}/page-1`, '{}', 'application/json', 415, 'UnsupportedMediaType'],
    ['bad label selector', 'GET', `${CM}?labelSelector=a%20in%20(b`, undefined, undefined, 400, 'BadRequest'],
    ['body over 3 MiB', 'POST', CM, 'x'.repeat(3 * 1024 * 1024 + 1), 'application/json', 413, 'RequestEntityTooLarge'],
    ['deep nesting', 'POST', CM, '['.repeat(5000) + ']'.repeat(5000), 'application/json', 400, 'BadRequest'],
  ];
  for (const [name, method, path, body, ct, code, reason] of cases) {
    test(name, async () => {
      const r = await s.request(method, path, { body, contentType: ct });
      assert.equal(r.status, code, r.body.slice(0, 300));
      const st = r.json();
      assert.equal(st.kind, 'Status');
      assert.equal(st.reason, reason);
      assert.equal(st.code, code);
    });
  }

  test('anonymous requests get 401', async () => {
    const r = await s.request('GET', '/api/v1/namespaces', { token: null });
    assert.equal(r.status, 401);
    assert.equal(r.json().reason, 'Unauthorized');
    const wrong = await s.request('GET', '/version', { token: 'not-a-token' });
    assert.equal(wrong.status, 401);
  });
});
