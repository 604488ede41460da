// `skiff migrate --to etcd --etcd-endpoints ...`: copies a stopped SQLite cluster's state (DATA_DIR/db) into an
// empty etcd, so a single-machine cluster can continue on etcd behind several servers. The data directory is
// locked meanwhile, so no server can write to the source during the copy.

import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { dataDirOption } from '../options.js';
import { acquireDataDirLock } from '../lock.js';
import { datastoreOptions, describeDatastore, etcdDatastoreConfig, openDatastore } from '../datastore.js';
import { createProgress } from '../progress.js';
import type { Store } from '../../storage/store.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'copy a SQLite cluster\'s state into etcd (stop the server first)',
  details:
    'Every object (and the cluster CA and admin credentials) moves; resourceVersions become etcd\'s revisions.\n' +
    'Afterwards run `skiff server --data-dir DIR --datastore etcd --etcd-endpoints ...` on each server.',
  options: [
    { name: 'to', type: 'string', valueName: 'KIND', description: 'the datastore to move to', choices: ['etcd'], default: 'etcd' },
    dataDirOption,
    ...datastoreOptions.filter((o) => o.name !== 'datastore'),
  ],
  async run(opts, ctx) {
    const dataDir = resolve(opts.string('data-dir'));
    const target = etcdDatastoreConfig(opts, '--to etcd');
    const progress = createProgress(ctx.stderr);
    const lock = acquireDataDirLock(dataDir);
    const opened: Store[] = [];
    try {
      const source = { kind: 'sqlite' as const, path: resolve(dataDir, 'db', 'state.db') };
      const { existsSync } = await import('node:fs');
      if (!existsSync(source.path)) throw new CliError(`no SQLite datastore in ${dataDir} (${source.path})`);
      const from = await progress.step(`open ${describeDatastore(source)}`, () => openDatastore(source));
      opened.push(from);
      const to = await progress.step(`open ${describeDatastore(target)}`, () => openDatastore(target));
      opened.push(to);
      const { copyStore, MigrationRefused } = await import('../../storage/backup/migrate.js');
      const { BOOTSTRAP_KEY, syncBootstrap } = await import('../bootstrap.js');
      const started = performance.now();
      let copied: number;
      try {
        ({ copied } = await progress.step('copying', () => copyStore(from, to)));
      } catch (err) {
        if (err instanceof MigrationRefused) throw new CliError(err.message);
        throw err;
      }
      // The cluster's CA and admin credentials go along, so existing kubeconfigs keep working.
      if (!(await to.get(BOOTSTRAP_KEY))) {
        const { ensurePki } = await import('../../apiserver/auth/pki.js');
        await syncBootstrap(to, dataDir, () => ensurePki(dataDir));
      }
      const ms = Math.round(performance.now() - started);
      ctx.stdout.write(
        `migrated ${copied} keys from ${source.path} to ${describeDatastore(target)} in ${ms} ms; now start:\n` +
          `  skiff server --data-dir ${dataDir} --datastore etcd --etcd-endpoints ${target.endpoints.join(',')}\n`,
      );
      return 0;
    } finally {
      for (const s of opened.reverse()) await s.close().catch(() => undefined);
      lock.release();
    }
  },
};
