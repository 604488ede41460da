// The simulated fleet a `skiff up --runtime sim` server hosts: simulated nodes (sim-nodes.ts) serving their
// /stats/summary with the server's serving certificate, kept equal to kube-system/skiff-sim-nodes (seeded
// from the flags on first start; fleet-sync.ts) so `skiff sim-node add|remove|stop|start` changes it while
// the cluster runs. It runs on the server's thread or in a worker thread of its process (src/cli: the
// component "sim-nodes"); either way it is an ordinary API client, and the metrics collector reads its
// nodes' summaries in batches through a LocalSummaries source (given here, or answered across the thread).
import type { ApiClient } from '../../client/client.js';
import type { LocalSummaries } from '../../metrics/local-summaries.js';
import { simNodeSpecs } from './fleet.js';
import { syncFleet } from './fleet-sync.js';
import { startSimNodes } from './sim-nodes.js';

/** The start-up fleet (`--sim-nodes`, `--sim-node-cpu`, `--sim-node-memory`, `--sim-node-pods`). */
export interface SimFleet {
  count: number;
  cpu: string;
  memory: string;
  pods: number;
}

export interface HostedFleetOptions {
  client: ApiClient;
  fleet: SimFleet;
  /** The API server's serving certificate (it covers loopback) and the cluster CA that signs scrapers' certificates. */
  tls: { cert: string; key: string; ca: string };
  /**
   * Serve stats on this port when it is free (a restarted fleet takes its predecessor's, so its nodes' endpoint
   * annotations stay valid); default, or when taken: an ephemeral port.
   */
  statsPort?: number;
  /** Concurrent pod status writes and registrations (SimNodesOptions.maxInFlight). Default 32. */
  maxInFlight?: number;
  /** The collector of this same thread, which then reads the summaries directly. */
  local?: LocalSummaries;
  log: (line: string) => void;
}

export interface HostedFleet {
  /** What every node's stats endpoint starts with (the LocalSummaries prefix). */
  statsPrefix: string;
  /** The summaries of these nodes as a JSON array (null: not a running node here), to cross a thread. */
  summariesJson(names: string[]): string;
  stop(): Promise<void>;
}

export async function startHostedFleet(o: HostedFleetOptions): Promise<HostedFleet> {
  const sim = await startSimNodes({ client: o.client, nodes: [], maxInFlight: o.maxInFlight, log: o.log, stats: { tls: o.tls, port: o.statsPort, portFallback: true, local: o.local } });
  let fleet: { stop(): Promise<void> };
  try {
    fleet = await syncFleet(o.client, sim, simNodeSpecs(o.fleet), o.log);
  } catch (err) {
    await sim.stop();
    throw err;
  }
  return {
    statsPrefix: sim.statsPrefix!,
    // JSON writes an array's undefined entries as null.
    summariesJson: (names) => JSON.stringify(sim.summaries(names)),
    stop: async () => {
      await fleet.stop();
      await sim.stop();
    },
  };
}
