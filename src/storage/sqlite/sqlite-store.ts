// The embedded SQLite backend of the Store contract (src/storage/store.ts): one global revision per write,
// MVCC history until compaction, watches fed by in-process notification after each commit. It stores opaque
// values; it must not know about Kubernetes kinds. One process owns a database file: revisions are assigned
// in memory, so a second writer process would fail its writes (primary-key clash) rather than corrupt data.
//
// better-sqlite3 is synchronous, so each operation runs to completion inside one JavaScript turn. That is
// what makes the watch catch-up gap-free (read history and subscribe in the same turn) and lets the
// compare-and-swap checks run right before a write's statements without a race.
//
// Group commit: a write's statements run at once inside the open batch transaction (BEGIN on the first write
// of a turn), so a later write in the batch sees the earlier ones (its compare-and-swap, AlreadyExists and
// revision). The batch commits once, at the end of the event-loop turn (setImmediate), or sooner when a read
// needs committed data or the batch is full. Only then are its writes answered (a promise settles after
// COMMIT, so an acknowledged write is in the WAL exactly as with one transaction per write) and its watch
// events published, in revision order. A write that fails its check (conflict, not found, already exists)
// changed nothing and is answered with the batch; a failing COMMIT or statement rolls the whole batch back:
// every write of it fails with UnavailableError, the revision returns to the last committed one and no event
// is published. Reads never see an uncommitted write: get, list, count and watch commit the open batch
// first, and currentRevision is the last committed revision.
//
// The WAL of a file database is checkpointed from a worker thread (wal-checkpointer.ts), so this thread does
// not wait for checkpoint copies and fsyncs.
//
// An update writes its log row only: the key's new revision is kept in memory (`index`, the keys updated
// last) and written back to kv.mod_rev once INDEX_KEEP + INDEX_SLACK keys are held or the oldest lags
// INDEX_MAX_LAG revisions behind (the oldest ones, with the batch that commits then), before compacting and at
// close (schema.ts: index_rev). One kv page less per update shrinks what a small batch appends to the WAL
// (and what the checkpoint copies), a key updated again soon (a pod's binding and status writes) needs no read
// for its compare-and-swap and costs one kv write for all of them. Reads overlay the in-memory revisions.
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
import { WalCheckpointer, type CheckpointOptions } from './wal-checkpointer.js';
import { WatchHub } from './watch-hub.js';

export interface SqliteStoreOptions {
  /** How the WAL of a file database is checkpointed from a worker thread (see wal-checkpointer.ts). */
  checkpoint?: CheckpointOptions;
}

/** Revisions compacted per transaction, so a large compaction never blocks the event loop for long. */
const COMPACT_STEP = 5_000;
/** Writes per group commit at most; a fuller turn commits early and starts another batch. */
export const MAX_BATCH = 512;
/** Updated keys whose revisions stay in memory after a write-back (the most recently updated). */
export const INDEX_KEEP = 4096;
/** Keys beyond INDEX_KEEP that trigger a write-back: one every this many newly written keys at most. */
export const INDEX_SLACK = 512;
/** Revisions the oldest key held may lag behind: bounds the replay at open (puts after index_rev). */
export const INDEX_MAX_LAG = 16_384;

/** An updated key's revisions as this process wrote them last (an entry of SqliteStore's `index`). */
interface Revisions {
  createRevision: number;
  /** kv.mod_rev on disk is older: the entry's write-back writes this. */
  modRevision: number;
  /** The revision of the write that made the entry (the index is in this order). */
  readonly since: number;
}

