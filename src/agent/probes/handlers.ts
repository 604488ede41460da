// The four probe handlers (httpGet, tcpSocket, exec, grpc health v1) and the httpGet/exec actions that
// lifecycle hooks share with them. Each returns ok plus upstream's output text ("HTTP probe failed with
// statuscode: 500", "dial tcp ...: connect: connection refused"). I/O at the edge; port and URL resolution
// are pure and exported for tests. It decides nothing about thresholds (probe-state.ts).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { Container, HTTPGetAction, Probe } from 'kubernetes-types/core/v1.js';
import type { Runtime } from '../../runtime/runtime.js';

export interface ProbeTarget {
  /** Where network probes go: the pod IP (host IP for host-network pods). */
  host: string;
  containerId: string;
  container: Container;
  runtime: Runtime;
}

export interface ProbeOutcome {
  ok: boolean;
  output: string;
}

/** A numeric port, or a named one looked up among the container's ports. */
export function resolvePort(port: number | string | undefined, container: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

export function httpGetUrl(action: HTTPGetAction, target: { host: string; container: Container }): URL | undefined {
  const port = resolvePort(action.port, target.container);
  if (!port) return undefined;
  const host = action.host || target.host;
  const scheme = (action.scheme ?? 'HTTP').toLowerCase();
  const path = action.path ? (action.path.startsWith('/') ? action.path : `/${action.path}`) : '/';
  return new URL(`${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`);
}

const userAgent = 'kube-probe/1.32';

/** GET url; 200–399 is success (upstream does not follow redirects to other hosts; we follow none). */
export function httpGet(url: URL, headers: { name: string; value: string }[], timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const h: Record<string, string> = { 'User-Agent': userAgent, Accept: '*/*' };
    for (const { name, value } of headers) h[name] = value;
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'GET', headers: h, timeout: timeoutMs, rejectUnauthorized: false, agent: false }, (res) => {
      const code = res.statusCode ?? 0;
      res.resume();
      res.on('end', () => undefined);
      resolve(code >= 200 && code < 400 ? { ok: true, output: '' } : { ok: false, output: `HTTP probe failed with statuscode: ${code}` });
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ ok: false, output: `Get "${url.href}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, output: `Get "${url.href}": ${dialError(url.hostname, Number(url.port), e)}` }));
    req.end();
  });
}

function dialError(host: string, port: number, e: NodeJS.ErrnoException): string {
  const addr = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const why = e.code === 'ECONNREFUSED' ? 'connect: connection refused' : e.code === 'EHOSTUNREACH' ? 'connect: no route to host' : e.message;
  return `dial tcp ${addr}: ${why}`;
}

export function tcpCheck(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ ok: false, output: `dial tcp ${host}:${port}: i/o timeout` });
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve({ ok: true, output: '' });
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, output: dialError(host, port, e) });
    });
  });
}

export async function execCheck(runtime: Runtime, containerId: string, command: string[], timeoutMs: number): Promise<ProbeOutcome> {
  try {
    const r = await runtime.execSync(containerId, command, timeoutMs);
    const output = Buffer.concat([r.stdout, r.stderr]).toString('utf8').trim();
    if (r.timedOut) return { ok: false, output: `command timed out: "${command.join(' ')}" timed out after ${timeoutMs / 1000}s` };
    return r.exitCode === 0 ? { ok: true, output } : { ok: false, output: output || `command "${command.join(' ')}" exited with ${r.exitCode}` };
  } catch (e) {
    return { ok: false, output: (e as Error).message };
  }
}

/** grpc.health.v1.Health/Check with a hand-encoded HealthCheckRequest { string service = 1 }. */
export async function grpcCheck(host: string, port: number, service: string | undefined, timeoutMs: number): Promise<ProbeOutcome> {
  const grpc = await import('@grpc/grpc-js');
  const addr = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const client = new grpc.Client(addr, grpc.credentials.createInsecure());
  const svc = Buffer.from(service ?? '', 'utf8');
  const encode = () => (svc.length ? Buffer.concat([Buffer.from([0x0a, svc.length]), svc]) : Buffer.alloc(0));
  // HealthCheckResponse { ServingStatus status = 1 }: 1 = SERVING.
  const decode = (b: Buffer) => (b.length >= 2 && b[0] === 0x08 ? b[1]! : 0);
  try {
    const status = await new Promise<number>((resolve, reject) => {
      client.makeUnaryRequest('/grpc.health.v1.Health/Check', encode, decode, null, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, value) =>
        err ? reject(err) : resolve(value ?? 0),
      );
    });
    const names = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
    return status === 1 ? { ok: true, output: '' } : { ok: false, output: `service unhealthy (responded with "${names[status] ?? status}")` };
  } catch (e) {
    const err = e as { code?: number; details?: string; message: string };
    if (err.code === grpc.status.DEADLINE_EXCEEDED) return { ok: false, output: `timeout: health rpc did not complete within ${timeoutMs / 1000}s` };
    return { ok: false, output: `failed to connect service "${addr}" within ${timeoutMs / 1000}s: ${err.details ?? err.message}` };
  } finally {
    client.close();
  }
}

/** Runs one probe of any kind against the target. */
export async function runProbe(probe: Probe, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  if (probe.exec) return execCheck(target.runtime, target.containerId, probe.exec.command ?? [], timeoutMs);
  if (probe.httpGet) {
    const url = httpGetUrl(probe.httpGet, target);
    if (!url) return { ok: false, output: `unknown port ${String(probe.httpGet.port)}` };
    return httpGet(url, probe.httpGet.httpHeaders ?? [], timeoutMs);
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port, target.container);
    if (!port) return { ok: false, output: `unknown port ${String(probe.tcpSocket.port)}` };
    return tcpCheck(probe.tcpSocket.host || target.host, port, timeoutMs);
  }
  if (probe.grpc) return grpcCheck(target.host, probe.grpc.port, probe.grpc.service, timeoutMs);
  return { ok: false, output: 'missing probe handler' };
}
