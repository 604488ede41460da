import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki, certSans, desiredServerSans, normalizeIp, ADMIN_USER } from '../../../src/apiserver/auth/pki.js';

const opts = { hostname: 'box1', addresses: ['192.0.2.7', 'fd00::7'] };

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-pki-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('ensurePki creates a CA, server and admin certificates and a token on first start', async (t) => {
  const dir = tmp(t);
  const pki = await ensurePki(dir, opts);
  assert.equal(pki.issued.length, 5);

  const ca = new X509Certificate(pki.caCert);
  assert.equal(ca.ca, true);
  const server = new X509Certificate(pki.serverCert);
  assert.ok(server.checkIssued(ca) && server.verify(ca.publicKey), 'server cert signed by CA');
  const sans = certSans(server);
  for (const d of ['localhost', 'box1', 'kubernetes.default.svc']) assert.ok(sans.dns.includes(d), d);
  for (const ip of ['127.0.0.1', '::1', '192.0.2.7', 'fd00::7', '10.43.0.1']) assert.ok(sans.ips.includes(ip), ip);
  assert.ok(new Date(server.validTo).getTime() - Date.now() > 360 * 86400e3);
  assert.ok(new Date(ca.validTo).getTime() - Date.now() > 9 * 365 * 86400e3);

  const admin = new X509Certificate(pki.adminCert);
  assert.ok(admin.verify(ca.publicKey));
  assert.match(admin.subject, /CN=skiff-admin/);
  assert.match(admin.subject, /O=system:masters/);

  const kubeletClient = new X509Certificate(pki.kubeletClientCert);
  assert.ok(kubeletClient.verify(ca.publicKey));
  assert.match(kubeletClient.subject, /CN=kube-apiserver-kubelet-client/);

  for (const f of ['ca.key', 'server.key', 'admin.key', 'kubelet-client.key']) {
    assert.equal(statSync(join(dir, 'tls', f)).mode & 0o777, 0o600, f);
  }
  assert.equal(statSync(pki.tokensFile).mode & 0o777, 0o600);
  const line = readFileSync(pki.tokensFile, 'utf8').trim();
  assert.equal(line, `${pki.adminToken},${ADMIN_USER},${ADMIN_USER},system:masters`);
  assert.match(pki.adminToken, /^[0-9a-f]{64}$/);
});

test('ensurePki reuses everything on a later start, quickly', async (t) => {
  const dir = tmp(t);
  const first = await ensurePki(dir, opts);
  const started = performance.now();
  const second = await ensurePki(dir, opts);
  const ms = performance.now() - started;
  assert.deepEqual(second.issued, []);
  assert.equal(second.caCert, first.caCert);
  assert.equal(second.serverCert, first.serverCert);
  assert.equal(second.adminKey, first.adminKey);
  assert.equal(second.adminToken, first.adminToken);
  assert.ok(ms < 200, `later start took ${ms.toFixed(1)} ms`);
});

test('ensurePki re-issues the server certificate when a SAN is missing or it expires soon', async (t) => {
  const dir = tmp(t);
  const first = await ensurePki(dir, opts);
  const moved = await ensurePki(dir, { ...opts, addresses: ['198.51.100.9'] });
  assert.deepEqual(moved.issued.length, 1);
  assert.match(moved.issued[0]!, /server certificate \(missing SANs 198\.51\.100\.9\)/);
  assert.equal(moved.caCert, first.caCert);
  assert.equal(moved.adminCert, first.adminCert);
  assert.ok(certSans(new X509Certificate(moved.serverCert)).ips.includes('198.51.100.9'));

  const later = new Date(Date.now() + 340 * 86400e3);
  const renewed = await ensurePki(dir, { ...opts, addresses: ['198.51.100.9'], now: later });
  assert.deepEqual(renewed.issued.sort(), ['admin certificate (expires soon)', 'kubelet-client certificate (expires soon)', 'server certificate (expires soon)']);
});

test('ensurePki replaces a corrupt CA and everything it signed', async (t) => {
  const dir = tmp(t);
  const first = await ensurePki(dir, opts);
  writeFileSync(join(dir, 'tls', 'ca.crt'), 'garbage');
  const again = await ensurePki(dir, opts);
  assert.notEqual(again.caCert, first.caCert);
  assert.equal(again.issued.length, 4);
  assert.equal(again.adminToken, first.adminToken);
});

test('ensurePki keeps tokens a user added and refuses to rewrite a malformed token file', async (t) => {
  const dir = tmp(t);
  writeFileSync(join(dir, 'tokens.csv'), 'usertoken,alice,a1,"dev,ops"\n');
  const pki = await ensurePki(dir, opts);
  const lines = readFileSync(pki.tokensFile, 'utf8').trim().split('\n');
  assert.deepEqual(lines, ['usertoken,alice,a1,"dev,ops"', `${pki.adminToken},skiff-admin,skiff-admin,system:masters`]);
  writeFileSync(pki.tokensFile, 'broken\n');
  await assert.rejects(ensurePki(dir, opts), (e: unknown) => e instanceof Error && e.name === 'TokenFileError');
  assert.equal(readFileSync(pki.tokensFile, 'utf8'), 'broken\n');
});

test('desiredServerSans and normalizeIp', () => {
  assert.deepEqual(desiredServerSans('Host', ['0:0:0:0:0:0:0:1', '10.0.0.1'], ['api.example.com']).ips, [
    '10.0.0.1',
    '10.43.0.1',
    '127.0.0.1',
    '::1',
  ]);
  assert.ok(desiredServerSans('Host', []).dns.includes('host'));
  // --service-cidr: the kubernetes Service's address (first of the range) replaces 10.43.0.1.
  assert.deepEqual(desiredServerSans('Host', [], [], '10.50.0.0/20').ips, ['10.50.0.1', '127.0.0.1', '::1']);
  const cases: [string, string | undefined][] = [
    ['127.0.0.1', '127.0.0.1'],
    ['FD00:0:0::2', 'fd00::2'],
    ['300.1.1.1', undefined],
    ['localhost', undefined],
  ];
  for (const [input, want] of cases) assert.equal(normalizeIp(input), want, input);
});
