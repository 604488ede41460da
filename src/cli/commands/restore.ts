// `skiff restore FILE --data-dir DIR`: a backup made by `skiff backup` back into a new data directory.
// A SQLite backup becomes DIR/db/state.db (start the cluster with `skiff up --data-dir DIR`); an etcd snapshot
// becomes a new etcd member data directory DIR, as `etcdctl snapshot restore` makes it (start etcd on it,
// then the servers). It never overwrites existing state.

import { closeSync, openSync, readSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../args.js';
import { CliError } from '../errors.js';
import { backupKind } from '../../storage/backup/format.js';

export const restoreCommand: Command = {
  name: 'restore',
  args: 'FILE',
  summary: 'restore a backup into a new data directory',
  details:
    'SQLite backup: writes DATA_DIR/db/state.db; then run `skiff up --data-dir DIR` (objects and\n' +
    'resourceVersions are as at backup time). etcd snapshot: DIR is a new etcd member data directory\n' +
    '(uses etcdctl); start etcd with --data-dir DIR and the same --name/--initial-* values, then the servers.',
  options: [
    { name: 'data-dir', short: 'd', type: 'string', valueName: 'DIR', description: 'the new data directory (must not hold state yet)' },
    { name: 'name', type: 'string', valueName: 'NAME', description: 'etcd: member name [etcdctl default: default]' },
    { name: 'initial-cluster', type: 'string', valueName: 'NAME=URL,...', description: 'etcd: every member of the restored cluster' },
    { name: 'initial-cluster-token', type: 'string', valueName: 'TOKEN', description: 'etcd: token of the restored cluster' },
    { name: 'initial-advertise-peer-urls', type: 'string', valueName: 'URL,...', description: 'etcd: this member\'s peer URLs' },
  ],
  async run(opts, ctx) {
    if (opts.positionals.length !== 1) throw new UsageError('give exactly one backup FILE');
    const dir = opts.optionalString('data-dir');
    if (!dir) throw new UsageError('--data-dir DIR is required: the new data directory to restore into');
    const file = resolve(opts.positionals[0]!);
    const dataDir = resolve(dir);
    if (!existsSync(file)) throw new CliError(`no backup at ${file}`);
    const head = Buffer.alloc(64);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
    const kind = backupKind(head);
    if (!kind) throw new CliError(`${file} is neither a Skiff SQLite backup nor an etcd snapshot`);
    const restore = await import('../../storage/backup/restore.js');
    try {
      if (kind === 'sqlite') {
        const r = await restore.restoreSqlite(file, dataDir);
        ctx.stdout.write(`restored SQLite backup (revision ${r.revision}) into ${r.path}; start it with: skiff up --data-dir ${dataDir}\n`);
      } else {
        const r = await restore.restoreEtcd(file, dataDir, {
          name: opts.optionalString('name'),
          initialCluster: opts.optionalString('initial-cluster'),
          initialClusterToken: opts.optionalString('initial-cluster-token'),
          initialAdvertisePeerUrls: opts.optionalString('initial-advertise-peer-urls'),
        });
        ctx.stdout.write(
          `restored etcd snapshot (revision ${r.revision}, ${r.keys} keys) into etcd data dir ${dataDir}; ` +
            `start etcd with --data-dir ${dataDir}, then skiff server --datastore etcd\n`,
        );
      }
    } catch (err) {
      if (err instanceof restore.RestoreRefused) throw new CliError(err.message);
      throw new CliError(`restore failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    return 0;
  },
};
