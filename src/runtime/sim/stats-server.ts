// One HTTPS server answering GET /nodes/<name>/stats/summary for every simulated node of a fleet, so the
// metrics collector scrapes simulated nodes as it scrapes real agents: each node's Node object carries the
// skiff.dev/agent-endpoint annotation https://<host>:<port>/nodes/<name>. Like an agent, it asks for a client
// certificate signed by the cluster CA. Thousands of nodes cost one listening socket; documents are built on
// request from the fleet's in-memory state.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Summary } from '../../agent/server/stats-summary.js';

export interface SimStatsServerOptions {
  /** Serving certificate (covering host) and the CA that signs client certificates. */
  tls: { cert: string; key: string; ca: string };
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** When `port` is taken, listen on an ephemeral port instead of failing (a restarted fleet's old port). */
  portFallback?: boolean;
  summary(nodeName: string): Summary | undefined;
}

export interface SimStatsServer {
  /** Base URL of one node's "agent" (the skiff.dev/agent-endpoint annotation value). */
  endpointFor(nodeName: string): string;
  stop(): Promise<void>;
}

export async function startSimStatsServer(o: SimStatsServerOptions): Promise<SimStatsServer> {
  const host = o.host ?? '127.0.0.1';
  const server: Server = createServer({ cert: o.tls.cert, key: o.tls.key, ca: o.tls.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const m = /^\/nodes\/([^/]+)\/stats\/summary\/?(?:\?.*)?$/.exec(req.url ?? '');
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'Content-Type': type });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'Method Not Allowed');
    if (!m) return send(404, '404 page not found\n');
    const summary = o.summary(decodeURIComponent(m[1]!));
    if (!summary) return send(404, `node "${decodeURIComponent(m[1]!)}" not found\n`);
    send(200, JSON.stringify(summary), 'application/json');
  });
  server.keepAliveTimeout = 65_000;
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen(o.port ?? 0);
  } catch (err) {
    if (!o.portFallback || !o.port || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    await listen(0);
  }
  const port = (server.address() as AddressInfo).port;
  const base = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    endpointFor: (name) => `${base}/nodes/${encodeURIComponent(name)}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
