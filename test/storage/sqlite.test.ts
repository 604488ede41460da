// SqliteStore: the Store conformance suite on a temp-file database, plus what only a local database
// promises: acknowledged writes survive kill -9, revisions stay monotonic across reopen, and progress
// notifications tell watchers about writes to other prefixes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openSqliteStore, prefixEnd } from '../../src/storage/sqlite/sqlite-store.js';
import { runStoreConformance } from './conformance.js';

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-test-'));
  tempDirs.push(dir);
  return dir;
}
after(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

runStoreConformance('sqlite (temp file)', async () => {
  const dir = tempDir();
  const store = await openSqliteStore(join(dir, 'state.db'));
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

runStoreConformance('sqlite (:memory:)', async () => {
  const store = await openSqliteStore(':memory:');
  return { store, cleanup: () => store.close() };
});

describe('SqliteStore', () => {
  it('prefixEnd bounds exactly the keys with the prefix', () => {
    const cases: [string, string | undefined][] = [
      ['/a/', '/a0'],
      ['/registry/pods/', '/registry/pods0'],
      ['a', 'b'],
      ['', undefined],
      ['a\uffff', 'b'],
    ];
    for (const [prefix, want] of cases) assert.equal(prefixEnd(prefix), want, JSON.stringify(prefix));
  });

  for (const perTurn of [1, 16]) {
    it(`keeps every acknowledged write when the process is killed with SIGKILL (${perTurn === 1 ? 'one write per turn' : `${perTurn} writes per turn, group commits`})`, async (t) => {
      const dir = tempDir();
      const db = join(dir, 'state.db');
      // Batched, long enough for the WAL checkpoint worker to be copying pages when the kill comes.
      const killAfter = perTurn === 1 ? 500 : 6000;
      const script = fileURLToPath(new URL('./fixtures/sqlite-writer.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', script, db, String(perTurn)], { stdio: ['ignore', 'pipe', 'inherit'] });
      t.after(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      const acknowledged: string[] = [];
      let buffered = '';
      const killed = new Promise<void>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (code, signal) => {
          if (signal === 'SIGKILL') resolve();
          else reject(new Error(`writer exited before being killed (code ${code})`));
        });
      });
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        acknowledged.push(...lines);
        if (acknowledged.length >= killAfter && child.signalCode === null) child.kill('SIGKILL');
      });
      await killed;
      assert.ok(acknowledged.length >= killAfter);

      const store = await openSqliteStore(db);
      try {
        const present = new Set((await store.list('/durable/')).items.map((kv) => kv.key));
        const missing = acknowledged.filter((k) => !present.has(k));
        assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.length} acknowledged keys lost`);
        const rev = await store.currentRevision();
        assert.ok(rev >= acknowledged.length);
        const next = await store.create('/durable/after-restart', '{}');
        assert.equal(next.modRevision, rev + 1);
      } finally {
        await store.close();
      }
    });
  }

  it('reopening keeps revisions monotonic, even after a trailing delete was compacted', async () => {
    const db = join(tempDir(), 'state.db');
    let store = await openSqliteStore(db);
    const a = await store.create('/m/a', '1');
    await store.update('/m/a', '2', a.modRevision);
    await store.create('/m/b', '1');
    const del = await store.delete('/m/b');
    await store.compact(del.revision);
    await store.close();

    store = await openSqliteStore(db);
    try {
      assert.equal(await store.currentRevision(), del.revision);
      assert.equal(await store.compactRevision(), del.revision);
      assert.equal((await store.get('/m/a'))?.value, '2');
      const next = await store.create('/m/c', '1');
      assert.ok(next.modRevision > del.revision);
    } finally {
      await store.close();
    }
  });

  it('sends progress notifications for writes under other prefixes, once per batch', async () => {
    const store = await openSqliteStore(':memory:');
    try {
      const progress: number[] = [];
      const events: number[] = [];
      await store.watch('/mine/', 0, {
        onEvent: (e) => events.push(e.type === 'put' ? e.kv.modRevision : e.revision),
        onError: (err) => assert.fail(err),
        onProgress: (r) => progress.push(r),
      });
      await new Promise((resolve) => setImmediate(resolve));
      progress.length = 0;
      // Three writes in one synchronous turn → one flush → one progress notification.
      const writes = [store.create('/other/1', 'v'), store.create('/other/2', 'v'), store.create('/other/3', 'v')];
      const last = (await Promise.all(writes))[2]!.modRevision;
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(progress, [last]);
      const mine = await store.create('/mine/1', 'v');
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(events, [mine.modRevision]);
      assert.deepEqual(progress, [last], 'no progress needed when the last write was delivered as an event');
    } finally {
      await store.close();
    }
  });

  it('a watcher whose handler throws gets onError and the others keep receiving', async () => {
    const store = await openSqliteStore(':memory:');
    try {
      const errors: Error[] = [];
      const good: string[] = [];
      await store.watch('/x/', 0, {
        onEvent: () => {
          throw new Error('boom');
        },
        onError: (err) => errors.push(err),
      });
      await store.watch('/x/', 0, { onEvent: (e) => good.push(e.type), onError: (err) => assert.fail(err) });
      await store.create('/x/1', 'v');
      await store.create('/x/2', 'v');
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(errors.length, 1);
      assert.deepEqual(good, ['put', 'put']);
    } finally {
      await store.close();
    }
  });

  it('compacts a long history in steps and keeps the latest values', async () => {
    const store = await openSqliteStore(':memory:');
    try {
      let kv = await store.create('/h/k', '0');
      for (let i = 1; i <= 12_000; i++) kv = await store.update('/h/k', String(i), kv.modRevision);
      await store.create('/h/z', 'z');
      await store.compact(kv.modRevision);
      assert.equal(await store.compactRevision(), kv.modRevision);
      assert.deepEqual(
        (await store.list('/h/', { revision: kv.modRevision })).items.map((x) => x.value),
        ['12000'],
      );
      assert.equal((await store.get('/h/k'))?.value, '12000');
    } finally {
      await store.close();
    }
  });
});
