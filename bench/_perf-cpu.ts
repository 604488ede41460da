// CPU time of a process tree split by program, from a system-wide `perf record` (cpu-clock samples with the
// fork/exec events): samples are attributed to a root process (e.g. containerd) and everything it forked
// during the recording, then grouped by the command name each sample ran under. This counts short-lived
// children (CNI plugins, runc) and processes reparented away from the root (shims), which /proc/<pid>/stat
// cannot. Needs root and `perf`; startPerf() returns undefined when perf cannot record.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A time window in CLOCK_MONOTONIC nanoseconds (process.hrtime.bigint()), start inclusive, end exclusive. */
export type Window = [bigint, bigint];

export interface CpuByCommand {
  /** CPU ms per command name over the whole recording. */
  all: Map<string, number>;
  /** CPU ms per command name inside any of the windows. */
  windows: Map<string, number>;
}

export interface PerfSession {
  /** Stops the recording; CPU per command name for `roots` and their descendants (forked while recording). */
  stop(roots: number[], windows?: Window[]): Promise<CpuByCommand>;
  /** Ends the recording without reading it (idempotent; for a run that failed before stop()). */
  cancel(): Promise<void>;
}

const forkLine = /PERF_RECORD_FORK\((\d+):\d+\):\((\d+):\d+\)/;
const exitLine = /PERF_RECORD_EXIT\((\d+):(\d+)\)/;
const sampleLine = /^\s*(.+?)\s+(\d+)\s+(\d+)\.(\d{9}):\s+(\d+)\s*$/;

function add(m: Map<string, number>, k: string, ns: number): void {
  m.set(k, (m.get(k) ?? 0) + ns / 1e6);
}

/**
 * Parses `perf script -F comm,pid,time,period --ns --show-task-events` lines (recorded with `-k
 * CLOCK_MONOTONIC`) into CPU ms per command name for the roots' process tree, overall and inside `windows`.
 */
export function cpuByCommand(lines: Iterable<string>, roots: number[], windows: Window[] = []): CpuByCommand {
  const inTree = new Set(roots);
  const out: CpuByCommand = { all: new Map(), windows: new Map() };
  for (const line of lines) {
    const fork = forkLine.exec(line);
    if (fork) {
      if (inTree.has(Number(fork[2]))) inTree.add(Number(fork[1]));
      continue;
    }
    const exit = exitLine.exec(line);
    if (exit) {
      // The process is gone (its main thread exited): a later process reusing the pid is not in the tree.
      if (exit[1] === exit[2]) inTree.delete(Number(exit[1]));
      continue;
    }
    const s = sampleLine.exec(line);
    if (!s || !inTree.has(Number(s[2]))) continue;
    const period = Number(s[5]);
    add(out.all, s[1]!, period);
    const t = BigInt(s[3]!) * 1_000_000_000n + BigInt(s[4]!);
    if (windows.some(([a, b]) => t >= a && t < b)) add(out.windows, s[1]!, period);
  }
  return out;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

export async function startPerf(file: string): Promise<PerfSession | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const child = spawn('perf', ['record', '-a', '-F', '997', '-k', 'CLOCK_MONOTONIC', '-o', file, '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ok = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.once('exit', () => resolve(false));
    // perf announces nothing when it starts; give it a moment to open its events (an early exit = unusable).
    setTimeout(() => resolve(child.exitCode === null), 500);
  });
  if (!ok) {
    if (stderr.trim()) console.log(`perf unavailable: ${stderr.trim().split('\n')[0]}`);
    return undefined;
  }
  const end = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    await exited(child);
  };
  return {
    cancel: end,
    async stop(roots: number[], windows: Window[] = []): Promise<CpuByCommand> {
      await end();
      const script = spawn('perf', ['script', '-i', file, '-F', 'comm,pid,time,period', '--ns', '--show-task-events'], { stdio: ['ignore', 'pipe', 'ignore'] });
      const rl = createInterface({ input: script.stdout! });
      const lines: string[] = [];
      for await (const line of rl) lines.push(line);
      await exited(script);
      return cpuByCommand(lines, roots, windows);
    },
  };
}
