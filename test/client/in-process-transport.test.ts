// The in-process transport against a real API server (SQLite, its local unix socket): the same requests
// through the socket and in process give the same status, body and errors; watches are served in process too
// (test/client/in-process-watch.test.ts); timeouts, aborts and a closed server surface as TransportErrors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../apiserver/harness.js';
import { ApiClient } from '../../src/client/client.js';
import { HttpsTransport, type RawResponse, type RequestOptions, type Transport } from '../../src/client/transport.js';
import { InProcessTransport } from '../../src/client/in-process-transport.js';
import { ApiError, TransportError } from '../../src/client/errors.js';
import { resources } from '../../src/client/index.js';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';

const userAgent = 'skiff-control-plane';
let ts: TestServer;
let socket: HttpsTransport;
let local: InProcessTransport;

/** The in-process transport of ts's server, falling back to its unix socket. */
function inProcessTransport(s: TestServer, timeoutMs?: number): InProcessTransport {
  assert.ok(s.server.inProcess, 'a server with a local socket offers the in-process endpoint');
  const fallback = new HttpsTransport({ servers: ['http://localhost'], socketPath: s.socketPath!, namespace: 'default', userAgent });
  return new InProcessTransport(s.server.inProcess, fallback, { userAgent, timeoutMs });
}

before(async () => {
  ts = await startTestServer({ localSocket: true });
  socket = new HttpsTransport({ servers: ['http://localhost'], socketPath: ts.socketPath!, namespace: 'default', userAgent }, { timeoutMs: 10_000 });
  local = inProcessTransport(ts, 10_000);
  for (const ns of ['via-socket', 'via-local']) {
    const r = await socket.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    assert.equal(r.status, 201, r.body);
  }
});

after(async () => {
  local?.close();
  socket?.close();
  await ts?.close();
});

const pod = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] }, ...extra });

/**
 * What differs between two equal writes made one after the other in two namespaces: the namespace, uid,
 * resourceVersion and times. Everything else (status code, Status errors, defaults, managed fields and their
 * manager, the Content-Type) must be the same.
 */
function normalize(r: RawResponse, ns: string): { status: number; contentType: unknown; body: unknown } {
  const text = r.body.split(ns).join('<ns>').replace(/ResourceVersion in object meta: \d+/g, 'ResourceVersion in object meta: <rv>');
  const body = JSON.parse(text, (k, v) => (k === 'uid' || k === 'resourceVersion' || k === 'creationTimestamp' || k === 'time' ? '<volatile>' : v));
  return { status: r.status, contentType: r.headers['content-type'], body };
}

interface Case {
  name: string;
  method: string;
  /** `<ns>` is replaced by each transport's namespace. */
  path: string;
  opts?: RequestOptions;
  status: number;
  /** Requests to make first, in each namespace. */
  setup?: { method: string; path: string; opts?: RequestOptions }[];
}

