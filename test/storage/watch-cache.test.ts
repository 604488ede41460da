// WatchCache against a real in-memory SqliteStore: what API clients observe through it — lists in key order
// with filtered pagination, watches that resume from a revision (or answer "too old"), upstream's filtered
// event semantics, consistent reads via waitFor, fan-out to many watchers, and recovery from a lost watch.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { StatusError } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/types.js';
import { openSqliteStore, type SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { CompactedError, type KeyValue, type Store, type WatchHandlers } from '../../src/storage/store.js';
import { filterEvent, WatchCache, type CacheEvent, type WatchCacheOptions } from '../../src/storage/watch-cache.js';

const PREFIX = '/registry/pods/';

function decode(kv: KeyValue): KubeObject {
  const o = JSON.parse(kv.value) as KubeObject;
  return { ...o, metadata: { ...o.metadata, resourceVersion: String(kv.modRevision) } };
}

function pod(ns: string, name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name, labels }, ...extra });
}

const key = (ns: string, name: string) => `${PREFIX}${ns}/${name}`;
const names = (items: KubeObject[]) => items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Records a cache watcher's events and close reason. */
class Rec {
  events: CacheEvent[] = [];
  closed: string | undefined;
  onEvent = (e: CacheEvent) => void this.events.push(e);
  onClose = (reason: 'stopped' | 'error') => void (this.closed = reason);
  summary(): string[] {
    return this.events.map((e) => `${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`);
  }
}