/** A write of the open batch, answered after COMMIT: its result, or the store error its check gave. */
interface BatchedWrite {
  resolve(value: unknown): void;
  reject(err: Error): void;
  result: unknown;
  error: StoreError | undefined;
}

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
  /** Revision of the last write, committed or in the open batch. */
  private rev: number;
  /** Revision of the last committed write (what readers and watchers have seen). */
  private committedRev: number;
  private compacted: number;
  /** A batch transaction is open (BEGIN ran); its writes wait in `batch`, its events in `batchEvents`. */
  private inBatch = false;
  private batch: BatchedWrite[] = [];
  private batchEvents: WatchEvent[] = [];
  private commitScheduled = false;
  private closed = false;
  private readonly hub = new WatchHub();
  /**
   * Keys updated lately (committed or in the open batch), whose kv.mod_rev is stale: their current revisions,
   * in the order the entries were made (`since`; a later update changes its key's entry in place); a key
   * deleted is not here. A key not here has an exact kv row (or none). index_rev is below the oldest entry's
   * `since`, so below every stale key's last put.
   */
  private index = new Map<string, Revisions>();
  /**
   * At most the `since` of the index's oldest entry (Infinity when empty), so the commit's check needs no
   * look at the map (whose front, after a write-back, is deleted slots until it is rehashed).
   */
  private indexOldest = Infinity;
  /**
   * How to undo the open batch's changes to the index, the first `undoCount` of each, newest last: the key,
   * its entry before the change (undefined: it had none) and that entry's modRevision then.
   * The arrays are reused from batch to batch (slots past undoCount are stale).
   */
  private undoCount = 0;
  private readonly undoKeys: string[] = [];
  private readonly undoEntries: (Revisions | undefined)[] = [];
  private readonly undoMods: number[] = [];
  private compactChain: Promise<void> = Promise.resolve();
  private readonly statements = new Map<string, Database.Statement>();
  /** Checkpoints the WAL off this thread; undefined for an in-memory database. */
  readonly checkpointer: WalCheckpointer | undefined;

  // Hot-path statements. Column aliases make the row object itself the KeyValue (no copy per read).
  private readonly getStmt: Database.Statement<[string], KeyValue>;
  /** A key's revisions without its value: an update needs only these (reading the value costs a log lookup). */
  private readonly revisionsStmt: Database.Statement<[string], { createRevision: number; modRevision: number }>;
  private readonly insertKvStmt: Database.Statement<[string, number, number]>;
  private readonly updateKvStmt: Database.Statement<[number, string]>;
  private readonly logValueStmt: Database.Statement<[number], string>;
  private readonly setIndexRevStmt: Database.Statement<[number]>;
  private readonly deleteKvStmt: Database.Statement<[string]>;
  private readonly insertLogStmt: Database.Statement<[number, string, number, string, number, number]>;
  private readonly beginStmt: Database.Statement<[]>;
  private readonly commitStmt: Database.Statement<[]>;
  private readonly rollbackStmt: Database.Statement<[]>;

  constructor(
    private readonly db: Database.Database,
    opts: SqliteStoreOptions = {},
  ) {
    applySchema(db);
    this.checkpointer = db.memory
      ? undefined
      : new WalCheckpointer(db, () => this.commit(), (err) => process.emitWarning(err), opts.checkpoint);
    this.getStmt = db.prepare(
      `SELECT k.key, l.value, k.create_rev AS createRevision, k.mod_rev AS modRevision
       FROM kv AS k JOIN log AS l ON l.rev = k.mod_rev WHERE k.key = ?`,
    );
    this.revisionsStmt = db.prepare('SELECT create_rev AS createRevision, mod_rev AS modRevision FROM kv WHERE key = ?');
    this.insertKvStmt = db.prepare(
      'INSERT INTO kv (key, create_rev, mod_rev) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING',
    );
    this.updateKvStmt = db.prepare('UPDATE kv SET mod_rev = ? WHERE key = ?');
    this.logValueStmt = db.prepare<[number], string>('SELECT value FROM log WHERE rev = ?').pluck();
    this.setIndexRevStmt = db.prepare("UPDATE meta SET value = ? WHERE name = 'index_rev'");
    this.deleteKvStmt = db.prepare('DELETE FROM kv WHERE key = ?');
    this.insertLogStmt = db.prepare(
      'INSERT INTO log (rev, key, deleted, value, create_rev, prev_rev) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.beginStmt = db.prepare('BEGIN');
    this.commitStmt = db.prepare('COMMIT');
    this.rollbackStmt = db.prepare('ROLLBACK');
    const meta = db.prepare("SELECT value FROM meta WHERE name = 'compact_rev'").pluck().get() as number;
    const maxLog = (db.prepare('SELECT max(rev) FROM log').pluck().get() as number | null) ?? 0;
    this.compacted = meta;
    // A trailing delete at or below the compact revision leaves no log row, hence the max.
    this.rev = Math.max(maxLog, meta);
    this.committedRev = this.rev;
    this.replayIndex();
  }

  /**
   * Brings kv.mod_rev up to date with the puts logged after index_rev (updates of a process that ended before
   * writing its index back). Rows of a key's earlier life (before a delete and re-create) are older than its
   * kv row and change nothing.
   */
  private replayIndex(): void {
    const from = this.db.prepare("SELECT value FROM meta WHERE name = 'index_rev'").pluck().get() as number;
    if (from >= this.rev) return;
    // About INDEX_MAX_LAG + MAX_BATCH rows at most.
    const puts = this.db.prepare('SELECT rev, key FROM log WHERE rev > ? AND deleted = 0 ORDER BY rev').raw().all(from) as [number, string][];
    const advance = this.db.prepare('UPDATE kv SET mod_rev = ? WHERE key = ? AND mod_rev < ?');
    this.db.transaction(() => {
      for (const [rev, key] of puts) advance.run(rev, key, rev);
      this.setIndexRevStmt.run(this.rev);
    })();
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.ensureOpen();
    this.commit();
    return this.current(key);
  }

  /** The key's current KeyValue (committed or in the open batch), kv's row with the in-memory revision. */
  private current(key: string): KeyValue | undefined {
    const r = this.index.get(key);
    if (r === undefined) return this.getStmt.get(key);
    return { key, value: this.logValueStmt.get(r.modRevision)!, createRevision: r.createRevision, modRevision: r.modRevision };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.ensureOpen();
    this.commit();
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
    const items = this.stmt<KeyValue>(
      `SELECT k.key, l.value, k.create_rev AS createRevision, k.mod_rev AS modRevision
       FROM kv AS k JOIN log AS l ON l.rev = k.mod_rev WHERE ${where} ORDER BY k.key LIMIT @limit`,
    ).all({ ...bind(range), limit });
    if (this.index.size > 0) {
      for (const kv of items) {
        const r = this.index.get(kv.key);
        if (r === undefined || r.modRevision === kv.modRevision) continue;
        kv.value = this.logValueStmt.get(r.modRevision)!;
        kv.modRevision = r.modRevision;
      }
    }
    return items;
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
    this.commit();
    const hi = prefixEnd(prefix);
    if (hi === undefined) return this.stmt<number>('SELECT count(*) FROM kv', true).get() as number;
    return this.stmt<number>('SELECT count(*) FROM kv WHERE key >= ? AND key < ?', true).get(prefix, hi) as number;
  }

  create(key: string, value: string): Promise<KeyValue> {
    return this.write(() => {
      const rev = this.rev + 1;
      if (this.insertKvStmt.run(key, rev, rev).changes === 0) throw new AlreadyExistsError(key);
      this.insertLogStmt.run(rev, key, 0, value, rev, 0);
      this.rev = rev;
      // kv is exact for a created key: nothing to hold (a key never updated, an Event, costs no entry).
      const kv: KeyValue = { key, value, createRevision: rev, modRevision: rev };
      this.batchEvents.push({ type: 'put', kv });
      return kv;
    });
  }

  update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    return this.write(() => {
      const prev = this.index.get(key) ?? this.revisionsStmt.get(key);
      if (prev === undefined) throw new NotFoundError(key);
      if (prev.modRevision !== expectedRevision) throw new ConflictError(key, expectedRevision, prev.modRevision);
      const rev = this.rev + 1;
      // kv.mod_rev is written back later (writeBackOldest). noteUpdate changes prev if it is the index's entry.
      this.insertLogStmt.run(rev, key, 0, value, prev.createRevision, prev.modRevision);
      this.rev = rev;
      this.noteUpdate(key, prev.createRevision, rev);
      const kv: KeyValue = { key, value, createRevision: prev.createRevision, modRevision: rev };
      // No `prev` (optional in the contract): nothing reads it, and fetching it was a log read per update.
      this.batchEvents.push({ type: 'put', kv });
      return kv;
    });
  }

  delete(key: string, expectedRevision?: number): Promise<{ prev: KeyValue; revision: number }> {
    return this.write(() => {
      const prev = this.current(key);
      if (prev === undefined) throw new NotFoundError(key);
      if (expectedRevision !== undefined && prev.modRevision !== expectedRevision) {
        throw new ConflictError(key, expectedRevision, prev.modRevision);
      }
      const rev = this.rev + 1;
      this.deleteKvStmt.run(key);
      this.insertLogStmt.run(rev, key, 1, prev.value, prev.createRevision, prev.modRevision);
      this.rev = rev;
      this.forgetKey(key);
      this.batchEvents.push({ type: 'delete', key, revision: rev, prev });
      return { prev, revision: rev };
    });
  }

  /**
   * Runs one write's check and statements inside the open batch (opening it if needed) and answers it when
   * the batch commits. `op` throws a StoreError only before changing anything; any other error means SQLite
   * failed mid-batch, and the whole batch is rolled back.
   */
  private write<T>(op: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new UnavailableError('store is closed'));
    if (!this.inBatch) {
      try {
        this.beginStmt.run();
      } catch (err) {
        return Promise.reject(unavailable(err));
      }
      this.inBatch = true;
      if (!this.commitScheduled) {
        this.commitScheduled = true;
        setImmediate(this.commitAtTurnEnd);
      }
    }
    let result: T | undefined;
    let error: StoreError | undefined;
    try {
      result = op();
    } catch (err) {
      if (!(err instanceof StoreError)) {
        const failure = unavailable(err);
        this.abortBatch(failure);
        return Promise.reject(failure);
      }
      error = err;
    }
    const answer = new Promise<T>((resolve, reject) => {
      this.batch.push({ resolve: resolve as (value: unknown) => void, reject, result, error });
    });
    if (this.batch.length >= MAX_BATCH) this.commit();
    return answer;
  }

  private readonly commitAtTurnEnd = (): void => {
    this.commitScheduled = false;
    this.commit();
  };

  /** An update of the open batch put the key at `rev` (kv.mod_rev is stale). No allocation for a key held. */
  private noteUpdate(key: string, createRevision: number, rev: number): void {
    const r = this.index.get(key);
    this.pushUndo(key, r);
    if (r === undefined) {
      this.index.set(key, { createRevision, modRevision: rev, since: rev });
      if (this.indexOldest === Infinity) this.indexOldest = rev;
    } else r.modRevision = rev;
  }

  /** A write of the open batch deleted the key (kv has no row for it any more). */
  private forgetKey(key: string): void {
    const r = this.index.get(key);
    if (r === undefined) return;
    this.pushUndo(key, r);
    this.index.delete(key);
  }

  private pushUndo(key: string, r: Revisions | undefined): void {
    const i = this.undoCount++;
    this.undoKeys[i] = key;
    this.undoEntries[i] = r;
    this.undoMods[i] = r === undefined ? 0 : r.modRevision;
  }

  private clearUndo(): void {
    this.undoCount = 0;
  }

  /**
   * Inside the open batch: when the index holds INDEX_KEEP + INDEX_SLACK keys, or its oldest entry lags
   * INDEX_MAX_LAG revisions behind, writes the oldest entries back to kv (down to INDEX_KEEP keys and half
   * that lag) and index_rev below the oldest left. Undone with the batch if it rolls back.
   */
  private writeBackOldest(): void {
    if (this.index.size < INDEX_KEEP + INDEX_SLACK && this.indexOldest > this.rev - INDEX_MAX_LAG) return;
    const lagged = this.rev - INDEX_MAX_LAG / 2;
    let left: Revisions | undefined;
    for (const key of this.index.keys()) {
      const r = this.index.get(key)!;
      if (this.index.size <= INDEX_KEEP && r.since > lagged) {
        left = r;
        break;
      }
      this.updateKvStmt.run(r.modRevision, key);
      this.pushUndo(key, r);
      this.index.delete(key);
    }
    this.setIndexRevStmt.run(left === undefined ? this.rev : left.since - 1);
    this.indexOldest = left === undefined ? Infinity : left.since;
  }

  /** Writes every stale kv.mod_rev back and index_rev, inside the caller's transaction; then `forgetIndex`. */
  private writeBackAll(): void {
    for (const [key, r] of this.index) this.updateKvStmt.run(r.modRevision, key);
    this.setIndexRevStmt.run(this.rev);
  }

  private forgetIndex(): void {
    this.index.clear();
    this.indexOldest = Infinity;
  }

  /** Commits the open batch (if any), then publishes its events in revision order and answers its writes. */
  private commit(): void {
    if (!this.inBatch) return;
    try {
      this.writeBackOldest();
      this.commitStmt.run();
    } catch (err) {
      this.abortBatch(unavailable(err));
      return;
    }
    const writes = this.batch;
    const events = this.batchEvents;
    this.inBatch = false;
    this.batch = [];
    this.batchEvents = [];
    this.clearUndo();
    this.committedRev = this.rev;
    this.checkpointer?.committed(writes.length);
    for (let i = 0; i < events.length; i++) this.hub.publish(events[i]!);
    for (let i = 0; i < writes.length; i++) {
      const w = writes[i]!;
      if (w.error === undefined) w.resolve(w.result);
      else w.reject(w.error);
    }
  }

  /** The index as it was when the open batch began. */
  private restoreIndex(): void {
    const keys = this.undoKeys;
    if (this.undoCount === 0) return;
    for (let i = this.undoCount - 1; i >= 0; i--) {
      const r = this.undoEntries[i];
      if (r === undefined) {
        this.index.delete(keys[i]!);
        continue;
      }
      r.modRevision = this.undoMods[i]!;
      if (!this.index.has(keys[i]!)) this.index.set(keys[i]!, r);
    }
    this.clearUndo();
    // Entries deleted in the batch went back in at the end: into `since` order again.
    this.index = new Map([...this.index].sort((x, y) => x[1].since - y[1].since));
    this.indexOldest = this.index.values().next().value?.since ?? Infinity;
  }

  /** The open batch failed: roll it back and fail every write of it; nothing of it is published. */
  private abortBatch(failure: UnavailableError): void {
    const writes = this.batch;
    this.inBatch = false;
    this.batch = [];
    this.batchEvents = [];
    this.rev = this.committedRev;
    this.restoreIndex();
    // SQLite may already have rolled back (e.g. after SQLITE_FULL); otherwise undo the batch here.
    if (this.db.inTransaction) {
      try {
        this.rollbackStmt.run();
      } catch {
        // Nothing more can be undone; the next BEGIN reports whatever state the connection is in.
      }
    }
    for (let i = 0; i < writes.length; i++) writes[i]!.reject(failure);
  }

  async watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Promise<Watch> {
    this.ensureOpen();
    this.commit();
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

  /** The last committed revision: writes still in the open batch are not acknowledged yet. */
  async currentRevision(): Promise<number> {
    this.ensureOpen();
    return this.committedRev;
  }

  async compactRevision(): Promise<number> {
    this.ensureOpen();
    return this.compacted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.commit();
    this.closed = true;
    this.hub.closeAll();
    await this.compactChain;
    if (this.index.size > 0) {
      try {
        this.db.transaction(() => this.writeBackAll())();
        this.forgetIndex();
      } catch {
        // The log holds every write: the next open replays what kv missed.
      }
    }
    await this.checkpointer?.close();
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
    this.commit();
    const target = Math.min(revision, this.committedRev);
    // Each row's prev_rev is the key's previous put, so the rows a newly compacted write supersedes are
    // exactly the prev_revs of the rows in (old, to]; older ones went when their successor was compacted.
    const dropSuperseded = this.stmt(
      'DELETE FROM log WHERE rev IN (SELECT prev_rev FROM log WHERE rev > @old AND rev <= @to AND prev_rev > 0)',
    );
    const dropDeletes = this.stmt('DELETE FROM log WHERE rev > @old AND rev <= @to AND deleted = 1');
    const setMeta = this.stmt("UPDATE meta SET value = @to WHERE name = 'compact_rev'");
    const step = this.db.transaction((old: number, to: number) => {
      // kv exact first: a stale mod_rev may point at a row this step drops (see schema.ts, index_rev).
      this.writeBackAll();
      // Rows superseded by a write at or below `to` are dropped, then deletes at or below `to` themselves:
      // what remains at or below `to` is exactly the newest put of each key, i.e. the state at `to`.
      dropSuperseded.run({ old, to });
      dropDeletes.run({ old, to });
      setMeta.run({ to });
    });
    while (!this.closed && this.compacted < target) {
      const old = this.compacted;
      const to = Math.min(target, old + COMPACT_STEP);
      this.commit(); // a step is its own transaction, never part of a batch of writes
      this.run(() => step(old, to));
      this.forgetIndex();
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

  /** Runs a compaction step; SQLite failures (busy, I/O, disk full) become UnavailableError. */
  private run(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      throw unavailable(err);
    }
  }

  private ensureOpen(): void {
    if (this.closed) throw new UnavailableError('store is closed');
  }
}

/** A SQLite failure (busy, I/O, disk full) as the store reports it; store errors pass unchanged. */
function unavailable(err: unknown): UnavailableError {
  if (err instanceof UnavailableError) return err;
  return new UnavailableError(`sqlite: ${err instanceof Error ? err.message : String(err)}`);
}

/** Opens (creating if needed) the database at `path`; ":memory:" gives a private in-memory store. */
export async function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
  const db = new Database(path);
  try {
    return new SqliteStore(db, opts);
  } catch (err) {
    db.close();
    throw err;
  }
}
