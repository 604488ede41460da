// Watches served in process (InProcessEndpoint.stream: straight into a LineQueue on the server's thread, or
// across a MessagePort as a component worker's are) against a real API server: the same events as over the
// server's unix socket for every kind of watch (selectors, resourceVersion 0 / exact / too old, bookmarks,
// timeoutSeconds, errors), and none of them through the fallback transport; a consumer closing ends the
// server's watch; the server closing ends the stream; a consumer that does not take its lines is cut off at
// the server's bound as a full socket is, while one that keeps up is not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { startTestServer, type TestServer } from '../apiserver/harness.js';
import { ApiClient, type WatchOptions } from '../../src/client/client.js';
import { HttpsTransport, type LineStream, type RawResponse, type Transport } from '../../src/client/transport.js';
import { InProcessTransport, type InProcessEndpoint, type InProcessStreamSink } from '../../src/client/in-process-transport.js';
import { PortEndpoint, servePort } from '../../src/client/port-endpoint.js';
import { ApiError, TransportError } from '../../src/client/errors.js';
import { resources } from '../../src/client/index.js';
import { metadataClientFor } from '../../src/client/metadata-client.js';
import type { WatchEvent } from '../../src/client/watch-event.js';

const userAgent = 'skiff-control-plane';
let ts: TestServer;
let socket: HttpsTransport;

/** A fallback that must not be used: every watch here is served in process. */
const noFallback: Transport = {
  request: (): Promise<RawResponse> => Promise.reject(new Error('the fallback transport was used')),
  stream: (): Promise<LineStream> => Promise.reject(new Error('the fallback transport was used for a stream')),
  close: () => undefined,
};

/** What the server's side of the in-process streams saw: streams started, closed by the consumer, lines written. */
interface Spy {
  endpoint: InProcessEndpoint;
  started: number;
  closed: number;
  lines: number;
}

/** `endpoint` with its streams' sinks observed (what the server's watch code calls on them). */
function spyOn(endpoint: InProcessEndpoint): Spy {
  const spy: Spy = {
    started: 0,
    closed: 0,
    lines: 0,
    endpoint: {
      serve: (req) => endpoint.serve(req),
      stream: (req, sink) => {
        const observed: InProcessStreamSink = {
          start: () => {
            spy.started++;
            return sink.start();
          },
          line: (l) => {
            spy.lines++;
            sink.line(l);
          },
          end: (e) => sink.end(e),
          backlog: () => sink.backlog(),
          onClose: (cb) => sink.onClose(cb),
        };
        sink.onClose(() => spy.closed++);
        return endpoint.stream!(req, observed);
      },
    },
  };
  return spy;
}

interface Client {
  name: string;
  client: ApiClient;
  close(): void;
}

function socketClient(): Client {
  return { name: 'socket', client: new ApiClient(socket, { namespace: 'default' }), close: () => undefined };
}

function inThreadClient(endpoint: InProcessEndpoint): Client {
  return { name: 'in process', client: new ApiClient(new InProcessTransport(endpoint, noFallback, { userAgent }), { namespace: 'default' }), close: () => undefined };
}

function portClient(endpoint: InProcessEndpoint): Client {
  const { port1, port2 } = new MessageChannel();
  const served = servePort(port1, endpoint);
  const ep = new PortEndpoint(port2);
  return {
    name: 'through a port',
    client: new ApiClient(new InProcessTransport(ep, noFallback, { userAgent }), { namespace: 'default' }),
    close: () => {
      ep.close();
      served.close();
    },
  };
}

before(async () => {
  ts = await startTestServer({ localSocket: true, watchCacheCapacity: 100 });
  socket = new HttpsTransport({ servers: ['http://localhost'], socketPath: ts.socketPath!, namespace: 'default', userAgent }, { timeoutMs: 10_000 });
});

after(async () => {
  socket?.close();
  await ts?.close();
});

const cm = (ns: string, name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, labels },
  data,
});

/** Events until `last` says stop (or the stream ends), within 10 s. */
async function collect(w: AsyncIterable<WatchEvent<ConfigMap>> & { close(): void }, last: (ev: WatchEvent<ConfigMap>) => boolean): Promise<{ events: WatchEvent<ConfigMap>[]; ended: boolean }> {
  const events: WatchEvent<ConfigMap>[] = [];
  const timer = setTimeout(() => w.close(), 10_000);
  let ended = true;
  try {
    for await (const ev of w) {
      events.push(ev);
      if (last(ev)) {
        ended = false;
        break;
      }
    }
  } finally {
    clearTimeout(timer);
    w.close();
  }
  return { events, ended };
}

