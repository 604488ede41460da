// How each control-plane component starts, given an API client: one table used both where the component
// runs on the server's own thread and inside a component worker thread (component-worker.ts), so the two
// never differ. Options are plain data (they cross to a worker thread by structured clone).
import type { ApiClient } from '../client/client.js';
import type { SimFleet } from '../runtime/sim/hosted-fleet.js';

export interface ComponentOptions {
  /** The cluster CA (the root CA publisher's ConfigMap). */
  rootCA: string;
  nodeLifecycle?: { monitorPeriodMs?: number; monitorGraceMs?: number; startupGraceMs?: number };
  hpa?: { syncPeriodMs?: number; downscaleStabilizationMs?: number; calculator?: { tolerance?: number; cpuInitializationPeriodMs?: number; delayOfInitialReadinessStatusMs?: number } };
  nodeIpam?: { clusterCidr?: string };
  /**
   * The simulated fleet ("sim-nodes"): its start-up size, the certificate its stats server presents, and the
   * port that server prefers (its predecessor's, after a restart).
   */
  sim?: { fleet: SimFleet; tls: { cert: string; key: string; ca: string }; statsPort?: number };
}

/** The elected singletons: upstream's names, which are also the leader-election Lease names in kube-system. */
export type ElectedComponentName = 'kube-controller-manager' | 'kube-scheduler';

/** Every component; "sim-nodes" is the simulated fleet a `--runtime sim` server hosts (not elected). */
export type ComponentName = ElectedComponentName | 'sim-nodes';

/** A question the parent thread asks a running component (plain data). */
export type ComponentQuery = { type: 'summaries'; names: string[] };

export interface RunningComponent {
  stop(): Promise<void>;
  /** Plain data the parent learns once the component runs (the fleet: where its nodes' stats are served). */
  info?: { statsPrefix?: string };
  /** Answers the parent's questions (the fleet: its nodes' summaries as a JSON array, for the collector). */
  answer?(q: ComponentQuery): unknown;
}

export type StartComponent = (client: ApiClient, opts: ComponentOptions, log: (line: string) => void) => Promise<RunningComponent>;

export const componentStarters: Record<ComponentName, StartComponent> = {
  'kube-controller-manager': async (client, opts, log) => {
    const { startControllerManager } = await import('../controllers/manager.js');
    return startControllerManager({ client, log, nodeLifecycle: opts.nodeLifecycle, nodeIpam: opts.nodeIpam, rootCA: opts.rootCA, hpa: opts.hpa });
  },
  'kube-scheduler': async (client, _opts, log) => {
    const { startScheduler } = await import('../scheduler/index.js');
    return startScheduler({ client, log });
  },
  'sim-nodes': async (client, opts, log) => {
    if (!opts.sim) throw new Error('sim-nodes: no fleet given');
    const { startHostedFleet } = await import('../runtime/sim/hosted-fleet.js');
    // Across the port a write takes a turn of each thread more: 32 in flight then fall behind a fill at
    // ~1,000 pods/s (half of 30,000 pods still Pending when the last was created; 128: a tenth, as in process).
    const fleet = await startHostedFleet({ client, fleet: opts.sim.fleet, tls: opts.sim.tls, statsPort: opts.sim.statsPort, maxInFlight: 128, log });
    return {
      stop: () => fleet.stop(),
      info: { statsPrefix: fleet.statsPrefix },
      answer: (q) => fleet.summariesJson(q.names),
    };
  },
};
