// Which Store the control plane runs on, chosen from command-line options: embedded SQLite in the data
// directory (default) or etcd. Opening the store lives here so every command (up, server, backup, migrate)
// picks the datastore the same way. It must not start servers or components.
import { join } from 'node:path';
import type { Store } from '../storage/store.js';
import type { OptionSpec, ParsedOptions } from './args.js';

export type DatastoreConfig = { kind: 'sqlite'; path: string };

export const datastoreOptions: readonly OptionSpec[] = [];

/** The datastore a command's options describe (SQLite under DATA_DIR/db unless told otherwise). */
export function datastoreConfig(_opts: ParsedOptions, dataDir: string): DatastoreConfig {
  return { kind: 'sqlite', path: join(dataDir, 'db', 'state.db') };
}

export function describeDatastore(cfg: DatastoreConfig): string {
  return `store ${cfg.path}`;
}

export async function openDatastore(cfg: DatastoreConfig): Promise<Store> {
  const { openSqliteStore } = await import('../storage/sqlite/sqlite-store.js');
  return openSqliteStore(cfg.path);
}
