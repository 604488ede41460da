// One skiff per data directory: DIR/skiff.lock holds the owner's PID. A lock whose process is gone is stale
// and taken over. This is what turns "two servers on one SQLite file" into a clear message instead of
// SQLITE_BUSY later. It must not do anything else with the data directory.

import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors.js';

export interface DataDirLock {
  path: string;
  release(): void;
}

export function acquireDataDirLock(dataDir: string, pid = process.pid): DataDirLock {
  const path = join(dataDir, 'skiff.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      return {
        path,
        release() {
          try {
            if (readFileSync(path, 'utf8').trim() === String(pid)) unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = NaN;
    try {
      owner = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    } catch {
      // vanished between open and read: retry
    }
    if (Number.isInteger(owner) && owner > 0 && owner !== pid && processAlive(owner)) {
      throw new CliError(
        `another skiff (pid ${owner}) is using ${dataDir}; stop it first or pick another --data-dir`,
      );
    }
    try {
      unlinkSync(path); // stale: its process is gone (or it is our own leftover)
    } catch {
      // someone else removed it first
    }
  }
  throw new CliError(`could not lock ${path}; another skiff may be starting on the same --data-dir`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
