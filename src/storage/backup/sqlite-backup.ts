// Online, consistent backup of the SQLite store while a server keeps writing to it (from this or another
// process): `VACUUM INTO` copies the database as of one read transaction, which in WAL mode never blocks the
// writer, into a new compact file. (The page-by-page backup API restarts whenever another connection writes,
// so under steady load it may never finish.) The copy is itself a store database: restoring is a file copy.
// It must not change the source database.
import Database from 'better-sqlite3';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { openSqliteStore } from '../sqlite/sqlite-store.js';

export interface BackupResult {
  /** Store revision the backup holds: every write up to it, none after. */
  revision: number;
  bytes: number;
}

export async function backupSqlite(dbPath: string, outFile: string): Promise<BackupResult> {
  if (!existsSync(dbPath)) throw new Error(`no SQLite datastore at ${dbPath}`);
  const tmp = `${outFile}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  const src = new Database(dbPath, { fileMustExist: true });
  try {
    src.pragma('busy_timeout = 10000');
    src.prepare('VACUUM INTO ?').run(tmp);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    src.close();
  }
  try {
    const revision = await sqliteRevision(tmp);
    renameSync(tmp, outFile);
    return { revision, bytes: statSync(outFile).size };
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** The store revision of a SQLite datastore file (opened through the store, which also checks it). */
export async function sqliteRevision(path: string): Promise<number> {
  const store = await openSqliteStore(path);
  try {
    return await store.currentRevision();
  } finally {
    await store.close();
  }
}