const cases: Case[] = [
  { name: 'get missing: 404 NotFound', method: 'GET', path: '/api/v1/namespaces/<ns>/pods/nope', status: 404 },
  { name: 'create: 201 with defaults and managed fields', method: 'POST', path: '/api/v1/namespaces/<ns>/pods', opts: { body: pod('a') }, status: 201 },
  { name: 'create again: 409 AlreadyExists', method: 'POST', path: '/api/v1/namespaces/<ns>/pods', opts: { body: pod('a') }, status: 409 },
  { name: 'create invalid: 422 Invalid', method: 'POST', path: '/api/v1/namespaces/<ns>/pods', opts: { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad' }, spec: { containers: [] } } }, status: 422 },
  { name: 'malformed JSON: 400', method: 'POST', path: '/api/v1/namespaces/<ns>/pods', opts: { body: '{"apiVersion":', contentType: 'application/json' }, status: 400 },
  { name: 'stale update: 409 Conflict', method: 'PUT', path: '/api/v1/namespaces/<ns>/pods/a', opts: { body: { ...pod('a'), metadata: { name: 'a', resourceVersion: '1' } } }, status: 409 },
  { name: 'merge patch: 200', method: 'PATCH', path: '/api/v1/namespaces/<ns>/pods/a', opts: { body: '{"metadata":{"labels":{"patched":"yes"}}}', contentType: 'application/merge-patch+json' }, status: 200 },
  { name: 'status patch', method: 'PATCH', path: '/api/v1/namespaces/<ns>/pods/a/status', opts: { body: '{"status":{"phase":"Running"}}', contentType: 'application/merge-patch+json' }, status: 200 },
  { name: 'list with a label selector', method: 'GET', path: '/api/v1/namespaces/<ns>/pods', opts: { query: { labelSelector: 'patched=yes' } }, status: 200 },
  { name: 'table', method: 'GET', path: '/api/v1/namespaces/<ns>/pods', opts: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' }, status: 200 },
  { name: 'binding to a node', method: 'POST', path: '/api/v1/namespaces/<ns>/pods/b/binding', opts: { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'b' }, target: { kind: 'Node', name: 'n1' } } }, status: 201, setup: [{ method: 'POST', path: '/api/v1/namespaces/<ns>/pods', opts: { body: pod('b') } }] },
  { name: 'unknown resource: 404', method: 'GET', path: '/api/v1/namespaces/<ns>/widgets', status: 404 },
  { name: 'POST to an object URL: 405', method: 'POST', path: '/api/v1/namespaces/<ns>/pods/a', opts: { body: pod('a') }, status: 405 },
  { name: 'unknown field, Strict: 400', method: 'POST', path: '/api/v1/namespaces/<ns>/configmaps', opts: { query: { fieldValidation: 'Strict' }, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, bogus: 1 } }, status: 400 },
  { name: 'body over 3 MiB: 413', method: 'POST', path: '/api/v1/namespaces/<ns>/configmaps', opts: { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { x: 'y'.repeat(3 * 1024 * 1024) } } }, status: 413 },
  { name: 'logs need a connection: the socket answers', method: 'GET', path: '/api/v1/namespaces/<ns>/pods/a/log', status: 503 },
  { name: 'discovery', method: 'GET', path: '/apis/apps/v1', status: 200 },
  { name: 'version', method: 'GET', path: '/version', status: 200 },
  { name: 'delete with a stale precondition: 409', method: 'DELETE', path: '/api/v1/namespaces/<ns>/pods/a', opts: { body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion: '1' } } }, status: 409 },
  { name: 'delete', method: 'DELETE', path: '/api/v1/namespaces/<ns>/pods/a', opts: { body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 } }, status: 200 },
];

async function send(t: Transport, ns: string, c: { method: string; path: string; opts?: RequestOptions }): Promise<RawResponse> {
  return t.request(c.method, c.path.replace('<ns>', ns), c.opts);
}

test('the same requests through the socket and in process: same status, body and errors', async () => {
  for (const c of cases) {
    for (const s of c.setup ?? []) {
      assert.ok((await send(socket, 'via-socket', s)).status < 300);
      assert.ok((await send(local, 'via-local', s)).status < 300);
    }
    const viaSocket = await send(socket, 'via-socket', c);
    const viaLocal = await send(local, 'via-local', c);
    assert.equal(viaSocket.status, c.status, `${c.name} (socket): ${viaSocket.body.slice(0, 300)}`);
    assert.deepEqual(normalize(viaLocal, 'via-local'), normalize(viaSocket, 'via-socket'), c.name);
  }
});

test('writes in process are owned by the client’s user agent, as over HTTP', async () => {
  const client = new ApiClient(local, { namespace: 'via-local' });
  const cm = await client.create<ConfigMap>(resources.configMaps, { metadata: { name: 'owned' }, data: { a: '1' } });
  assert.deepEqual(cm.metadata?.managedFields?.map((m) => m.manager), ['skiff-control-plane']);
});

test('a watch in process sees in-process writes', async () => {
  const client = new ApiClient(local, { namespace: 'via-local' });
  const start = await client.listPage(resources.configMaps, { namespace: 'via-local', limit: 1 });
  const w = await client.watch(resources.configMaps, { namespace: 'via-local', resourceVersion: start.resourceVersion });
  await client.create(resources.configMaps, { metadata: { name: 'watched' } });
  for await (const ev of w) {
    if (ev.type === 'ADDED' && (ev.object as { metadata?: { name?: string } }).metadata?.name === 'watched') break;
  }
  w.close();
});

