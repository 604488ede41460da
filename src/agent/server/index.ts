// The node agent's HTTPS server (upstream's kubelet server on :10250): container logs, exec, attach,
// port-forward, the Summary API, the pods the runtime holds, and a health check. Clients (the API server's
// proxy, the metrics collector) must present a certificate signed by the cluster CA; the TLS layer rejects
// everyone else. Every refusal is a Kubernetes Status. Containers are found through the runtime's labels; the
// server holds no pod state of its own.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Runtime } from '../../runtime/runtime.js';
import { StatusError, errors } from '../../api/errors.js';
import { rawStatusResponse } from '../../apiserver/streaming/http-status.js';
import { parseLogQuery, readLogs } from '../logs/read-logs.js';
import { findInstances, labels, pickInstance } from './containers.js';
import { parseAgentRoute, type AgentRoute } from './routes.js';
import { RateTracker, buildSummary, readNodeUsage } from './stats-summary.js';
import { handleUpgrade } from './upgrade.js';
import { forbiddenFor } from './authz.js';
import { userFromCertSubject, type CertSubject } from '../../apiserver/auth/authn.js';
import type { TLSSocket } from 'node:tls';
import { rfc3339 } from '../../util/wire-time.js';

export interface AgentServerOptions {
  runtime: Runtime;
  nodeName: string;
  host: string;
  port: number;
  tls: { cert: string; key: string; ca: string };
  log: (line: string) => void;
}

export interface AgentServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

