// Which Store the control plane runs on, chosen from command-line options: embedded SQLite in the data
// directory (default) or an etcd cluster (--datastore etcd --etcd-endpoints ...). Opening the store lives
// here so every command (up, server, backup, migrate) picks the datastore the same way. Scheduled backups are
// a property of the datastore and are parsed here too. It must not start servers or components.
import { join, resolve } from 'node:path';
import type { Store } from '../storage/store.js';
import { UsageError, type OptionSpec, type ParsedOptions } from './args.js';

export interface SqliteDatastore {
  kind: 'sqlite';
  /** The database file (DATA_DIR/db/state.db). */
  path: string;
}

export interface EtcdDatastore {
  kind: 'etcd';
  /** Client URLs of the members; requests fail over between them. */
  endpoints: string[];
  /** PEM file paths for TLS with client certificates (any of them turns TLS on). */
  ca?: string;
  cert?: string;
  key?: string;
  /** Prepended to every key (like kube-apiserver's --etcd-prefix); default none: keys are /registry/... */
  prefix?: string;
}

export type DatastoreConfig = SqliteDatastore | EtcdDatastore;

/** `--backup-interval` and friends: periodic backups kept in a directory, oldest pruned. */
export interface BackupSchedule {
  intervalMs: number;
  /** How many backups to keep (the newest). */
  retention: number;
  dir: string;
}

export const datastoreOptions: readonly OptionSpec[] = [
  {
    name: 'datastore',
    type: 'string',
    valueName: 'KIND',
    description: 'where cluster state lives: embedded SQLite in the data dir, or an etcd cluster',
    choices: ['sqlite', 'etcd'],
    default: 'sqlite',
    env: 'SKIFF_DATASTORE',
  },
  {
    name: 'etcd-endpoints',
    type: 'list',
    valueName: 'URL,...',
    description: 'etcd client URLs (with --datastore etcd), e.g. https://10.0.0.1:2379,https://10.0.0.2:2379',
    env: 'SKIFF_ETCD_ENDPOINTS',
  },
  { name: 'etcd-ca', type: 'string', valueName: 'FILE', description: 'CA bundle that signed the etcd members\' certificates' },
  { name: 'etcd-cert', type: 'string', valueName: 'FILE', description: 'client certificate for etcd' },
  { name: 'etcd-key', type: 'string', valueName: 'FILE', description: 'key of the etcd client certificate' },
  {
    name: 'etcd-prefix',
    type: 'string',
    valueName: 'PREFIX',
    description: 'prefix for every key Skiff writes to etcd (share one etcd between clusters)',
    default: '',
  },
];

/** Scheduled backups: rows for `skiff up` / `skiff server`. */
export const backupScheduleOptions: readonly OptionSpec[] = [
  {
    name: 'backup-interval',
    type: 'string',
    valueName: 'DURATION',
    description: 'take a backup of the datastore this often, e.g. 6h or 30m (0 = never)',
    default: '0',
  },
  { name: 'backup-retention', type: 'int', valueName: 'N', description: 'scheduled backups to keep (oldest removed)', default: 5, min: 1 },
  { name: 'backup-dir', type: 'string', valueName: 'DIR', description: 'where scheduled backups go [default: DATA_DIR/backups]' },
];

/** The datastore a command's options describe (SQLite under DATA_DIR/db unless told otherwise). */
export function datastoreConfig(opts: ParsedOptions, dataDir: string): DatastoreConfig {
  const kind = opts.optionalString('datastore') ?? 'sqlite';
  if (kind !== 'etcd') {
    if (opts.explicit.has('etcd-endpoints')) throw new UsageError('--etcd-endpoints needs --datastore etcd');
    return { kind: 'sqlite', path: join(dataDir, 'db', 'state.db') };
  }
  return etcdDatastoreConfig(opts, '--datastore etcd');
}

/** The etcd datastore the --etcd-* options describe (`needer` names the flag that asked for etcd). */
export function etcdDatastoreConfig(opts: ParsedOptions, needer: string): EtcdDatastore {
  const endpoints = opts.list('etcd-endpoints');
  if (endpoints.length === 0) throw new UsageError(`${needer} needs --etcd-endpoints URL,...`);
  for (const e of endpoints) {
    if (!/^https?:\/\/[^/]+\/?$/.test(e)) {
      throw new UsageError(`--etcd-endpoints: "${e}" is not a client URL like https://127.0.0.1:2379`);
    }
  }
  const file = (name: string) => {
    const v = opts.optionalString(name);
    return v === undefined || v === '' ? undefined : resolve(v);
  };
  const prefix = opts.optionalString('etcd-prefix');
  return {
    kind: 'etcd',
    endpoints: endpoints.map((e) => e.replace(/\/$/, '')),
    ca: file('etcd-ca'),
    cert: file('etcd-cert'),
    key: file('etcd-key'),
    ...(prefix ? { prefix } : {}),
  };
}

/** The schedule the options ask for, or undefined when scheduled backups are off. */
export function backupSchedule(opts: ParsedOptions, dataDir: string): BackupSchedule | undefined {
  const raw = opts.optionalString('backup-interval') ?? '0';
  const intervalMs = parseDuration(raw, '--backup-interval');
  if (intervalMs === 0) return undefined;
  if (intervalMs < 1000) throw new UsageError(`--backup-interval must be at least 1s, not "${raw}"`);
  const dir = opts.optionalString('backup-dir');
  return { intervalMs, retention: opts.int('backup-retention'), dir: dir ? resolve(dir) : join(dataDir, 'backups') };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations as upstream's flags take them: "15s", "1m30s", "500ms", "2h"; a bare "0" is zero. */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim();
  if (t === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== t.length) throw new UsageError(`${flag} must be a duration like 15s, 2m or 1h30m, not "${text}"`);
  return Math.round(total);
}

export function describeDatastore(cfg: DatastoreConfig): string {
  if (cfg.kind === 'sqlite') return `store ${cfg.path}`;
  const tls = cfg.cert || cfg.ca ? ' (TLS)' : '';
  return `etcd ${cfg.endpoints.join(',')}${tls}`;
}

export async function openDatastore(cfg: DatastoreConfig): Promise<Store> {
  if (cfg.kind === 'etcd') {
    const { openEtcdStore } = await import('../storage/etcd/etcd-store.js');
    return openEtcdStore({ endpoints: cfg.endpoints, ca: cfg.ca, cert: cfg.cert, key: cfg.key, prefix: cfg.prefix });
  }
  const { openSqliteStore } = await import('../storage/sqlite/sqlite-store.js');
  return openSqliteStore(cfg.path);
}

/**
 * One backup of the datastore into `outFile`: SQLite through an online consistent copy (safe while a server
 * writes), etcd through a maintenance-API snapshot. Resolves with the revision the backup holds.
 */
export async function backupDatastore(cfg: DatastoreConfig, outFile: string): Promise<{ revision: number | undefined; bytes: number }> {
  if (cfg.kind === 'etcd') {
    const { saveEtcdSnapshot } = await import('../storage/backup/etcd-snapshot.js');
    return saveEtcdSnapshot({ endpoints: cfg.endpoints, ca: cfg.ca, cert: cfg.cert, key: cfg.key }, outFile);
  }
  const { backupSqlite } = await import('../storage/backup/sqlite-backup.js');
  return backupSqlite(cfg.path, outFile);
}
