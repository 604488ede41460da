// Failover past a server that takes connections but never answers (a stopped server process, a host whose
// kernel still accepts): with several servers a new connection that does not complete its TLS handshake
// within connectTimeoutMs moves the request to the next server; with one server nothing changes (the
// request's own timeout applies). Loopback only.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { ApiClient } from '../../src/client/client.js';
import { TransportError } from '../../src/client/errors.js';
import { configMaps } from '../../src/client/resources.js';
import { startTestServer, type TestServer } from '../apiserver/harness.js';
import { clientConfigFor } from './support.js';

let s: TestServer;
let silent: Server;
let silentUrl = '';
const sockets = new Set<Socket>();

before(async () => {
  s = await startTestServer();
  silent = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentUrl = `https://127.0.0.1:${(silent.address() as { port: number }).port}`;
});
after(async () => {
  for (const sock of sockets) sock.destroy();
  await new Promise<void>((r) => silent.close(() => r()));
  await s.close();
});

test('several servers: a silent one is skipped after the connect timeout', async () => {
  const client = ApiClient.fromConfig(clientConfigFor(s, [silentUrl, s.url]), { timeoutMs: 10_000, connectTimeoutMs: 300 });
  try {
    const started = Date.now();
    const list = await client.list(configMaps, { namespace: 'default' });
    assert.ok(Array.isArray(list.items));
    const took = Date.now() - started;
    assert.ok(took >= 250, `waited for the connect timeout (${took} ms)`);
    // The live server answered last, so it is tried first now.
    const again = Date.now();
    await client.list(configMaps, { namespace: 'default' });
    assert.ok(Date.now() - again < 5000);
  } finally {
    client.close();
  }
});

test('one server: no connect limit, the request timeout applies', async () => {
  const client = ApiClient.fromConfig(clientConfigFor(s, [silentUrl]), { timeoutMs: 700, connectTimeoutMs: 100 });
  try {
    const err = await client.list(configMaps, { namespace: 'default' }).catch((e: unknown) => e);
    assert.ok(err instanceof TransportError, String(err));
    assert.equal(err.kind, 'timeout');
  } finally {
    client.close();
  }
});