test('an aborted request rejects as aborted; a timeout as timeout', async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(local.request('GET', '/version', { signal: ac.signal }), (e: unknown) => e instanceof TransportError && e.kind === 'aborted');
  // A server that has not answered when the timeout fires (a request waiting on the store, say).
  const silent = new InProcessTransport({ serve: () => new Promise(() => {}) }, socket, { timeoutMs: 20 });
  await assert.rejects(silent.request('GET', '/version'), (e: unknown) => e instanceof TransportError && e.kind === 'timeout');
  const ac2 = new AbortController();
  const pending = silent.request('GET', '/version', { signal: ac2.signal, timeoutMs: 0 });
  ac2.abort();
  await assert.rejects(pending, (e: unknown) => e instanceof TransportError && e.kind === 'aborted');
});

test('a closed server refuses in-process requests as a connect error', async () => {
  const s = await startTestServer({ localSocket: true });
  const t = inProcessTransport(s);
  try {
    assert.equal((await t.request('GET', '/api/v1/namespaces/default')).status, 200);
    await s.server.close();
    await assert.rejects(t.request('GET', '/api/v1/namespaces/default'), (e: unknown) => e instanceof TransportError && e.kind === 'connect');
  } finally {
    t.close();
    await s.close();
  }
});

test('patchOnly: the write happens, the answer is not decoded; errors still reject as ApiError', async () => {
  const client = new ApiClient(local, { namespace: 'via-local' });
  await client.create<ConfigMap>(resources.configMaps, { metadata: { name: 'patched-only' }, data: { a: '1' } });
  assert.equal(await client.patchOnly(resources.configMaps, 'patched-only', { data: { a: '2' } }, 'merge'), undefined);
  assert.deepEqual((await client.get<ConfigMap>(resources.configMaps, 'patched-only')).data, { a: '2' });
  await assert.rejects(client.patchOnly(resources.configMaps, 'missing', { data: {} }, 'strategic'), (e: unknown) => e instanceof ApiError && e.code === 404);
});

test('bodyUnused: a success is answered without its body in process (over the socket it is drained); errors keep their Status', async () => {
  const path = '/api/v1/namespaces/via-local/configmaps/body-unused';
  const created = await local.request('POST', '/api/v1/namespaces/via-local/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'body-unused' } }, bodyUnused: true });
  assert.equal(created.status, 201);
  assert.equal(created.body, '');
  const patched = await local.request('PATCH', path, { body: { data: { k: 'v' } }, contentType: 'application/merge-patch+json', bodyUnused: true });
  assert.equal(patched.status, 200);
  assert.equal(patched.body, '');
  const read = await local.request('GET', path);
  assert.equal(read.status, 200);
  assert.deepEqual(JSON.parse(read.body).data, { k: 'v' }, 'the write happened; without the flag the body is there');
  const missing = await local.request('PATCH', `${path}-missing`, { body: { data: {} }, contentType: 'application/merge-patch+json', bodyUnused: true });
  assert.equal(missing.status, 404);
  assert.equal(JSON.parse(missing.body).reason, 'NotFound');
  const viaSocket = await socket.request('GET', path, { bodyUnused: true });
  assert.equal(viaSocket.status, 200);
  assert.equal(viaSocket.body, '', 'over the socket a success body nobody reads is drained (HttpsTransport)');
  const missingViaSocket = await socket.request('GET', `${path}-missing`, { bodyUnused: true });
  assert.equal(JSON.parse(missingViaSocket.body).reason, 'NotFound', 'an error keeps its Status over the socket too');
});

test('a loop of in-process requests leaves the event loop turns for timers and sockets', async () => {
  let timerFired = false;
  setTimeout(() => (timerFired = true), 0);
  let firedDuring = false;
  for (let i = 0; i < 200 && !firedDuring; i++) {
    assert.equal((await local.request('GET', '/api/v1/namespaces/default')).status, 200);
    firedDuring = timerFired;
  }
  assert.ok(firedDuring, 'the timer fired while the loop ran (answers from memory must not run on microtasks alone)');
});
