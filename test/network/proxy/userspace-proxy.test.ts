// The userspace service proxy on loopback: round-robin over ready endpoints, readiness changes, ClientIP
// affinity, retry on a dead endpoint, UDP relaying, and the fallback chosen automatically (with its
// warning) when the proxy runs as an unprivileged user.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { get } from 'node:http';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ApiClient, resources } from '../../../src/client/index.js';
import { startServiceProxy, type ServiceProxy } from '../../../src/network/proxy/index.js';
import { repoRoot } from '../../e2e/harness.js';
import { startTestServer, type TestServer } from '../../apiserver/harness.js';

let server: TestServer;
let client: ApiClient;
let proxy: ServiceProxy;
let syncs = 0;
const backends: Server[] = [];
const hosts = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
let port = 0;

before(async () => {
  for (const host of hosts) {
    const s = createServer((req, res) => res.end(host));
    await new Promise<void>((r) => s.listen(port, host, () => r()));
    port = (s.address() as { port: number }).port;
    backends.push(s);
  }
  server = await startTestServer();
  client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' }, { timeoutMs: 10_000 });
  proxy = await startServiceProxy({ client, nodeName: 'n1', nodeIPs: ['127.0.0.1'], mode: 'userspace', tableSuffix: 'us', log: () => {}, onSync: () => syncs++ });
  await proxy.synced();
});

after(async () => {
  await proxy?.stop();
  client?.close();
  await server?.close();
  for (const s of backends) s.close();
});

async function waitFor(cond: () => boolean, msg: string): Promise<void> {
  const end = Date.now() + 8000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${msg}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function service(name: string, spec: Partial<NonNullable<Service['spec']>>, eps: Array<{ ip: string; ready?: boolean }>, epPort = port, protocol = 'TCP'): Promise<{ host: string; port: number }> {
  await client.create<Service>(resources.services, { metadata: { name }, spec: { ports: [{ name: 'p', port: 80, protocol }], ...spec } });
  await setSlice(name, eps, epPort, protocol);
  await waitFor(() => proxy.userspaceListeners().some((l) => l.name === name), `listener for ${name}`);
  const l = proxy.userspaceListeners().find((x) => x.name === name)!;
  return { host: l.host, port: l.listenPort };
}

async function setSlice(name: string, eps: Array<{ ip: string; ready?: boolean }>, epPort = port, protocol = 'TCP'): Promise<void> {
  const body: EndpointSlice = {
    metadata: { name: `${name}-1`, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: [{ name: 'p', port: epPort, protocol }],
    endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true } })),
  };
  const before = syncs;
  const cur = await client.get<EndpointSlice>(resources.endpointSlices, `${name}-1`).catch(() => undefined);
  if (cur) await client.update(resources.endpointSlices, { ...body, metadata: { ...body.metadata, resourceVersion: cur.metadata!.resourceVersion } });
  else await client.create(resources.endpointSlices, body);
  await waitFor(() => syncs > before, 'sync');
}

function fetchText(host: string, p: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host, port: p, agent: false }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
}

async function tally(l: { host: string; port: number }, n: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const who = await fetchText(l.host, l.port);
    out[who] = (out[who] ?? 0) + 1;
  }
  return out;
}

test('userspace mode is stated loudly and relays round-robin over ready endpoints', async () => {
  assert.equal(proxy.mode, 'userspace');
  assert.equal(proxy.warning?.reason, 'UserspaceProxy');
  const l = await service('web', {}, hosts.map((ip) => ({ ip })));
  assert.deepEqual(await tally(l, 30), { '127.0.0.2': 10, '127.0.0.3': 10, '127.0.0.4': 10 });
  await setSlice('web', [{ ip: hosts[0]! }, { ip: hosts[1]!, ready: false }, { ip: hosts[2]! }]);
  assert.deepEqual(Object.keys(await tally(l, 10)).sort(), ['127.0.0.2', '127.0.0.4']);
});

test('ClientIP affinity keeps the client on one endpoint', async () => {
  const l = await service('sticky', { sessionAffinity: 'ClientIP' }, hosts.map((ip) => ({ ip })));
  assert.equal(Object.keys(await tally(l, 12)).length, 1);
});

test('a dead endpoint is skipped: the next one is tried', async () => {
  const l = await service('retry', {}, [{ ip: '127.0.0.9' }, { ip: hosts[0]! }]);
  assert.deepEqual(await tally(l, 6), { '127.0.0.2': 6 });
});

test('UDP datagrams are relayed and answered', async () => {
  const echo = createSocket('udp4');
  echo.on('message', (m, r) => echo.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
  await new Promise<void>((r) => echo.bind(0, '127.0.0.5', () => r()));
  const l = await service('udp', {}, [{ ip: '127.0.0.5' }], echo.address().port, 'UDP');
  const c = createSocket('udp4');
  const reply = await new Promise<string>((resolve) => {
    c.on('message', (m) => resolve(m.toString()));
    c.send('hi', l.port, l.host);
  });
  c.close();
  echo.close();
  assert.equal(reply, 'echo:hi');
});

test('a deleted Service closes its listener', async () => {
  const l = await service('gone', {}, [{ ip: hosts[0]! }]);
  await client.delete(resources.services, 'gone');
  await waitFor(() => !proxy.userspaceListeners().some((x) => x.name === 'gone'), 'listener closed');
  await assert.rejects(fetchText(l.host, l.port), /ECONNREFUSED/);
});

const unprivilegedSkip =
  typeof process.getuid !== 'function' || process.getuid() !== 0 ? 'needs root to start a process as an unprivileged user' : !existsSync('/usr/bin/setpriv') ? 'setpriv not installed' : undefined;

test('as an unprivileged user, mode auto falls back to userspace with a warning', { skip: unprivilegedSkip }, async () => {
  await client.create<Service>(resources.services, { metadata: { name: 'unpriv' }, spec: { ports: [{ name: 'p', port: 80 }] } });
  await setSlice('unpriv', [{ ip: hosts[2]! }]);
  const child = spawn('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', process.execPath, '--import', 'tsx', 'test/network/proxy/fixtures/unprivileged-proxy.ts'], {
    cwd: repoRoot,
    env: { ...process.env, SKIFF_TEST_API: JSON.stringify({ url: server.url, ca: server.ca, token: server.token }) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  try {
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.on('exit', (code) => reject(new Error(`fixture exited ${code}: ${err}`)));
    });
    const got = JSON.parse(line) as { uid: number; mode: string; warning: { reason: string; message: string }; listeners: Array<{ name: string; host: string; listenPort: number }> };
    assert.equal(got.uid, 65534);
    assert.equal(got.mode, 'userspace');
    assert.equal(got.warning.reason, 'UserspaceProxy');
    assert.match(got.warning.message, /not running as root/);
    const l = got.listeners.find((x) => x.name === 'unpriv')!;
    assert.equal(await fetchText(l.host, l.listenPort), '127.0.0.4');
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.stdin!.end();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
