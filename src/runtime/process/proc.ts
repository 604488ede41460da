// Facts about host processes from /proc: start times (so a reused PID is never mistaken for a container),
// process-group and child lookups, and CPU/memory of a process tree when no cgroup is available.
// Read-only: signalling is the runtime's job.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** Clock ticks per second (USER_HZ); 100 on every Linux architecture Node runs on. */
const userHz = 100;
const pageSize = 4096;

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  /** utime + stime + cutime + cstime, in clock ticks. */
  cpuTicks: number;
  /** Start time after boot, in clock ticks: with the PID, identifies a process uniquely. */
  startTime: number;
  rssPages: number;
}

/** Parses /proc/<pid>/stat; the command name may contain spaces and parentheses. Pure. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(text.slice(0, text.indexOf(' ')));
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state); field N is f[N - 3].
  const n = (field: number) => Number(f[field - 3]);
  return {
    pid,
    state: f[0],
    ppid: n(4),
    pgid: n(5),
    sid: n(6),
    cpuTicks: n(14) + n(15) + n(16) + n(17),
    startTime: n(22),
    rssPages: n(24),
  };
}

export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether the process `pid` that started at `startTime` still exists (zombies count as gone). */
export function isSameProcessAlive(pid: number, startTime: number): boolean {
  const st = readProcStat(pid);
  return !!st && st.startTime === startTime && st.state !== 'Z';
}

export function allProcStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const st = readProcStat(Number(name));
    if (st) out.push(st);
  }
  return out;
}

/** The process `root` and all its descendants. Pure over a snapshot. */
export function processTree(stats: ProcStat[], root: number): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>();
  for (const s of stats) {
    const list = byParent.get(s.ppid);
    if (list) list.push(s);
    else byParent.set(s.ppid, [s]);
  }
  const out: ProcStat[] = [];
  const rootStat = stats.find((s) => s.pid === root);
  if (!rootStat) return out;
  const queue = [rootStat];
  while (queue.length) {
    const s = queue.pop()!;
    out.push(s);
    queue.push(...(byParent.get(s.pid) ?? []));
  }
  return out;
}

/** CPU (ns) and resident memory (bytes) of a process tree (from `snapshot`, one /proc scan for many trees). */
export function treeUsage(root: number, snapshot: ProcStat[] = allProcStats()): { cpuNanos: number; rssBytes: number } | undefined {
  const tree = processTree(snapshot, root);
  if (!tree.length) return undefined;
  let ticks = 0;
  let pages = 0;
  for (const s of tree) {
    ticks += s.cpuTicks;
    pages += s.rssPages;
  }
  return { cpuNanos: (ticks * 1e9) / userHz, rssBytes: pages * pageSize };
}

/** Direct children of a process (needs CONFIG_PROC_CHILDREN; falls back to a /proc scan). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return allProcStats().filter((s) => s.ppid === pid).map((s) => s.pid);
  }
}

/** The terminal a process has on stdin (e.g. /dev/pts/3), if any. */
export function terminalOf(pid: number): string | undefined {
  try {
    const target = readlinkSync(`/proc/${pid}/fd/0`);
    return target.startsWith('/dev/pts/') ? target : undefined;
  } catch {
    return undefined;
  }
}
