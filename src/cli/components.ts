// The control plane's in-process components (controller manager, scheduler, simulated nodes),
// each an ordinary API client of the server it runs beside, and each a singleton across servers through a
// coordination.k8s.io Lease in kube-system (leader election with upstream's 15 s / 10 s / 2 s). The identity
// is stable per host and data directory, so a restarted server takes its own lease back at once. This module
// wires components together; it must not implement any of them.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { ApiClient } from '../client/client.js';
import type { InProcessEndpoint } from '../client/in-process-transport.js';
import { LeaderElector } from '../client/leader-election.js';
import type { LocalSummaries } from '../metrics/local-summaries.js';
import { componentClient, type ComponentConnection } from './component-client.js';
import { componentStarters, type ComponentName, type ComponentOptions } from './component-starters.js';
import { startComponentWorker } from './worker-component.js';

export interface ComponentsConfig extends ComponentConnection {
  /**
   * The server's in-process endpoint (same identity as the socket): requests go straight into its request
   * handling; watches stay on the socket (or the HTTPS loopback).
   */
  inProcess?: InProcessEndpoint;
  /** Where simulated nodes hosted here register their stats, so the metrics collector reads them directly. */
  localSummaries?: LocalSummaries;
  dataDir: string;
  log: (line: string) => void;
  leaderElection?: { leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  disable?: { controllerManager?: boolean; scheduler?: boolean };
  /**
   * Components that run in a worker thread of this process (worker-component.ts) when the server's
   * in-process endpoint is given, so they do not share the API server's event loop. Default: the scheduler.
   */
  workerThreads?: ComponentName[];
  nodeLifecycle?: { monitorPeriodMs?: number; monitorGraceMs?: number; startupGraceMs?: number };
  /** HPA controller timings (--horizontal-pod-autoscaler-*). */
  hpa?: { syncPeriodMs?: number; downscaleStabilizationMs?: number; calculator?: { tolerance?: number; cpuInitializationPeriodMs?: number; delayOfInitialReadinessStatusMs?: number } };
  /** Node IPAM's cluster CIDR (--cluster-cidr). */
  nodeIpam?: { clusterCidr?: string };
  /** Simulated nodes hosted by this process (not elected: each `skiff up --runtime sim` has its own). */
  sim?: SimFleet;
}

export interface SimFleet {
  count: number;
  cpu: string;
  memory: string;
  pods: number;
}

export interface Components {
  stop(): Promise<void>;
}

interface Singleton {
  /** Lease name in kube-system (upstream's names, so familiar tools find them). */
  lease: ComponentName;
}

const singletons: Singleton[] = [{ lease: 'kube-controller-manager' }, { lease: 'kube-scheduler' }];

const defaultWorkerThreads: ComponentName[] = ['kube-scheduler'];

/** Starts a singleton on this thread with the components' client, or in a worker thread of its own. */
function startSingleton(s: Singleton, client: ApiClient, cfg: ComponentsConfig): Promise<{ stop(): Promise<void> }> {
  const options: ComponentOptions = { rootCA: cfg.ca, nodeLifecycle: cfg.nodeLifecycle, nodeIpam: cfg.nodeIpam, hpa: cfg.hpa };
  if (cfg.inProcess && (cfg.workerThreads ?? defaultWorkerThreads).includes(s.lease)) {
    const connection = { url: cfg.url, socketPath: cfg.socketPath, ca: cfg.ca, cert: cfg.cert, key: cfg.key };
    return startComponentWorker({ component: s.lease, connection, endpoint: cfg.inProcess, options, log: cfg.log });
  }
  return componentStarters[s.lease](client, options, cfg.log);
}

export function componentIdentity(dataDir: string): string {
  return `${hostname()}_${createHash('sha256').update(dataDir).digest('hex').slice(0, 10)}`;
}

export async function startComponents(cfg: ComponentsConfig): Promise<Components> {
  const client = componentClient(cfg, cfg.inProcess);
  const identity = componentIdentity(cfg.dataDir);
  const abort = new AbortController();
  const disabled = new Set([
    ...(cfg.disable?.controllerManager ? ['kube-controller-manager'] : []),
    ...(cfg.disable?.scheduler ? ['kube-scheduler'] : []),
  ]);
  const runs = singletons.filter((s) => !disabled.has(s.lease)).map((s) => runElected(s, client, identity, cfg, abort.signal));
  let sim: { stop(): Promise<void> } | undefined;
  let fleet: { stop(): Promise<void> } | undefined;
  if (cfg.sim) {
    // The fleet lives in kube-system/skiff-sim-nodes (seeded from the flags on first start), so
    // `skiff sim-node add|remove|stop|start` can change it while the cluster runs.
    const { startSimNodes, simNodeSpecs, syncFleet } = await import('../runtime/sim/index.js');
    // The fleet serves its nodes' /stats/summary with the API server's serving certificate (it covers loopback).
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const tlsDir = join(cfg.dataDir, 'tls');
    const stats = { tls: { cert: readFileSync(join(tlsDir, 'server.crt'), 'utf8'), key: readFileSync(join(tlsDir, 'server.key'), 'utf8'), ca: cfg.ca }, local: cfg.localSummaries };
    const simNodes = await startSimNodes({ client, nodes: [], log: cfg.log, stats });
    sim = simNodes;
    const initial = simNodeSpecs({ count: cfg.sim.count, cpu: cfg.sim.cpu, memory: cfg.sim.memory, pods: cfg.sim.pods });
    fleet = await syncFleet(client, simNodes, initial, cfg.log);
  }
  return {
    stop: async () => {
      abort.abort();
      await fleet?.stop();
      await sim?.stop();
      await Promise.all(runs);
      client.close();
    },
  };
}

/**
 * Runs one singleton while this server holds its lease; stops it when leadership ends and campaigns again
 * (upstream's components exit and are restarted by their supervisor; here the server is that supervisor).
 */
async function runElected(s: Singleton, client: ApiClient, identity: string, cfg: ComponentsConfig, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await leadOnce(s, client, identity, cfg, signal);
    if (!signal.aborted) await new Promise((r) => setTimeout(r, cfg.leaderElection?.retryPeriodMs ?? 2000));
  }
}

