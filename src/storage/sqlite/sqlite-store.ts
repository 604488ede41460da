// The embedded SQLite backend of the Store contract (src/storage/store.ts): one global revision per write,
// MVCC history until compaction, watches fed by in-process notification after each commit. It stores opaque
// values; it must not know about Kubernetes kinds. One process owns a database file: revisions are assigned
// in memory, so a second writer process would fail its writes (primary-key clash) rather than corrupt data.
//
// better-sqlite3 is synchronous, so each operation runs to completion inside one JavaScript turn. That is
// what makes the watch catch-up gap-free (read history and subscribe in the same turn) and lets the
// compare-and-swap checks run before the write transaction without a race.
import Database from 'better-sqlite3';
import {
  AlreadyExistsError,
  CompactedError,
  ConflictError,
  NotFoundError,
  StoreError,
  UnavailableError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type Watch,
  type WatchEvent,
  type WatchHandlers,
} from '../store.js';
import { applySchema } from './schema.js';
import { WatchHub } from './watch-hub.js';

/** Revisions compacted per transaction, so a large compaction never blocks the event loop for long. */
const COMPACT_STEP = 5_000;

interface LogRow {
  rev: number;
  key: string;
  deleted: number;
  value: string;
  create_rev: number;
  prev_rev: number;
  prev_value: string | null;
}

/** Keys after `lo` (or from it, when not exclusive) and below `hi` (unbounded when undefined). */
interface KeyRange {
  lo: string;
  exclusive: boolean;
  hi: string | undefined;
}

function bind(range: KeyRange): Record<string, string> {
  return range.hi === undefined ? { lo: range.lo } : { lo: range.lo, hi: range.hi };
}

/**
 * The smallest string greater than every string starting with `prefix`, or undefined when there is none
 * (empty prefix). SQLite compares TEXT by bytes (UTF-8) and this bumps the last UTF-16 unit; the two orders
 * agree for the ASCII keys Kubernetes uses.
 */
export function prefixEnd(prefix: string): string | undefined {
  let p = prefix;
  while (p.length > 0) {
    const last = p.charCodeAt(p.length - 1);
    if (last < 0xffff) return p.slice(0, -1) + String.fromCharCode(last + 1);
    p = p.slice(0, -1);
  }
  return undefined;
}

export class SqliteStore implements Store {
  private rev: number;
  private compacted: number;
  private closed = false;
  private readonly hub = new WatchHub();
  private compactChain: Promise<void> = Promise.resolve();
  private readonly statements = new Map<string, Database.Statement>();

  // Hot-path statements. Column aliases make the row object itself the KeyValue (no copy per read).
  private readonly getStmt: Database.Statement<[string], KeyValue>;
  private readonly insertKvStmt: Database.Statement<[string, number, number]>;
  private readonly updateKvStmt: Database.Statement<[number, string]>;
  private readonly deleteKvStmt: Database.Statement<[string]>;
  private readonly insertLogStmt: Database.Statement<[number, string, number, string, number, number]>;
  private readonly createTx: (key: string, value: string, rev: number) => void;
  private readonly writeTx: (key: string, value: string, rev: number, prev: KeyValue) => void;
  private readonly deleteTx: (key: string, rev: number, prev: KeyValue) => void;

