// How each elected control-plane component starts, given an API client: one table used both where the
// component runs on the server's own thread and inside a component worker thread (component-worker.ts), so
// the two never differ. Options are plain data (they cross to a worker thread by structured clone).
import type { ApiClient } from '../client/client.js';

export interface ComponentOptions {
  /** The cluster CA (the root CA publisher's ConfigMap). */
  rootCA: string;
  nodeLifecycle?: { monitorPeriodMs?: number; monitorGraceMs?: number; startupGraceMs?: number };
  hpa?: { syncPeriodMs?: number; downscaleStabilizationMs?: number; calculator?: { tolerance?: number; cpuInitializationPeriodMs?: number; delayOfInitialReadinessStatusMs?: number } };
  nodeIpam?: { clusterCidr?: string };
}

/** Upstream's names, which are also the leader-election Lease names in kube-system. */
export type ComponentName = 'kube-controller-manager' | 'kube-scheduler';

export type StartComponent = (client: ApiClient, opts: ComponentOptions, log: (line: string) => void) => Promise<{ stop(): Promise<void> }>;

export const componentStarters: Record<ComponentName, StartComponent> = {
  'kube-controller-manager': async (client, opts, log) => {
    const { startControllerManager } = await import('../controllers/manager.js');
    return startControllerManager({ client, log, nodeLifecycle: opts.nodeLifecycle, nodeIpam: opts.nodeIpam, rootCA: opts.rootCA, hpa: opts.hpa });
  },
  'kube-scheduler': async (client, _opts, log) => {
    const { startScheduler } = await import('../scheduler/index.js');
    return startScheduler({ client, log });
  },
};
