// The in-process endpoint across a MessagePort (src/client/port-endpoint.ts) against a real API server: a
// client whose transport goes through the port gets the same answers as one in process (status, body,
// Status errors, a Buffer body), watches cross the port too (test/client/in-process-watch.test.ts), and a closed port fails requests as a
// closed server does (ECONNREFUSED → TransportError 'connect').
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { startTestServer, type TestServer } from '../apiserver/harness.js';
import { ApiClient } from '../../src/client/client.js';
import { HttpsTransport } from '../../src/client/transport.js';
import { InProcessTransport } from '../../src/client/in-process-transport.js';
import { batchedPoster, PortEndpoint, servePort } from '../../src/client/port-endpoint.js';
import { ApiError, TransportError } from '../../src/client/errors.js';
import { resources } from '../../src/client/index.js';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';

const userAgent = 'skiff-control-plane';
let ts: TestServer;

before(async () => {
  ts = await startTestServer({ localSocket: true });
});

after(async () => {
  await ts?.close();
});

/** A client of ts's server whose requests cross a MessageChannel (both ends in this thread). */
function portClient(): { client: ApiClient; endpoint: PortEndpoint; served: { close(): void }; fallback: HttpsTransport } {
  const { port1, port2 } = new MessageChannel();
  const served = servePort(port1, ts.server.inProcess!);
  const endpoint = new PortEndpoint(port2);
  const fallback = new HttpsTransport({ servers: ['http://localhost'], socketPath: ts.socketPath!, namespace: 'default', userAgent });
  const client = new ApiClient(new InProcessTransport(endpoint, fallback, { userAgent, timeoutMs: 10_000 }), { namespace: 'default' });
  return { client, endpoint, served, fallback };
}

test('requests through the port get the server answers, errors as Status objects', async () => {
  const { client, served } = portClient();
  try {
    const cm = await client.create<ConfigMap>(resources.configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'via-port', namespace: 'default' }, data: { a: '1' } });
    assert.equal(cm.metadata?.name, 'via-port');
    assert.equal(cm.metadata?.managedFields?.[0]?.manager, userAgent, 'the User-Agent crossed the port: it names the field manager');
    const got = await client.get<ConfigMap>(resources.configMaps, 'via-port', { namespace: 'default' });
    assert.deepEqual(got.data, { a: '1' });
    await assert.rejects(
      client.create(resources.configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'via-port', namespace: 'default' } }),
      (e: unknown) => e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists',
    );
    await assert.rejects(client.get(resources.configMaps, 'missing', { namespace: 'default' }), (e: unknown) => e instanceof ApiError && e.code === 404 && e.reason === 'NotFound');
    // A Buffer body (structured-cloned into a Uint8Array on the way) is taken as the same bytes.
    const raw = await client.transport.request('PATCH', '/api/v1/namespaces/default/configmaps/via-port', {
      body: Buffer.from(JSON.stringify({ data: { b: '2' } })),
      contentType: 'application/merge-patch+json',
    });
    assert.equal(raw.status, 200, raw.body);
    assert.deepEqual((JSON.parse(raw.body) as ConfigMap).data, { a: '1', b: '2' });
  } finally {
    client.close();
    served.close();
  }
});