  constructor(private readonly db: Database.Database) {
    applySchema(db);
    this.getStmt = db.prepare(
      `SELECT k.key, l.value, k.create_rev AS createRevision, k.mod_rev AS modRevision
       FROM kv AS k JOIN log AS l ON l.rev = k.mod_rev WHERE k.key = ?`,
    );
    this.insertKvStmt = db.prepare(
      'INSERT INTO kv (key, create_rev, mod_rev) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING',
    );
    this.updateKvStmt = db.prepare('UPDATE kv SET mod_rev = ? WHERE key = ?');
    this.deleteKvStmt = db.prepare('DELETE FROM kv WHERE key = ?');
    this.insertLogStmt = db.prepare(
      'INSERT INTO log (rev, key, deleted, value, create_rev, prev_rev) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.createTx = db.transaction((key: string, value: string, rev: number) => {
      if (this.insertKvStmt.run(key, rev, rev).changes === 0) throw new AlreadyExistsError(key);
      this.insertLogStmt.run(rev, key, 0, value, rev, 0);
    });
    this.writeTx = db.transaction((key: string, value: string, rev: number, prev: KeyValue) => {
      this.updateKvStmt.run(rev, key);
      this.insertLogStmt.run(rev, key, 0, value, prev.createRevision, prev.modRevision);
    });
    this.deleteTx = db.transaction((key: string, rev: number, prev: KeyValue) => {
      this.deleteKvStmt.run(key);
      this.insertLogStmt.run(rev, key, 1, prev.value, prev.createRevision, prev.modRevision);
    });
    const meta = db.prepare("SELECT value FROM meta WHERE name = 'compact_rev'").pluck().get() as number;
    const maxLog = (db.prepare('SELECT max(rev) FROM log').pluck().get() as number | null) ?? 0;
    this.compacted = meta;
    // A trailing delete at or below the compact revision leaves no log row, hence the max.
    this.rev = Math.max(maxLog, meta);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.ensureOpen();
    return this.getStmt.get(key);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.ensureOpen();
    const limit = opts.limit && opts.limit > 0 ? Math.floor(opts.limit) : 0;
    const atRev = opts.revision && opts.revision > 0 ? opts.revision : 0;
    if (atRev > 0 && atRev < this.compacted) throw new CompactedError(atRev, this.compacted);
    const hi = prefixEnd(prefix);
    const exclusive = opts.startAfter !== undefined && opts.startAfter >= prefix;
    const range: KeyRange = { lo: exclusive ? opts.startAfter! : prefix, exclusive, hi };
    // A revision beyond the current one reads the current state (nothing newer exists yet).
    if (atRev > 0 && atRev < this.rev) return this.listAt(atRev, prefix, range, limit);

