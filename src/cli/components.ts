// The control plane's in-process components (controller manager, scheduler, simulated nodes),
// each an ordinary API client of the server it runs beside; the controller manager and the scheduler are
// each a singleton across servers through a coordination.k8s.io Lease in kube-system (leader election with
// upstream's 15 s / 10 s / 2 s), the simulated fleet belongs to the server that hosts it. The identity
// is stable per host and data directory, so a restarted server takes its own lease back at once. This module
// wires components together; it must not implement any of them.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { ApiClient } from '../client/client.js';
import type { InProcessEndpoint } from '../client/in-process-transport.js';
import { LeaderElector } from '../client/leader-election.js';
import type { LocalSummaries } from '../metrics/local-summaries.js';
import type { Summary } from '../metrics/summary.js';
import { componentClient, type ComponentConnection } from './component-client.js';
import { componentStarters, type ComponentName, type ComponentOptions, type ElectedComponentName } from './component-starters.js';
import { startComponentWorker, type ComponentWorker } from './worker-component.js';
import type { SimFleet } from '../runtime/sim/hosted-fleet.js';

export type { SimFleet };

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
   * in-process endpoint is given, so they do not share the API server's event loop. Default: the scheduler
   * and the simulated fleet.
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

export interface Components {
  stop(): Promise<void>;
}

interface Singleton {
  /** Lease name in kube-system (upstream's names, so familiar tools find them). */
  lease: ElectedComponentName;
}

const singletons: Singleton[] = [{ lease: 'kube-controller-manager' }, { lease: 'kube-scheduler' }];

const defaultWorkerThreads: ComponentName[] = ['kube-scheduler', 'sim-nodes'];

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
  const sim = cfg.sim ? await startSimFleet(cfg.sim, client, cfg) : undefined;
  return {
    stop: async () => {
      abort.abort();
      await sim?.stop();
      await Promise.all(runs);
      client.close();
    },
  };
}

/**
 * The simulated fleet this server hosts (hosted-fleet.ts), in a worker thread when the server's in-process
 * endpoint is given: its kubelet's informers, reconciles, status writes and 500 Lease renewals a second at
 * 5,000 nodes then cost the server's thread only the requests themselves. The metrics collector reads its
 * nodes' summaries through cfg.localSummaries either way (across the thread: one query per batch of nodes).
 */
async function startSimFleet(fleet: SimFleet, client: ApiClient, cfg: ComponentsConfig): Promise<{ stop(): Promise<void> }> {
  // The fleet serves its nodes' /stats/summary with the API server's serving certificate (it covers loopback).
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const tlsDir = join(cfg.dataDir, 'tls');
  const tls = { cert: readFileSync(join(tlsDir, 'server.crt'), 'utf8'), key: readFileSync(join(tlsDir, 'server.key'), 'utf8'), ca: cfg.ca };
  if (!cfg.inProcess || !(cfg.workerThreads ?? defaultWorkerThreads).includes('sim-nodes')) {
    const { startHostedFleet } = await import('../runtime/sim/hosted-fleet.js');
    return startHostedFleet({ client, fleet, tls, local: cfg.localSummaries, log: cfg.log });
  }
  let unregister: (() => void) | undefined;
  let worker: ComponentWorker | undefined;
  const summaries = async (names: string[]) => {
    if (!worker) throw new Error('sim-nodes: the fleet is starting');
    return JSON.parse((await worker.query({ type: 'summaries', names })) as string) as (Summary | null)[];
  };
  const connection = { url: cfg.url, socketPath: cfg.socketPath, ca: cfg.ca, cert: cfg.cert, key: cfg.key };
  const sim: NonNullable<ComponentOptions['sim']> = { fleet, tls };
  // The worker keeps V8's default young generation: an 8 MiB one saved ~20 MiB of RSS idle but cost it ~15 %
  // more CPU in scavenges (+0.6 s per 5,000 pods), on the two cores the server's thread shares.
  worker = await startComponentWorker({
    component: 'sim-nodes',
    connection,
    endpoint: cfg.inProcess,
    options: { rootCA: cfg.ca, sim },
    log: cfg.log,
    // A restarted worker takes its predecessor's stats port when it can (its nodes' endpoint annotations stay
    // valid); when it cannot, the annotations follow the new port as the nodes register again.
    onStarted: (info) => {
      unregister?.();
      unregister = info?.statsPrefix ? cfg.localSummaries?.add(info.statsPrefix, summaries) : undefined;
      if (info?.statsPrefix) sim.statsPort = Number(new URL(info.statsPrefix).port);
    },
  });
  return {
    stop: async () => {
      unregister?.();
      await worker!.stop();
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
