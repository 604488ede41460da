// The Store conformance suite: every promise written in src/storage/store.ts, as node:test cases. Each
// backend's test file calls runStoreConformance with a factory for a fresh, empty store. It must test only
// what the contract promises (no SQLite or etcd specifics), so that every backend can run it unchanged.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  AlreadyExistsError,
  CompactedError,
  ConflictError,
  NotFoundError,
  type KeyValue,
  type Store,
  type Watch,
  type WatchEvent,
} from '../../src/storage/store.js';

export interface OpenedStore {
  store: Store;
  cleanup(): Promise<void>;
}

const WAIT_MS = 5_000;

function revisionOf(e: WatchEvent): number {
  return e.type === 'put' ? e.kv.modRevision : e.revision;
}

function keyOf(e: WatchEvent): string {
  return e.type === 'put' ? e.kv.key : e.key;
}

/** A watch that records what it receives, with a way to wait for a condition on the recording. */
class Recorder {
  readonly events: WatchEvent[] = [];
  readonly errors: Error[] = [];
  watch: Watch | undefined;
  private wake: (() => void) | undefined;

  readonly handlers = {
    onEvent: (e: WatchEvent) => {
      this.events.push(e);
      this.wake?.();
    },
    onError: (err: Error) => {
      this.errors.push(err);
      this.wake?.();
    },
  };

  static async start(store: Store, prefix: string, from: number): Promise<Recorder> {
    const r = new Recorder();
    r.watch = await store.watch(prefix, from, r.handlers);
    return r;
  }

  /** Waits until an event with at least this revision arrived. */
  async until(revision: number): Promise<void> {
    await this.waitFor(() => this.events.some((e) => revisionOf(e) >= revision), `an event at revision ${revision}`);
  }

  async count(n: number): Promise<void> {
    await this.waitFor(() => this.events.length >= n, `${n} events`);
  }

