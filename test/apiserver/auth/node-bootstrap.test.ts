// Join tokens and the node bootstrap endpoint: token format and parsing, the secret check, node names, and
// the two endpoints over real HTTPS (CA public; credentials only with the secret, verified by the CA).
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caHash, ensureJoinSecret, formatJoinToken, nodeBootstrap, parseJoinToken, secretMatches, validNodeName } from '../../../src/apiserver/auth/node-bootstrap.js';
import { ensurePki, issueNodeCertificates } from '../../../src/apiserver/auth/pki.js';
import { joinCluster, storedCredentials } from '../../../src/agent/join.js';

describe('join tokens', () => {
  it('carry the CA hash and the secret', () => {
    const t = formatJoinToken('PEM', 'abc');
    assert.equal(t, `K10${caHash('PEM')}::node:abc`);
    assert.deepEqual(parseJoinToken(t), { caHash: caHash('PEM'), secret: 'abc' });
    assert.deepEqual(parseJoinToken('bare-secret'), { secret: 'bare-secret' });
    assert.throws(() => parseJoinToken('K10nothex::x'), /malformed join token/);
  });
  it('compare secrets exactly', () => {
    assert.equal(secretMatches('abc', 'abc'), true);
    assert.equal(secretMatches('abd', 'abc'), false);
    assert.equal(secretMatches(undefined, 'abc'), false);
    assert.equal(secretMatches('ab', 'abc'), false);
  });
  for (const [name, ok] of [['node-1', true], ['a.b', true], ['Node', false], ['-x', false], ['', false]] as const) {
    it(`node name ${JSON.stringify(name)} is ${ok ? 'valid' : 'invalid'}`, () => assert.equal(validNodeName(name), ok));
  }
});

describe('node bootstrap over HTTPS', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let token: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-join-'));
    const pki = await ensurePki(join(dir, 'server'), { hostname: 'localhost', addresses: ['127.0.0.1'] });
    const secret = ensureJoinSecret(join(dir, 'server'));
    assert.equal(ensureJoinSecret(join(dir, 'server')), secret, 'the secret is kept');
    token = formatJoinToken(pki.caCert, secret);
    const b = nodeBootstrap({ caCert: pki.caCert, secret, issue: (n, a) => issueNodeCertificates(join(dir, 'server'), n, a) });
    server = createServer({ key: pki.serverKey, cert: pki.serverCert }, (req, res) => {
      if (b.handles(new URL(req.url ?? '/', 'https://x').pathname)) void b.handle(req, res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands out node credentials for system:node:<name> and keeps them for the next start', async () => {
    const creds = await joinCluster(url, token, 'worker-1', ['127.0.0.1'], join(dir, 'agent'), () => {});
    const client = new X509Certificate(creds.clientCert);
    assert.match(client.subject, /CN=system:node:worker-1/);
    assert.match(client.subject, /O=system:nodes/);
    const serving = new X509Certificate(creds.servingCert);
    assert.match(serving.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    assert.ok(serving.checkIssued(new X509Certificate(creds.caCert)));
    assert.deepEqual(storedCredentials(join(dir, 'agent'), token), creds);
  });

  it('refuses a wrong secret and a CA that does not match the token', async () => {
    const bad = token.replace(/::node:.*/, '::node:wrong');
    await assert.rejects(joinCluster(url, bad, 'worker-2', [], join(dir, 'agent2'), () => {}), /refused the join token/);
    const otherCa = `K10${'0'.repeat(64)}::node:x`;
    await assert.rejects(joinCluster(url, otherCa, 'worker-3', [], join(dir, 'agent3'), () => {}), /does not match the join token/);
  });
});
