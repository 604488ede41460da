// SqliteStore group commit: writes issued in one event-loop turn share one transaction and must give exactly
// what they give one by one (results, errors, revisions, watch events); they are answered only after COMMIT;
// a failing statement or COMMIT fails the whole batch and publishes nothing; reads see committed data only.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { MAX_BATCH, openSqliteStore, SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { eventRevision } from '../../src/storage/sqlite/watch-hub.js';
import { UnavailableError, type KeyValue, type Store, type WatchEvent } from '../../src/storage/store.js';

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

function memoryStore(): { store: SqliteStore; db: Database.Database } {
  const db = new Database(':memory:');
  return { store: new SqliteStore(db), db };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type Outcome = { ok: unknown } | { error: string; message: string };

function outcome(r: PromiseSettledResult<unknown>): Outcome {
  if (r.status === 'fulfilled') return { ok: r.value };
  const err = r.reason as Error;
  return { error: err.name, message: err.message };
}

interface Setup {
  /** Revision after the setup writes. */
  base: number;
  b: KeyValue;
  c: KeyValue;
}

async function setUp(store: Store): Promise<Setup> {
  const b = await store.create('/g/b', 'b1');
  const c0 = await store.create('/g/c', 'c1');
  const c = await store.update('/g/c', 'c2', c0.modRevision);
  return { base: await store.currentRevision(), b, c };
}

/** Mixed writes where later ones depend on earlier ones (same keys, revisions known from the setup). */
function operations(s: Setup): ((store: Store) => Promise<unknown>)[] {
  const r = s.base;
  return [
    (st) => st.create('/g/a', 'a1'), // r+1
    (st) => st.update('/g/a', 'a2', r + 1), // r+2: sees the create just before it
    (st) => st.create('/g/a', 'again'), // AlreadyExists
    (st) => st.update('/g/c', 'stale', s.c.createRevision), // Conflict
    (st) => st.delete('/g/b', s.b.modRevision), // r+3
    (st) => st.update('/g/b', 'gone', s.b.modRevision), // NotFound: deleted earlier in the batch
    (st) => st.delete('/g/missing'), // NotFound
    (st) => st.create('/g/b', 'b2'), // r+4: re-created with a new createRevision
    (st) => st.delete('/g/a'), // r+5
    (st) => st.delete('/g/c', s.b.modRevision), // Conflict (that is b's revision)
    (st) => st.update('/g/c', 'c3', s.c.modRevision), // r+6
  ];
}

async function watchAll(store: Store, prefix: string): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  await store.watch(prefix, 0, { onEvent: (e) => events.push(e), onError: (err) => assert.fail(err) });
  await turn();
  return events;
}

