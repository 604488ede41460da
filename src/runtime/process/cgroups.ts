// Container and pod cgroups for the process runtime: which hierarchy the host has (v1, v2, or hybrid = v1
// controllers with a mostly empty v2 mount), the limit values a container's resources translate to (the
// kubelet's and runc's formulas), creating/removing the directories, usage and OOM-kill counters.
// Computing values is pure; the functions that touch /sys/fs/cgroup are small and separate.
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerResources } from '../runtime.js';

export type CgroupLayout =
  | { version: 1; root: string; /** controller -> mount directory */ controllers: Record<string, string> }
  | { version: 2; root: string };

export const v1Controllers = ['cpu', 'cpuacct', 'memory', 'pids'] as const;

/** Detects the layout under `root` (default /sys/fs/cgroup); undefined when no usable controller is mounted. */
export function detectCgroups(root = '/sys/fs/cgroup'): CgroupLayout | undefined {
  if (existsSync(join(root, 'cgroup.controllers'))) {
    const avail = readFileSync(join(root, 'cgroup.controllers'), 'utf8');
    return avail.includes('memory') ? { version: 2, root } : undefined;
  }
  const controllers: Record<string, string> = {};
  for (const c of v1Controllers) {
    const dir = join(root, c);
    if (existsSync(join(dir, 'cgroup.procs'))) controllers[c] = dir;
  }
  return controllers.memory && controllers.cpu ? { version: 1, root, controllers } : undefined;
}

/** v1: one mount directory per distinct hierarchy, resolved once per layout (realpath costs an lstat per
 * path component, and cgroupDirs runs for every container start, stop and stats read). */
const v1Hierarchies = new WeakMap<CgroupLayout, string[]>();

/** The distinct directories that make up cgroup `path` (one per v1 hierarchy; "cpu,cpuacct" counted once). */
export function cgroupDirs(layout: CgroupLayout, path: string): string[] {
  if (layout.version === 2) return [join(layout.root, path)];
  let mounts = v1Hierarchies.get(layout);
  if (!mounts) {
    const seen = new Map<string, string>();
    for (const dir of Object.values(layout.controllers)) {
      let real = dir;
      try {
        real = realpathSync(dir);
      } catch {
        /* keep as is */
      }
      if (!seen.has(real)) seen.set(real, dir);
    }
    mounts = [...seen.values()];
    v1Hierarchies.set(layout, mounts);
  }
  return mounts.map((dir) => join(dir, path));
}

/** kubelet's MilliCPUToShares: 2 minimum, 1024 per core. */
export function milliCpuToShares(millis: number): number {
  if (millis === 0) return 2;
  return Math.min(262144, Math.max(2, Math.floor((millis * 1024) / 1000)));
}

/** runc's conversion of v1 shares to a v2 weight. */
export function sharesToWeight(shares: number): number {
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}

export const cfsPeriodUs = 100_000;

/** kubelet's MilliCPUToQuota: 1 ms minimum. */
export function milliCpuToQuota(millis: number, periodUs = cfsPeriodUs): number {
  return Math.max(1000, Math.floor((millis * periodUs) / 1000));
}

/** The files to write (relative to the container's cgroup directory of the right controller) for `r`. */
export function limitFiles(version: 1 | 2, r: ContainerResources): { controller: string; file: string; value: string }[] {
  const shares = milliCpuToShares(r.cpuRequestMillis);
  if (version === 1) {
    const out = [{ controller: 'cpu', file: 'cpu.shares', value: String(shares) }];
    if (r.cpuLimitMillis !== undefined) {
      out.push({ controller: 'cpu', file: 'cpu.cfs_period_us', value: String(cfsPeriodUs) });
      out.push({ controller: 'cpu', file: 'cpu.cfs_quota_us', value: String(milliCpuToQuota(r.cpuLimitMillis)) });
    }
    if (r.memoryLimitBytes !== undefined) out.push({ controller: 'memory', file: 'memory.limit_in_bytes', value: String(r.memoryLimitBytes) });
    return out;
  }
  const out = [{ controller: '', file: 'cpu.weight', value: String(sharesToWeight(shares)) }];
  if (r.cpuLimitMillis !== undefined) out.push({ controller: '', file: 'cpu.max', value: `${milliCpuToQuota(r.cpuLimitMillis)} ${cfsPeriodUs}` });
  if (r.memoryLimitBytes !== undefined) {
    out.push({ controller: '', file: 'memory.max', value: String(r.memoryLimitBytes) });
    // Like runc with a memory limit: no swap beyond it.
    out.push({ controller: '', file: 'memory.swap.max', value: '0' });
  }
  return out;
}

/** Creates cgroup `path` in every hierarchy and applies `resources`; returns the cgroup.procs files to join. */
export function createCgroup(layout: CgroupLayout, path: string, resources?: ContainerResources): string[] {
  const dirs = cgroupDirs(layout, path);
  for (const dir of dirs) mkdirSync(dir, { recursive: true });
  if (layout.version === 2) enableV2Controllers(layout.root, path);
  if (resources) {
    for (const l of limitFiles(layout.version, resources)) {
      const dir = layout.version === 2 ? join(layout.root, path) : join(layout.controllers[l.controller] ?? '', path);
      if (layout.version === 1 && !layout.controllers[l.controller]) continue;
      try {
        writeFileSync(join(dir, l.file), l.value);
      } catch (err) {
        // memory.swap.max is absent without swap accounting; everything else must apply.
        if (l.file !== 'memory.swap.max') throw err;
      }
    }
  }
  return dirs.map((d) => join(d, 'cgroup.procs'));
}

