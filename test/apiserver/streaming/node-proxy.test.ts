// The API server's streaming proxy end to end in one process: a real API server (SQLite), a real node server
// over the real process runtime (host network), and clients speaking as kubectl does with a bearer token —
// pods/log (plain and follow), exec over WebSocket v5 and SPDY, port-forward over SPDY-in-WebSocket,
// nodes/proxy, and the Status answers for every refusal.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket, { createWebSocketStream } from 'ws';
import { PassThrough } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { ensurePki, type Pki } from '../../../src/apiserver/auth/pki.js';
import { createAuthenticator } from '../../../src/apiserver/auth/authn.js';
import { startApiServer, type ApiServer } from '../../../src/apiserver/server.js';
import { openSqliteStore } from '../../../src/storage/sqlite/sqlite-store.js';
import type { Store } from '../../../src/storage/store.js';
import { startAgentServer, type AgentServer } from '../../../src/agent/server/index.js';
import { ProcessRuntime } from '../../../src/runtime/process/index.js';
import { SpdyTestClient, rawWebSocket, upgradeRequest } from './spdy-client.js';
import { containerConfig, sandboxConfig, until } from '../../runtime/process/support.js';

let dir: string;
let pki: Pki;
let store: Store;
let api: ApiServer;
let rt: ProcessRuntime;
let agent: AgentServer;
let echo: Server;
let echoPort: number;

