// The kubelet Summary API (stats/v1alpha1, GET /stats/summary on a node agent): the subset Skiff's agents
// and simulated nodes serve and the metrics collector reads, and the pure step from one summary to resource
// samples (node and per-container CPU in nano-cores, working-set memory in bytes). CPU comes from
// usageNanoCores when the agent reports it, otherwise from the growth of usageCoreNanoSeconds since the
// previous scrape (as metrics-server computes rates from cumulative counters).

// The document's shape is the node server's (src/agent/server/stats-summary.ts); fields are still read
// defensively since any agent version may answer.
import type { CpuStats, Summary } from '../agent/server/stats-summary.js';

export type { Summary };

export interface ResourceSample {
  /** CPU in nano-cores. */
  cpuNano: number;
  memoryBytes: number;
}

export interface NodeSample extends ResourceSample {
  timestampMs: number;
  windowMs: number;
}

export interface ContainerSample extends ResourceSample {
  name: string;
}

export interface PodSample {
  namespace: string;
  name: string;
  uid: string;
  timestampMs: number;
  windowMs: number;
  containers: ContainerSample[];
}

/** Cumulative CPU counters of the previous scrape, per "node" and "ns/pod/container". */
export type CpuCounters = Map<string, { coreNanoSeconds: number; timeMs: number }>;

/** CPU rate in nano-cores: the instantaneous figure, else the counter's growth since the last scrape. */
function cpuRate(key: string, cpu: CpuStats | undefined, prev: CpuCounters, next: CpuCounters, defaultWindowMs: number): { nano: number; windowMs: number } | undefined {
  if (!cpu) return undefined;
  const t = Date.parse(cpu.time);
  if (cpu.usageCoreNanoSeconds !== undefined) next.set(key, { coreNanoSeconds: cpu.usageCoreNanoSeconds, timeMs: t });
  if (cpu.usageNanoCores !== undefined) return { nano: cpu.usageNanoCores, windowMs: defaultWindowMs };
  const p = prev.get(key);
  if (cpu.usageCoreNanoSeconds === undefined || !p || t <= p.timeMs || cpu.usageCoreNanoSeconds < p.coreNanoSeconds) return undefined;
  return { nano: Math.round(((cpu.usageCoreNanoSeconds - p.coreNanoSeconds) * 1000) / (t - p.timeMs)), windowMs: t - p.timeMs };
}

/**
 * Resource samples from one summary. A container without CPU or memory figures (just started, no second
 * counter yet) leaves its pod out, as metrics-server drops incomplete pods rather than report zeros.
 */
export function samplesFromSummary(s: Summary, prev: CpuCounters, next: CpuCounters, windowMs: number): { node?: NodeSample; pods: PodSample[] } {
  let node: NodeSample | undefined;
  const nc = cpuRate('node', s.node.cpu, prev, next, windowMs);
  const nm = s.node.memory?.workingSetBytes;
  if (nc && nm !== undefined) {
    node = { cpuNano: nc.nano, memoryBytes: nm, timestampMs: Date.parse(s.node.cpu!.time), windowMs: nc.windowMs };
  }
  const pods: PodSample[] = [];
  for (const p of s.pods ?? []) {
    const containers: ContainerSample[] = [];
    let complete = p.containers.length > 0;
    let ts = 0;
    let win = windowMs;
    for (const c of p.containers) {
      const r = cpuRate(`${p.podRef.namespace}/${p.podRef.name}/${c.name}`, c.cpu, prev, next, windowMs);
      const mem = c.memory?.workingSetBytes;
      if (!r || mem === undefined) {
        complete = false;
        continue;
      }
      ts = Math.max(ts, Date.parse(c.cpu!.time));
      win = r.windowMs;
      containers.push({ name: c.name, cpuNano: r.nano, memoryBytes: mem });
    }
    if (complete) pods.push({ namespace: p.podRef.namespace, name: p.podRef.name, uid: p.podRef.uid, timestampMs: ts, windowMs: win, containers });
  }
  return { node, pods };
}