/** Controllers a container cgroup needs on v2. */
export const v2Controllers = ['cpu', 'memory', 'pids'] as const;

/**
 * On v2 a child cgroup has only the controllers its parent delegates: enable them in cgroup.subtree_control of
 * every ancestor of `path` (root included), one controller per write so a missing one does not void the rest.
 */
function enableV2Controllers(root: string, path: string): void {
  const parts = path.split('/').filter(Boolean);
  for (let n = 0; n < parts.length; n++) {
    const file = join(root, ...parts.slice(0, n), 'cgroup.subtree_control');
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      /* written below */
    }
    for (const c of v2Controllers) {
      if (current.split(/\s+/).includes(c)) continue;
      try {
        writeFileSync(file, `+${c}`);
      } catch {
        /* not available on this host: limits of that kind are not enforced */
      }
    }
  }
}

/** PIDs in cgroup `path` (any hierarchy; they are the same processes). */
export function cgroupPids(layout: CgroupLayout, path: string): number[] {
  const pids = new Set<number>();
  for (const dir of cgroupDirs(layout, path)) {
    try {
      for (const l of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (l) pids.add(Number(l));
    } catch {
      /* not there */
    }
  }
  return [...pids];
}

/**
 * Removes cgroup `path` and its ancestors that became empty (rmdir only: a cgroup's files are virtual, and
 * rmdir fails while processes or child cgroups are inside, which is what keeps a sibling pod's parents).
 * Returns false when `path` itself could not be removed.
 */
export function removeCgroup(layout: CgroupLayout, path: string): boolean {
  const parts = path.split('/').filter(Boolean);
  for (let n = parts.length; n > 0; n--) {
    for (const dir of cgroupDirs(layout, parts.slice(0, n).join('/'))) {
      try {
        rmdirSync(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return n < parts.length;
      }
    }
  }
  return true;
}

/**
 * Kills every process under cgroup `path` (all depths) and removes the whole subtree, deepest first: the
 * node-shutdown sweep, so nothing a runtime or a crashed agent left stays behind. Returns what remained.
 */
export function removeCgroupTree(layout: CgroupLayout, path: string): string[] {
  const left: string[] = [];
  const sweep = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) sweep(join(dir, e.name));
    try {
      for (const l of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) {
        if (!l) continue;
        try {
          process.kill(Number(l), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    } catch {
      /* no procs file */
    }
    try {
      rmdirSync(dir);
    } catch {
      left.push(dir);
    }
  };
  for (const dir of cgroupDirs(layout, path)) sweep(dir);
  return left;
}

function readNumber(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** "key value" lines (memory.stat, memory.events, cpu.stat, memory.oom_control). Pure. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

function readKeyed(file: string): Record<string, number> {
  try {
    return parseFlatKeyed(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

export interface CgroupUsage {
  cpuNanos: number;
  memoryUsageBytes: number;
  /** usage minus inactive file pages, as the kubelet computes it. */
  workingSetBytes: number;
  rssBytes: number;
}

export function cgroupUsage(layout: CgroupLayout, path: string): CgroupUsage | undefined {
  if (layout.version === 1) {
    const cpuacct = layout.controllers.cpuacct, memory = layout.controllers.memory;
    const cpu = cpuacct ? readNumber(join(cpuacct, path, 'cpuacct.usage')) : undefined;
    const usage = readNumber(join(memory, path, 'memory.usage_in_bytes'));
    if (cpu === undefined && usage === undefined) return undefined;
    const stat = readKeyed(join(memory, path, 'memory.stat'));
    const inactive = stat.total_inactive_file ?? stat.inactive_file ?? 0;
    const u = usage ?? 0;
    return { cpuNanos: cpu ?? 0, memoryUsageBytes: u, workingSetBytes: Math.max(0, u - inactive), rssBytes: stat.total_rss ?? stat.rss ?? 0 };
  }
  const dir = join(layout.root, path);
  const cpu = readKeyed(join(dir, 'cpu.stat')).usage_usec;
  const usage = readNumber(join(dir, 'memory.current'));
  if (cpu === undefined && usage === undefined) return undefined;
  const stat = readKeyed(join(dir, 'memory.stat'));
  const u = usage ?? 0;
  return { cpuNanos: (cpu ?? 0) * 1000, memoryUsageBytes: u, workingSetBytes: Math.max(0, u - (stat.inactive_file ?? 0)), rssBytes: stat.anon ?? 0 };
}

/**
 * Whether the kernel's OOM killer acted in cgroup `path` (its oom_kill counter; kernels before 4.13 have no
 * counter in memory.oom_control: then a SIGKILL while the limit was hit, memory.failcnt > 0, counts).
 */
export function oomKilled(layout: CgroupLayout, path: string, exitCode: number): boolean {
  if (layout.version === 2) return (readKeyed(join(layout.root, path, 'memory.events')).oom_kill ?? 0) > 0;
  const dir = join(layout.controllers.memory, path);
  const kills = readKeyed(join(dir, 'memory.oom_control')).oom_kill;
  if (kills !== undefined) return kills > 0;
  return exitCode === 137 && (readNumber(join(dir, 'memory.failcnt')) ?? 0) > 0;
}
