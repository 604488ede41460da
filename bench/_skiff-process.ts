// A `skiff up` server in its own process for benchmarks (the built CLI, as users run it): start it on an
// ephemeral port with a temp data dir, read its CPU time and memory from /proc, stop it by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants as osConstants } from 'node:os';
import { repoRoot } from '../test/e2e/harness.js';
import { statCpuSeconds } from './_thread-cpu.js';

/** CPU seconds (user + system) of a process, all its threads. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/** VmRSS and VmHWM (peak) in MiB, from /proc/PID/status. */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

export interface SkiffProcess {
  proc: ChildProcess;
  pid: number;
  /** stdout and stderr so far (the last 50,000 characters). */
  output(): string;
}

/**
 * Starts `./skiff up --data-dir D --api-port P ...args` and waits for its "ready" line (up to readyMs). It
 * runs through the repository's `skiff` script, as users start it, so the server gets the script's node
 * options; the script execs node, so the PID is the server's. nodeOptions are added after the script's
 * (SKIFF_NODE_ARGS; e.g. --cpu-prof, --trace-gc). With logFile, everything the server prints is also
 * appended there.
 */
export async function startSkiffUp(dataDir: string, port: number, args: string[], readyMs = 120_000, nodeOptions: string[] = [], logFile?: string): Promise<SkiffProcess> {
  const main = join(repoRoot, 'dist', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
  const env = nodeOptions.length > 0 ? { ...process.env, SKIFF_NODE_ARGS: nodeOptions.join(' ') } : process.env;
  const proc = spawn(join(repoRoot, 'skiff'), ['up', '--data-dir', dataDir, '--api-port', String(port), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let output = '';
  const append = (d: Buffer) => {
    output = (output + d.toString()).slice(-50_000);
    if (logFile) appendFileSync(logFile, d);
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`skiff up not ready within ${readyMs / 1000} s:\n${output}`)), readyMs);
    proc.stdout!.on('data', (d: Buffer) => {
      append(d);
      if (/\bready\b/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.stderr!.on('data', append);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`skiff up exited with ${code}:\n${output}`));
    });
  });
  proc.removeAllListeners('exit');
  return { proc, pid: proc.pid!, output: () => output };
}

/** SIGTERM, then SIGKILL after 15 s; resolves when the process has exited. */
export { stopChild as stopProcess } from '../test/e2e/harness.js';

/**
 * Runs cleanup (stop the server, remove its data directory) when this bench is stopped by SIGINT (Ctrl-C) or
 * SIGTERM (`timeout`, a supervisor), then exits with 128 + the signal's number. Returns the unregistering
 * function, for a bench that runs several servers one after the other.
 */
export function onStopSignal(cleanup: () => Promise<void>): () => void {
  let stopping = false;
  // Kept registered while cleaning up: a signal sent to the process group and forwarded by scripts/bench.mjs
  // arrives twice, and the second must not end the process before the cleanup is done.
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const h = () => {
      if (stopping) return;
      stopping = true;
      void cleanup().finally(() => process.exit(128 + osConstants.signals[signal]));
    };
    process.on(signal, h);
    return [signal, h] as const;
  });
  return () => {
    for (const [signal, h] of handlers) process.removeListener(signal, h);
  };
}
