// A real API server with the metrics APIs scraping a simulated fleet that serves /stats/summary, plus an
// ApiClient and a kubeconfig for kubectl. Shared by the metrics and HPA integration tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki } from '../../src/apiserver/auth/pki.js';
import { createAuthenticator } from '../../src/apiserver/auth/authn.js';
import { startApiServer, type ApiServer } from '../../src/apiserver/server.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { ApiClient } from '../../src/client/client.js';
import { renderKubeconfig } from '../../src/cli/kubeconfig.js';
import { startSimNodes, simNodeSpecs, type SimNodes } from '../../src/runtime/sim/index.js';

export interface MetricsEnv {
  server: ApiServer;
  client: ApiClient;
  sim: SimNodes;
  kubeconfig: string;
  dataDir: string;
  /** The server's local socket (with `localSocket`). */
  socketPath?: string;
  close(): Promise<void>;
}

/**
 * `localSocket`: the client talks plain HTTP over the server's unix socket, as the control plane's own
 * components do inside `skiff up` (benchmarks); default HTTPS with the admin token.
 */
export async function startMetricsEnv(o: { nodes?: number; startDelayMs?: number; localSocket?: boolean; scrapeConcurrency?: number } = {}): Promise<MetricsEnv> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-metrics-test-'));
  const pki = await ensurePki(dataDir, { hostname: 'localhost', addresses: ['127.0.0.1'] });
  const store = await openSqliteStore(join(dataDir, 'state.db'));
  const server = await startApiServer({
    store,
    port: 0,
    host: '127.0.0.1',
    tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert },
    authenticator: createAuthenticator(pki.tokensFile),
    // Tests also scrape on demand with server.metrics.scrapeNow().
    ...(o.localSocket ? { localSocket: { path: join(dataDir, 'skiff.sock'), user: { username: 'system:skiff-control-plane', groups: ['system:masters', 'system:authenticated'] } } } : {}),
    metrics: { scrape: { ca: pki.caCert, cert: pki.kubeletClientCert, key: pki.kubeletClientKey, resolutionMs: 15_000, ...(o.scrapeConcurrency ? { concurrency: o.scrapeConcurrency } : {}) } },
  });
  const client = o.localSocket
    ? ApiClient.fromConfig({ servers: ['http://localhost'], socketPath: join(dataDir, 'skiff.sock'), namespace: 'default' }, { timeoutMs: 30_000 })
    : ApiClient.fromConfig({ servers: [server.url], ca: pki.caCert, token: pki.adminToken, namespace: 'default' }, { timeoutMs: 10_000 });
  const sim = await startSimNodes({
    client,
    nodes: simNodeSpecs({ count: o.nodes ?? 2 }),
    startDelayMs: o.startDelayMs ?? 0,
    log: () => {},
    stats: { tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert } },
  });
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  writeFileSync(kubeconfig, renderKubeconfig({ server: server.url, caCert: pki.caCert, clientCert: pki.adminCert, clientKey: pki.adminKey }));
  return {
    server,
    client,
    sim,
    kubeconfig,
    dataDir,
    ...(o.localSocket ? { socketPath: join(dataDir, 'skiff.sock') } : {}),
    close: async () => {
      await sim.stop();
      client.close();
      await server.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
