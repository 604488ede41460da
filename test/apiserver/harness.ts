// In-process API server for tests: temp data dir, real PKI, real SQLite store, ephemeral port on loopback.
// `request()` talks HTTPS with the admin token; `close()` stops everything and removes the temp dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest, Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki } from '../../src/apiserver/auth/pki.js';
import { createAuthenticator } from '../../src/apiserver/auth/authn.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../src/apiserver/server.js';
import type { Store } from '../../src/storage/store.js';

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = any>(): T;
}

export interface TestServer {
  server: ApiServer;
  store: Store;
  url: string;
  port: number;
  dataDir: string;
  /** With `localSocket`. */
  socketPath?: string;
  token: string;
  ca: string;
  adminCert: string;
  adminKey: string;
  request(method: string, path: string, opts?: { body?: unknown; contentType?: string; accept?: string; headers?: Record<string, string>; token?: string | null }): Promise<TestResponse>;
  close(): Promise<void>;
}

/** The identity of the server's own components on its local socket and in process (as `skiff up`'s). */
export const controlPlaneUser = { username: 'system:skiff-control-plane', groups: ['system:masters', 'system:authenticated'] };

/** `localSocket`: also serve the control plane's unix socket (`socketPath`) and the in-process endpoint. */
export async function startTestServer(opts: { dataDir?: string; watch?: ApiServerOptions['watch']; watchCacheCapacity?: number; localSocket?: boolean } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'skiff-apiserver-test-'));
  const pki = await ensurePki(dataDir, { hostname: 'localhost', addresses: ['127.0.0.1'] });
  const store = await openSqliteStore(join(dataDir, 'state.db'));
  const server = await startApiServer({
    store,
    port: 0,
    host: '127.0.0.1',
    tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert },
    authenticator: createAuthenticator(pki.tokensFile),
    watch: opts.watch,
    watchCacheCapacity: opts.watchCacheCapacity,
    ...(opts.localSocket ? { localSocket: { path: join(dataDir, 'skiff.sock'), user: controlPlaneUser } } : {}),
  });
  const agent = new Agent({ ca: pki.caCert, keepAlive: true, maxSockets: 64 });
  const request: TestServer['request'] = (method, path, o = {}) =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { Accept: o.accept ?? 'application/json', ...o.headers };
      const token = o.token === undefined ? pki.adminToken : o.token;
      if (token) headers['Authorization'] = `Bearer ${token}`;
      let payload: Buffer | undefined;
      if (o.body !== undefined) {
        payload = Buffer.isBuffer(o.body) ? o.body : Buffer.from(typeof o.body === 'string' ? o.body : JSON.stringify(o.body));
        headers['Content-Type'] = o.contentType ?? 'application/json';
        headers['Content-Length'] = String(payload.length);
      }
      const req = httpsRequest({ host: '127.0.0.1', port: server.port, method, path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  return {
    server,
    store,
    url: server.url,
    port: server.port,
    dataDir,
    ...(opts.localSocket ? { socketPath: join(dataDir, 'skiff.sock') } : {}),
    token: pki.adminToken,
    ca: pki.caCert,
    adminCert: pki.adminCert,
    adminKey: pki.adminKey,
    request,
    close: async () => {
      agent.destroy();
      await server.close();
      await store.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
