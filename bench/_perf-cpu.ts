// CPU time of a process tree split by program, from a system-wide `perf record` (cpu-clock samples with the
// fork/exec events): samples are attributed to a root process (e.g. containerd) and everything it forked
// during the recording, then grouped by the command name each sample ran under. This counts short-lived
// children (CNI plugins, runc) and processes reparented away from the root (shims), which /proc/<pid>/stat
// cannot. Needs root and `perf`; startPerf() returns undefined when perf cannot record.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface PerfSession {
  /** Stops the recording and returns CPU milliseconds per command name, for `roots` and their descendants. */
  stop(roots: number[]): Promise<Map<string, number>>;
}

const forkLine = /PERF_RECORD_FORK\((\d+):\d+\):\((\d+):\d+\)/;
const sampleLine = /^\s*(.+?)\s+(\d+)\s+(\d+)\s*$/;

/** Parses `perf script -F comm,pid,period --show-task-events` lines into CPU ms per comm for the roots' tree. */
export function cpuByCommand(lines: Iterable<string>, roots: number[]): Map<string, number> {
  const inTree = new Set(roots);
  const ns = new Map<string, number>();
  for (const line of lines) {
    const fork = forkLine.exec(line);
    if (fork) {
      if (inTree.has(Number(fork[2]))) inTree.add(Number(fork[1]));
      continue;
    }
    const s = sampleLine.exec(line);
    if (!s || !inTree.has(Number(s[2]))) continue;
    ns.set(s[1]!, (ns.get(s[1]!) ?? 0) + Number(s[3]));
  }
  return new Map([...ns].map(([comm, v]) => [comm, v / 1e6]));
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

export async function startPerf(file: string): Promise<PerfSession | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const child = spawn('perf', ['record', '-a', '-F', '997', '-o', file, '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
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
  return {
    async stop(roots: number[]): Promise<Map<string, number>> {
      child.kill('SIGINT');
      await exited(child);
      const script = spawn('perf', ['script', '-i', file, '-F', 'comm,pid,period', '--show-task-events'], { stdio: ['ignore', 'pipe', 'ignore'] });
      const rl = createInterface({ input: script.stdout! });
      const lines: string[] = [];
      for await (const line of rl) lines.push(line);
      await exited(script);
      return cpuByCommand(lines, roots);
    },
  };
}
