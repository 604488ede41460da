// Checkpoints the WAL of a file-backed SQLite store from a worker thread, so the store's thread never waits for
// a checkpoint: copying the WAL's pages into the database file and the two fsyncs a checkpoint makes (under
// synchronous=NORMAL the only ones) took tens of milliseconds at a time on the thread that serves every
// request. It must not hold store logic; sqlite-store.ts tells it how many writes each commit held.
//
// How it works: the worker has its own connection and runs PASSIVE checkpoints, which never block the
// writer (WAL mode). Once the worker is running, the store's connection stops checkpointing itself
// (wal_autocheckpoint = 0); until then, and again if the worker fails, SQLite's automatic checkpoint does the
// job as before. A PASSIVE checkpoint copies the pages; only a writer can start the WAL over from its first
// frame, and only when everything in it has been copied when its transaction begins, which a busy writer may
// never see. So when the WAL has grown past `restartFrames`, the store's own connection runs one PASSIVE
// checkpoint between batches, copying just the frames committed while the worker's ran (when those are many,
// the worker first runs another; past 4 × restartFrames the store's connection does it regardless), and its
// next write starts the WAL over. Durability is unchanged: a commit is in the WAL before it is acknowledged.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

export interface CheckpointOptions {
  /** Writes committed between checkpoints (about 1.5 WAL frames each). Default 500. */
  everyWrites?: number;
  /** WAL length (frames) beyond which the store's connection lets the WAL start over. Default 8,192 (32 MiB). */
  restartFrames?: number;
}

/** A worker still checkpointing after this long at close is terminated (its connection rolls back nothing). */
const closeTimeoutMs = 10_000;

interface CheckpointReply {
  /** The worker could not open the database and is exiting. */
  fatal?: string;
  log?: number;
  checkpointed?: number;
  error?: string;
}

/** The worker: CommonJS evaluated in the thread (no module hooks needed, whether run from source or built). */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
let db;
try {
  db = new Database(workerData.path, { fileMustExist: true });
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -512'); // a checkpoint copies frames without the page cache
} catch (err) {
  parentPort.postMessage({ fatal: String(err && err.message) });
  parentPort.close();
}
if (db) parentPort.on('message', (msg) => {
  if (msg === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  let reply;
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    reply = { log: r.log, checkpointed: r.checkpointed };
  } catch (err) {
    reply = { error: String(err && err.message) };
  }
  parentPort.postMessage(reply);
});
`;

export class WalCheckpointer {
  private worker: Worker | undefined;
  /** The worker is up and the store's connection no longer checkpoints by itself. */
  private online = false;
  private failed = false;
  private inFlight = false;
  private writesSince = 0;
  /** Writes committed since the running (or last) checkpoint was requested. */
  private writesSinceRequest = 0;
  private settledWaiters: (() => void)[] = [];
  private readonly everyWrites: number;
  private readonly restartFrames: number;
  /** Checkpoints the worker completed, the WAL length (frames) the last one saw, WAL restarts made ready. */
  checkpoints = 0;
  lastLogFrames = 0;
  restarts = 0;

  /**
   * `flush` commits the store's open batch (the store's connection can checkpoint only outside a transaction);
   * `onError` reports a worker failure (the store then checkpoints by itself again).
   */
  constructor(
    private readonly db: Database.Database,
    private readonly flush: () => void,
    private readonly onError: (err: Error) => void,
    opts: CheckpointOptions = {},
  ) {
    this.everyWrites = opts.everyWrites ?? 500;
    this.restartFrames = opts.restartFrames ?? 8_192;
  }

  /** After each commit: how many writes it held. Starts the worker at the first checkpoint due. */
  committed(writes: number): void {
    if (this.failed) return;
    this.writesSince += writes;
    this.writesSinceRequest += writes;
    if (this.inFlight || this.writesSince < this.everyWrites) return;
    this.writesSince = 0;
    try {
      if (this.worker === undefined) this.start();
      else if (this.online) this.request();
    } catch (err) {
      // Never into the store's commit: a worker that cannot start means checkpoints on the store's connection.
      this.fail(asError(err));
    }
  }

  private start(): void {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(workerSource, {
      eval: true,
      execArgv: [],
      workerData: { module, path: this.db.name },
      name: 'sqlite-checkpoint',
      // The thread runs one statement now and then: a small heap is plenty.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 1 },
    });
    worker.unref();
    this.worker = worker;
    worker.on('online', () => {
      if (this.failed) return;
      try {
        this.db.pragma('wal_autocheckpoint = 0');
        this.online = true;
        this.request();
      } catch (err) {
        this.fail(asError(err));
      }
    });
    worker.on('message', (reply: CheckpointReply) => this.replied(reply));
    // An error thrown in the thread may arrive as a plain object (a SqliteError does not clone as an Error).
    worker.on('error', (err: unknown) => this.fail(asError(err, 'sqlite checkpoint worker: ')));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.fail(new Error(`sqlite checkpoint worker exited (code ${code})`));
    });
  }

  private request(): void {
    this.inFlight = true;
    this.writesSinceRequest = 0;
    this.worker!.postMessage('checkpoint');
  }

  private replied(reply: CheckpointReply): void {
    if (reply.fatal !== undefined) {
      this.fail(new Error(`sqlite checkpoint worker: ${reply.fatal}`));
      return;
    }
    let again = false;
    try {
      if (reply.error !== undefined) {
        // A failed checkpoint (I/O) loses nothing: the frames stay in the WAL for the next one.
        this.onError(new Error(`sqlite checkpoint: ${reply.error}`));
        return;
      }
      this.checkpoints++;
      this.lastLogFrames = reply.log ?? 0;
      if (this.lastLogFrames < this.restartFrames || !this.db.open) return;
      if (this.writesSinceRequest > this.everyWrites && this.lastLogFrames < 4 * this.restartFrames) {
        // Much was committed while the worker copied: let it copy that too, rather than this thread.
        again = true;
        return;
      }
      this.flush(); // its commit comes back to committed(), which requests nothing while this one is in flight
      this.db.pragma('wal_checkpoint(PASSIVE)');
      this.restarts++;
    } catch (err) {
      this.onError(asError(err));
    } finally {
      this.inFlight = false;
      if (again && !this.failed) this.request();
      else this.wakeSettled();
    }
  }

  /** Resolves once no checkpoint is starting or running (for tests that need a known WAL state). */
  settled(): Promise<void> {
    if (this.worker === undefined || (this.online && !this.inFlight)) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  private wakeSettled(): void {
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const w of waiters) w();
  }

  /** The worker failed: the store's connection checkpoints by itself again. */
  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.online = false;
    const worker = this.worker;
    this.worker = undefined;
    try {
      if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
    } catch {
      // The connection is failing too; the store reports that on its next write.
    }
    void worker?.terminate();
    this.wakeSettled();
    this.onError(err);
  }

  /** Stops the worker (its connection closed first, so the store's close is the last and checkpoints). */
  async close(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) return;
    this.worker = undefined;
    this.failed = true;
    this.wakeSettled();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('close');
    const timer = setTimeout(() => void worker.terminate(), closeTimeoutMs);
    await exited;
    clearTimeout(timer);
  }
}

function asError(err: unknown, prefix = ''): Error {
  if (err instanceof Error) return prefix ? new Error(`${prefix}${err.message}`, { cause: err }) : err;
  const message = typeof err === 'object' && err !== null && 'message' in err ? String(err.message) : String(err);
  return new Error(`${prefix}${message}`);
}
