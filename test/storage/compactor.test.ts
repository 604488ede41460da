// The compactor: each tick compacts to the revision recorded at the previous tick, so about one interval of
// history always stays available; stop() ends it; failures are reported and retried.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startCompactor } from '../../src/storage/compactor.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { CompactedError, type Store } from '../../src/storage/store.js';

const INTERVAL = 30;

async function eventually(cond: () => Promise<boolean>, what: string, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('startCompactor', () => {
  it('compacts to the revision recorded one tick earlier, keeping one interval of history', async () => {
    const store = await openSqliteStore(':memory:');
    const compactor = startCompactor(store, { intervalMs: INTERVAL });
    try {
      let kv = await store.create('/c/k', '1');
      kv = await store.update('/c/k', '2', kv.modRevision);
      const firstRev = kv.modRevision;
      // Tick 1 records firstRev, tick 2 compacts to it.
      await eventually(async () => (await store.compactRevision()) === firstRev, `compaction to ${firstRev}`);

      kv = await store.update('/c/k', '3', kv.modRevision);
      const mid = kv.modRevision;
      kv = await store.update('/c/k', '4', kv.modRevision);
      // Right after the writes, their history is still there: at most firstRev has been compacted.
      assert.equal((await store.list('/c/', { revision: mid })).items[0]?.value, '3');
      const w = await store.watch('/c/', firstRev, { onEvent: () => {}, onError: () => {} });
      w.close();

      await eventually(async () => (await store.compactRevision()) === kv.modRevision, 'compaction of the new writes');
      await assert.rejects(store.list('/c/', { revision: mid }), CompactedError);
      assert.equal((await store.get('/c/k'))?.value, '4');
    } finally {
      compactor.stop();
      await store.close();
    }
  });

  it('stops compacting after stop()', async () => {
    const store = await openSqliteStore(':memory:');
    const compactor = startCompactor(store, { intervalMs: INTERVAL });
    try {
      const kv = await store.create('/c/k', '1');
      await eventually(async () => (await store.compactRevision()) === kv.modRevision, 'first compaction');
      compactor.stop();
      await store.update('/c/k', '2', kv.modRevision);
      await sleep(INTERVAL * 4);
      assert.equal(await store.compactRevision(), kv.modRevision);
    } finally {
      compactor.stop();
      await store.close();
    }
  });

  it('reports failures and keeps ticking', async () => {
    let calls = 0;
    const failing = {
      currentRevision: async () => {
        calls++;
        throw new Error('backend down');
      },
    } as unknown as Store;
    const errors: unknown[] = [];
    const compactor = startCompactor(failing, { intervalMs: 10, onError: (err) => errors.push(err) });
    try {
      await eventually(async () => errors.length >= 2, 'two reported failures');
      assert.ok(calls >= 2);
      assert.match(String(errors[0]), /backend down/);
    } finally {
      compactor.stop();
    }
  });
});
