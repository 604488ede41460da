// SqliteStore's written-back kv.mod_rev (schema.ts, index_rev): an update appends its log row only and the
// key's revision lives in memory until the next index sync. Reads must overlay it, compaction must write it
// back first, and a store opened after a crash (here: a second connection while the first never synced, and a
// writer killed with SIGKILL) must replay the updates kv missed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { INDEX_KEEP, INDEX_MAX_LAG, INDEX_SLACK, openSqliteStore, type SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import type { KeyValue } from '../../src/storage/store.js';

const tempDirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-index-test-'));
  tempDirs.push(dir);
  return join(dir, 'state.db');
}
after(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** What the database file says without the store: kv's mod_rev per key and index_rev. */
function onDisk(path: string): { modRevs: Record<string, number>; indexRev: number } {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare('SELECT key, mod_rev FROM kv ORDER BY key').raw().all() as [string, number][];
    const indexRev = db.prepare("SELECT value FROM meta WHERE name = 'index_rev'").pluck().get() as number;
    return { modRevs: Object.fromEntries(rows), indexRev };
  } finally {
    db.close();
  }
}

const strip = (kvs: KeyValue[]) => kvs.map(({ key, value, createRevision, modRevision }) => ({ key, value, createRevision, modRevision }));

/** Creates, updates, a delete and a re-create under /k/; returns the expected current state. */
async function history(store: SqliteStore): Promise<KeyValue[]> {
  const a = await store.create('/k/a', 'a1');
  const b = await store.create('/k/b', 'b1');
  const c = await store.create('/k/c', 'c1');
  let a2 = await store.update('/k/a', 'a2', a.modRevision);
  a2 = await store.update('/k/a', 'a3', a2.modRevision);
  const b2 = await store.update('/k/b', 'b2', b.modRevision);
  const c2 = await store.update('/k/c', 'c2', c.modRevision);
  const del = await store.delete('/k/c', c2.modRevision);
  assert.equal(del.prev.value, 'c2', 'a delete returns the latest value as prev');
  assert.equal(del.prev.modRevision, c2.modRevision);
  const c3 = await store.create('/k/c', 'c3');
  const c4 = await store.update('/k/c', 'c4', c3.modRevision);
  return [a2, b2, c4];
}