describe('SqliteStore group commit', () => {
  it('writes in one turn give the same results, revisions and events as one by one', async () => {
    const one = memoryStore();
    const batched = memoryStore();
    try {
      const s1 = await setUp(one.store);
      const s2 = await setUp(batched.store);
      assert.deepEqual(s2, s1);
      const ev1 = await watchAll(one.store, '/g/');
      const ev2 = await watchAll(batched.store, '/g/');

      const sequential: Outcome[] = [];
      for (const op of operations(s1)) sequential.push(outcome((await Promise.allSettled([op(one.store)]))[0]!));
      await turn();

      const calls = operations(s2).map((op) => op(batched.store));
      assert.equal(batched.db.inTransaction, true, 'the writes share one open transaction');
      assert.equal(await batched.store.currentRevision(), s2.base, 'unacknowledged writes are not the current revision');
      const together = (await Promise.allSettled(calls)).map(outcome);
      await turn();

      assert.deepEqual(together, sequential);
      assert.deepEqual(
        together.map((o) => ('error' in o ? o.error : 'ok')),
        ['ok', 'ok', 'AlreadyExistsError', 'ConflictError', 'ok', 'NotFoundError', 'NotFoundError', 'ok', 'ok', 'ConflictError', 'ok'],
      );
      assert.deepEqual(ev2, ev1);
      assert.deepEqual(ev2.map(eventRevision), [1, 2, 3, 4, 5, 6].map((i) => s2.base + i));
      assert.deepEqual(await batched.store.list('/g/'), await one.store.list('/g/'));
      assert.equal(await batched.store.currentRevision(), s2.base + 6);
      assert.equal(batched.db.inTransaction, false);
    } finally {
      await one.store.close();
      await batched.store.close();
    }
  });

  it('answers a write only after COMMIT, when its watchers already have the event', async () => {
    const { store, db } = memoryStore();
    try {
      const events = await watchAll(store, '/a/');
      const seen: { inTransaction: boolean; delivered: number[] }[] = [];
      const writes = [1, 2, 3].map((i) =>
        store.create(`/a/${i}`, 'v').then((kv) => {
          seen.push({ inTransaction: db.inTransaction, delivered: events.map(eventRevision) });
          return kv.modRevision;
        }),
      );
      assert.deepEqual(events, [], 'nothing is published before COMMIT');
      const revs = await Promise.all(writes);
      assert.deepEqual(seen, revs.map(() => ({ inTransaction: false, delivered: revs })));
    } finally {
      await store.close();
    }
  });

  it('reads commit the open batch first and never see an uncommitted write', async () => {
    const { store, db } = memoryStore();
    try {
      const base = await store.currentRevision();
      const created = store.create('/r/1', 'v');
      assert.equal(db.inTransaction, true);
      const got = await store.get('/r/1');
      assert.equal(db.inTransaction, false, 'the read committed the batch');
      assert.deepEqual(got, { key: '/r/1', value: 'v', createRevision: base + 1, modRevision: base + 1 });
      assert.deepEqual(await created, got);
      void store.update('/r/1', 'w', base + 1);
      const listed = await store.list('/r/');
      assert.equal(listed.revision, base + 2);
      assert.deepEqual(listed.items.map((kv) => kv.value), ['w']);
      void store.create('/r/2', 'v');
      assert.equal(await store.count('/r/'), 2);
    } finally {
      await store.close();
    }
  });

  it('a watch started while a batch is open gets its writes exactly once', async () => {
    const { store } = memoryStore();
    try {
      await store.create('/elsewhere', 'v'); // so the watch below starts from a real revision, not 0 (now)
      const first = await store.create('/w/0', 'v');
      const pending = [store.create('/w/1', 'v'), store.create('/w/2', 'v')];
      const events: number[] = [];
      await store.watch('/w/', first.modRevision - 1, { onEvent: (e) => events.push(eventRevision(e)), onError: (err) => assert.fail(err) });
      const revs = (await Promise.all(pending)).map((kv) => kv.modRevision);
      const last = await store.create('/w/3', 'v');
      await turn();
      assert.deepEqual(events, [first.modRevision, ...revs, last.modRevision]);
    } finally {
      await store.close();
    }
  });

  it(`a turn with more than ${MAX_BATCH} writes commits in several batches, every write answered in order`, async () => {
    const { store } = memoryStore();
    try {
      const events = await watchAll(store, '/m/');
      const base = await store.currentRevision();
      const n = MAX_BATCH * 2 + 7;
      const revs = (await Promise.all(Array.from({ length: n }, (_, i) => store.create(`/m/${i}`, 'v')))).map((kv) => kv.modRevision);
      await turn();
      assert.deepEqual(revs, Array.from({ length: n }, (_, i) => base + 1 + i));
      assert.deepEqual(events.map(eventRevision), revs);
      assert.equal(await store.count('/m/'), n);
    } finally {
      await store.close();
    }
  });

  it('compaction issued in the same turn as writes runs outside their batch', async () => {
    const { store } = memoryStore();
    try {
      let kv = await store.create('/c/k', '0');
      for (let i = 1; i <= 5; i++) kv = await store.update('/c/k', String(i), kv.modRevision);
      const write = store.update('/c/k', 'new', kv.modRevision);
      const compacted = store.compact(kv.modRevision);
      const [written] = await Promise.all([write, compacted]);
      assert.equal(await store.compactRevision(), kv.modRevision);
      assert.equal((await store.get('/c/k'))?.modRevision, written.modRevision);
      assert.deepEqual((await store.list('/c/', { revision: kv.modRevision })).items.map((x) => x.value), ['5']);
    } finally {
      await store.close();
    }
  });

  it('a statement failing mid-batch (database full) fails every write of the batch and publishes nothing', async () => {
    const { store, db } = memoryStore();
    try {
      const events = await watchAll(store, '/full/');
      const small = await store.create('/full/small', 'v1');
      const pages = db.pragma('page_count', { simple: true }) as number;
      db.pragma(`max_page_count = ${pages + 40}`); // ~160 KiB more: the first large value fits, the second not
      const big = 'x'.repeat(100_000);
      const settled = await Promise.allSettled([
        store.update('/full/small', 'v2', small.modRevision),
        store.create('/full/a', big),
        store.create('/full/b', big),
      ]);
      for (const r of settled) {
        assert.equal(r.status, 'rejected');
        assert.ok(r.reason instanceof UnavailableError, String(r.reason));
        assert.match((r.reason as Error).message, /^sqlite: database or disk is full/);
      }
      await turn();
      assert.deepEqual(events.map(eventRevision), [small.modRevision], 'no event of the failed batch');
      assert.equal(await store.currentRevision(), small.modRevision);
      assert.equal((await store.get('/full/small'))?.value, 'v1');
      assert.equal(await store.get('/full/a'), undefined);
      const next = await store.create('/full/next', 'v');
      assert.equal(next.modRevision, small.modRevision + 1, 'the failed batch used up no revision');
      await turn();
      assert.deepEqual(events.map(eventRevision), [small.modRevision, next.modRevision]);
    } finally {
      await store.close();
    }
  });

  const prlimit = spawnSync('prlimit', ['--version']).status === 0;
  it(
    'a failing COMMIT (file size limit: a real I/O error) fails the batch with a clear error and no event',
    { skip: prlimit ? false : 'prlimit (util-linux) is not installed' },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-commit-'));
      tempDirs.push(dir);
      const db = join(dir, 'state.db');
      const script = fileURLToPath(new URL('./fixtures/sqlite-commit-failure.ts', import.meta.url));
      const limit = 4 * 1024 * 1024;
      // Two 3 MiB values cannot be appended to a WAL limited to 4 MiB; everything before and after fits.
      const child = spawnSync('prlimit', [`--fsize=${limit}`, process.execPath, '--import', 'tsx', script, db, String(3 * 1024 * 1024)], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(child.status, 0, child.stderr);
      const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
        before: number;
        results: { ok: boolean; name?: string; message?: string }[];
        revisionAfterFailure: number;
        small: { value: string; modRevision: number };
        bigAPresent: boolean;
        after: number;
        events: number[];
        watchErrors: string[];
      };
      assert.equal(r.results.length, 3);
      for (const w of r.results) {
        assert.equal(w.ok, false);
        assert.equal(w.name, 'UnavailableError');
        assert.match(w.message!, /^sqlite: /);
      }
      assert.equal(r.revisionAfterFailure, r.before);
      assert.deepEqual(r.small, { value: 'v1', modRevision: r.before });
      assert.equal(r.bigAPresent, false);
      assert.equal(r.after, r.before + 1);
      assert.deepEqual(r.events, [r.before, r.after], 'watchers saw only committed writes');
      assert.deepEqual(r.watchErrors, []);

      const store = await openSqliteStore(db);
      try {
        assert.deepEqual(
          (await store.list('/f/')).items.map((kv) => [kv.key, kv.value, kv.modRevision]),
          [
            ['/f/after', 'v1', r.after],
            ['/f/small', 'v1', r.before],
          ],
        );
        assert.equal(await store.currentRevision(), r.after);
      } finally {
        await store.close();
      }
    },
  );
});

