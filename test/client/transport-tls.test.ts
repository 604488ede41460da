// The HTTPS transport's TLS: the CA, client certificate and key of the config reach every connection through
// the transport's one secure context (they are not agent options: see transport.ts). A real TLS server on
// loopback with this data dir's PKI checks what the client presents. Loopback only.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { ensurePki, type Pki } from '../../src/apiserver/auth/pki.js';
import { HttpsTransport } from '../../src/client/transport.js';

let dir: string;
let pki: Pki;
let server: Server;
let url = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-transport-tls-'));
  pki = await ensurePki(dir, { hostname: 'localhost', addresses: ['127.0.0.1'] });
  server = createServer({ cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const authorized = (req.socket as TLSSocket).authorized;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ cn: peer?.subject?.CN ?? null, authorized }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

test('a client certificate from the config is presented and verified on every connection', async () => {
  const t = new HttpsTransport({ servers: [url], namespace: 'default', ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey }, { maxSockets: 4 });
  try {
    const answers = await Promise.all(Array.from({ length: 8 }, () => t.request('GET', '/whoami')));
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.deepEqual(JSON.parse(a.body), { cn: 'skiff-admin', authorized: true });
    }
  } finally {
    t.close();
  }
});

test('without a client certificate none is presented; the server is still verified against the CA', async () => {
  const t = new HttpsTransport({ servers: [url], namespace: 'default', ca: pki.caCert }, { maxSockets: 2 });
  try {
    const a = await t.request('GET', '/whoami');
    assert.deepEqual(JSON.parse(a.body), { cn: null, authorized: false });
  } finally {
    t.close();
  }
  const noCa = new HttpsTransport({ servers: [url], namespace: 'default' }, { maxSockets: 1, timeoutMs: 5_000 });
  try {
    await assert.rejects(noCa.request('GET', '/whoami'), /certificate|self.signed|unable to verify/i);
  } finally {
    noCa.close();
  }
});