test('a watch through the port sees writes made through the port', async () => {
  const { client, served } = portClient();
  try {
    const list = await client.list<ConfigMap>(resources.configMaps, { namespace: 'default' });
    const watcher = await client.watch<ConfigMap>(resources.configMaps, { namespace: 'default', resourceVersion: list.resourceVersion });
    try {
      await client.create(resources.configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched', namespace: 'default' } });
      let seen: string | undefined;
      for await (const e of watcher) {
        if (e.type === 'ADDED' && e.object.metadata?.name === 'watched') {
          seen = e.object.metadata.name;
          break;
        }
      }
      assert.equal(seen, 'watched');
    } finally {
      watcher.close();
    }
  } finally {
    client.close();
    served.close();
  }
});

test('many lines of one turn cross as one message and come out as the same lines, in order', async () => {
  const { client, served } = portClient();
  const names = Array.from({ length: 40 }, (_, i) => `joined-${i}`);
  try {
    const list = await client.list<ConfigMap>(resources.configMaps, { namespace: 'default' });
    const watcher = await client.watch<ConfigMap>(resources.configMaps, { namespace: 'default', resourceVersion: list.resourceVersion });
    try {
      // Written in one turn: one commit, one dispatch, one message of 40 lines (data with a newline and quotes).
      const written = await Promise.all(names.map((name) => client.create<ConfigMap>(resources.configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { text: `line one\nline "two" of ${name}` } })));
      const byRevision = written.sort((a, b) => Number(a.metadata!.resourceVersion) - Number(b.metadata!.resourceVersion));
      const seen: ConfigMap[] = [];
      for await (const e of watcher) {
        if (e.type !== 'ADDED' || !e.object.metadata?.name?.startsWith('joined-')) continue;
        seen.push(e.object);
        if (seen.length === names.length) break;
      }
      assert.deepEqual(seen.map((o) => o.metadata!.name), byRevision.map((o) => o.metadata!.name));
      assert.deepEqual(seen, byRevision, 'each event is the object as written');
    } finally {
      watcher.close();
    }
  } finally {
    client.close();
    served.close();
  }
});

test('a request whose success body is unused crosses the port with that flag: no body back on success, the Status on failure', async () => {
  const { client, served } = portClient();
  const path = '/api/v1/namespaces/default/configmaps/unread';
  const patch = (data: Record<string, string>, bodyUnused?: boolean) =>
    client.transport.request('PATCH', path, { body: { data }, contentType: 'application/merge-patch+json', ...(bodyUnused ? { bodyUnused } : {}) });
  try {
    const missing = await patch({ a: '1' }, true);
    assert.equal(missing.status, 404);
    assert.equal((JSON.parse(missing.body) as { reason?: string }).reason, 'NotFound', 'an error keeps its Status body');
    await client.create(resources.configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unread', namespace: 'default' } });
    const unread = await patch({ a: '1' }, true);
    assert.equal(unread.status, 200);
    assert.equal(unread.body, '');
    // patchOnly reads no success body; the write landed either way.
    await client.patchOnly(resources.configMaps, 'unread', { data: { b: '2' } }, 'merge', { namespace: 'default' });
    const read = await patch({ c: '3' });
    assert.deepEqual((JSON.parse(read.body) as ConfigMap).data, { a: '1', b: '2', c: '3' }, 'outside the scope the answer is whole');
  } finally {
    client.close();
    served.close();
  }
});

test('what one event-loop turn posts leaves as one message, in order; a lone message leaves alone', async () => {
  const { port1, port2 } = new MessageChannel();
  const received: unknown[] = [];
  port2.on('message', (m) => received.push(m));
  const post = batchedPoster<number>(port1);
  post(1);
  post(2);
  post(3);
  await new Promise((r) => setTimeout(r, 50));
  post(4);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(received, [[1, 2, 3], 4]);
  port1.close();
});

test('many requests in flight at once, answered in batches, each get their own answer', async () => {
  const { client, served } = portClient();
  try {
    const names = Array.from({ length: 40 }, (_, i) => `batch-${i}`);
    await Promise.all(names.map((name) => client.create(resources.configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { name } })));
    const got = await Promise.all(names.map((name) => client.get<ConfigMap>(resources.configMaps, name, { namespace: 'default' })));
    assert.deepEqual(got.map((c) => c.data?.name), names);
  } finally {
    client.close();
    served.close();
  }
});

test('a closed port fails requests as a closed server does', async () => {
  const { client, endpoint, served } = portClient();
  endpoint.close();
  try {
    await assert.rejects(client.get(resources.configMaps, 'via-port', { namespace: 'default' }), (e: unknown) => e instanceof TransportError && e.kind === 'connect');
  } finally {
    client.close();
    served.close();
  }
});