export async function startAgentServer(opts: AgentServerOptions): Promise<AgentServer> {
  const handler = new AgentHandler(opts);
  const server: Server = createServer(
    { cert: opts.tls.cert, key: opts.tls.key, ca: opts.tls.ca, requestCert: true, rejectUnauthorized: true },
    (req, res) => void handler.handle(req, res),
  );
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void handler.upgrade(req, socket, head));
  server.on('clientError', (_err, socket) => socket.destroy());
  server.requestTimeout = 0; // log streams are long-lived
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
  opts.log(`node server listening on https://${host}:${port}`);
  return {
    port,
    url: `https://${host}:${port}`,
    stop: async () => {
      handler.stopping.abort();
      handler.closeUpgraded();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The client certificate's identity (the TLS layer has verified it against the cluster CA). */
function clientOf(req: IncomingMessage): ReturnType<typeof userFromCertSubject> {
  const sock = req.socket as TLSSocket;
  return sock.authorized ? userFromCertSubject(sock.getPeerCertificate().subject as CertSubject | undefined) : undefined;
}

class AgentHandler {
  readonly stopping = new AbortController();
  private readonly rates = new RateTracker();
  /** Upgraded connections (exec, attach, port-forward) leave the HTTP server's bookkeeping: track them here. */
  private readonly upgraded = new Set<Duplex>();

  constructor(private readonly opts: AgentServerOptions) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'https://node');
      const route = parseAgentRoute(url.pathname);
      const denied = forbiddenFor(clientOf(req), route, req.method ?? 'GET');
      if (denied) throw errors.forbidden(denied);
      await this.route(route, url.searchParams, req, res);
    } catch (err) {
      const st = err instanceof StatusError ? err : errors.internal(err instanceof Error ? err.message : String(err));
      if (!(err instanceof StatusError)) this.opts.log(`node server: ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}`);
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(st.code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(st.toStatus()));
      }
    }
  }

  closeUpgraded(): void {
    for (const s of this.upgraded) s.destroy();
    this.upgraded.clear();
  }

  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    this.upgraded.add(socket);
    socket.on('close', () => this.upgraded.delete(socket));
    try {
      const url = new URL(req.url ?? '/', 'https://node');
      const route = parseAgentRoute(url.pathname);
      if (route.kind !== 'exec' && route.kind !== 'attach' && route.kind !== 'portForward') {
        socket.end(rawStatusResponse(errors.noRoute()));
        return;
      }
      const denied = forbiddenFor(clientOf(req), route, req.method ?? 'GET');
      if (denied) {
        socket.end(rawStatusResponse(errors.forbidden(denied)));
        return;
      }
      await handleUpgrade({ runtime: this.opts.runtime, log: this.opts.log }, route, req, socket, head, url.searchParams);
    } catch (err) {
      this.opts.log(`node server: upgrade ${req.url}: ${err instanceof Error ? err.message : String(err)}`);
      if (socket.writable) socket.end(rawStatusResponse(errors.internal(err instanceof Error ? err.message : String(err))));
      else socket.destroy();
    }
  }

  private async route(route: AgentRoute, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    switch (route.kind) {
      case 'healthz':
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('ok');
        return;
      case 'pods':
        return this.json(res, await this.pods());
      case 'statsSummary':
        return this.json(res, await this.summary());
      case 'containerLogs':
        if (method !== 'GET') throw errors.methodNotAllowed(`${method} is not supported on containerLogs`);
        return this.logs(route.ref, route.container, q, res);
      case 'exec':
      case 'attach':
      case 'portForward':
        throw errors.badRequest('Upgrade request required');
      default:
        throw errors.noRoute();
    }
  }

  private json(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private async logs(ref: { namespace: string; pod: string }, container: string, q: URLSearchParams, res: ServerResponse): Promise<void> {
    const opts = parseLogQuery(q, Date.now());
    if ('error' in opts) throw errors.badRequest(opts.error);
    const instances = await findInstances(this.opts.runtime, ref, container);
    const target = pickInstance(instances, opts.previous);
    if (!target) {
      if (opts.previous) throw errors.badRequest(`previous terminated container "${container}" in pod "${ref.pod}" not found`);
      throw errors.notFound('', 'containers', container);
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    const ac = new AbortController();
    const onStop = () => ac.abort();
    res.on('close', onStop);
    this.stopping.signal.addEventListener('abort', onStop);
    try {
      await readLogs(target.logPath, { ...opts, follow: opts.follow && !opts.previous }, res, {
        signal: ac.signal,
        isRunning: async () => (await this.opts.runtime.containerStatus(target.id))?.state === 'running',
      });
    } finally {
      this.stopping.signal.removeEventListener('abort', onStop);
      res.off('close', onStop);
      res.end();
    }
  }

  private async pods(): Promise<unknown> {
    const [sandboxes, containers] = await Promise.all([this.opts.runtime.listPodSandboxes(), this.opts.runtime.listContainers()]);
    const items = sandboxes.map((sb) => ({
      metadata: { name: sb.name, namespace: sb.namespace, uid: sb.uid, labels: sb.labels, annotations: sb.annotations, creationTimestamp: rfc3339(sb.createdAtMs) },
      spec: { nodeName: this.opts.nodeName, containers: containers.filter((c) => c.sandboxId === sb.id).map((c) => ({ name: c.labels[labels.containerName] ?? c.name, image: c.image })) },
      status: {
        phase: sb.state === 'ready' ? 'Running' : 'Unknown',
        podIP: sb.ips[0],
        podIPs: sb.ips.map((ip) => ({ ip })),
        containerStatuses: containers
          .filter((c) => c.sandboxId === sb.id)
          .map((c) => ({ name: c.labels[labels.containerName] ?? c.name, containerID: `${this.opts.runtime.name}://${c.id}`, image: c.image, imageID: c.imageRef, restartCount: c.attempt, ready: c.state === 'running', state: { [c.state === 'running' ? 'running' : c.state === 'exited' ? 'terminated' : 'waiting']: {} } })),
      },
    }));
    return { kind: 'PodList', apiVersion: 'v1', metadata: {}, items };
  }

  private async summary(): Promise<unknown> {
    const rt = this.opts.runtime;
    const sample = async () => {
      const [node, sandboxes, containers, stats] = await Promise.all([readNodeUsage(), rt.listPodSandboxes(), rt.listContainers(), rt.listContainerStats()]);
      return { node, sandboxes, containers, stats };
    };
    let s = await sample();
    // First scrape: nothing to compute a rate against yet, so take a second sample shortly after.
    if (!this.rates.has('node')) {
      this.rates.rate('node', { timestampMs: s.node.timestampMs, cpuNs: s.node.cpuNs });
      for (const st of s.stats) this.rates.rate(st.id, { timestampMs: st.timestampMs, cpuNs: st.cpuUsageCoreNanoSeconds });
      await new Promise((r) => setTimeout(r, 100));
      s = await sample();
    }
    const nodeRate = this.rates.rate('node', { timestampMs: s.node.timestampMs, cpuNs: s.node.cpuNs });
    const rates = new Map<string, number | undefined>();
    for (const st of s.stats) rates.set(st.id, this.rates.rate(st.id, { timestampMs: st.timestampMs, cpuNs: st.cpuUsageCoreNanoSeconds }));
    this.rates.retain(new Set(['node', ...s.stats.map((st) => st.id)]));
    return buildSummary({ nodeName: this.opts.nodeName, node: s.node, nodeRate, sandboxes: s.sandboxes, containers: s.containers, stats: s.stats, rates });
  }
}
