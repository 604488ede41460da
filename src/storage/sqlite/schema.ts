// The on-disk layout of the SQLite store: tables, indexes and connection settings. It must not contain
// store logic (revisions, watches); sqlite-store.ts owns that.
//
// Tables
//   log  – one row per write (the MVCC history). A put row holds the new value; a delete row holds the value
//          that was deleted, so delete events are self-contained. prev_rev is the key's modRevision before
//          this write (0 for a create): it links each row to the key's previous put, which gives updates
//          their `prev`, lets historical lists undo later writes, and lets compaction find superseded rows
//          without a (key, rev) index.
//   kv   – the live keys: key → create_rev, mod_rev. The current value is the log row at mod_rev, so each
//          value is written once (the log append) and a write touches two B-trees, not four.
//   meta – small named integers: the compact revision, and index_rev (below).
// Invariant: every write with revision > compact_rev has a log row; at or below compact_rev the log keeps,
// per key, only the newest row and only if it is a put (the state at compact_rev, and every current value).
//
// kv.mod_rev is written back (version 2): an update appends its log row only, and the store keeps the
// revisions of the keys it wrote last in memory, writing the oldest back to kv a few hundred at a time (all of
// them before every compaction and at close), with index_rev in the same transaction: every key whose kv row
// is stale has had a put after index_rev. After a crash, opening the store replays the puts after index_rev
// into kv. Compaction writes everything back first, so the log rows stale mod_revs point at, and every row
// after index_rev, are still there.
import type Database from 'better-sqlite3';

/** 2: kv.mod_rev written back (index_rev); a version-1 database's kv is exact, so its index_rev is its last revision. */
export const SCHEMA_VERSION = 2;

const DDL = `
CREATE TABLE IF NOT EXISTS kv (
  key        TEXT    NOT NULL PRIMARY KEY,
  create_rev INTEGER NOT NULL,
  mod_rev    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log (
  rev        INTEGER NOT NULL PRIMARY KEY,
  key        TEXT    NOT NULL,
  deleted    INTEGER NOT NULL,
  value      TEXT    NOT NULL,
  create_rev INTEGER NOT NULL,
  prev_rev   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
  name  TEXT    NOT NULL PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT OR IGNORE INTO meta (name, value) VALUES ('compact_rev', 0);
INSERT OR IGNORE INTO meta (name, value) SELECT 'index_rev', coalesce(max(rev), 0) FROM log;
`;

/**
 * Connection settings, then the schema.
 *
 * Durability: WAL journal with synchronous=NORMAL. A commit appends its pages to the WAL file with write(2)
 * before better-sqlite3 returns, so the data is in the operating system's page cache and survives the
 * process being killed (kill -9, crash, OOM). Only an OS crash or power loss can lose the last commits
 * (never corrupt the database), because NORMAL fsyncs at checkpoints rather than at every commit. That
 * trade is what lets the store commit tens of thousands of writes per second on ordinary disks.
 */
export function applySchema(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('temp_store = MEMORY');
  db.pragma('cache_size = -32768'); // 32 MiB page cache
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`database schema version ${version} is newer than this Skiff understands (${SCHEMA_VERSION})`);
  }
  db.exec(DDL);
  if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
}
