// `skiff backup --out FILE`: one backup of the cluster's datastore, taken while servers keep running.
// SQLite (the data dir's database): an online consistent copy; etcd: a snapshot through the maintenance API,
// the same file `etcdctl snapshot save` writes. `skiff restore` turns either back into a data directory.

import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { dataDirOption } from '../options.js';
import { backupDatastore, datastoreConfig, datastoreOptions, describeDatastore } from '../datastore.js';

export const backupCommand: Command = {
  name: 'backup',
  summary: 'save a consistent copy of the cluster state to a file (online)',
  details:
    'With the default SQLite datastore, copies DATA_DIR/db/state.db while the server keeps serving.\n' +
    'With --datastore etcd, saves an etcd snapshot (restorable with `skiff restore` or `etcdctl snapshot restore`).\n' +
    'Prints the revision (resourceVersion) the backup holds.',
  options: [
    { name: 'out', short: 'o', type: 'string', valueName: 'FILE', description: 'file to write (replaced if present)' },
    dataDirOption,
    ...datastoreOptions,
  ],
  async run(opts, ctx) {
    const out = opts.optionalString('out');
    if (!out) throw new CliError('--out FILE is required: where to write the backup', 2);
    const cfg = datastoreConfig(opts, resolve(opts.string('data-dir')));
    const file = resolve(out);
    const started = performance.now();
    let result: { revision: number | undefined; bytes: number };
    try {
      result = await backupDatastore(cfg, file);
    } catch (err) {
      throw new CliError(`backup of ${describeDatastore(cfg)} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    const ms = Math.round(performance.now() - started);
    ctx.stdout.write(
      `backup of ${describeDatastore(cfg)} written to ${file}: ${result.bytes} bytes, ` +
        `revision ${result.revision ?? 'unknown'}, ${ms} ms\n`,
    );
    return 0;
  },
};