describe('WatchCache', () => {
  let store: SqliteStore;
  let cache: WatchCache;

  async function startCache(opts: Partial<WatchCacheOptions> = {}, s: Store = store): Promise<WatchCache> {
    cache = new WatchCache(s, { prefix: PREFIX, decode, ...opts });
    await cache.start();
    return cache;
  }

  beforeEach(async () => {
    store = await openSqliteStore(':memory:');
  });
  afterEach(async () => {
    cache?.stop();
    await store.close();
  });

  describe('state', () => {
    it('loads existing objects and follows creates, updates and deletes', async () => {
      await store.create(key('ns1', 'a'), pod('ns1', 'a'));
      await store.create('/registry/services/ns1/a', pod('ns1', 'svc'));
      await startCache();
      assert.equal(cache.revision, await store.currentRevision());
      assert.equal(cache.get(key('ns1', 'a'))?.metadata.resourceVersion, '1');
      assert.equal(cache.get('/registry/services/ns1/a'), undefined);

      const b = await store.create(key('ns1', 'b'), pod('ns1', 'b'));
      const a2 = await store.update(key('ns1', 'a'), pod('ns1', 'a', { v: '2' }), 1);
      await store.delete(key('ns1', 'b'));
      await tick();
      assert.equal(cache.get(key('ns1', 'b')), undefined);
      assert.deepEqual(cache.get(key('ns1', 'a'))?.metadata.labels, { v: '2' });
      assert.equal(cache.get(key('ns1', 'a'))?.metadata.resourceVersion, String(a2.modRevision));
      assert.ok(cache.revision > b.modRevision);
      assert.deepEqual(names(cache.list(PREFIX).items), ['ns1/a']);
    });
  });

  describe('list', () => {
    beforeEach(async () => {
      await startCache();
      // Out of order on purpose; ns1 must not match ns10.
      for (const [ns, name] of [
        ['ns2', 'b'],
        ['ns1', 'c'],
        ['ns10', 'a'],
        ['ns1', 'a'],
        ['ns2', 'a'],
        ['ns1', 'b'],
      ] as const) {
        await store.create(key(ns, name), pod(ns, name, { app: name === 'b' ? 'web' : 'db' }));
      }
      await tick();
    });

    it('returns keys in order, scoped to the key prefix', () => {
      assert.deepEqual(names(cache.list(PREFIX).items), ['ns1/a', 'ns1/b', 'ns1/c', 'ns10/a', 'ns2/a', 'ns2/b']);
      assert.deepEqual(names(cache.list(`${PREFIX}ns1/`).items), ['ns1/a', 'ns1/b', 'ns1/c']);
      assert.deepEqual(names(cache.list(`${PREFIX}ns3/`).items), []);
      const res = cache.list(`${PREFIX}ns2/`);
      assert.equal(res.more, false);
      assert.equal(res.remaining, 0);
      assert.equal(res.revision, cache.revision);
    });

    it('paginates with limit and startAfter', () => {
      const p1 = cache.list(PREFIX, { limit: 4 });
      assert.deepEqual(names(p1.items), ['ns1/a', 'ns1/b', 'ns1/c', 'ns10/a']);
      assert.deepEqual([p1.more, p1.remaining, p1.lastKey], [true, 2, key('ns10', 'a')]);
      const p2 = cache.list(PREFIX, { limit: 4, startAfter: p1.lastKey });
      assert.deepEqual(names(p2.items), ['ns2/a', 'ns2/b']);
      assert.deepEqual([p2.more, p2.remaining], [false, 0]);
    });

    it('applies the filter before the limit', () => {
      const web = (o: KubeObject) => o.metadata.labels?.app === 'web';
      const p1 = cache.list(PREFIX, { limit: 1, filter: web });
      assert.deepEqual(names(p1.items), ['ns1/b']);
      assert.equal(p1.more, true);
      const p2 = cache.list(PREFIX, { limit: 1, filter: web, startAfter: p1.lastKey });
      assert.deepEqual(names(p2.items), ['ns2/b']);
      assert.equal(p2.more, false);
      assert.deepEqual(names(cache.list(PREFIX, { filter: web }).items), ['ns1/b', 'ns2/b']);
    });

    it('holds the state at a revision until a write under its prefix follows it', async () => {
      const at = cache.revision;
      assert.equal(cache.holdsStateAt(at), true);
      assert.equal(cache.holdsStateAt(at + 1), false, 'not applied yet');
      await store.create('/registry/services/ns1/x', pod('ns1', 'x')); // another prefix
      await tick();
      await cache.waitFor(await store.currentRevision(), 1000);
      assert.equal(cache.holdsStateAt(at), true, 'writes elsewhere do not change this prefix');
      assert.equal(cache.holdsStateAt(cache.revision), true);
      await store.update(key('ns1', 'a'), pod('ns1', 'a', { v: '2' }), (await store.get(key('ns1', 'a')))!.modRevision);
      await tick();
      assert.equal(cache.holdsStateAt(at), false, 'ns1/a changed after it');
      assert.equal(cache.holdsStateAt(cache.revision), true);
    });

    it('listAt gives the state at an earlier revision: every page, limit, filter and remaining count', async () => {
      // Deterministic pseudo-random writes after a snapshot; listAt(snapshot) must match the snapshot.
      let seed = 7;
      const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
      const snapshotOf = () => cache.list(PREFIX).items.map((o) => ({ key: key(o.metadata.namespace!, o.metadata.name!), o }));
      for (let round = 0; round < 4; round++) {
        const at = cache.revision;
        const before = snapshotOf();
        for (let w = 0; w < 25; w++) {
          const ns = `ns${rand(3)}`;
          const name = String.fromCharCode(97 + rand(8));
          const k = key(ns, name);
          const cur = await store.get(k);
          if (cur === undefined) await store.create(k, pod(ns, name, { app: rand(2) ? 'web' : 'db', w: String(w) }));
          else if (rand(3) === 0) await store.delete(k, cur.modRevision);
          else await store.update(k, pod(ns, name, { app: rand(2) ? 'web' : 'db', w: String(w) }), cur.modRevision);
        }
        await tick();
        const web = (o: KubeObject) => o.metadata.labels?.app === 'web';
        for (const [prefix, filter] of [[PREFIX, undefined], [`${PREFIX}ns1/`, undefined], [PREFIX, web]] as const) {
          const want = before.filter((x) => x.key.startsWith(prefix) && (!filter || filter(x.o)));
          for (const limit of [1, 3, 100]) {
            const got: string[] = [];
            let startAfter: string | undefined;
            for (let page = 0; page < 100; page++) {
              const res = cache.listAt(prefix, at, { limit, startAfter, filter })!;
              assert.ok(res, 'history reaches back');
              assert.equal(res.revision, at);
              got.push(...names(res.items));
              if (!filter) {
                const seen = before.filter((x) => x.key.startsWith(prefix) && (startAfter === undefined || x.key > startAfter)).length;
                assert.equal(res.remaining, seen - res.items.length, `remaining after page ${page}`);
              }
              if (!res.more) break;
              startAfter = res.lastKey;
            }
            assert.deepEqual(got, names(want.map((x) => x.o)), `prefix ${prefix} limit ${limit}${filter ? ' filtered' : ''}`);
            // The objects are the ones of that revision.
            const all = cache.listAt(prefix, at, { filter })!;
            assert.deepEqual(all.items, want.map((x) => x.o));
          }
        }
      }
      assert.equal(cache.listAt(PREFIX, cache.revision + 1), undefined, 'not applied yet');
    });

    it('listAt is undefined once the history no longer reaches back', async () => {
      cache.stop();
      await startCache({ historyCapacity: 3 });
      const at = cache.revision;
      for (let i = 0; i < 5; i++) await store.create(key('ns9', `x${i}`), pod('ns9', `x${i}`));
      await tick();
      assert.equal(cache.listAt(PREFIX, at), undefined);
      assert.ok(cache.listAt(PREFIX, cache.revision));
    });

    it('stays sorted through deletes and re-creates', async () => {
      await store.delete(key('ns1', 'b'));
      await store.create(key('ns1', 'bb'), pod('ns1', 'bb'));
      await store.create(key('ns1', 'b'), pod('ns1', 'b'));
      await tick();
      assert.deepEqual(names(cache.list(`${PREFIX}ns1/`).items), ['ns1/a', 'ns1/b', 'ns1/bb', 'ns1/c']);
    });
  });

  describe('watch', () => {
    it('from 0 delivers only future events, with types, objects and prev', async () => {
      await store.create(key('ns', 'old'), pod('ns', 'old'));
      await startCache();
      const r = new Rec();
      cache.watch(PREFIX, 0, undefined, r);
      const a = await store.create(key('ns', 'a'), pod('ns', 'a'));
      await store.update(key('ns', 'a'), pod('ns', 'a', { x: 'y' }), a.modRevision);
      const del = await store.delete(key('ns', 'a'));
      await tick();
      assert.deepEqual(r.summary(), [`ADDED a 2`, `MODIFIED a 3`, `DELETED a ${del.revision}`]);
      const [added, modified, deleted] = r.events;
      assert.equal(added!.prev, undefined);
      assert.equal(modified!.prev, added!.object);
      // DELETED carries the last state, stamped with the delete's revision (as upstream).
      assert.deepEqual(deleted!.object.metadata.labels, { x: 'y' });
      assert.equal(deleted!.revision, del.revision);
      assert.equal(deleted!.prev, modified!.object);
    });

    it('from a buffered revision replays newer events (for its key prefix), then continues live', async () => {
      await startCache();
      const a = await store.create(key('ns1', 'a'), pod('ns1', 'a'));
      await store.create(key('ns2', 'b'), pod('ns2', 'b'));
      await store.update(key('ns1', 'a'), pod('ns1', 'a', { v: '2' }), a.modRevision);
      await tick();
      const r = new Rec();
      cache.watch(`${PREFIX}ns1/`, a.modRevision, undefined, r);
      await store.create(key('ns1', 'c'), pod('ns1', 'c'));
      await tick();
      assert.deepEqual(r.summary(), ['MODIFIED a 3', 'ADDED c 4']);
    });

    it('replay and live events interleave without gaps or duplicates', async () => {
      await startCache();
      const first = await store.create(key('ns', 'k0'), pod('ns', 'k0'));
      for (let i = 1; i < 5; i++) await store.create(key('ns', `k${i}`), pod('ns', `k${i}`));
      await tick();
      // This write's notification is already queued when the watch starts, so it reaches the cache before
      // the replay has been delivered: it must queue behind the replay.
      const racing = store.create(key('ns', 'k5'), pod('ns', 'k5'));
      const r = new Rec();
      cache.watch(PREFIX, first.modRevision, undefined, r);
      await racing;
      for (let i = 6; i < 8; i++) await store.create(key('ns', `k${i}`), pod('ns', `k${i}`));
      await tick();
      assert.deepEqual(
        r.events.map((e) => e.revision),
        [2, 3, 4, 5, 6, 7, 8],
      );
    });

    it('answers CompactedError (410) for revisions older than the buffered history', async () => {
      const before = await store.create(key('ns', 'before'), pod('ns', 'before'));
      await store.create(key('ns', 'x'), pod('ns', 'x'));
      await startCache({ historyCapacity: 3 });
      // Older than the initial list: never buffered.
      assert.throws(() => cache.watch(PREFIX, before.modRevision, undefined, new Rec()), CompactedError);
      const revs: number[] = [];
      for (let i = 0; i < 5; i++) revs.push((await store.create(key('ns', `k${i}`), pod('ns', `k${i}`))).modRevision);
      await tick();
      // Buffer holds revs[2..4]; resuming from revs[1] or later works, earlier does not.
      assert.throws(() => cache.watch(PREFIX, revs[0]!, undefined, new Rec()), CompactedError);
      const r = new Rec();
      cache.watch(PREFIX, revs[1]!, undefined, r);
      await tick();
      assert.deepEqual(r.events.map((e) => e.revision), revs.slice(2));
    });

    it('revision from another prefix is a valid resume point', async () => {
      await startCache();
      const other = await store.create('/registry/services/ns/s', pod('ns', 's'));
      await tick();
      assert.equal(cache.revision, other.modRevision);
      const r = new Rec();
      cache.watch(PREFIX, other.modRevision, undefined, r);
      await store.create(key('ns', 'p'), pod('ns', 'p'));
      await tick();
      assert.deepEqual(r.summary(), [`ADDED p ${other.modRevision + 1}`]);
    });

    it('shares one event object between watchers', async () => {
      await startCache();
      const r1 = new Rec();
      const r2 = new Rec();
      cache.watch(PREFIX, 0, undefined, r1);
      cache.watch(`${PREFIX}ns/`, 0, () => true, r2);
      await store.create(key('ns', 'a'), pod('ns', 'a'));
      await tick();
      assert.equal(r1.events.length, 1);
      assert.equal(r1.events[0], r2.events[0]);
    });

    it('closes a watcher that throws with onClose("error"); the others keep receiving', async () => {
      await startCache();
      const bad = new Rec();
      bad.onEvent = () => {
        throw new Error('client gone');
      };
      const good = new Rec();
      cache.watch(PREFIX, 0, undefined, bad);
      cache.watch(PREFIX, 0, undefined, good);
      await store.create(key('ns', 'a'), pod('ns', 'a'));
      await store.create(key('ns', 'b'), pod('ns', 'b'));
      await tick();
      assert.equal(bad.closed, 'error');
      assert.equal(good.events.length, 2);
    });

    it('close() stops delivery', async () => {
      await startCache();
      const r = new Rec();
      const w = cache.watch(PREFIX, 0, undefined, r);
      await store.create(key('ns', 'a'), pod('ns', 'a'));
      await tick();
      w.close();
      await store.create(key('ns', 'b'), pod('ns', 'b'));
      await tick();
      assert.equal(r.events.length, 1);
      assert.equal(r.closed, undefined);
    });

    it('fans out to 1,000 watchers in order, p99 well under 50 ms', async () => {
      await startCache();
      const n = 1_000;
      const writes = 20;
      const latencies: number[] = [];
      let writtenAt = 0;
      const received: number[][] = Array.from({ length: n }, () => []);
      for (let i = 0; i < n; i++) {
        cache.watch(PREFIX, 0, undefined, {
          onEvent: (e) => {
            received[i]!.push(e.revision);
            latencies.push(performance.now() - writtenAt);
          },
          onClose: () => undefined,
        });
      }
      const revs: number[] = [];
      for (let j = 0; j < writes; j++) {
        writtenAt = performance.now();
        revs.push((await store.create(key('ns', `p${j}`), pod('ns', `p${j}`))).modRevision);
        await tick();
      }
      for (const got of received) assert.deepEqual(got, revs);
      latencies.sort((x, y) => x - y);
      const p99 = latencies[Math.floor(latencies.length * 0.99)]!;
      assert.ok(p99 < 50, `p99 ${p99.toFixed(2)} ms`);
    });
  });

  describe('history sizing (upstream: grow while the oldest event is fresh, shrink when stale)', () => {
    let now = 0;
    const opts = { historyCapacity: 4, historyMaxCapacity: 16, eventFreshMs: 1000, now: () => now };
    const write = async (n: number, from: number) => {
      for (let i = from; i < from + n; i++) await store.create(key('h', `p${i}`), pod('h', `p${i}`));
      await tick();
    };

    it('grows (doubling, up to the maximum) while events arrive faster than the fresh duration', async () => {
      await store.create(key('h', 'seed'), pod('h', 'seed')); // a revision > 0 to watch from
      await startCache(opts);
      const at = cache.revision;
      await write(10, 0);
      assert.deepEqual(cache.historySize, { events: 10, capacity: 16 });
      // A watcher that fell 10 events behind resumes from its revision instead of getting "too old".
      const rec = new Rec();
      cache.watch(PREFIX, at, undefined, rec);
      await tick();
      assert.equal(rec.events.length, 10);
      assert.equal(rec.closed, undefined);
      await write(10, 10);
      assert.deepEqual(cache.historySize, { events: 16, capacity: 16 });
      assert.throws(() => cache.watch(PREFIX, at, undefined, new Rec()), CompactedError);
      // The 16 events reach back to the state just before the oldest of them.
      assert.ok(cache.listAt(PREFIX, cache.revision - 16));
      assert.equal(cache.listAt(PREFIX, cache.revision - 17), undefined);
    });

    it('keeps its size when the oldest event is stale, and halves (keeping the newest) once the newest quarter is', async () => {
      await startCache(opts);
      await write(10, 0); // capacity 16, 10 events
      now = 5000;
      await write(6, 10); // full at 16; the first ten are stale now, the newest six are not
      assert.deepEqual(cache.historySize, { events: 16, capacity: 16 });
      await write(1, 16); // the newest quarter (4 events) is fresh: no shrink, the oldest is overwritten
      assert.deepEqual(cache.historySize, { events: 16, capacity: 16 });
      now = 10_000; // everything is stale
      const rev = cache.revision;
      await write(1, 17);
      assert.deepEqual(cache.historySize, { events: 8, capacity: 8 });
      // The newest events are the ones kept: a watch from 7 writes ago still resumes.
      const rec = new Rec();
      cache.watch(PREFIX, rev - 6, undefined, rec);
      await tick();
      assert.deepEqual(rec.summary().map((l) => l.split(' ')[1]), ['p11', 'p12', 'p13', 'p14', 'p15', 'p16', 'p17']);
      assert.throws(() => cache.watch(PREFIX, rev - 8, undefined, new Rec()), CompactedError);
      // ...and halves again down to the minimum, never below.
      now = 20_000;
      await write(1, 18);
      now = 30_000;
      await write(1, 19);
      assert.deepEqual(cache.historySize, { events: 4, capacity: 4 });
    });

    it('keeps exactly historyCapacity events when no maximum is given', async () => {
      await startCache({ historyCapacity: 3 });
      await write(10, 0);
      assert.deepEqual(cache.historySize, { events: 3, capacity: 3 });
    });
  });

  describe('filtered watch (upstream semantics)', () => {
    const web = (o: KubeObject) => o.metadata.labels?.app === 'web';
    const cases: { name: string; before?: string; after?: string; want: string[] }[] = [
      { name: 'created matching → ADDED', after: 'web', want: ['ADDED'] },
      { name: 'created not matching → nothing', after: 'db', want: [] },
      { name: 'still matching → MODIFIED', before: 'web', after: 'web', want: ['MODIFIED'] },
      { name: 'starts matching → ADDED', before: 'db', after: 'web', want: ['ADDED'] },
      { name: 'stops matching → DELETED', before: 'web', after: 'db', want: ['DELETED'] },
      { name: 'never matching → nothing', before: 'db', after: 'db', want: [] },
      { name: 'matching deleted → DELETED', before: 'web', want: ['DELETED'] },
      { name: 'not matching deleted → nothing', before: 'db', want: [] },
    ];
    // The same through an index on the label (as a spec.nodeName=<node> watch is indexed).
    const byApp = { field: 'app', value: 'web', valueOf: (o: KubeObject) => o.metadata.labels?.app ?? '' };
    for (const c of cases.flatMap((c) => [c, { ...c, name: `${c.name} (indexed)`, indexed: true }])) {
      it(c.name, async () => {
        await startCache();
        const k = key('ns', 'p');
        let kv = c.before ? await store.create(k, pod('ns', 'p', { app: c.before })) : undefined;
        await tick();
        const r = new Rec();
        cache.watch(PREFIX, 0, web, r, 'indexed' in c ? byApp : undefined);
        if (c.after) {
          kv = kv
            ? await store.update(k, pod('ns', 'p', { app: c.after }), kv.modRevision)
            : await store.create(k, pod('ns', 'p', { app: c.after }));
        } else {
          await store.delete(k);
        }
        await tick();
        assert.deepEqual(
          r.events.map((e) => e.type),
          c.want,
        );
        const rev = await store.currentRevision();
        for (const e of r.events) {
          assert.equal(e.revision, rev);
          assert.equal(e.object.metadata.resourceVersion, String(rev));
        }
        // A DELETED sent because the object stopped matching carries its last matching state (as upstream).
        if (c.want[0] === 'DELETED') assert.equal(r.events[0]!.object.metadata.labels?.app, 'web');
      });
    }

    it('indexed watchers are not offered events for other values; unindexed ones still see everything', async () => {
      await startCache();
      const calls = new Map<string, number>();
      const onNode = (node: string) => (o: KubeObject) => {
        calls.set(node, (calls.get(node) ?? 0) + 1);
        return ((o as { spec?: { nodeName?: string } }).spec?.nodeName ?? '') === node;
      };
      const nodeIndex = (node: string) => ({ field: 'spec.nodeName', value: node, valueOf: (o: KubeObject) => (o as { spec?: { nodeName?: string } }).spec?.nodeName ?? '' });
      const recs = new Map<string, Rec>();
      const handles = ['n1', 'n2', 'n3', ''].map((n) => {
        const r = new Rec();
        recs.set(n, r);
        return cache.watch(PREFIX, 0, onNode(n), r, nodeIndex(n));
      });
      const all = new Rec();
      cache.watch(PREFIX, 0, undefined, all);
      const a = await store.create(key('ns', 'a'), pod('ns', 'a', {}, { spec: {} }));
      const a2 = await store.update(key('ns', 'a'), pod('ns', 'a', {}, { spec: { nodeName: 'n1' } }), a.modRevision);
      const b = await store.create(key('ns', 'b'), pod('ns', 'b', {}, { spec: { nodeName: 'n2' } }));
      await store.update(key('ns', 'a'), pod('ns', 'a', {}, { spec: { nodeName: 'n2' } }), a2.modRevision);
      await store.delete(key('ns', 'b'), b.modRevision);
      await tick();
      assert.deepEqual(recs.get('')!.summary().map((x) => x.split(' ').slice(0, 2).join(' ')), ['ADDED a', 'DELETED a']);
      assert.deepEqual(recs.get('n1')!.summary().map((x) => x.split(' ').slice(0, 2).join(' ')), ['ADDED a', 'DELETED a']);
      assert.deepEqual(recs.get('n2')!.summary().map((x) => x.split(' ').slice(0, 2).join(' ')), ['ADDED b', 'ADDED a', 'DELETED b']);
      assert.deepEqual(recs.get('n3')!.events, []);
      assert.equal(calls.get('n3') ?? 0, 0, 'never offered an event for another node');
      assert.equal(all.events.length, 5);
      for (const h of handles) h.close();
      await store.create(key('ns', 'c'), pod('ns', 'c', {}, { spec: { nodeName: 'n1' } }));
      await tick();
      assert.equal(recs.get('n1')!.events.length, 2, 'closed indexed watchers get nothing more');
      assert.equal(all.events.length, 6);
    });

    it('filtered variants are shared between watchers that see the same change', async () => {
      await startCache();
      const kv = await store.create(key('ns', 'p'), pod('ns', 'p', { app: 'db' }));
      await tick();
      const r1 = new Rec();
      const r2 = new Rec();
      cache.watch(PREFIX, 0, web, r1);
      cache.watch(PREFIX, 0, (o) => o.metadata.labels?.app === 'web', r2);
      await store.update(key('ns', 'p'), pod('ns', 'p', { app: 'web' }), kv.modRevision);
      await tick();
      assert.equal(r1.events[0]!.type, 'ADDED');
      assert.equal(r1.events[0], r2.events[0]);
    });

    it('filterEvent without a filter returns the event itself', () => {
      const e: CacheEvent = { type: 'ADDED', key: 'k', object: { metadata: {} }, revision: 1 };
      assert.equal(filterEvent(e, undefined), e);
    });
  });

  describe('waitFor', () => {
    it('resolves at once for an applied revision and after a write to another prefix', async () => {
      await startCache();
      await cache.waitFor(cache.revision, 10);
      const other = await store.create('/registry/configmaps/ns/c', '{}');
      await cache.waitFor(other.modRevision, 1_000);
      assert.equal(cache.revision, other.modRevision);
    });

    it('waits for a revision written later', async () => {
      await startCache();
      const target = cache.revision + 1;
      const waiting = cache.waitFor(target, 2_000);
      setTimeout(() => void store.create(key('ns', 'late'), pod('ns', 'late')), 20);
      await waiting;
      assert.ok(cache.get(key('ns', 'late')));
    });

    it('rejects with 504 "Too large resource version" after the timeout', async () => {
      await startCache();
      await assert.rejects(cache.waitFor(cache.revision + 10, 30), (err: unknown) => {
        assert.ok(err instanceof StatusError);
        assert.equal(err.code, 504);
        assert.match(err.message, /Too large resource version/);
        return true;
      });
    });

    it('does not hang on a backend without progress notifications', async () => {
      const noProgress = withoutProgress(store);
      await startCache({}, noProgress);
      const other = await store.create('/registry/configmaps/ns/c', '{}');
      await cache.waitFor(other.modRevision, 2_000);
      assert.ok(cache.revision >= other.modRevision);
    });
  });

  describe('lifecycle', () => {
    it('stop() closes watchers with "stopped" and rejects pending waits', async () => {
      await startCache();
      const r = new Rec();
      cache.watch(PREFIX, 0, undefined, r);
      const pending = cache.waitFor(cache.revision + 5, 5_000);
      cache.stop();
      assert.equal(r.closed, 'stopped');
      await assert.rejects(pending, StatusError);
      await store.create(key('ns', 'a'), pod('ns', 'a'));
      await tick();
      assert.equal(r.events.length, 0);
    });

    it('when the store watch fails: watchers end with "error", the cache relists and follows again', async () => {
      const failing = withFailableWatch(store);
      await startCache({}, failing.store);
      const r = new Rec();
      cache.watch(PREFIX, 0, undefined, r);
      await store.create(key('ns', 'a'), pod('ns', 'a'));
      await tick();
      failing.fail();
      assert.equal(r.closed, 'error');
      // Written while the cache was not watching: found by the relist.
      await store.create(key('ns', 'b'), pod('ns', 'b'));
      const deadline = Date.now() + 3_000;
      while (!cache.get(key('ns', 'b')) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
      assert.ok(cache.get(key('ns', 'b')), 'relisted');
      const c = await store.create(key('ns', 'c'), pod('ns', 'c'));
      await tick();
      assert.equal(cache.get(key('ns', 'c'))?.metadata.resourceVersion, String(c.modRevision));
    });
  });
});

/** The same store, but its watches never send progress notifications (like a backend without them). */
function withoutProgress(inner: Store): Store {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'watch') {
        return (prefix: string, from: number, h: WatchHandlers) =>
          target.watch(prefix, from, { onEvent: h.onEvent, onError: h.onError });
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** The same store, with a switch that makes the current watches fail as if the connection were lost. */
function withFailableWatch(inner: Store): { store: Store; fail(): void } {
  const live: { h: WatchHandlers; close(): void }[] = [];
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'watch') {
        return async (prefix: string, from: number, h: WatchHandlers) => {
          const w = await target.watch(prefix, from, h);
          live.push({ h, close: () => w.close() });
          return w;
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return {
    store,
    fail() {
      for (const w of live.splice(0)) {
        w.close();
        w.h.onError(new Error('connection lost'));
      }
    },
  };
}
