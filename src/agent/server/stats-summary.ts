// The kubelet Summary API (stats/v1alpha1) the node server answers on /stats/summary: node CPU and memory
// from /proc, and per pod and container the runtime's cumulative CPU and working set. usageNanoCores is a
// rate, computed against the previous sample of the same container (upstream's cadvisor keeps samples the
// same way). Building the document and the rates is pure; reading /proc is at the edge.
import { readFile } from 'node:fs/promises';
import type { ContainerStats, ContainerStatus, PodSandboxStatus } from '../../runtime/runtime.js';
import { labels } from './containers.js';
import { rfc3339 as iso } from '../../util/wire-time.js';

export interface CpuStats {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds: number;
}

export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes?: number;
  workingSetBytes: number;
  rssBytes?: number;
}

export interface ContainerSummary {
  name: string;
  startTime: string;
  cpu: CpuStats;
  memory: MemoryStats;
}

export interface PodSummary {
  podRef: { name: string; namespace: string; uid: string };
  startTime: string;
  containers: ContainerSummary[];
  cpu: CpuStats;
  memory: MemoryStats;
}

export interface Summary {
  node: { nodeName: string; startTime: string; cpu: CpuStats; memory: MemoryStats };
  pods: PodSummary[];
}

export interface Sample {
  timestampMs: number;
  cpuNs: number;
}

/** Cores in use, in nano-cores, between two cumulative samples; undefined without a usable earlier one. */
export function nanoCores(prev: Sample | undefined, cur: Sample): number | undefined {
  if (!prev || cur.timestampMs <= prev.timestampMs || cur.cpuNs < prev.cpuNs) return undefined;
  // ns of CPU per ms of wall time, times 1e3, is nano-cores (1e9 = one core busy).
  return Math.round(((cur.cpuNs - prev.cpuNs) / (cur.timestampMs - prev.timestampMs)) * 1e3);
}

/** Keeps the last sample per key for rate computation. */
export class RateTracker {
  private readonly last = new Map<string, Sample>();

  rate(key: string, cur: Sample): number | undefined {
    const r = nanoCores(this.last.get(key), cur);
    const prev = this.last.get(key);
    // Keep the older sample when the new one is too close to it to give a steady rate.
    if (!prev || cur.timestampMs - prev.timestampMs >= 1000 || r === undefined) this.last.set(key, cur);
    return r;
  }

  has(key: string): boolean {
    return this.last.has(key);
  }

  /** Forgets keys not seen in the latest pass (containers that went away). */
  retain(keys: Set<string>): void {
    for (const k of this.last.keys()) if (!keys.has(k)) this.last.delete(k);
  }
}

export interface NodeUsage {
  timestampMs: number;
  cpuNs: number;
  memory: { totalBytes: number; freeBytes: number; availableBytes: number; inactiveFileBytes: number; anonBytes: number };
  bootTimeMs: number;
}

/** Assembles the Summary (pure). */
export function buildSummary(input: {
  nodeName: string;
  node: NodeUsage;
  nodeRate?: number;
  sandboxes: PodSandboxStatus[];
  containers: ContainerStatus[];
  stats: ContainerStats[];
  rates: Map<string, number | undefined>;
}): Summary {
  const { node } = input;
  const nodeTime = iso(node.timestampMs);
  const used = node.memory.totalBytes - node.memory.freeBytes;
  const statsById = new Map(input.stats.map((s) => [s.id, s]));
  const pods: PodSummary[] = [];
  for (const sb of input.sandboxes) {
    if (sb.state !== 'ready') continue;
    const containers: ContainerSummary[] = [];
    for (const c of input.containers) {
      if (c.sandboxId !== sb.id || c.state !== 'running') continue;
      const s = statsById.get(c.id);
      if (!s) continue;
      const time = iso(s.timestampMs);
      containers.push({
        name: c.labels[labels.containerName] ?? c.name,
        startTime: iso(c.startedAtMs ?? c.createdAtMs),
        cpu: { time, usageNanoCores: input.rates.get(c.id), usageCoreNanoSeconds: s.cpuUsageCoreNanoSeconds },
        memory: { time, workingSetBytes: s.memoryWorkingSetBytes, usageBytes: s.memoryWorkingSetBytes, rssBytes: s.memoryRssBytes },
      });
    }
    const time = containers.length ? containers[0]!.cpu.time : nodeTime;
    const rates = containers.map((c) => c.cpu.usageNanoCores);
    pods.push({
      podRef: { name: sb.name, namespace: sb.namespace, uid: sb.uid },
      startTime: iso(sb.createdAtMs),
      containers,
      cpu: {
        time,
        usageNanoCores: rates.every((r) => r !== undefined) ? rates.reduce<number>((a, r) => a + (r ?? 0), 0) : undefined,
        usageCoreNanoSeconds: containers.reduce((a, c) => a + c.cpu.usageCoreNanoSeconds, 0),
      },
      memory: { time, workingSetBytes: containers.reduce((a, c) => a + c.memory.workingSetBytes, 0) },
    });
  }
  return {
    node: {
      nodeName: input.nodeName,
      startTime: iso(node.bootTimeMs),
      cpu: { time: nodeTime, usageNanoCores: input.nodeRate, usageCoreNanoSeconds: node.cpuNs },
      memory: {
        time: nodeTime,
        availableBytes: node.memory.availableBytes,
        usageBytes: used,
        workingSetBytes: Math.max(0, used - node.memory.inactiveFileBytes),
        rssBytes: node.memory.anonBytes,
      },
    },
    pods,
  };
}

/** Parses /proc/stat's first line into busy CPU nanoseconds (all but idle and iowait), USER_HZ = 100. */
export function parseProcStatCpu(text: string): number {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, v) => a + (v || 0), 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return (total - idle) * 10_000_000;
}

/** Parses /proc/meminfo (kB values) into bytes. */
export function parseMeminfo(text: string): NodeUsage['memory'] {
  const kv = new Map<string, number>();
  for (const l of text.split('\n')) {
    const m = /^([^:]+):\s+(\d+)/.exec(l);
    if (m) kv.set(m[1]!, Number(m[2]) * 1024);
  }
  return {
    totalBytes: kv.get('MemTotal') ?? 0,
    freeBytes: kv.get('MemFree') ?? 0,
    availableBytes: kv.get('MemAvailable') ?? 0,
    inactiveFileBytes: kv.get('Inactive(file)') ?? 0,
    anonBytes: kv.get('AnonPages') ?? 0,
  };
}

export async function readNodeUsage(): Promise<NodeUsage> {
  const [stat, meminfo] = await Promise.all([readFile('/proc/stat', 'utf8'), readFile('/proc/meminfo', 'utf8')]);
  const btime = /^btime\s+(\d+)/m.exec(stat);
  return { timestampMs: Date.now(), cpuNs: parseProcStatCpu(stat), memory: parseMeminfo(meminfo), bootTimeMs: btime ? Number(btime[1]) * 1000 : 0 };
}
