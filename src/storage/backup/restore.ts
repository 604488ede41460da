// Restoring a backup into a fresh data directory. SQLite: the backup file becomes DIR/db/state.db (checked by
// opening it as a store first). etcd: `etcdctl snapshot restore` builds a new member data directory from the
// snapshot (new cluster identity, same keys and revisions), exactly as etcd's own procedure does; the
// members are then started on it. It refuses to overwrite existing state and must not start any server.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sqliteRevision } from './sqlite-backup.js';
import { ETCDCTL, etcdSnapshotStatus } from './etcd-snapshot.js';

export class RestoreRefused extends Error {
  override name = 'RestoreRefused';
}

/** Copies a SQLite backup to DATA_DIR/db/state.db; returns the revision it holds. */
export async function restoreSqlite(backupFile: string, dataDir: string): Promise<{ revision: number; path: string }> {
  const target = join(dataDir, 'db', 'state.db');
  if (existsSync(target)) {
    throw new RestoreRefused(`${dataDir} already holds a datastore (${target}); restore into a new --data-dir`);
  }
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  const tmp = `${target}.restore-${process.pid}`;
  try {
    copyFileSync(backupFile, tmp);
    const revision = await sqliteRevision(tmp);
    for (const suffix of ['-wal', '-shm']) rmSync(tmp + suffix, { force: true });
    renameSync(tmp, target);
    return { revision, path: target };
  } catch (err) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(tmp + suffix, { force: true });
    throw err;
  }
}

export interface EtcdRestoreOptions {
  /** Member name (etcdctl default "default"). */
  name?: string;
  /** e.g. "m0=http://10.0.0.1:2380,m1=..." (etcdctl default "default=http://localhost:2380"). */
  initialCluster?: string;
  initialClusterToken?: string;
  /** This member's peer URL(s) (etcdctl default http://localhost:2380). */
  initialAdvertisePeerUrls?: string;
}

/** `etcdctl snapshot restore` into a new etcd data directory; returns the snapshot's revision. */
export async function restoreEtcd(snapshotFile: string, etcdDataDir: string, opts: EtcdRestoreOptions = {}): Promise<{ revision: number; keys: number }> {
  if (existsSync(etcdDataDir) && readdirSync(etcdDataDir).length > 0) {
    throw new RestoreRefused(`${etcdDataDir} is not empty; etcd snapshots restore into a new data directory`);
  }
  if (existsSync(etcdDataDir)) rmSync(etcdDataDir, { recursive: true }); // etcdctl insists on creating it
  const status = await etcdSnapshotStatus(snapshotFile);
  const args = ['snapshot', 'restore', snapshotFile, '--data-dir', etcdDataDir];
  if (opts.name) args.push('--name', opts.name);
  if (opts.initialCluster) args.push('--initial-cluster', opts.initialCluster);
  if (opts.initialClusterToken) args.push('--initial-cluster-token', opts.initialClusterToken);
  if (opts.initialAdvertisePeerUrls) args.push('--initial-advertise-peer-urls', opts.initialAdvertisePeerUrls);
  await new Promise<void>((resolve, reject) => {
    execFile(ETCDCTL, args, { env: { ...process.env, ETCDCTL_API: '3' } }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`etcdctl snapshot restore failed: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
  });
  return { revision: status.revision, keys: status.totalKey };
}
