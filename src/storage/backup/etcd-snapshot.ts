// etcd backups: a snapshot of the whole keyspace streamed through the maintenance API into a file that is
// byte-for-byte what `etcdctl snapshot save` writes (the database followed by its SHA-256), so etcd's own
// tools can restore it; and reading a snapshot's revision with `etcdctl snapshot status`. It must not touch
// a member's data directory.
import { execFile } from 'node:child_process';
import { createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { MaintenanceClient, type ISnapshotResponse } from 'etcd3';
import { ConnectionPool } from 'etcd3/lib/connection-pool.js';
import type { EtcdStoreOptions } from '../etcd/etcd-store.js';
import { etcdClientOptions } from '../etcd/etcd3-options.js';

export const ETCDCTL = process.env.SKIFF_ETCDCTL ?? 'etcdctl';

export interface SnapshotResult {
  /** The revision the snapshot holds (undefined when neither etcd nor etcdctl could tell). */
  revision: number | undefined;
  bytes: number;
}

export async function saveEtcdSnapshot(opts: EtcdStoreOptions, outFile: string): Promise<SnapshotResult> {
  const pool = new ConnectionPool(etcdClientOptions(opts));
  const tmp = `${outFile}.tmp-${process.pid}`;
  let headerRevision: number | undefined;
  try {
    const stream = await new MaintenanceClient(pool).snapshot();
    const out = createWriteStream(tmp, { mode: 0o600 });
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (err: Error) => {
        if (failed) return;
        failed = true;
        out.destroy();
        reject(err);
      };
      stream.on('data', (res: ISnapshotResponse) => {
        const rev = Number(res.header?.revision ?? 0);
        if (headerRevision === undefined && rev > 0) headerRevision = rev;
        if (res.blob.length && !out.write(res.blob)) {
          // Back-pressure is small here (a snapshot is at most etcd's quota); buffering is acceptable.
        }
      });
      stream.on('error', fail);
      stream.on('end', () => out.end((err?: Error | null) => (err ? fail(err) : resolve())));
      out.on('error', fail);
    });
    const bytes = statSync(tmp).size;
    if (bytes < 4096) throw new Error(`etcd sent a ${bytes}-byte snapshot; refusing to keep it`);
    const revision = (await etcdSnapshotStatus(tmp).catch(() => undefined))?.revision ?? headerRevision;
    renameSync(tmp, outFile);
    return { revision, bytes };
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    pool.close();
  }
}

export interface SnapshotStatus {
  revision: number;
  totalKey: number;
  totalSize: number;
}

/** `etcdctl snapshot status FILE -w json`: checks the file and tells its revision. */
export function etcdSnapshotStatus(file: string): Promise<SnapshotStatus> {
  return new Promise((resolve, reject) => {
    execFile(ETCDCTL, ['snapshot', 'status', file, '-w', 'json'], { env: { ...process.env, ETCDCTL_API: '3' } }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`etcdctl snapshot status failed: ${String(stderr).trim() || err.message}`));
      try {
        const v = JSON.parse(String(stdout)) as { revision: number; totalKey: number; totalSize: number };
        resolve({ revision: v.revision, totalKey: v.totalKey, totalSize: v.totalSize });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}