    const items = this.currentRange(range, limit > 0 ? limit + 1 : -1);
    const revision = this.rev;
    if (limit === 0 || items.length <= limit) return { items, revision, more: false, remaining: 0 };
    items.length = limit;
    const remaining = this.stmt<number>(
      `SELECT count(*) FROM kv WHERE key > @lo${hi === undefined ? '' : ' AND key < @hi'}`,
      true,
    ).get(bind({ lo: items[limit - 1]!.key, exclusive: true, hi })) as number;
    return { items, revision, more: true, remaining };
  }

  /** Current key-values in the range, in key order; limit -1 = all. */
  private currentRange(range: KeyRange, limit: number): KeyValue[] {
    const where = `k.key ${range.exclusive ? '>' : '>='} @lo${range.hi === undefined ? '' : ' AND k.key < @hi'}`;
    return this.stmt<KeyValue>(
      `SELECT k.key, l.value, k.create_rev AS createRevision, k.mod_rev AS modRevision
       FROM kv AS k JOIN log AS l ON l.rev = k.mod_rev WHERE ${where} ORDER BY k.key LIMIT @limit`,
    ).all({ ...bind(range), limit });
  }

  /**
   * The state at an older revision R: the current keys with every write after R undone. A key's first log
   * row after R says what it was at R: nothing (a create) or the put at that row's prev_rev. Cost is
   * O(page + writes under the prefix since R), which suits paginated lists (continue tokens) read soon
   * after their first page.
   */
  private listAt(revision: number, prefix: string, range: KeyRange, limit: number): ListResult {
    const hi = range.hi;
    const changes = this.stmt<{ key: string; prev_rev: number }>(
      `SELECT key, prev_rev FROM log WHERE rev > @rev AND +key >= @prefix${hi === undefined ? '' : ' AND +key < @hi'}
       ORDER BY rev`,
    ).all(hi === undefined ? { rev: revision, prefix } : { rev: revision, prefix, hi });
    const stateAt = new Map<string, number>(); // key → its modRevision at R (0: absent at R)
    for (const c of changes) if (!stateAt.has(c.key)) stateAt.set(c.key, c.prev_rev);
    const restored: string[] = [];
    for (const [key, prevRev] of stateAt) {
      if (prevRev > 0 && (range.exclusive ? key > range.lo : key >= range.lo)) restored.push(key);
    }
    restored.sort();

    const want = limit > 0 ? limit + 1 : Infinity;
    // At most stateAt.size current rows are skipped, so this many suffice to fill the page.
    const current = this.currentRange(range, limit > 0 ? want + stateAt.size : -1);
    const atRevStmt = this.stmt<{ value: string; create_rev: number }>('SELECT value, create_rev FROM log WHERE rev = ?');
    const items: KeyValue[] = [];
    let r = 0;
    const restore = (): void => {
      const key = restored[r++]!;
      const modRevision = stateAt.get(key)!;
      const row = atRevStmt.get(modRevision)!;
      items.push({ key, value: row.value, createRevision: row.create_rev, modRevision });
    };
    for (const kv of current) {
      while (items.length < want && r < restored.length && restored[r]! < kv.key) restore();
      if (items.length >= want) break;
      if (!stateAt.has(kv.key)) items.push(kv);
    }
    while (items.length < want && r < restored.length) restore();
    if (limit === 0 || items.length <= limit) return { items, revision, more: false, remaining: 0 };
    items.length = limit;
    return { items, revision, more: true };
  }

  async count(prefix: string): Promise<number> {
    this.ensureOpen();
    const hi = prefixEnd(prefix);
    if (hi === undefined) return this.stmt<number>('SELECT count(*) FROM kv', true).get() as number;
    return this.stmt<number>('SELECT count(*) FROM kv WHERE key >= ? AND key < ?', true).get(prefix, hi) as number;
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.ensureOpen();
    const rev = this.rev + 1;
    this.run(() => this.createTx(key, value, rev));
    this.rev = rev;
    const kv: KeyValue = { key, value, createRevision: rev, modRevision: rev };
    this.hub.publish({ type: 'put', kv });
    return kv;
  }

  async update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    this.ensureOpen();
    const prev = this.getStmt.get(key);
    if (prev === undefined) throw new NotFoundError(key);
    if (prev.modRevision !== expectedRevision) throw new ConflictError(key, expectedRevision, prev.modRevision);
    const rev = this.rev + 1;
    this.run(() => this.writeTx(key, value, rev, prev));
    this.rev = rev;
    const kv: KeyValue = { key, value, createRevision: prev.createRevision, modRevision: rev };
    this.hub.publish({ type: 'put', kv, prev });
    return kv;
  }

  async delete(key: string, expectedRevision?: number): Promise<{ prev: KeyValue; revision: number }> {
    this.ensureOpen();
    const prev = this.getStmt.get(key);
    if (prev === undefined) throw new NotFoundError(key);
    if (expectedRevision !== undefined && prev.modRevision !== expectedRevision) {
      throw new ConflictError(key, expectedRevision, prev.modRevision);
    }
    const rev = this.rev + 1;
    this.run(() => this.deleteTx(key, rev, prev));
    this.rev = rev;
    this.hub.publish({ type: 'delete', key, revision: rev, prev });
    return { prev, revision: rev };
  }

  async watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Promise<Watch> {
    this.ensureOpen();
    const from = fromRevision > 0 ? fromRevision : 0;
    if (from > 0 && from < this.compacted) throw new CompactedError(from, this.compacted);
    const after = Math.max(this.rev, from);
    const catchUp = from > 0 && from < this.rev ? this.readEvents(prefix, from) : [];
    return this.hub.subscribe(prefix, after, catchUp, handlers);
  }

  async compact(revision: number): Promise<void> {
    this.ensureOpen();
    const run = this.compactChain.then(() => this.compactTo(revision));
    this.compactChain = run.catch(() => undefined);
    return run;
  }

  async currentRevision(): Promise<number> {
    this.ensureOpen();
    return this.rev;
  }

  async compactRevision(): Promise<number> {
    this.ensureOpen();
    return this.compacted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.closeAll();
    await this.compactChain;
    this.db.close();
  }

  /** Events under prefix with revision > from, oldest first (committed history only). */
  private readEvents(prefix: string, from: number): WatchEvent[] {
    const hi = prefixEnd(prefix);
    // "+l.key" keeps the planner on the rowid (revision) range: a catch-up is usually short and recent.
    const sql = `SELECT l.rev, l.key, l.deleted, l.value, l.create_rev, l.prev_rev, p.value AS prev_value
      FROM log AS l LEFT JOIN log AS p ON p.rev = l.prev_rev AND l.deleted = 0
      WHERE l.rev > @from AND +l.key >= @lo${hi === undefined ? '' : ' AND +l.key < @hi'}
      ORDER BY l.rev`;
    const params: Record<string, string | number> = { from, lo: prefix };
    if (hi !== undefined) params.hi = hi;
    const rows = this.stmt<LogRow>(sql).all(params);
    const events: WatchEvent[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (r.deleted) {
        const prev: KeyValue = { key: r.key, value: r.value, createRevision: r.create_rev, modRevision: r.prev_rev };
        events[i] = { type: 'delete', key: r.key, revision: r.rev, prev };
      } else {
        const kv: KeyValue = { key: r.key, value: r.value, createRevision: r.create_rev, modRevision: r.rev };
        events[i] =
          r.prev_value === null
            ? { type: 'put', kv }
            : {
                type: 'put',
                kv,
                prev: { key: r.key, value: r.prev_value, createRevision: r.create_rev, modRevision: r.prev_rev },
              };
      }
    }
    return events;
  }

  /** Compacts in steps of COMPACT_STEP revisions, yielding to the event loop between transactions. */
  private async compactTo(revision: number): Promise<void> {
    const target = Math.min(revision, this.rev);
    // Each row's prev_rev is the key's previous put, so the rows a newly compacted write supersedes are
    // exactly the prev_revs of the rows in (old, to]; older ones went when their successor was compacted.
    const dropSuperseded = this.stmt(
      'DELETE FROM log WHERE rev IN (SELECT prev_rev FROM log WHERE rev > @old AND rev <= @to AND prev_rev > 0)',
    );
    const dropDeletes = this.stmt('DELETE FROM log WHERE rev > @old AND rev <= @to AND deleted = 1');
    const setMeta = this.stmt("UPDATE meta SET value = @to WHERE name = 'compact_rev'");
    const step = this.db.transaction((old: number, to: number) => {
      // Rows superseded by a write at or below `to` are dropped, then deletes at or below `to` themselves:
      // what remains at or below `to` is exactly the newest put of each key, i.e. the state at `to`.
      dropSuperseded.run({ old, to });
      dropDeletes.run({ old, to });
      setMeta.run({ to });
    });
    while (!this.closed && this.compacted < target) {
      const old = this.compacted;
      const to = Math.min(target, old + COMPACT_STEP);
      this.run(() => step(old, to));
      this.compacted = to;
      if (to < target) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private stmt<R>(sql: string, pluck = false): Database.Statement<unknown[], R> {
    const cacheKey = pluck ? `pluck:${sql}` : sql;
    let s = this.statements.get(cacheKey);
    if (s === undefined) {
      s = this.db.prepare(sql);
      if (pluck) s.pluck();
      this.statements.set(cacheKey, s);
    }
    return s as Database.Statement<unknown[], R>;
  }

  /** Runs a write; SQLite failures (busy, I/O, disk full) become UnavailableError, store errors pass. */
  private run(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new UnavailableError(`sqlite: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private ensureOpen(): void {
    if (this.closed) throw new UnavailableError('store is closed');
  }
}

/** Opens (creating if needed) the database at `path`; ":memory:" gives a private in-memory store. */
export async function openSqliteStore(path: string): Promise<SqliteStore> {
  const db = new Database(path);
  try {
    return new SqliteStore(db);
  } catch (err) {
    db.close();
    throw err;
  }
}