describe('SqliteStore WAL checkpoints off the store thread', () => {
  it('a worker checkpoints, the WAL starts over instead of growing, and every write is kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-wal-'));
    tempDirs.push(dir);
    const path = join(dir, 'state.db');
    const db = new Database(path);
    const store = new SqliteStore(db, { checkpoint: { everyWrites: 50, restartFrames: 400 } });
    const value = JSON.stringify({ data: 'x'.repeat(2500) });
    const n = 8000;
    let maxWal = 0;
    try {
      for (let i = 0; i < n; i += 16) {
        await Promise.all(Array.from({ length: 16 }, (_, j) => store.create(`/wal/${String(i + j).padStart(5, '0')}`, value)));
        // Let the worker finish (a checkpoint takes as long as its fsyncs), so the WAL's length is known.
        await store.checkpointer!.settled();
        maxWal = Math.max(maxWal, statSync(`${path}-wal`).size);
      }
      const cp = store.checkpointer!;
      // Batches of 16: a checkpoint is due every 64 writes (the first 50+ writes also start the worker).
      assert.ok(cp.checkpoints >= n / 64 - 2, `the worker ran ${cp.checkpoints} checkpoints`);
      assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0, "the store's connection does not checkpoint by itself");
      // ~20 MiB were written; checkpointed every 64 writes, the WAL starts over at the next write each time.
      assert.ok(maxWal < 3 * 2 ** 20, `WAL grew to ${maxWal} bytes`);
    } finally {
      await store.close();
    }
    const reopened = await openSqliteStore(path);
    try {
      const all = await reopened.list('/wal/');
      assert.equal(all.items.length, n);
      assert.ok(all.items.every((kv) => kv.value === value));
      assert.equal(await reopened.currentRevision(), n);
    } finally {
      await reopened.close();
    }
  });

  it("under writes that never pause, the store's connection lets the WAL start over past restartFrames", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-wal-'));
    tempDirs.push(dir);
    const path = join(dir, 'state.db');
    const store = await openSqliteStore(path, { checkpoint: { everyWrites: 50, restartFrames: 400 } });
    const value = JSON.stringify({ data: 'x'.repeat(2500) });
    let written = 0;
    const batch = (): Promise<unknown> =>
      Promise.all(Array.from({ length: 16 }, () => store.create(`/busy/${String(written++).padStart(6, '0')}`, value)));
    try {
      await batch();
      await batch();
      await batch();
      await batch();
      await store.checkpointer!.settled(); // the worker is up
      // Each worker checkpoint overlaps later commits, so the WAL is rarely all copied when a batch begins.
      while (store.checkpointer!.restarts === 0 && written < 50_000) await batch();
      assert.ok(store.checkpointer!.restarts > 0, `no restart after ${written} writes`);
      for (let i = 0; i < 20; i++) await batch();
    } finally {
      await store.close();
    }
    const reopened = await openSqliteStore(path);
    try {
      assert.equal(await reopened.count('/busy/'), written);
    } finally {
      await reopened.close();
    }
  });

  it('a worker that cannot start is reported and the store checkpoints by itself again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-wal-'));
    tempDirs.push(dir);
    const path = join(dir, 'state.db');
    const db = new Database(path);
    const store = new SqliteStore(db, { checkpoint: { everyWrites: 10 } });
    const warnings: Error[] = [];
    const warned = new Promise<void>((resolve) => {
      const onWarning = (w: Error): void => {
        if (!/checkpoint/.test(w.message)) return;
        warnings.push(w);
        process.off('warning', onWarning);
        resolve();
      };
      process.on('warning', onWarning);
    });
    try {
      rmSync(path); // the open connection keeps its file; the worker's connection finds none
      for (let i = 0; i < 20; i++) await store.create(`/nw/${i}`, 'v');
      await warned;
      assert.match(warnings[0]!.message, /unable to open|no such file|SQLITE_CANTOPEN/i);
      assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000);
      const more = await store.create('/nw/after', 'v');
      assert.equal(more.modRevision, 21);
      await store.checkpointer!.settled();
    } finally {
      await store.close();
    }
  });

  it('an in-memory store has no checkpointer', async () => {
    const store = await openSqliteStore(':memory:');
    try {
      assert.equal(store.checkpointer, undefined);
    } finally {
      await store.close();
    }
  });
});
