// Container log rotation as upstream kubelet's ContainerLogManager does it: when a running container's log
// file reaches containerLogMaxSize (10Mi), rename it to `<log>.<YYYYMMDD-hhmmss>` and ask the runtime to reopen
// its log; keep at most containerLogMaxFiles (5) files per container, the current one included, deleting the
// oldest; gzip every rotated file but the newest (`.gz`). The plan is a pure decision; LogRotator applies it.
// The agent runs a LogRotator (start/stop); nothing here decides which containers exist.
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Runtime } from '../../runtime/runtime.js';

export const defaultContainerLogMaxSize = 10 * 1024 * 1024;
export const defaultContainerLogMaxFiles = 5;
/** Upstream's containerLogMonitorInterval. */
export const defaultRotationIntervalMs = 10_000;

export interface RotationPolicy {
  maxSizeBytes: number;
  /** At least 2 (upstream's validation). */
  maxFiles: number;
}

export interface RotationPlan {
  /** Rotated files to delete, oldest first. */
  remove: string[];
  /** Rotated files to gzip (each replaced by `<name>.gz`). */
  compress: string[];
  /** Where to move the current file, or undefined when it stays. */
  rotateTo?: string;
}

/** `<log>.<YYYYMMDD-hhmmss>` in UTC, upstream's rotated-file suffix format. */
export function rotatedName(logPath: string, now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${logPath}.${stamp}`;
}

/**
 * What to do for one container's log (pure). `siblings` are the file names in the log's directory; rotated
 * files of `logPath` are `<base>.<stamp>` and `<base>.<stamp>.gz`, ordered by their stamp.
 */
export function planRotation(logPath: string, currentSize: number, siblings: string[], policy: RotationPolicy, now: Date): RotationPlan {
  const base = basename(logPath);
  const dir = dirname(logPath);
  const rotated = siblings
    .filter((n) => n.startsWith(base + '.') && /^\d{8}-\d{6}(\.gz)?$/.test(n.slice(base.length + 1)))
    .sort((a, b) => a.slice(base.length + 1, base.length + 16).localeCompare(b.slice(base.length + 1, base.length + 16)));
  if (currentSize < policy.maxSizeBytes) return { remove: [], compress: [] };
  // After rotating, the current file plus the rotated ones must fit in maxFiles: keep maxFiles - 2 old ones,
  // then the one about to be rotated makes maxFiles - 1, and the new current file maxFiles.
  const keep = Math.max(0, policy.maxFiles - 2);
  const excess = Math.max(0, rotated.length - keep);
  const remove = rotated.slice(0, excess).map((n) => join(dir, n));
  const kept = rotated.slice(excess);
  // The newest rotated file stays uncompressed until the next rotation (a reader may still hold it).
  const compress = kept.filter((n) => !n.endsWith('.gz')).map((n) => join(dir, n));
  let target = rotatedName(logPath, now);
  if (rotated.some((n) => join(dir, n.replace(/\.gz$/, '')) === target)) target = rotatedName(logPath, new Date(now.getTime() + 1000));
  return { remove, compress, rotateTo: target };
}

export interface LogRotatorOptions {
  runtime: Runtime;
  policy?: Partial<RotationPolicy>;
  intervalMs?: number;
  log?: (line: string) => void;
  now?: () => Date;
}

/** Checks every running container's log periodically and rotates it per the policy. */
export class LogRotator {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly policy: RotationPolicy;

  constructor(private readonly opts: LogRotatorOptions) {
    this.policy = {
      maxSizeBytes: opts.policy?.maxSizeBytes ?? defaultContainerLogMaxSize,
      maxFiles: Math.max(2, opts.policy?.maxFiles ?? defaultContainerLogMaxFiles),
    };
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.opts.intervalMs ?? defaultRotationIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over the running containers (also for tests). */
  runOnce(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    const containers = await this.opts.runtime.listContainers().catch(() => []);
    for (const c of containers) {
      if (c.state !== 'running' || !c.logPath) continue;
      try {
        await this.rotateOne(c.id, c.logPath);
      } catch (err) {
        this.opts.log?.(`log rotation of container ${c.id} (${c.logPath}) failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private async rotateOne(id: string, logPath: string): Promise<void> {
    const size = (await stat(logPath).catch(() => undefined))?.size;
    if (size === undefined || size < this.policy.maxSizeBytes) return;
    const siblings = await readdir(dirname(logPath));
    const plan = planRotation(logPath, size, siblings, this.policy, this.opts.now?.() ?? new Date());
    for (const f of plan.remove) await rm(f, { force: true });
    for (const f of plan.compress) await gzipFile(f);
    if (!plan.rotateTo) return;
    await rename(logPath, plan.rotateTo);
    try {
      await this.opts.runtime.reopenContainerLog(id);
    } catch (err) {
      // As upstream: put the file back so the container keeps a log at the known path.
      await rename(plan.rotateTo, logPath).catch(() => undefined);
      throw err;
    }
  }
}

async function gzipFile(path: string): Promise<void> {
  const tmp = `${path}.gz.tmp`;
  await pipeline(createReadStream(path), createGzip(), createWriteStream(tmp));
  await rename(tmp, `${path}.gz`);
  await rm(path, { force: true });
}
