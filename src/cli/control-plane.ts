// Starting and stopping the control plane for `skiff up` / `skiff server`: data directory checks and lock,
// certificates, the SQLite store, the API server, the kubeconfig, and waiting for /readyz. Each step reports
// through Progress; a failure undoes the steps before it and surfaces as a CliError that says what to do.
// Heavy modules (store, server, X.509) are imported lazily so `skiff --help` stays instant. This module
// wires components together; it must not implement any of them.

import { accessSync, constants, mkdirSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { Progress } from './progress.js';
import type { Store } from '../storage/store.js';
import type { ApiServer, ApiServerOptions } from '../apiserver/server.js';
import { CliError, explainStartupError } from './errors.js';
import { acquireDataDirLock } from './lock.js';
import { renderKubeconfig, serverUrl, writeKubeconfig } from './kubeconfig.js';
import { backupDatastore, describeDatastore, openDatastore, type BackupSchedule, type DatastoreConfig } from './datastore.js';
import type { LeaderElectionTimings } from './leader-election-options.js';
import type { SimFleet } from './components.js';
import { LocalSummaries } from '../metrics/local-summaries.js';
import type { NodeLifecycleTimings } from './node-lifecycle-options.js';

/** Who the in-process components are when they call over the local socket. */
const controlPlaneUser = { username: 'system:skiff-control-plane', groups: ['system:masters', 'system:authenticated'] };

export interface ControlPlaneConfig {
  dataDir: string;
  /** Default: SQLite under DATA_DIR/db. */
  datastore?: DatastoreConfig;
  apiPort: number;
  bindAddress: string;
  /** Server log lines (requests, errors); absent = quiet. */
  log?: (line: string) => void;
  /** Node lifecycle controller timings (upstream flags of the same names). */
  nodeLifecycle?: NodeLifecycleTimings;
  /** Pod addresses of the cluster, split into per-node /24s by node IPAM (--cluster-cidr). */
  clusterCidr?: string;
  /** Service ClusterIP range (--service-cidr, default 10.43.0.0/16). */
  serviceCidr?: string;
  /** Components not to run. */
  disable?: { controllerManager?: boolean; scheduler?: boolean };
  /** Simulated nodes this process registers and tends (`skiff up --runtime sim`). */
  sim?: SimFleet;
  /** Run the in-process components (controllers, ...); default true. */
  components?: boolean;
  /** How long to wait for /readyz before giving up. */
  readyTimeoutMs?: number;
  /** Periodic backups of the datastore (absent = none). */
  backups?: BackupSchedule;
  /** Timings of the singletons' leader election (default upstream's 15 s / 10 s / 2 s). */
  leaderElection?: LeaderElectionTimings;
  /** How often the metrics collector scrapes node agents (default 15 s). */
  metricResolutionMs?: number;
  /** HPA sync period (--horizontal-pod-autoscaler-sync-period, default 15 s). */
  hpaSyncPeriodMs?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (default 5 min). */
  hpaDownscaleStabilizationMs?: number;
  /** --horizontal-pod-autoscaler-tolerance, -cpu-initialization-period, -initial-readiness-delay (upstream defaults). */
  hpaCalculator?: { tolerance?: number; cpuInitializationPeriodMs?: number; delayOfInitialReadinessStatusMs?: number };
  /** Replaces the real store/server (tests); default = SQLite store and the real API server. */
  deps?: ControlPlaneDeps;
}

export interface ControlPlaneDeps {
  openStore(cfg: DatastoreConfig): Promise<Store> | Store;
  startApiServer(opts: ApiServerOptions): Promise<ApiServer>;
}

const realDeps: ControlPlaneDeps = {
  openStore: openDatastore,
  async startApiServer(opts) {
    const { startApiServer } = await import('../apiserver/server.js');
    return startApiServer(opts);
  },
};

export interface ControlPlane {
  url: string;
  port: number;
  kubeconfigPath: string;
  /** Lets another machine join as a node: `skiff agent --server URL --token <joinToken>`. */
  joinToken: string;
  close(): Promise<void>;
}

export async function startControlPlane(cfg: ControlPlaneConfig, progress: Progress): Promise<ControlPlane> {
  const ctx = { port: cfg.apiPort, host: cfg.bindAddress, dataDir: cfg.dataDir };
  const undo: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    for (const fn of undo.reverse()) {
      try {
        await fn();
      } catch {
        // best effort while already failing or stopping
      }
    }
    undo.length = 0;
  };
  try {
    prepareDataDir(cfg.dataDir);
    const lock = acquireDataDirLock(cfg.dataDir);
    undo.push(() => lock.release());

    const { ensurePki } = await import('../apiserver/auth/pki.js');
    const datastore = cfg.datastore ?? { kind: 'sqlite', path: join(cfg.dataDir, 'db', 'state.db') };
    const deps = cfg.deps ?? realDeps;
    let pki: Awaited<ReturnType<typeof ensurePki>>;
    let store: Store;
    if (datastore.kind === 'etcd') {
      // Several servers share etcd: the cluster CA and admin credentials come from (or go to) the datastore,
      // so the store opens first and every server's certificate is signed by the same CA.
      store = await progress.step(describeDatastore(datastore), () => deps.openStore(datastore));
      undo.push(() => store.close());
      const { syncBootstrap } = await import('./bootstrap.js');
      const boot = await progress.step('certificates', () => syncBootstrap(store, cfg.dataDir, () => ensurePki(cfg.dataDir, { serviceCidr: cfg.serviceCidr })));
      pki = boot.pki;
      progress.info(boot.note);
    } else {
      pki = await progress.step('certificates', () => ensurePki(cfg.dataDir, { serviceCidr: cfg.serviceCidr }));
      store = await progress.step(describeDatastore(datastore), () => deps.openStore(datastore));
      undo.push(() => store.close());
    }
    for (const what of pki.issued) progress.info(`created ${what}`);

    const { isCompactionTarget, startEtcdCompactor } = await import('../storage/etcd/compactor.js');
    if (datastore.kind === 'etcd' && isCompactionTarget(store)) {
      // One compaction per interval across every server on this etcd (upstream's compact_rev_key scheme).
      const compactor = startEtcdCompactor(store, {
        onError: (err) => cfg.log?.(`compaction failed: ${String(err)}`),
      });
      undo.push(() => compactor.stop());
    }
    if (cfg.backups) {
      const { startBackupScheduler } = await import('../storage/backup/scheduler.js');
      const scheduler = startBackupScheduler({
        kind: datastore.kind,
        ...cfg.backups,
        take: (file) => backupDatastore(datastore, file),
        log: cfg.log ?? (() => {}),
      });
      undo.push(() => scheduler.stop());
      progress.info(`backups every ${cfg.backups.intervalMs / 1000} s into ${cfg.backups.dir}, keeping ${cfg.backups.retention}`);
    }

    // The server's own components reach it over a unix socket in the data dir (no TLS); unix socket paths
    // are limited to ~107 bytes, so very long data dirs fall back to the HTTPS loopback.
    const socketPath = join(cfg.dataDir, 'skiff.sock');
    // Simulated nodes hosted by this process: the metrics collector reads their summaries directly.
    const localSummaries = new LocalSummaries();
    const localSocket = cfg.components !== false && Buffer.byteLength(socketPath) < 100 ? socketPath : undefined;
    const { ensureJoinSecret, formatJoinToken, nodeBootstrap } = await import('../apiserver/auth/node-bootstrap.js');
    const { issueNodeCertificates } = await import('../apiserver/auth/pki.js');
    const joinSecret = ensureJoinSecret(cfg.dataDir);
    const server = await progress.step(`API server on ${cfg.bindAddress}:${cfg.apiPort}`, async () => {
      const [{ createAuthenticator }, { AllowAllAuthorizer }] = await Promise.all([
        import('../apiserver/auth/authn.js'),
        import('../apiserver/auth/authz.js'),
      ]);
      return deps.startApiServer({
        store,
        port: cfg.apiPort,
        host: cfg.bindAddress,
        tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert },
        // logs, exec, attach, port-forward and nodes/proxy reach node agents with this certificate; agents'
        // serving certificates come from the cluster CA (join), so they are verified against it.
        kubeletClient: { cert: pki.kubeletClientCert, key: pki.kubeletClientKey, ca: pki.caCert },
        // Nodes joining with the join token get their credentials here (before authentication).
        nodeBootstrap: nodeBootstrap({ caCert: pki.caCert, secret: joinSecret, issue: (name, addrs) => issueNodeCertificates(cfg.dataDir, name, addrs), log: cfg.log }),
        authenticator: createAuthenticator(pki.tokensFile),
        authorizer: new AllowAllAuthorizer(),
        log: cfg.log,
        ...(localSocket ? { localSocket: { path: localSocket, user: controlPlaneUser } } : {}),
        // Another server may write to etcd; only the store can answer a consistent read.
        consistentCacheReads: datastore.kind !== 'etcd',
        serviceCidr: cfg.serviceCidr,
        // metrics.k8s.io: scrape node agents with the kubelet-client certificate (as metrics-server's own).
        metrics: { scrape: { ca: pki.caCert, cert: pki.kubeletClientCert, key: pki.kubeletClientKey, resolutionMs: cfg.metricResolutionMs, local: localSummaries } },
        // On etcd the coordinated compactor above replaces the per-server one.
        ...(datastore.kind === 'etcd' && isCompactionTarget(store) ? { compactionIntervalMs: 0 } : {}),
      });
    });
    undo.push(() => server.close());

    const url = serverUrl(cfg.bindAddress, server.port);
    const kubeconfigPath = join(cfg.dataDir, 'kubeconfig.yaml');
    writeKubeconfig(
      kubeconfigPath,
      renderKubeconfig({ server: url, caCert: pki.caCert, clientCert: pki.adminCert, clientKey: pki.adminKey }),
    );

    await progress.step('waiting for /readyz', () =>
      waitReady(url, { ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey }, cfg.readyTimeoutMs ?? 15_000),
    );

    if (cfg.components !== false) {
      const { startComponents } = await import('./components.js');
      const components = await progress.step('controllers', () =>
        startComponents({ url, socketPath: localSocket, inProcess: server.inProcess, localSummaries, ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey, dataDir: cfg.dataDir, log: cfg.log ?? (() => {}), leaderElection: cfg.leaderElection, sim: cfg.sim, disable: cfg.disable, nodeLifecycle: cfg.nodeLifecycle, nodeIpam: { clusterCidr: cfg.clusterCidr }, hpa: { syncPeriodMs: cfg.hpaSyncPeriodMs, downscaleStabilizationMs: cfg.hpaDownscaleStabilizationMs, calculator: cfg.hpaCalculator } }),
      );
      // Undo runs in reverse: components stop before the API server they talk to.
      undo.push(() => components.stop());
    }

    let closing: Promise<void> | undefined;
    return {
      url,
      port: server.port,
      kubeconfigPath,
      joinToken: formatJoinToken(pki.caCert, joinSecret),
      close: () => (closing ??= cleanup()),
    };
  } catch (e) {
    await cleanup();
    throw explainStartupError(e, ctx) ?? e;
  }
}

function prepareDataDir(dir: string): void {
  try {
    mkdirSync(join(dir, 'db'), { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
    accessSync(join(dir, 'db'), constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new CliError(
      `data directory ${dir} is not writable (${code}); fix its permissions or pick another with --data-dir`,
    );
  }
}

/** Polls GET /readyz until it answers 200 "ok" (or the timeout passes). */
export async function waitReady(
  url: string,
  creds: { ca: string; cert: string; key: string },
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      const { status, body } = await get(new URL('/readyz', url), creds);
      if (status === 200 && body.trim() === 'ok') return;
      last = `HTTP ${status}: ${body.trim().slice(0, 200)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) {
      throw new CliError(`the API server did not become ready within ${timeoutMs / 1000} s (${last})`);
    }
    await new Promise((r) => setTimeout(r, 30));
  }
}

function get(url: URL, creds: { ca: string; cert: string; key: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...creds, agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}
