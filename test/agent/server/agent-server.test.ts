// The node server against the real process runtime (host network, no isolation, so it runs unprivileged):
// mTLS, container logs, exec over WebSocket v5/v4 and SPDY, TTY resize, port-forward over SPDY and over
// SPDY-in-WebSocket, the Summary API, and the refusals as Status objects.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket, { createWebSocketStream } from 'ws';
import { ensurePki, issueNodeCertificates, type Pki } from '../../../src/apiserver/auth/pki.js';
import { startAgentServer, type AgentServer } from '../../../src/agent/server/index.js';
import { ProcessRuntime } from '../../../src/runtime/process/index.js';
import type { PodSandboxConfig } from '../../../src/runtime/runtime.js';
import { SpdyTestClient, rawWebSocket, upgradeRequest } from '../../apiserver/streaming/spdy-client.js';
import { containerConfig, sandboxConfig, until } from '../../runtime/process/support.js';

let dir: string;
let pki: Pki;
/** Another node's credentials: CA-signed, but not allowed to use this node's server. */
let otherNode: { cert: string; key: string };
let rt: ProcessRuntime;
let server: AgentServer;
let echo: Server;
let echoPort: number;

const podLabels = (name: string) => ({ 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': `uid-${name}` });

async function startPod(name: string, containers: Record<string, string>): Promise<PodSandboxConfig> {
  const sbc = sandboxConfig(dir, name, { labels: podLabels(name) });
  const sb = await rt.runPodSandbox(sbc);
  for (const [c, script] of Object.entries(containers)) {
    const id = await rt.createContainer(sb, containerConfig(c, ['sh', '-c', script], { labels: { ...podLabels(name), 'io.kubernetes.container.name': c } }), sbc);
    await rt.startContainer(id);
  }
  return sbc;
}

function get(path: string, opts: { cert?: boolean; as?: { cert: string; key: string } } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const creds = opts.as ?? { cert: pki.kubeletClientCert, key: pki.kubeletClientKey };
    const req = httpsRequest(
      { host: '127.0.0.1', port: server.port, path, ca: pki.caCert, ...(opts.cert === false ? {} : creds), agent: false },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const tls = () => ({ host: '127.0.0.1', port: server.port, ca: pki.caCert, cert: pki.kubeletClientCert, key: pki.kubeletClientKey });

function wsConnect(path: string, protocol: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}${path}`, [protocol], { ca: pki.caCert, cert: pki.kubeletClientCert, key: pki.kubeletClientKey });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
  });
}

/** Runs an exec over WebSocket; collects output per channel until the server closes. */
async function wsExec(path: string, protocol: string, send: (ws: WebSocket) => void = () => undefined): Promise<{ channels: Map<number, string>; code: number }> {
  const ws = await wsConnect(path, protocol);
  const channels = new Map<number, string>();
  ws.on('message', (data: Buffer) => channels.set(data[0]!, (channels.get(data[0]!) ?? '') + data.subarray(1).toString()));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  send(ws);
  return { channels, code: await closed };
}

const q = (cmd: string[], flags: string) => `?${cmd.map((c) => `command=${encodeURIComponent(c)}`).join('&')}&${flags}`;

describe('node server', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-agent-server-'));
    pki = await ensurePki(join(dir, 'pki'), { hostname: 'localhost', addresses: ['127.0.0.1'] });
    rt = await ProcessRuntime.open({ stateDir: join(dir, 'state'), isolation: 'none' });
    const n1 = await issueNodeCertificates(join(dir, 'pki'), 'n1', ['127.0.0.1']);
    const n2 = await issueNodeCertificates(join(dir, 'pki'), 'n2', ['127.0.0.1']);
    otherNode = { cert: n2.clientCert, key: n2.clientKey };
    server = await startAgentServer({ runtime: rt, nodeName: 'n1', host: '127.0.0.1', port: 0, tls: { cert: n1.servingCert, key: n1.servingKey, ca: pki.caCert }, log: () => undefined });
    echo = createServer((s) => {
      s.once('data', (d) => s.end(`pong:${d.toString()}`));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as { port: number }).port;
    await startPod('web', { app: 'echo one; echo two; echo three; exec sleep 1000' });
  });
  after(async () => {
    await server.stop();
    echo.close();
    await rt.cleanupAll();
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers healthz to CA-signed clients and refuses others at the TLS layer', async () => {
    assert.deepEqual(await get('/healthz'), { status: 200, body: 'ok' });
    await assert.rejects(get('/healthz', { cert: false }));
    assert.equal((await get('/nothing-here')).status, 404);
  });

  it('lets another node\'s certificate reach only the health check, as the kubelet authorizer would', async () => {
    assert.equal((await get('/healthz', { as: otherNode })).status, 200);
    const stats = await get('/stats/summary', { as: otherNode });
    assert.equal(stats.status, 403);
    assert.equal(JSON.parse(stats.body).message, 'Forbidden (user=system:node:n2, verb=get, resource=nodes, subresource=stats)');
    const logs = await get('/containerLogs/default/web/app', { as: otherNode });
    assert.equal(JSON.parse(logs.body).message, 'Forbidden (user=system:node:n2, verb=get, resource=nodes, subresource=proxy)');
    const up = await upgradeRequest({ ...tls(), ...otherNode }, 'POST', '/portForward/default/web', { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io', 'Content-Length': '0' });
    assert.equal(up.status, 403);
  });

  it('serves container logs with tail, timestamps and upstream errors', async () => {
    await until('logs written', async () => (await get('/containerLogs/default/web/app')).body === 'one\ntwo\nthree\n');
    assert.equal((await get('/containerLogs/default/web/app?tailLines=1')).body, 'three\n');
    assert.match((await get('/containerLogs/default/web/app?timestamps=true&tailLines=1')).body, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z three\n$/);
    assert.equal((await get('/containerLogs/default/web/app?limitBytes=5')).body, 'one\nt');
    const prev = await get('/containerLogs/default/web/app?previous=true');
    assert.equal(prev.status, 400);
    assert.equal(JSON.parse(prev.body).message, 'previous terminated container "app" in pod "web" not found');
    assert.equal((await get('/containerLogs/default/web/nope')).status, 404);
    const bad = await get('/containerLogs/default/web/app?tailLines=-2');
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).kind, 'Status');
  });

  it('follows a log until the container exits', async () => {
    await startPod('follow', { app: 'echo a; sleep 0.3; echo b; sleep 0.3; echo c' });
    await until('container started', async () => (await get('/containerLogs/default/follow/app')).body.startsWith('a'));
    const res = await get('/containerLogs/default/follow/app?follow=true');
    assert.equal(res.body, 'a\nb\nc\n');
  });

  it('execs over WebSocket v5: stdin with the close signal, stdout, stderr, exit code as a Status', async () => {
    const path = `/exec/default/web/app${q(['sh', '-c', 'read x; echo got:$x; echo oops >&2; exit 3'], 'stdin=true&stdout=true&stderr=true')}`;
    const { channels, code } = await wsExec(path, 'v5.channel.k8s.io', (ws) => {
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('hello\n')]));
      ws.send(Buffer.from([255, 0]));
    });
    assert.equal(code, 1000);
    assert.equal(channels.get(1), 'got:hello\n');
    assert.equal(channels.get(2), 'oops\n');
    const st = JSON.parse(channels.get(3)!);
    assert.equal(st.reason, 'NonZeroExitCode');
    assert.deepEqual(st.details.causes, [{ reason: 'ExitCode', message: '3' }]);
  });

  it('execs over WebSocket v4 with Success on the error channel', async () => {
    const { channels } = await wsExec(`/exec/default/web/app${q(['echo', 'hi'], 'stdout=true&stderr=true')}`, 'v4.channel.k8s.io');
    assert.equal(channels.get(1), 'hi\n');
    assert.deepEqual(JSON.parse(channels.get(3)!), { metadata: {}, status: 'Success' });
  });

  it('execs with a TTY and applies resizes', async () => {
    // The process runtime sizes the terminal once its command runs; a resize sent at once can precede that.
    const path = `/exec/default/web/app${q(['sh', '-c', 'sleep 0.6; stty size'], 'stdin=true&stdout=true&tty=true')}`;
    const { channels } = await wsExec(path, 'v5.channel.k8s.io', (ws) => setTimeout(() => ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":123,"Height":45}')])), 250));
    assert.match(channels.get(1) ?? '', /45 123/);
  });

  it('attaches to a running container\'s output and detaches when the client leaves', async () => {
    await startPod('ticker', { app: 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done' });
    const ws = await wsConnect('/attach/default/ticker/app?stdout=true&stderr=true', 'v5.channel.k8s.io');
    let out = '';
    ws.on('message', (d: Buffer) => d[0] === 1 && (out += d.subarray(1).toString()));
    await until('attached output', () => /tick \d+\n/.test(out));
    const closed = new Promise<void>((r) => ws.on('close', () => r()));
    ws.close(1000);
    await closed;
    assert.match(out, /^(tick \d+\n)+/);
  });

  it('execs over SPDY v4 (kubectl\'s fallback)', async () => {
    const up = await upgradeRequest(tls(), 'POST', `/exec/default/web/app${q(['sh', '-c', 'echo out; echo err >&2'], 'stdout=true&stderr=true')}`, {
      Connection: 'Upgrade',
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io',
      'Content-Length': '0',
    });
    assert.equal(up.status, 101);
    assert.equal(up.headers['x-stream-protocol-version'], 'v4.channel.k8s.io');
    const c = new SpdyTestClient(up.socket, up.rest);
    const errS = await c.open({ streamtype: 'error' });
    const out = await c.open({ streamtype: 'stdout' });
    const err = await c.open({ streamtype: 'stderr' });
    assert.equal(await out.done(), 'out\n');
    assert.equal(await err.done(), 'err\n');
    assert.deepEqual(JSON.parse(await errS.done()), { metadata: {}, status: 'Success' });
    c.close();
  });

  it('refuses exec before upgrading when the container or the flags are wrong', async () => {
    const up = await upgradeRequest(tls(), 'GET', `/exec/default/web/nope${q(['true'], 'stdout=true')}`, { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io' });
    assert.equal(up.status, 404);
    assert.equal(JSON.parse(up.body).reason, 'NotFound');
    const noStreams = await upgradeRequest(tls(), 'GET', `/exec/default/web/app${q(['true'], '')}`, { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io' });
    assert.equal(noStreams.status, 400);
    assert.equal(JSON.parse(noStreams.body).message, 'you must specify at least 1 of stdin, stdout, stderr');
    assert.equal((await get(`/exec/default/web/app${q(['true'], 'stdout=true')}`)).status, 400);
  });

  it('forwards a port over SPDY, with errors on the error stream', async () => {
    const up = await upgradeRequest(tls(), 'POST', '/portForward/default/web', { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io', 'Content-Length': '0' });
    assert.equal(up.status, 101);
    const c = new SpdyTestClient(up.socket, up.rest);
    const errS = await c.open({ streamtype: 'error', port: String(echoPort), requestid: '0' });
    errS.end();
    const data = await c.open({ streamtype: 'data', port: String(echoPort), requestid: '0' });
    data.write('ping');
    assert.equal(await data.done(), 'pong:ping');
    assert.equal(await errS.done(), '');
    // A second connection on the same session, to a port nobody listens on.
    const closed = await freeClosedPort();
    const e2 = await c.open({ streamtype: 'error', port: String(closed), requestid: '1' });
    e2.end();
    await c.open({ streamtype: 'data', port: String(closed), requestid: '1' });
    assert.match(await e2.done(), new RegExp(`error forwarding port ${closed} to pod .*ECONNREFUSED`));
    c.close();
  });

  it('forwards a port over SPDY tunnelled in WebSocket (kubectl ≥ 1.31)', async () => {
    const { ws, protocol } = await rawWebSocket(tls(), '/portForward/default/web', 'SPDY/3.1+portforward.k8s.io');
    assert.equal(protocol, 'SPDY/3.1+portforward.k8s.io');
    const c = new SpdyTestClient(createWebSocketStream(ws));
    const errS = await c.open({ streamtype: 'error', port: String(echoPort), requestid: '0' });
    errS.end();
    const data = await c.open({ streamtype: 'data', port: String(echoPort), requestid: '0' });
    data.write('tunnel');
    assert.equal(await data.done(), 'pong:tunnel');
    ws.close(1000);
  });

  it('forwards ports over the WebSocket channel protocol (client libraries)', async () => {
    const closed = await freeClosedPort();
    const ws = await wsConnect(`/portForward/default/web?ports=${echoPort}&ports=${closed}`, 'v4.channel.k8s.io');
    const channels = new Map<number, Buffer>();
    ws.on('message', (d: Buffer) => channels.set(d[0]!, Buffer.concat([channels.get(d[0]!) ?? Buffer.alloc(0), d.subarray(1)])));
    const done = new Promise<void>((r) => ws.on('close', () => r()));
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('ws')]));
    await done;
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(echoPort);
    assert.deepEqual(channels.get(0), Buffer.concat([prefix, Buffer.from('pong:ws')]));
    assert.deepEqual(channels.get(1), prefix);
    assert.match(channels.get(3)!.subarray(2).toString(), new RegExp(`error forwarding port ${closed} to pod .*ECONNREFUSED`));
    const noPorts = await upgradeRequest(tls(), 'GET', '/portForward/default/web', { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'v4.channel.k8s.io' });
    assert.equal(noPorts.status, 400);
    assert.equal(JSON.parse(noPorts.body).message, 'query parameter "ports" is required');
  });

  it('serves the Summary API with the pod\'s containers and rates', async () => {
    const res = await get('/stats/summary');
    assert.equal(res.status, 200);
    const s = JSON.parse(res.body);
    assert.equal(s.node.nodeName, 'n1');
    assert.ok(s.node.memory.workingSetBytes > 0);
    assert.ok(typeof s.node.cpu.usageCoreNanoSeconds === 'number');
    const pod = s.pods.find((p: { podRef: { name: string } }) => p.podRef.name === 'web');
    assert.deepEqual(pod.podRef, { name: 'web', namespace: 'default', uid: 'uid-web' });
    const app = pod.containers.find((c: { name: string }) => c.name === 'app');
    assert.ok(app.memory.workingSetBytes > 0);
    assert.ok(typeof app.cpu.usageNanoCores === 'number', 'the first scrape already has a rate');
  });

  it('lists the pods it runs', async () => {
    const list = JSON.parse((await get('/pods')).body);
    assert.equal(list.kind, 'PodList');
    assert.ok(list.items.some((p: { metadata: { name: string } }) => p.metadata.name === 'web'));
  });
});

async function freeClosedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
