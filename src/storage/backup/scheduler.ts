// Scheduled backups inside a running server: every interval, take one backup into a directory with a
// time-stamped name and delete the oldest beyond the retention count. What a backup is (SQLite copy, etcd
// snapshot) is the caller's `take` function; this module only schedules, names and prunes.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { backupsToPrune, scheduledBackupName } from './retention.js';

export interface BackupSchedulerOptions {
  kind: 'sqlite' | 'etcd';
  dir: string;
  intervalMs: number;
  retention: number;
  take(outFile: string): Promise<{ revision: number | undefined }>;
  log(line: string): void;
  now?: () => Date;
}

export interface BackupScheduler {
  /** Runs one backup now (what each tick does); resolves with the file written. */
  runOnce(): Promise<string>;
  /** No new backup starts after this; one in progress is awaited. */
  stop(): Promise<void>;
}

export function startBackupScheduler(opts: BackupSchedulerOptions): BackupScheduler {
  const now = opts.now ?? (() => new Date());
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  const runOnce = async (): Promise<string> => {
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    const file = join(opts.dir, scheduledBackupName(opts.kind, now()));
    const { revision } = await opts.take(file);
    for (const old of backupsToPrune(readdirSync(opts.dir), opts.retention)) rmSync(join(opts.dir, old), { force: true });
    opts.log(`backup: wrote ${file}${revision !== undefined ? ` (revision ${revision})` : ''}`);
    return file;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce()
        .catch((err: unknown) => opts.log(`backup failed: ${err instanceof Error ? err.message : String(err)}`))
        .finally(schedule);
    }, opts.intervalMs);
    timer.unref();
  };
  schedule();
  return {
    runOnce,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}