async function leadOnce(s: Singleton, client: ApiClient, identity: string, cfg: ComponentsConfig, signal: AbortSignal): Promise<void> {
  let running: Promise<{ stop(): Promise<void> }> | undefined;
  // One stop shared by onStoppedLeading and the final cleanup, so whoever awaits it waits for the real end
  // (the server must not close while the component's watches are still shutting down).
  let stopping: Promise<void> | undefined;
  const stopRunning = (): Promise<void> =>
    (stopping ??= (async () => {
      const r = running;
      running = undefined;
      if (r) await (await r.catch(() => undefined))?.stop();
    })());
  const elector = new LeaderElector({
    client,
    namespace: 'kube-system',
    name: s.lease,
    identity,
    releaseOnCancel: true,
    ...cfg.leaderElection,
    log: cfg.log,
    callbacks: {
      onStartedLeading: () => {
        void recordLeaderEvent(client, s.lease, identity, 'became leader', cfg.log);
        running = startSingleton(s, client, cfg);
        running.catch((err: unknown) => cfg.log(`${s.lease}: failed to start: ${err instanceof Error ? err.message : String(err)}`));
      },
      onStoppedLeading: () => {
        if (!signal.aborted) void recordLeaderEvent(client, s.lease, identity, 'stopped leading', cfg.log);
        void stopRunning();
      },
      onNewLeader: (id) => {
        if (id !== identity) cfg.log(`${s.lease}: leader is ${id}`);
      },
    },
  });
  try {
    await elector.run(signal);
  } finally {
    await stopRunning();
  }
}

/**
 * Upstream's leader-election Event on the Lease (reason LeaderElection, "<identity> became leader"), so
 * `kubectl get events -n kube-system` shows who ran the singleton when. Best effort: a failure only logs.
 */
async function recordLeaderEvent(client: ApiClient, lease: string, identity: string, what: string, log: (line: string) => void): Promise<void> {
  const now = new Date().toISOString();
  try {
    await client.create(
      { group: '', version: 'v1', resource: 'events', namespaced: true, kind: 'Event' },
      {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${lease}.`, namespace: 'kube-system' },
        involvedObject: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: 'kube-system', name: lease },
        reason: 'LeaderElection',
        message: `${identity} ${what}`,
        type: 'Normal',
        source: { component: lease },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        reportingComponent: lease,
        reportingInstance: identity,
      },
    );
  } catch (err) {
    log(`${lease}: could not record the leader-election event: ${err instanceof Error ? err.message : String(err)}`);
  }
}