function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: string; type?: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = httpsRequest(
      { host: '127.0.0.1', port: api.port, method, path, ca: pki.caCert, headers: { Authorization: `Bearer ${pki.adminToken}`, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, type: res.headers['content-type'] }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const auth = () => ({ Authorization: `Bearer ${pki.adminToken}` });
const apiTls = () => ({ host: '127.0.0.1', port: api.port, ca: pki.caCert });
const podLabels = (name: string) => ({ 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': `uid-${name}` });

async function runPod(name: string, script: string, nodeName = 'n1'): Promise<void> {
  const created = await call('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName, containers: [{ name: 'app', image: 'busybox' }] } });
  assert.equal(created.status, 201, created.body);
  const sbc = sandboxConfig(dir, name, { labels: podLabels(name) });
  const sb = await rt.runPodSandbox(sbc);
  const id = await rt.createContainer(sb, containerConfig('app', ['sh', '-c', script], { labels: { ...podLabels(name), 'io.kubernetes.container.name': 'app' } }), sbc);
  await rt.startContainer(id);
  const pod = JSON.parse(created.body);
  pod.status = { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'busybox', imageID: '', containerID: `process://${id}`, state: { running: { startedAt: new Date().toISOString().replace(/\.\d+Z/, 'Z') } } }] };
  const st = await call('PUT', `/api/v1/namespaces/default/pods/${name}/status`, pod);
  assert.equal(st.status, 200, st.body);
}

describe('streaming proxy through the API server', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-stream-proxy-'));
    pki = await ensurePki(dir, { hostname: 'localhost', addresses: ['127.0.0.1'] });
    store = await openSqliteStore(join(dir, 'state.db'));
    api = await startApiServer({
      store,
      port: 0,
      host: '127.0.0.1',
      tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert },
      authenticator: createAuthenticator(pki.tokensFile),
      kubeletClient: { cert: pki.kubeletClientCert, key: pki.kubeletClientKey, ca: pki.caCert },
      compactionIntervalMs: 0,
    });
    rt = await ProcessRuntime.open({ stateDir: join(dir, 'runtime'), isolation: 'none' });
    agent = await startAgentServer({ runtime: rt, nodeName: 'n1', host: '127.0.0.1', port: 0, tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert }, log: () => undefined });
    for (const [name, annotations] of [['n1', { 'skiff.dev/agent-endpoint': agent.url }], ['lost', {}], ['down', { 'skiff.dev/agent-endpoint': 'https://127.0.0.1:1' }]] as const) {
      const r = await call('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name, annotations } });
      assert.equal(r.status, 201, r.body);
    }
    echo = createServer((s) => {
      s.once('data', (d) => s.end(`pong:${d.toString()}`));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as { port: number }).port;
    await runPod('web', 'echo one; echo two; echo three; exec sleep 1000');
  });
  after(async () => {
    echo.close();
    await agent.stop();
    await api.close();
    await store.close();
    await rt.cleanupAll();
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves pods/log as text/plain, with options passed to the node', async () => {
    await until('log', async () => (await call('GET', '/api/v1/namespaces/default/pods/web/log?container=app')).body === 'one\ntwo\nthree\n');
    const r = await call('GET', '/api/v1/namespaces/default/pods/web/log?tailLines=2');
    assert.equal(r.status, 200);
    assert.equal(r.type, 'text/plain');
    assert.equal(r.body, 'two\nthree\n');
  });

  it('streams a followed log until the container ends', async () => {
    await runPod('short', 'echo a; sleep 0.3; echo b');
    await until('started', async () => (await call('GET', '/api/v1/namespaces/default/pods/short/log')).body.startsWith('a'));
    assert.equal((await call('GET', '/api/v1/namespaces/default/pods/short/log?follow=true')).body, 'a\nb\n');
  });

  it('answers refusals with Status objects', async () => {
    const cases: [string, number, string][] = [
      ['/api/v1/namespaces/default/pods/nope/log', 404, 'pods "nope" not found'],
      ['/api/v1/namespaces/default/pods/web/log?container=sidecar', 400, 'container sidecar is not valid for pod web'],
      ['/api/v1/namespaces/default/pods/web/log?previous=true', 400, 'previous terminated container "app" in pod "web" not found'],
      ['/api/v1/nodes/nope/proxy/healthz', 404, 'nodes "nope" not found'],
      ['/api/v1/nodes/lost/proxy/healthz', 503, 'no preferred addresses found for node "lost": it reports no agent endpoint'],
    ];
    for (const [path, code, message] of cases) {
      const r = await call('GET', path);
      assert.equal(r.status, code, path);
      const st = JSON.parse(r.body);
      assert.equal(st.kind, 'Status');
      assert.equal(st.message, message, path);
    }
    const down = await call('GET', '/api/v1/nodes/down/proxy/healthz');
    assert.equal(down.status, 503);
    assert.match(JSON.parse(down.body).message, /ECONNREFUSED/);
  });

  it('proxies nodes/{name}/proxy to the node server (the Summary API)', async () => {
    const r = await call('GET', '/api/v1/nodes/n1/proxy/stats/summary');
    assert.equal(r.status, 200, r.body);
    const s = JSON.parse(r.body);
    assert.equal(s.node.nodeName, 'n1');
    assert.ok(s.pods.some((p: { podRef: { name: string } }) => p.podRef.name === 'web'));
  });

  it('tunnels exec over WebSocket v5', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${api.port}/api/v1/namespaces/default/pods/web/exec?command=sh&command=-c&command=cat%3B%20exit%205&container=app&stdin=true&stdout=true&stderr=true`, ['v5.channel.k8s.io'], { ca: pki.caCert, headers: auth() });
    const channels = new Map<number, string>();
    ws.on('message', (d: Buffer) => channels.set(d[0]!, (channels.get(d[0]!) ?? '') + d.subarray(1).toString()));
    await new Promise((r) => ws.once('open', r));
    assert.equal(ws.protocol, 'v5.channel.k8s.io');
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('through the proxy\n')]));
    ws.send(Buffer.from([255, 0]));
    const code = await new Promise<number>((r) => ws.on('close', (c) => r(c)));
    assert.equal(code, 1000);
    assert.equal(channels.get(1), 'through the proxy\n');
    assert.equal(JSON.parse(channels.get(3)!).details.causes[0].message, '5');
  });

  it('tunnels exec over SPDY and refuses bad requests before upgrading', async () => {
    const up = await upgradeRequest(apiTls(), 'POST', '/api/v1/namespaces/default/pods/web/exec?command=echo&command=spdy&container=app&stdout=true', {
      ...auth(),
      Connection: 'Upgrade',
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
      'Content-Length': '0',
    });
    assert.equal(up.status, 101);
    const c = new SpdyTestClient(up.socket, up.rest);
    const errS = await c.open({ streamtype: 'error' });
    const out = await c.open({ streamtype: 'stdout' });
    assert.equal(await out.done(), 'spdy\n');
    assert.equal(JSON.parse(await errS.done()).status, 'Success');
    c.close();

    const bad = await upgradeRequest(apiTls(), 'POST', '/api/v1/namespaces/default/pods/web/exec?command=true&container=nope&stdout=true', { ...auth(), Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io', 'Content-Length': '0' });
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).message, 'container nope is not valid for pod web');
    const anon = await upgradeRequest(apiTls(), 'POST', '/api/v1/namespaces/default/pods/web/exec?command=true&stdout=true', { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'Content-Length': '0' });
    assert.equal(anon.status, 401);
  });

  it('tunnels port-forward over SPDY in WebSocket', async () => {
    const { ws, protocol } = await rawWebSocket(apiTls(), '/api/v1/namespaces/default/pods/web/portforward', 'SPDY/3.1+portforward.k8s.io', auth());
    assert.equal(protocol, 'SPDY/3.1+portforward.k8s.io');
    const c = new SpdyTestClient(createWebSocketStream(ws));
    const errS = await c.open({ streamtype: 'error', port: String(echoPort), requestid: '0' });
    errS.end();
    const data = await c.open({ streamtype: 'data', port: String(echoPort), requestid: '0' });
    data.write('hello');
    assert.equal(await data.done(), 'pong:hello');
    ws.close(1000);
  });

  it('serves the official JavaScript client\'s Exec and PortForward (WebSocket channel protocols)', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'skiff', server: `https://127.0.0.1:${api.port}`, caData: Buffer.from(pki.caCert).toString('base64') }],
      users: [{ name: 'admin', token: pki.adminToken }],
      contexts: [{ name: 'skiff', cluster: 'skiff', user: 'admin' }],
      currentContext: 'skiff',
    });
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    const status = await new Promise<k8s.V1Status>((resolve, reject) => {
      new k8s.Exec(kc).exec('default', 'web', 'app', ['sh', '-c', 'echo from-client-node; exit 2'], stdout, null, null, false, (st) => resolve(st)).catch(reject);
    });
    assert.equal(out, 'from-client-node\n');
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.equal(status.details?.causes?.[0]?.message, '2');

    const pfOut = new PassThrough();
    let got = '';
    pfOut.on('data', (d: Buffer) => (got += d.toString()));
    const input = new PassThrough(); // stays open: the client closes the socket when its input ends
    const ws = (await new k8s.PortForward(kc).portForward('default', 'web', [echoPort], pfOut, null, input)) as WebSocket;
    input.write('client-node');
    await until('port-forwarded reply', () => (got === 'pong:client-node' ? true : undefined));
    ws.close();
  });

  it('answers 503 when the pod\'s node agent cannot be reached', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan' }, spec: { nodeName: 'down', containers: [{ name: 'app', image: 'busybox' }] } });
    assert.equal(r.status, 201);
    const up = await upgradeRequest(apiTls(), 'POST', '/api/v1/namespaces/default/pods/orphan/exec?command=true&container=app&stdout=true', { ...auth(), Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io', 'Content-Length': '0' });
    assert.equal(up.status, 503);
    assert.match(JSON.parse(up.body).message, /error dialing backend: .*ECONNREFUSED/);
  });
});