const named = (ev: WatchEvent<ConfigMap>, name: string) => ev.type !== 'BOOKMARK' && ev.type !== 'ERROR' && ev.object.metadata?.name === name;

interface Case {
  name: string;
  /** The watch's options; `rv` is the list's resourceVersion after the objects made before. */
  opts(rv: string, oldRv: string): WatchOptions;
  /** Ends once the sentinel object is seen; otherwise the stream ends by itself. */
  endsAlone?: boolean;
}

const cases: Case[] = [
  { name: 'resourceVersion 0: the initial state, then changes', opts: () => ({ resourceVersion: '0' }) },
  { name: 'exact resourceVersion: the changes after it', opts: (rv) => ({ resourceVersion: rv }) },
  { name: 'no resourceVersion: the initial state from a consistent read', opts: () => ({}) },
  { name: 'an earlier resourceVersion: the history replayed', opts: (_rv, old) => ({ resourceVersion: old }) },
  { name: 'a label selector', opts: () => ({ resourceVersion: '0', labelSelector: 'app=x' }) },
  { name: 'a field selector (the name)', opts: (rv) => ({ resourceVersion: rv, fieldSelector: 'metadata.name=sentinel' }) },
  { name: 'bookmarks and the initial-events-end bookmark', opts: () => ({ allowWatchBookmarks: true, sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' }) },
  { name: 'timeoutSeconds ends the stream', opts: (rv) => ({ resourceVersion: rv, timeoutSeconds: 1 }), endsAlone: true },
];

for (const metadataOnly of [false, true]) {
  const what = metadataOnly ? 'a metadata-only watch (the garbage collector’s)' : 'a watch';
  test(`in process and through a port, ${what} gets exactly the events the socket gets`, async () => {
    const clients = [socketClient(), inThreadClient(ts.server.inProcess!), portClient(ts.server.inProcess!)];
    const writer = clients[0]!.client;
    const watcher = (k: Client) => (metadataOnly ? metadataClientFor(k.client) : k.client);
    try {
      for (const [i, c] of cases.entries()) {
        const ns = `watch-${metadataOnly ? 'm' : 'f'}-${i}`;
        await writer.create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
        await writer.create(resources.configMaps, cm(ns, 'before-a', { app: 'x' }), { namespace: ns });
        const old = (await writer.list(resources.configMaps, { namespace: ns })).resourceVersion;
        await writer.create(resources.configMaps, cm(ns, 'before-b', { app: 'y' }), { namespace: ns });
        const rv = (await writer.list(resources.configMaps, { namespace: ns })).resourceVersion;
        const watches = await Promise.all(clients.map((k) => watcher(k).watch<ConfigMap>(resources.configMaps, { namespace: ns, ...c.opts(rv, old) })));
        const results = watches.map((w) => collect(w, (ev) => !c.endsAlone && named(ev, 'sentinel')));
        await writer.create(resources.configMaps, cm(ns, 'during', { app: 'x' }, { k: 'v' }), { namespace: ns });
        await writer.patch(resources.configMaps, 'during', { data: { k: 'w' } }, 'merge', { namespace: ns });
        await writer.delete(resources.configMaps, 'before-a', { namespace: ns });
        await writer.create(resources.configMaps, cm(ns, 'sentinel', { app: 'x' }), { namespace: ns });
        const got = await Promise.all(results);
        const viaSocket = got[0]!;
        if (c.endsAlone) assert.ok(viaSocket.ended, `${c.name}: the stream ended by itself`);
        else assert.ok(named(viaSocket.events.at(-1)!, 'sentinel'), `${c.name}: the socket's watch saw the sentinel`);
        assert.ok(viaSocket.events.length > 0 || c.endsAlone, `${c.name}: events over the socket`);
        if (metadataOnly) assert.ok(viaSocket.events.every((e) => e.type === 'BOOKMARK' || (e.object as { kind?: string }).kind === 'PartialObjectMetadata'), `${c.name}: metadata only`);
        for (const [j, r] of got.entries()) assert.deepEqual(r, viaSocket, `${c.name}: ${clients[j]!.name} as over the socket`);
      }
    } finally {
      for (const c of clients) c.close();
    }
  });
}

test('errors: a bad resourceVersion is a 400 ApiError, a compacted one a 410 ERROR event, as over the socket', async () => {
  const clients = [socketClient(), inThreadClient(ts.server.inProcess!), portClient(ts.server.inProcess!)];
  const writer = clients[0]!.client;
  try {
    await writer.create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watch-errors' } });
    // Past the history (100 events) so revision 2 is compacted away.
    for (let i = 0; i < 110; i++) await writer.create(resources.configMaps, cm('watch-errors', `filler-${i}`), { namespace: 'watch-errors' });
    for (const k of clients) {
      await assert.rejects(
        k.client.watch(resources.configMaps, { namespace: 'watch-errors', resourceVersion: 'abc' }),
        (e: unknown) => e instanceof ApiError && e.code === 400,
        `${k.name}: a malformed resourceVersion`,
      );
    }
    const gone = await Promise.all(clients.map(async (k) => collect(await k.client.watch<ConfigMap>(resources.configMaps, { namespace: 'watch-errors', resourceVersion: '2' }), () => false)));
    const first = gone[0]!;
    assert.equal(first.events.length, 1);
    assert.equal(first.events[0]!.type, 'ERROR');
    assert.equal((first.events[0]!.object as { code?: number }).code, 410);
    assert.ok(first.ended, 'the stream ends after the ERROR event');
    for (const [j, r] of gone.entries()) assert.deepEqual(r, first, `${clients[j]!.name}: too old as over the socket`);
  } finally {
    for (const c of clients) c.close();
  }
});

test('a watch of an unknown resource is refused with the same Status as over the socket', async () => {
  const clients = [socketClient(), inThreadClient(ts.server.inProcess!), portClient(ts.server.inProcess!)];
  try {
    for (const k of clients) {
      await assert.rejects(
        k.client.transport.stream('GET', '/api/v1/namespaces/default/widgets', { query: { watch: 'true' } }),
        (e: unknown) => e instanceof ApiError && e.code === 404,
        k.name,
      );
    }
  } finally {
    for (const c of clients) c.close();
  }
});

for (const via of ['in process', 'through a port'] as const) {
  test(`${via}: the consumer closing the watch ends the server's watch`, async () => {
    const spy = spyOn(ts.server.inProcess!);
    const k = via === 'in process' ? inThreadClient(spy.endpoint) : portClient(spy.endpoint);
    const writer = socketClient().client;
    try {
      const ns = `close-${via.replace(/ /g, '-')}`;
      await writer.create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      const w = await k.client.watch<ConfigMap>(resources.configMaps, { namespace: ns, resourceVersion: '0' });
      await writer.create(resources.configMaps, cm(ns, 'one'), { namespace: ns });
      await collect(w, (ev) => named(ev, 'one'));
      assert.equal(spy.started, 1);
      await waitFor(() => spy.closed === 1, 'the server saw the consumer go');
      const written = spy.lines;
      await writer.create(resources.configMaps, cm(ns, 'two'), { namespace: ns });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(spy.lines, written, "the server's watch wrote nothing after the consumer closed it");
    } finally {
      k.close();
    }
  });

  test(`${via}: closing the client cuts its open watches (a reset, as its connections would be) and ends them on the server`, async () => {
    const spy = spyOn(ts.server.inProcess!);
    const k = via === 'in process' ? inThreadClient(spy.endpoint) : portClient(spy.endpoint);
    try {
      const w = await k.client.watch<ConfigMap>(resources.configMaps, { namespace: 'default', resourceVersion: '0' });
      const next = w[Symbol.asyncIterator]().next();
      await waitFor(() => spy.started === 1, 'the stream started');
      k.client.close();
      // Lines already queued (the initial state) may come first; the iteration then fails with a reset.
      await assert.rejects(
        (async () => {
          await next;
          for await (const _ of w) void _;
        })(),
        (e: unknown) => e instanceof TransportError && e.kind === 'reset',
      );
      await waitFor(() => spy.closed === 1, 'the server saw the stream go');
    } finally {
      k.close();
    }
  });

  test(`${via}: the server closing ends the stream; the next watch is refused as by a closed server`, async () => {
    const s = await startTestServer({ localSocket: true });
    const k = via === 'in process' ? inThreadClient(s.server.inProcess!) : portClient(s.server.inProcess!);
    try {
      const w = await k.client.watch<ConfigMap>(resources.configMaps, { namespace: 'default', resourceVersion: '0' });
      const done = collect(w, () => false);
      await s.server.close();
      const r = await done;
      assert.ok(r.ended, 'the iteration ended');
      await assert.rejects(k.client.watch(resources.configMaps, { namespace: 'default' }), (e: unknown) => e instanceof TransportError && e.kind === 'connect');
    } finally {
      k.close();
      await s.close();
    }
  });

  test(`${via}: a consumer that takes nothing is cut off at the server's bound; one that keeps up is not`, async () => {
    const bound = 256 * 1024;
    const s = await startTestServer({ localSocket: true, watch: { maxBufferedBytes: bound } });
    const k = via === 'in process' ? inThreadClient(s.server.inProcess!) : portClient(s.server.inProcess!);
    const writer = new ApiClient(new InProcessTransport(s.server.inProcess!, noFallback, { userAgent }), { namespace: 'default' });
    const big = 'x'.repeat(16 * 1024);
    try {
      const idle = await k.client.watch<ConfigMap>(resources.configMaps, { namespace: 'default', resourceVersion: '0' });
      const reading = await k.client.watch<ConfigMap>(resources.configMaps, { namespace: 'default', resourceVersion: '0' });
      const read = collect(reading, (ev) => named(ev, 'big-39'));
      // 40 × 16 KiB: well past the bound for the consumer that takes nothing.
      for (let i = 0; i < 40; i++) await writer.create(resources.configMaps, cm('default', `big-${i}`, {}, { big }), { namespace: 'default' });
      const kept = await read;
      assert.equal(kept.ended, false, 'the consumer that keeps up saw every event');
      assert.equal(kept.events.filter((e) => e.type === 'ADDED' && e.object.metadata?.name?.startsWith('big-')).length, 40);
      const cut = await collect(idle, () => false);
      assert.ok(cut.ended, 'the stream of the consumer that took nothing ended (a normal end, as a cut-off socket)');
      const seen = cut.events.filter((e) => e.type === 'ADDED' && e.object.metadata?.name?.startsWith('big-')).length;
      assert.ok(seen > 0 && seen < 40, `cut off part way: ${seen} of 40 events`);
    } finally {
      k.close();
      writer.close();
      await s.close();
    }
  });
}

test('an aborted watch ends with an aborted TransportError; a silent one with a timeout', async () => {
  const k = portClient(ts.server.inProcess!);
  try {
    const ac = new AbortController();
    const w = await k.client.watch<ConfigMap>(resources.configMaps, { namespace: 'default', signal: ac.signal });
    const it = w[Symbol.asyncIterator]();
    const next = it.next();
    ac.abort();
    await assert.rejects(next, (e: unknown) => e instanceof TransportError && e.kind === 'aborted');
    // A server that never starts the stream: the idle timeout covers the wait for the start too.
    const silent = new ApiClient(new InProcessTransport({ serve: () => new Promise(() => {}), stream: () => new Promise(() => {}) }, noFallback), { namespace: 'default' });
    await assert.rejects(silent.watch(resources.configMaps, { idleTimeoutMs: 30 }), (e: unknown) => e instanceof TransportError && e.kind === 'timeout');
    // A stream that started and then stays silent.
    const quiet = new ApiClient(new InProcessTransport({ serve: () => new Promise(() => {}), stream: (_req, sink) => Promise.resolve(sink.start() ? 'stream' : undefined) }, noFallback), { namespace: 'default' });
    const qw = await quiet.watch(resources.configMaps, { idleTimeoutMs: 30 });
    await assert.rejects(qw[Symbol.asyncIterator]().next(), (e: unknown) => e instanceof TransportError && e.kind === 'timeout');
  } finally {
    k.close();
  }
});

test('an endpoint without streams, or a request that needs a connection, uses the fallback', async () => {
  const used: string[] = [];
  const fallback: Transport = {
    request: (m, p) => (used.push(`request ${m} ${p}`), socket.request(m, p)),
    stream: (m, p, o) => (used.push(`stream ${m} ${p}`), socket.stream(m, p, o)),
    close: () => undefined,
  };
  const unary = new ApiClient(new InProcessTransport({ serve: (r) => ts.server.inProcess!.serve(r) }, fallback), { namespace: 'default' });
  const w = await unary.watch(resources.configMaps, { namespace: 'default', timeoutSeconds: 1 });
  w.close();
  assert.deepEqual(used, ['stream GET /api/v1/namespaces/default/configmaps']);
});

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
}
