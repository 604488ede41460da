// A fleet of simulated node specs for `skiff up --sim-nodes N` and benchmarks: names, equal capacity,
// zones assigned round-robin (topology.kubernetes.io/zone and region labels). Pure.
import type { SimNodeSpec } from './node-object.js';

export interface FleetOptions {
  count: number;
  /** Name prefix; nodes are <prefix>-<i>. Default "sim-node". */
  prefix?: string;
  /** First i. Default 0. */
  start?: number;
  cpu?: string;
  memory?: string;
  pods?: number;
  /** Zones to spread over. Default zone-a, zone-b, zone-c. */
  zones?: string[];
  region?: string;
  labels?: Record<string, string>;
  taints?: SimNodeSpec['taints'];
}

export function simNodeSpecs(o: FleetOptions): SimNodeSpec[] {
  const zones = o.zones ?? ['zone-a', 'zone-b', 'zone-c'];
  const start = o.start ?? 0;
  return Array.from({ length: o.count }, (_, k) => {
    const i = start + k;
    return {
      name: `${o.prefix ?? 'sim-node'}-${i}`,
      cpu: o.cpu,
      memory: o.memory,
      pods: o.pods,
      labels: {
        'topology.kubernetes.io/region': o.region ?? 'sim',
        ...(zones.length ? { 'topology.kubernetes.io/zone': zones[i % zones.length]! } : {}),
        ...(o.labels ?? {}),
      },
      taints: o.taints,
    };
  });
}
