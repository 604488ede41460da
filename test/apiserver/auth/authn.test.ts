import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki, type Pki } from '../../../src/apiserver/auth/pki.js';
import {
  createAuthenticator,
  bearerToken,
  userFromCertSubject,
  TokenAuthenticator,
  type UserInfo,
} from '../../../src/apiserver/auth/authn.js';
import { parseTokenFile, formatTokenLine } from '../../../src/apiserver/auth/token-file.js';
import { AllowAllAuthorizer, forbiddenMessage } from '../../../src/apiserver/auth/authz.js';

let dir: string;
let pki: Pki;
let server: Server;
let port: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-authn-'));
  pki = await ensurePki(dir, { hostname: 'box', addresses: [] });
  const authn = createAuthenticator(pki.tokensFile);
  server = createServer(
    { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const user = authn.authenticate(req);
      res.writeHead(user ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(user ?? null));
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

function call(opts: { cert?: string; key?: string; token?: string; agent?: Agent }): Promise<{ status: number; user: UserInfo | null }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        ca: pki.caCert,
        cert: opts.cert,
        key: opts.key,
        agent: opts.agent ?? false,
        headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, user: JSON.parse(body) as UserInfo | null }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('a verified client certificate authenticates as CN with O as groups', async () => {
  const r = await call({ cert: pki.adminCert, key: pki.adminKey });
  assert.equal(r.status, 200);
  assert.deepEqual(r.user, { username: 'skiff-admin', groups: ['system:masters', 'system:authenticated'] });
});

test('a client certificate from another CA is not accepted', async (t) => {
  const other = mkdtempSync(join(tmpdir(), 'skiff-authn-other-'));
  t.after(() => rmSync(other, { recursive: true, force: true }));
  const foreign = await ensurePki(other, { hostname: 'x', addresses: [] });
  const r = await call({ cert: foreign.adminCert, key: foreign.adminKey });
  assert.equal(r.status, 401);
});

test('the admin bearer token authenticates with uid and groups', async () => {
  const r = await call({ token: pki.adminToken });
  assert.equal(r.status, 200);
  assert.deepEqual(r.user, {
    username: 'skiff-admin',
    uid: 'skiff-admin',
    groups: ['system:masters', 'system:authenticated'],
  });
});

test('anonymous and wrong tokens are rejected', async () => {
  assert.equal((await call({})).status, 401);
  assert.equal((await call({ token: 'wrong' })).status, 401);
  assert.equal((await call({ token: pki.adminToken.slice(0, -1) })).status, 401);
});

test('one keep-alive connection: each request is judged by its own Authorization header', async () => {
  // The server remembers a connection's last token user; a different header on the same socket must not reuse it.
  const agent = new Agent({ ca: pki.caCert, keepAlive: true, maxSockets: 1 });
  try {
    const sequence = [pki.adminToken, 'wrong', pki.adminToken, pki.adminToken, undefined, pki.adminToken.slice(0, -1), pki.adminToken];
    const got: (string | null)[] = [];
    for (const token of sequence) {
      const r = await call({ token, agent });
      got.push(r.status === 200 ? r.user!.username : null);
    }
    assert.deepEqual(got, ['skiff-admin', null, 'skiff-admin', 'skiff-admin', null, null, 'skiff-admin']);
  } finally {
    agent.destroy();
  }
});

test('bearerToken parses the Authorization header like upstream', () => {
  const cases: [string | undefined, string | undefined][] = [
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['Basic abc', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    [undefined, undefined],
  ];
  for (const [h, want] of cases) assert.equal(bearerToken(h), want, String(h));
});

test('userFromCertSubject handles one or several O values', () => {
  assert.deepEqual(userFromCertSubject({ CN: 'node:a', O: ['g1', 'g2'] }), {
    username: 'node:a',
    groups: ['g1', 'g2', 'system:authenticated'],
  });
  assert.deepEqual(userFromCertSubject({ CN: 'u' }), { username: 'u', groups: ['system:authenticated'] });
  assert.equal(userFromCertSubject({ O: 'g' }), undefined);
});

test('token file: upstream format, quoted groups, empty tokens skipped, round trip', () => {
  const tokens = parseTokenFile('t1,alice,1,"a,b"\n,skipped,2\n t2 , bob,3\n');
  assert.deepEqual(tokens, [
    { token: 't1', user: 'alice', uid: '1', groups: ['a', 'b'] },
    { token: 't2 ', user: 'bob', uid: '3', groups: [] },
  ]);
  assert.equal(formatTokenLine(tokens[0]!), 't1,alice,1,"a,b"');
  assert.throws(() => parseTokenFile('only,two\n'), /at least 3 columns/);
  const auth = new TokenAuthenticator(tokens);
  assert.equal(auth.authenticateToken('t1')?.username, 'alice');
  assert.equal(auth.authenticateToken('t3'), undefined);
});

test('the allow-all authorizer allows and forbiddenMessage reads like upstream', () => {
  const user = { username: 'u', groups: [] };
  assert.equal(new AllowAllAuthorizer().authorize(user, { verb: 'get', apiGroup: '', resource: 'pods' }).allowed, true);
  assert.equal(
    forbiddenMessage(user, { verb: 'list', apiGroup: 'apps', resource: 'deployments', namespace: 'ns' }),
    'User "u" cannot list resource "deployments" in API group "apps" in the namespace "ns"',
  );
  assert.equal(
    forbiddenMessage(user, { verb: 'get', apiGroup: '', resource: '', path: '/metrics' }),
    'User "u" cannot get path "/metrics"',
  );
});