describe('SqliteStore kv.mod_rev write-back', () => {
  it('gets, lists and deletes see the revisions kv does not have yet', async () => {
    const path = tempDb();
    const store = await openSqliteStore(path);
    try {
      const want = await history(store);
      assert.equal(want[0]!.value, 'a3');
      assert.deepEqual(strip((await store.list('/k/')).items), want);
      for (const kv of want) assert.deepEqual(await store.get(kv.key), kv);
      // Pages, and the state at an older revision (the continuation of a paginated list).
      const page1 = await store.list('/k/', { limit: 2 });
      assert.deepEqual(strip(page1.items), want.slice(0, 2));
      assert.equal(page1.remaining, 1);
      const page2 = await store.list('/k/', { limit: 2, startAfter: '/k/b', revision: page1.revision });
      assert.deepEqual(strip(page2.items), want.slice(2));
      const later = await store.update('/k/b', 'b3', want[1]!.modRevision);
      assert.deepEqual(strip((await store.list('/k/', { revision: page1.revision })).items), want, 'the state at the older revision');
      assert.deepEqual(await store.get('/k/b'), later);
      // kv itself is behind for the updated keys: nothing was written back yet.
      const disk = onDisk(path);
      assert.equal(disk.indexRev, 0);
      assert.ok(disk.modRevs['/k/a']! < want[0]!.modRevision, 'kv.mod_rev of an updated key is written back later');
    } finally {
      await store.close();
    }
    const disk = onDisk(path);
    assert.equal(disk.indexRev, disk.modRevs['/k/b'], 'close writes the index back');
  });

  it('a store opened after one that never wrote its index back replays the updates kv missed', async () => {
    const path = tempDb();
    const first = await openSqliteStore(path);
    try {
      const want = await history(first);
      const rev = await first.currentRevision();
      // The first store is still open and never synced: for the second, as after a crash.
      const second = await openSqliteStore(path);
      try {
        assert.deepEqual(strip((await second.list('/k/')).items), want);
        for (const kv of want) assert.deepEqual(await second.get(kv.key), kv);
        assert.equal(await second.currentRevision(), rev);
        const next = await second.update('/k/a', 'a4', want[0]!.modRevision);
        assert.equal(next.modRevision, rev + 1, 'the compare-and-swap holds against the replayed revision');
        assert.equal(onDisk(path).indexRev, rev, 'the replay records how far kv is exact');
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
  });

  it('compaction writes the index back first, so no stale mod_rev points at a dropped row', async () => {
    const path = tempDb();
    const store = await openSqliteStore(path);
    let want: KeyValue[];
    try {
      want = await history(store);
      await store.compact(await store.currentRevision());
      const disk = onDisk(path);
      assert.equal(disk.indexRev, await store.currentRevision());
      assert.deepEqual(disk.modRevs, Object.fromEntries(want.map((kv) => [kv.key, kv.modRevision])));
      assert.deepEqual(strip((await store.list('/k/')).items), want);
      want[1] = await store.update('/k/b', 'b3', want[1]!.modRevision);
      const reopened = await openSqliteStore(path);
      try {
        assert.deepEqual(strip((await reopened.list('/k/')).items), want);
      } finally {
        await reopened.close();
      }
    } finally {
      await store.close();
    }
  });

  it(`writes the oldest keys back once ${INDEX_KEEP + INDEX_SLACK} updated keys are held, keeping the ${INDEX_KEEP} updated last`, async () => {
    const path = tempDb();
    const store = await openSqliteStore(path);
    try {
      const old = await Promise.all(Array.from({ length: 100 }, (_, i) => store.create(`/a/${String(i).padStart(3, '0')}`, 'v')));
      const updated = await Promise.all(old.map((kv) => store.update(kv.key, 'v2', kv.modRevision)));
      assert.equal(onDisk(path).indexRev, 0);
      // Keys updated later push those out: they are the oldest entries. (A created key is exact in kv: no entry.)
      const fresh: KeyValue[] = [];
      for (let i = 0; fresh.length < INDEX_KEEP + INDEX_SLACK - old.length - 1; i++) {
        const created = await Promise.all(Array.from({ length: 64 }, (_, j) => store.create(`/b/${String(i * 64 + j).padStart(5, '0')}`, 'v')));
        assert.equal(onDisk(path).indexRev, 0, 'creates alone write nothing back');
        fresh.push(...(await Promise.all(created.map((kv) => store.update(kv.key, 'v2', kv.modRevision)))));
      }
      const disk = onDisk(path);
      for (const kv of updated) assert.equal(disk.modRevs[kv.key], kv.modRevision, `${kv.key} written back`);
      const kept = fresh.slice(-INDEX_KEEP);
      assert.ok(disk.indexRev > updated[updated.length - 1]!.modRevision, 'index_rev passed the written-back updates');
      assert.ok(disk.indexRev < kept[0]!.modRevision, 'index_rev is below every key still held');
      // Updates of kept keys stay in memory; reads still see them.
      const again = await store.update(kept[0]!.key, 'v3', kept[0]!.modRevision);
      assert.ok(onDisk(path).modRevs[kept[0]!.key]! < kept[0]!.modRevision, 'a key still held is not written back');
      assert.deepEqual(await store.get(kept[0]!.key), again);
    } finally {
      await store.close();
    }
  });

  it(`writes a key back once it lags ${INDEX_MAX_LAG} revisions behind, however few keys are written`, async () => {
    const path = tempDb();
    const store = await openSqliteStore(path);
    try {
      const cold = await store.create('/c/cold', 'v');
      const coldUpdated = await store.update('/c/cold', 'v2', cold.modRevision);
      const hot = await Promise.all(Array.from({ length: 8 }, (_, i) => store.create(`/c/hot-${i}`, 'v')));
      const revs = hot.map((kv) => kv.modRevision);
      while ((await store.currentRevision()) < coldUpdated.modRevision + INDEX_MAX_LAG + 8) {
        await Promise.all(hot.map(async (kv, i) => (revs[i] = (await store.update(kv.key, 'h', revs[i]!)).modRevision)));
      }
      const disk = onDisk(path);
      assert.equal(disk.modRevs['/c/cold'], coldUpdated.modRevision);
      assert.ok(disk.indexRev >= coldUpdated.modRevision);
      assert.ok(disk.indexRev < Math.min(...revs), 'the hot keys are still held');
    } finally {
      await store.close();
    }
  });

  it('a batch that rolls back leaves the index as it was: updated and deleted keys read as before it', async () => {
    const path = tempDb();
    const store = await openSqliteStore(path);
    const db = new Database(path); // the same file: its page limit applies to the store's writes too
    try {
      const a = await store.update('/r/a', 'a2', (await store.create('/r/a', 'a1')).modRevision);
      const b = await store.update('/r/b', 'b2', (await store.create('/r/b', 'b1')).modRevision);
      const c = await store.create('/r/c', 'c1');
      const pages = db.pragma('page_count', { simple: true }) as number;
      const settled = await (async () => {
        // max_page_count is per connection: set it on the store's own (the tests' window into it).
        (store as unknown as { db: Database.Database }).db.pragma(`max_page_count = ${pages + 8}`);
        try {
          return await Promise.allSettled([
            store.update('/r/a', 'a3', a.modRevision),
            store.delete('/r/b', b.modRevision),
            store.update('/r/c', 'c2', c.modRevision),
            store.create('/r/big', 'x'.repeat(200_000)),
          ]);
        } finally {
          (store as unknown as { db: Database.Database }).db.pragma('max_page_count = 1073741823');
        }
      })();
      assert.ok(settled.every((r) => r.status === 'rejected'), 'the whole batch failed');
      assert.deepEqual(await store.get('/r/a'), a);
      assert.deepEqual(await store.get('/r/b'), b);
      assert.deepEqual(await store.get('/r/c'), c);
      assert.deepEqual(strip((await store.list('/r/')).items), [a, b, c]);
      const a3 = await store.update('/r/a', 'a3', a.modRevision);
      await store.delete('/r/b', b.modRevision);
      await store.close();
      assert.deepEqual(onDisk(path).modRevs, { '/r/a': a3.modRevision, '/r/c': c.modRevision });
    } finally {
      db.close();
      await store.close();
    }
  });

  it('a version-1 database (kv exact) opens with index_rev at its last revision and nothing to replay', async () => {
    const path = tempDb();
    const db = new Database(path);
    db.exec(`
      CREATE TABLE kv (key TEXT NOT NULL PRIMARY KEY, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE log (rev INTEGER NOT NULL PRIMARY KEY, key TEXT NOT NULL, deleted INTEGER NOT NULL, value TEXT NOT NULL, create_rev INTEGER NOT NULL, prev_rev INTEGER NOT NULL);
      CREATE TABLE meta (name TEXT NOT NULL PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO meta VALUES ('compact_rev', 0);
      INSERT INTO log VALUES (1, '/v/a', 0, 'a1', 1, 0), (2, '/v/a', 0, 'a2', 1, 1), (3, '/v/b', 0, 'b1', 3, 0);
      INSERT INTO kv VALUES ('/v/a', 1, 2), ('/v/b', 3, 3);
      PRAGMA user_version = 1;
    `);
    db.close();
    const store = await openSqliteStore(path);
    try {
      assert.equal(onDisk(path).indexRev, 3);
      assert.deepEqual((await store.list('/v/')).items.map((kv) => [kv.key, kv.value, kv.modRevision]), [
        ['/v/a', 'a2', 2],
        ['/v/b', 'b1', 3],
      ]);
      const next = await store.update('/v/a', 'a3', 2);
      assert.equal(next.modRevision, 4);
    } finally {
      await store.close();
    }
  });

  it('keeps every acknowledged update when the writer is killed with SIGKILL before writing its index back', async (t) => {
    const path = tempDb();
    const script = fileURLToPath(new URL('./fixtures/sqlite-updater.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    // key → the last acknowledged [value, revision]
    const acked = new Map<string, [string, number]>();
    let lines = 0;
    let buffered = '';
    const killAfter = 2000;
    const killed = new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`updater exited before being killed (code ${code})`))));
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const all = buffered.split('\n');
      buffered = all.pop()!;
      for (const line of all) {
        const [key, value, rev] = line.split(' ');
        acked.set(key!, [value!, Number(rev)]);
        lines++;
      }
      if (lines >= killAfter && child.signalCode === null) child.kill('SIGKILL');
    });
    await killed;
    assert.ok(lines >= killAfter && lines < INDEX_MAX_LAG, `${lines} acknowledged updates, fewer than a write-back needs`);
    assert.equal(onDisk(path).indexRev, 0, 'the writer never wrote its index back');

    const store = await openSqliteStore(path);
    try {
      const listed = new Map((await store.list('/u/')).items.map((kv) => [kv.key, kv]));
      assert.equal(listed.size, acked.size);
      for (const [key, [value, rev]] of acked) {
        const kv = listed.get(key)!;
        // A write committed just before the kill may not have been acknowledged (printed) yet.
        assert.ok(kv.modRevision >= rev, `${key}: revision ${kv.modRevision} is older than the acknowledged ${rev}`);
        if (kv.modRevision === rev) assert.equal(kv.value, value);
        assert.deepEqual(await store.get(key), kv);
        const next = await store.update(key, 'after', kv.modRevision);
        assert.equal(next.value, 'after');
      }
    } finally {
      await store.close();
    }
  });
});