  private async waitFor(cond: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!cond()) {
      if (this.errors.length) throw this.errors[0];
      const left = deadline - Date.now();
      if (left <= 0) {
        const got = this.events.map((e) => `${e.type} ${keyOf(e)}@${revisionOf(e)}`).join(', ');
        throw new Error(`timed out waiting for ${what}; got [${got}]`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.watch?.close();
  }
}

/** Lets in-flight asynchronous deliveries happen (for "nothing else arrives" checks). */
function settle(ms = 100): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function keys(items: KeyValue[]): string[] {
  return items.map((kv) => kv.key);
}

export function runStoreConformance(name: string, open: () => Promise<OpenedStore>): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    let opened: OpenedStore | undefined;
    const recorders: Recorder[] = [];

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });

    afterEach(async () => {
      for (const r of recorders.splice(0)) r.close();
      await opened?.cleanup();
      opened = undefined;
    });

    async function record(prefix: string, from: number): Promise<Recorder> {
      const r = await Recorder.start(store, prefix, from);
      recorders.push(r);
      return r;
    }

    describe('create / get', () => {
      it('creates a key and reads it back with createRevision = modRevision', async () => {
        const kv = await store.create('/c/one', '{"a":1}');
        assert.equal(kv.key, '/c/one');
        assert.equal(kv.value, '{"a":1}');
        assert.ok(kv.modRevision > 0);
        assert.equal(kv.createRevision, kv.modRevision);
        assert.deepEqual(await store.get('/c/one'), kv);
      });

      it('returns undefined for a missing key', async () => {
        assert.equal(await store.get('/c/missing'), undefined);
      });

      it('refuses to create an existing key with AlreadyExistsError and keeps the value', async () => {
        const first = await store.create('/c/dup', 'v1');
        await assert.rejects(store.create('/c/dup', 'v2'), AlreadyExistsError);
        assert.deepEqual(await store.get('/c/dup'), first);
      });

      it('stores values byte for byte (unicode, quotes, large)', async () => {
        const values = ['{"name":"ünïcødé ✓ 🚀"}', '"quoted\\"\\n"', 'x'.repeat(256 * 1024)];
        for (const [i, v] of values.entries()) {
          await store.create(`/c/value-${i}`, v);
          assert.equal((await store.get(`/c/value-${i}`))?.value, v);
        }
      });
    });

    describe('update', () => {
      it('replaces the value, advances modRevision and keeps createRevision', async () => {
        const created = await store.create('/u/k', 'v1');
        const updated = await store.update('/u/k', 'v2', created.modRevision);
        assert.equal(updated.value, 'v2');
        assert.ok(updated.modRevision > created.modRevision);
        assert.equal(updated.createRevision, created.createRevision);
        const again = await store.update('/u/k', 'v3', updated.modRevision);
        assert.equal(again.createRevision, created.createRevision);
        assert.deepEqual(await store.get('/u/k'), again);
      });

      it('fails with ConflictError on a stale revision and leaves the key unchanged', async () => {
        const created = await store.create('/u/k', 'v1');
        const updated = await store.update('/u/k', 'v2', created.modRevision);
        await assert.rejects(store.update('/u/k', 'v3', created.modRevision), (err: unknown) => {
          assert.ok(err instanceof ConflictError);
          assert.equal(err.key, '/u/k');
          assert.equal(err.expected, created.modRevision);
          assert.equal(err.actual, updated.modRevision);
          return true;
        });
        assert.deepEqual(await store.get('/u/k'), updated);
      });

      it('fails with NotFoundError for a missing key', async () => {
        await assert.rejects(store.update('/u/missing', 'v', 1), NotFoundError);
      });
    });

    describe('delete', () => {
      it('deletes and returns the previous KeyValue and the delete revision', async () => {
        const created = await store.create('/d/k', 'v1');
        const res = await store.delete('/d/k');
        assert.deepEqual(res.prev, created);
        assert.ok(res.revision > created.modRevision);
        assert.equal(await store.get('/d/k'), undefined);
        assert.equal(await store.currentRevision(), res.revision);
      });

      it('fails with NotFoundError for a missing key', async () => {
        await assert.rejects(store.delete('/d/missing'), NotFoundError);
      });

      it('with an expected revision: Conflict when stale (key kept), deletes when current', async () => {
        const created = await store.create('/d/k', 'v1');
        const updated = await store.update('/d/k', 'v2', created.modRevision);
        await assert.rejects(store.delete('/d/k', created.modRevision), ConflictError);
        assert.deepEqual(await store.get('/d/k'), updated);
        const res = await store.delete('/d/k', updated.modRevision);
        assert.deepEqual(res.prev, updated);
        assert.equal(await store.get('/d/k'), undefined);
      });

      it('allows re-creating a deleted key with a new createRevision', async () => {
        const first = await store.create('/d/k', 'v1');
        await store.delete('/d/k');
        const second = await store.create('/d/k', 'v2');
        assert.ok(second.createRevision > first.createRevision);
        assert.equal(second.createRevision, second.modRevision);
      });
    });

    describe('revisions', () => {
      it('every write gets a strictly greater revision, shared across keys', async () => {
        const revs: number[] = [];
        const a = await store.create('/r/a', '1');
        revs.push(a.modRevision);
        const b = await store.create('/s/b', '1');
        revs.push(b.modRevision);
        const a2 = await store.update('/r/a', '2', a.modRevision);
        revs.push(a2.modRevision);
        revs.push((await store.delete('/s/b')).revision);
        revs.push((await store.create('/t/c', '1')).modRevision);
        for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! > revs[i - 1]!, `revisions ${revs.join(',')}`);
        assert.equal(await store.currentRevision(), revs[revs.length - 1]);
      });

      it('concurrent writes to different keys all get distinct revisions', async () => {
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.create(`/r/k${i}`, 'v')));
        const revs = results.map((kv) => kv.modRevision);
        assert.equal(new Set(revs).size, revs.length);
        assert.equal(await store.currentRevision(), Math.max(...revs));
      });

      it('currentRevision does not move on failed writes', async () => {
        await store.create('/r/k', 'v');
        const before = await store.currentRevision();
        await assert.rejects(store.create('/r/k', 'v'), AlreadyExistsError);
        await assert.rejects(store.update('/r/k', 'v', before + 100), ConflictError);
        await assert.rejects(store.delete('/r/missing'), NotFoundError);
        assert.equal(await store.currentRevision(), before);
      });
    });

    describe('list / count', () => {
      async function seed(): Promise<void> {
        // Deliberately out of order; "/a/" must not match "/ab/" or "/a".
        for (const k of ['/a/3', '/ab/1', '/a/1', '/a', '/b/1', '/a/2', '/a/0/x', '/a/4', '/a/5']) {
          await store.create(k, `v${k}`);
        }
      }

      it('lists keys under the prefix only, in key order, with values', async () => {
        await seed();
        const res = await store.list('/a/');
        assert.deepEqual(keys(res.items), ['/a/0/x', '/a/1', '/a/2', '/a/3', '/a/4', '/a/5']);
        assert.equal(res.items[1]!.value, 'v/a/1');
        assert.equal(res.more, false);
        assert.equal(res.revision, await store.currentRevision());
        assert.deepEqual(keys((await store.list('/ab/')).items), ['/ab/1']);
        assert.deepEqual(keys((await store.list('/zz/')).items), []);
      });

      it('counts keys under the prefix', async () => {
        await seed();
        assert.equal(await store.count('/a/'), 6);
        assert.equal(await store.count('/ab/'), 1);
        assert.equal(await store.count('/none/'), 0);
        await store.delete('/a/1');
        assert.equal(await store.count('/a/'), 5);
      });

      it('paginates with limit and startAfter, reporting more and remaining', async () => {
        await seed();
        const seen: string[] = [];
        let startAfter: string | undefined;
        const pages: { n: number; more: boolean; remaining?: number }[] = [];
        for (;;) {
          const page = await store.list('/a/', { limit: 4, startAfter });
          seen.push(...keys(page.items));
          pages.push({ n: page.items.length, more: page.more, remaining: page.remaining });
          if (!page.more) break;
          startAfter = page.items[page.items.length - 1]!.key;
        }
        assert.deepEqual(seen, ['/a/0/x', '/a/1', '/a/2', '/a/3', '/a/4', '/a/5']);
        assert.deepEqual(
          pages.map((p) => [p.n, p.more]),
          [
            [4, true],
            [2, false],
          ],
        );
        if (pages[0]!.remaining !== undefined) assert.equal(pages[0]!.remaining, 2);
      });

      it('an exactly full last page reports more=false; limit 0 means all', async () => {
        await seed();
        const page = await store.list('/a/', { limit: 3, startAfter: '/a/2' });
        assert.deepEqual(keys(page.items), ['/a/3', '/a/4', '/a/5']);
        assert.equal(page.more, false);
        assert.equal((await store.list('/a/', { limit: 0 })).items.length, 6);
      });

      it('startAfter before the prefix starts at the prefix; past it gives nothing', async () => {
        await seed();
        assert.deepEqual(keys((await store.list('/a/', { startAfter: '/' })).items).length, 6);
        assert.deepEqual(keys((await store.list('/a/', { startAfter: '/a/9' })).items), []);
      });

      it('lists the state at a past revision (values, deletions and later creations undone)', async () => {
        const a = await store.create('/p/a', 'a1');
        await store.create('/p/b', 'b1');
        await store.create('/q/x', 'x1');
        const past = await store.currentRevision();
        await store.update('/p/a', 'a2', a.modRevision);
        await store.delete('/p/b');
        await store.create('/p/c', 'c1');
        await store.create('/p/b', 'b2');

        const then = await store.list('/p/', { revision: past });
        assert.equal(then.revision, past);
        assert.deepEqual(
          then.items.map((kv) => [kv.key, kv.value]),
          [
            ['/p/a', 'a1'],
            ['/p/b', 'b1'],
          ],
        );
        assert.equal(then.items[0]!.modRevision, a.modRevision);
        const now = await store.list('/p/');
        assert.deepEqual(
          now.items.map((kv) => [kv.key, kv.value]),
          [
            ['/p/a', 'a2'],
            ['/p/b', 'b2'],
            ['/p/c', 'c1'],
          ],
        );
      });

      it('paginates at a past revision', async () => {
        for (const k of ['/p/1', '/p/2', '/p/3', '/p/4']) await store.create(k, 'old');
        const past = await store.currentRevision();
        await store.delete('/p/2');
        await store.create('/p/25', 'new');
        const cur4 = await store.get('/p/4');
        await store.update('/p/4', 'new', cur4!.modRevision);
        const first = await store.list('/p/', { limit: 2, revision: past });
        assert.deepEqual(keys(first.items), ['/p/1', '/p/2']);
        assert.equal(first.more, true);
        const second = await store.list('/p/', { limit: 2, revision: past, startAfter: '/p/2' });
        assert.deepEqual(
          second.items.map((kv) => [kv.key, kv.value]),
          [
            ['/p/3', 'old'],
            ['/p/4', 'old'],
          ],
        );
        assert.equal(second.more, false);
      });
    });

    describe('watch', () => {
      it('from 0 delivers only writes made after the watch started', async () => {
        await store.create('/w/before', 'v');
        const r = await record('/w/', 0);
        const created = await store.create('/w/after', 'v1');
        const updated = await store.update('/w/after', 'v2', created.modRevision);
        await r.until(updated.modRevision);
        assert.deepEqual(
          r.events.map((e) => [e.type, keyOf(e), revisionOf(e)]),
          [
            ['put', '/w/after', created.modRevision],
            ['put', '/w/after', updated.modRevision],
          ],
        );
        const put = r.events[1]!;
        assert.ok(put.type === 'put');
        assert.deepEqual(put.kv, updated);
        if (put.prev) assert.deepEqual(put.prev, created);
      });

      it('delete events carry the revision and the previous KeyValue', async () => {
        const r = await record('/w/', 0);
        const created = await store.create('/w/k', 'v1');
        const del = await store.delete('/w/k');
        await r.until(del.revision);
        const e = r.events[1]!;
        assert.equal(e.type, 'delete');
        assert.ok(e.type === 'delete');
        assert.equal(e.key, '/w/k');
        assert.equal(e.revision, del.revision);
        assert.deepEqual(e.prev, created);
      });

      it('watches only its prefix ("/w/" does not see "/wx/" or "/w")', async () => {
        const r = await record('/w/', 0);
        await store.create('/wx/1', 'v');
        await store.create('/w', 'v');
        const mine = await store.create('/w/1', 'v');
        await r.until(mine.modRevision);
        await settle(50);
        assert.deepEqual(r.events.map(keyOf), ['/w/1']);
      });

      it('from a past revision replays the history then continues live', async () => {
        const a = await store.create('/w/a', 'a1');
        const from = a.modRevision;
        const a2 = await store.update('/w/a', 'a2', a.modRevision);
        await store.create('/other/x', 'x');
        const del = await store.delete('/w/a');
        const r = await record('/w/', from);
        const b = await store.create('/w/b', 'b1');
        await r.until(b.modRevision);
        assert.deepEqual(
          r.events.map((e) => [e.type, keyOf(e), revisionOf(e)]),
          [
            ['put', '/w/a', a2.modRevision],
            ['delete', '/w/a', del.revision],
            ['put', '/w/b', b.modRevision],
          ],
        );
        const replayedDelete = r.events[1]!;
        assert.ok(replayedDelete.type === 'delete');
        assert.deepEqual(replayedDelete.prev, a2);
      });

      it('replay + live under concurrent writes: every write exactly once, in revision order', async () => {
        const writes: number[] = [];
        const k0 = await store.create('/cw/k0', 'v');
        writes.push(k0.modRevision);
        const from = k0.modRevision;
        const writer = async (w: number): Promise<void> => {
          for (let i = 0; i < 25; i++) {
            const kv = await store.create(`/cw/w${w}-${i}`, 'v');
            writes.push(kv.modRevision);
            if (i % 5 === 0) await store.create(`/cx/w${w}-${i}`, 'noise');
            // Yield to the event loop now and then, so the watch below really starts mid-stream.
            if (i % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
          }
        };
        const writing = Promise.all([writer(1), writer(2), writer(3)]);
        while (writes.length < 10) await new Promise((resolve) => setImmediate(resolve));
        const r = await record('/cw/', from);
        const writtenBeforeWatch = writes.length;
        await writing;
        const last = Math.max(...writes);
        assert.ok(writtenBeforeWatch > 1 && writtenBeforeWatch < writes.length, 'the watch started mid-stream');
        await r.until(last);
        await settle(50);
        const got = r.events.map(revisionOf);
        const expected = writes.filter((rev) => rev > from).sort((x, y) => x - y);
        assert.deepEqual(got, expected);
      });

      it('close() stops delivery', async () => {
        const r = await record('/w/', 0);
        const first = await store.create('/w/1', 'v');
        await r.until(first.modRevision);
        r.close();
        await store.create('/w/2', 'v');
        await settle(100);
        assert.deepEqual(r.events.map(keyOf), ['/w/1']);
      });

      it('several watchers on overlapping prefixes each get their events', async () => {
        const all = await record('/', 0);
        const w = await record('/w/', 0);
        const x = await record('/x/', 0);
        await store.create('/w/1', 'v');
        const last = await store.create('/x/1', 'v');
        await all.until(last.modRevision);
        await x.until(last.modRevision);
        await settle(50);
        assert.deepEqual(all.events.map(keyOf), ['/w/1', '/x/1']);
        assert.deepEqual(w.events.map(keyOf), ['/w/1']);
        assert.deepEqual(x.events.map(keyOf), ['/x/1']);
      });
    });

    describe('compaction', () => {
      it('reads and watches below the compact revision fail with CompactedError; current values survive', async () => {
        const a = await store.create('/k/a', 'a1');
        const b = await store.create('/k/b', 'b1');
        const a2 = await store.update('/k/a', 'a2', a.modRevision);
        await store.create('/k/c', 'c1');
        await store.delete('/k/c');
        const compactAt = await store.currentRevision();
        const late = await store.update('/k/a', 'a3', a2.modRevision);

        await store.compact(compactAt);
        assert.ok((await store.compactRevision()) >= compactAt);

        await assert.rejects(store.list('/k/', { revision: b.modRevision }), CompactedError);
        await assert.rejects(store.watch('/k/', b.modRevision, { onEvent: () => {}, onError: () => {} }), CompactedError);

        assert.deepEqual(
          (await store.list('/k/')).items.map((kv) => [kv.key, kv.value]),
          [
            ['/k/a', 'a3'],
            ['/k/b', 'b1'],
          ],
        );
        assert.deepEqual(await store.get('/k/b'), b);
        assert.equal(await store.count('/k/'), 2);

        // History after the compact revision is still there.
        const r = await record('/k/', compactAt);
        await r.until(late.modRevision);
        assert.deepEqual(r.events.map(revisionOf), [late.modRevision]);
        // Keys untouched since before the compaction can still be updated and deleted.
        const b2 = await store.update('/k/b', 'b2', b.modRevision);
        await store.delete('/k/b', b2.modRevision);
      });

      it('the state at the compact revision stays readable', async () => {
        const a = await store.create('/k/a', 'a1');
        await store.update('/k/a', 'a2', a.modRevision);
        await store.create('/k/b', 'b1');
        const compactAt = await store.currentRevision();
        await store.delete('/k/b');
        await store.compact(compactAt);
        const compacted = await store.compactRevision();
        const at = await store.list('/k/', { revision: compacted });
        assert.deepEqual(
          at.items.map((kv) => [kv.key, kv.value]),
          [
            ['/k/a', 'a2'],
            ['/k/b', 'b1'],
          ],
        );
      });

      it('compacting twice, and to an older revision, is harmless', async () => {
        const a = await store.create('/k/a', 'a1');
        const a2 = await store.update('/k/a', 'a2', a.modRevision);
        await store.compact(a2.modRevision);
        await store.compact(a2.modRevision);
        await store.compact(a.modRevision).catch(() => undefined); // backends may reject going backwards
        assert.equal((await store.get('/k/a'))?.value, 'a2');
        assert.ok((await store.compactRevision()) >= a2.modRevision);
      });
    });

    describe('close', () => {
      it('stops watches: no events after close()', async () => {
        const r = await record('/z/', 0);
        const first = await store.create('/z/1', 'v');
        await r.until(first.modRevision);
        await store.close();
        const count = r.events.length;
        await settle(100);
        assert.equal(r.events.length, count);
        r.close(); // closing a watch of a closed store is harmless
      });
    });
  });
}
