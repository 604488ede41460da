// The etcd backend against real etcd members: the shared Store conformance suite on one member (over TLS
// with client certificates when openssl is present), the parts only etcd has (key prefix, compaction learned
// from etcd, progress notifications, watch resume across a member restart, unavailability), and failover on
// three members when the leader is SIGKILLed.
import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { openEtcdStore, type EtcdStore, type EtcdStoreOptions } from '../../src/storage/etcd/etcd-store.js';
import { isEmptyRange, pageRange, prefixEnd, prefixRange } from '../../src/storage/etcd/keys.js';
import {
  AlreadyExistsError,
  CompactedError,
  UnavailableError,
  type WatchEvent,
} from '../../src/storage/store.js';
import { runStoreConformance } from './conformance.js';
import { etcdSkipReason, etcdTlsSkipReason, startEtcd, type EtcdCluster } from './etcd-harness.js';

const skipReason = etcdSkipReason();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function revisionOf(ev: WatchEvent): number {
  return ev.type === 'put' ? ev.kv.modRevision : ev.revision;
}

describe('etcd key ranges', () => {
  const b = (s: string) => Buffer.from(s, 'latin1');
  const hex = (buf: Buffer) => buf.toString('hex');
  const cases: { name: string; prefix: Buffer; end: string }[] = [
    { name: 'plain prefix', prefix: b('/registry/pods/'), end: hex(b('/registry/pods0')) },
    { name: 'trailing 0xff carries', prefix: Buffer.from([0x61, 0xff, 0xff]), end: '62' },
    { name: 'all 0xff has no end', prefix: Buffer.from([0xff]), end: '00' },
    { name: 'empty has no end', prefix: Buffer.alloc(0), end: '00' },
  ];
  for (const c of cases) {
    it(`prefixEnd: ${c.name}`, () => assert.equal(hex(prefixEnd(c.prefix)), c.end));
  }

  it('empty prefix ranges over every key', () => {
    const r = prefixRange(Buffer.alloc(0));
    assert.deepEqual([hex(r.key), hex(r.rangeEnd)], ['00', '00']);
  });

  const pages: { name: string; prefix: string; startAfter?: string; key: string; empty: boolean }[] = [
    { name: 'first page', prefix: '/a/', key: '/a/', empty: false },
    { name: 'after a key under the prefix', prefix: '/a/', startAfter: '/a/x', key: '/a/x\0', empty: false },
    { name: 'startAfter before the prefix', prefix: '/a/', startAfter: '/', key: '/a/', empty: false },
    { name: 'startAfter past the prefix', prefix: '/a/', startAfter: '/b', key: '/b\0', empty: true },
  ];
  for (const p of pages) {
    it(`pageRange: ${p.name}`, () => {
      const r = pageRange(b(p.prefix), p.startAfter === undefined ? undefined : b(p.startAfter));
      assert.equal(r.key.toString('latin1'), p.key);
      assert.equal(hex(r.rangeEnd), hex(b('/a0')));
      assert.equal(isEmptyRange(r), p.empty);
    });
  }
});

describe('EtcdStore on one member', { skip: skipReason }, () => {
  let cluster: EtcdCluster;
  let n = 0;
  // Served over TLS with client-certificate auth when openssl is available, so every test also covers TLS.
  const useTls = etcdTlsSkipReason() === undefined;
  const open = (extra: Partial<EtcdStoreOptions> = {}): Promise<EtcdStore> =>
    openEtcdStore({
      endpoints: cluster.endpoints,
      ...cluster.tls,
      prefix: `/skiff-etcd-test-${process.pid}-${++n}`,
      ...extra,
    });

  before(async () => {
    cluster = await startEtcd({
      members: 1,
      tls: useTls,
      extraArgs: ['--experimental-watch-progress-notify-interval=200ms'],
    });
  });
  after(async () => {
    await cluster?.stop();
  });

  // Every conformance case gets a fresh key prefix: an empty store on the shared member.
  runStoreConformance('etcd (one member)', async () => {
    const store = await open();
    return { store, cleanup: () => store.close() };
  });

  it('keeps stores with different prefixes apart (keys, counts, watches) but shares revisions', async () => {
    const a = await open();
    const b = await open();
    try {
      const seen: WatchEvent[] = [];
      const w = await a.watch('/registry/', 0, { onEvent: (e) => seen.push(e), onError: assert.fail });
      const inB = await b.create('/registry/pods/default/x', 'b');
      const inA = await a.create('/registry/pods/default/x', 'a');
      assert.equal(inA.modRevision, inB.modRevision + 1);
      assert.equal((await a.get('/registry/pods/default/x'))?.value, 'a');
      assert.deepEqual((await b.list('')).items.map((kv) => kv.value), ['b']);
      assert.equal(await a.count(''), 1);
      await waitFor('event', () => seen.length >= 1);
      await sleep(100);
      assert.deepEqual(seen, [{ type: 'put', kv: inA }]);
      w.close();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("learns another server's compaction from etcd", async () => {
    const a = await open();
    const b = await open();
    try {
      const first = await a.create('/k', '1');
      await a.update('/k', '2', first.modRevision);
      const now = await a.currentRevision();
      await b.compact(now);
      assert.equal(await a.compactRevision(), now);
      await assert.rejects(a.list('', { revision: first.modRevision }), (err: unknown) => {
        assert.ok(err instanceof CompactedError);
        assert.equal(err.requested, first.modRevision);
        assert.equal(err.compacted, now);
        return true;
      });
      await assert.rejects(a.watch('', first.modRevision, { onEvent() {}, onError() {} }), CompactedError);
      // The compaction revision itself stays readable, and compacting again below it is a no-op.
      assert.equal((await a.list('', { revision: now })).items[0]?.value, '2');
      await a.compact(first.modRevision);
      assert.equal(await b.compactRevision(), now);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('sends progress notifications at the revision of the last write', async () => {
    const s = await open();
    try {
      const progress: number[] = [];
      const w = await s.watch('/p/', 0, { onEvent() {}, onError: assert.fail, onProgress: (r) => progress.push(r) });
      const kv = await s.create('/p/1', 'x');
      await waitFor('progress', () => progress.some((r) => r >= kv.modRevision));
      assert.deepEqual(progress, [...progress].sort((x, y) => x - y));
      w.close();
    } finally {
      await s.close();
    }
  });

  it('reports unavailability, then resumes a watch after the member restarts without losing events', async () => {
    const s = await open();
    // Same data, but gives up quickly while the member is down.
    const impatient = await open({ requestTimeoutMs: 1500, attemptTimeoutMs: 500 });
    try {
      const seen: WatchEvent[] = [];
      const errors: Error[] = [];
      const w = await s.watch('/r/', 0, { onEvent: (e) => seen.push(e), onError: (e) => errors.push(e) });
      const before = [await s.create('/r/1', 'a'), await s.create('/r/2', 'b')];
      await cluster.killMember(0, 'SIGKILL');
      const down = Date.now();
      await assert.rejects(impatient.get('/r/1'), UnavailableError);
      await assert.rejects(impatient.create('/r/3', 'c'), UnavailableError);
      assert.ok(Date.now() - down < 5000, 'unavailability took too long to report');
      await cluster.restartMember(0);
      const later = [await s.create('/r/3', 'c'), await s.create('/r/4', 'd')];
      const want = [...before, ...later].map((kv) => kv.modRevision);
      await waitFor('events after restart', () => seen.length >= want.length, 20_000);
      await sleep(100);
      assert.deepEqual(seen.map(revisionOf), want);
      assert.deepEqual(errors, []);
      w.close();
    } finally {
      await s.close();
      await impatient.close();
    }
  });

  const tlsSkip = useTls ? false : 'no TLS';
  it('refuses to talk to a TLS member without a trusted client certificate', { skip: tlsSkip }, async () => {
    const tls = cluster.tls!;
    // Trusting the CA but presenting no client certificate, and presenting one without trusting the CA.
    await assert.rejects(open({ cert: undefined, key: undefined, requestTimeoutMs: 1000 }), UnavailableError);
    await assert.rejects(open({ ca: tls.cert, requestTimeoutMs: 1000 }), UnavailableError);
    // The PEM text works as well as a file path.
    const text = (path: string) => readFileSync(path, 'utf8');
    const s = await open({ ca: text(tls.ca), cert: text(tls.cert), key: text(tls.key) });
    assert.ok((await s.currentRevision()) > 0);
    await s.close();
  });

  it('a closed store answers UnavailableError', async () => {
    const s = await open();
    await s.close();
    await assert.rejects(s.get('/x'), UnavailableError);
  });
});

describe('EtcdStore failover on three members', { skip: skipReason }, () => {
  let cluster: EtcdCluster;
  before(async () => {
    cluster = await startEtcd({ members: 3 });
  });
  after(async () => {
    await cluster?.stop();
  });

  it('keeps every acknowledged write and resumes writes after the leader is SIGKILLed', async (t) => {
    const store = await openEtcdStore({
      endpoints: cluster.endpoints,
      attemptTimeoutMs: 1000,
      requestTimeoutMs: 30_000,
    });
    try {
      const seen: WatchEvent[] = [];
      const watchErrors: Error[] = [];
      const w = await store.watch('/f/', 0, { onEvent: (e) => seen.push(e), onError: (e) => watchErrors.push(e) });
      const acked = new Map<string, number>();
      const failed: string[] = [];
      let i = 0;
      const write = async (): Promise<number> => {
        const key = `/f/${String(i++).padStart(5, '0')}`;
        try {
          const kv = await store.create(key, 'v');
          acked.set(key, kv.modRevision);
          return Date.now();
        } catch (err) {
          // AlreadyExists after a retried ambiguous attempt: it committed, but was never acknowledged.
          if (!(err instanceof UnavailableError || err instanceof AlreadyExistsError)) throw err;
          failed.push(key);
          return 0;
        }
      };
      for (let k = 0; k < 30; k++) await write();
      const leader = await cluster.leaderIndex();
      const killedAt = Date.now();
      const killing = cluster.killMember(leader, 'SIGKILL');
      let firstAckAfterKill = 0;
      for (let k = 0; k < 30; k++) {
        const at = await write();
        if (at && !firstAckAfterKill) firstAckAfterKill = at;
      }
      await killing;
      assert.ok(firstAckAfterKill > 0, 'no write succeeded after the leader was killed');
      const resumeMs = firstAckAfterKill - killedAt;
      t.diagnostic(`writes resumed ${resumeMs} ms after SIGKILL of leader m${leader}; ${failed.length} writes failed`);

      const listed = await store.list('/f/');
      const stored = new Map(listed.items.map((kv) => [kv.key, kv.modRevision]));
      for (const [key, rev] of acked) assert.equal(stored.get(key), rev, `acknowledged write ${key} is missing`);

      const lastAck = Math.max(...acked.values());
      const caughtUp = () => seen.length > 0 && revisionOf(seen[seen.length - 1]!) >= lastAck;
      await waitFor('watch to catch up', caughtUp, 30_000);
      const revs = seen.map(revisionOf);
      for (let k = 1; k < revs.length; k++) assert.ok(revs[k]! > revs[k - 1]!, 'watch events out of order or repeated');
      const watched = new Set(revs);
      for (const rev of acked.values()) assert.ok(watched.has(rev), `watch missed revision ${rev}`);
      assert.deepEqual(watchErrors, []);
      w.close();
    } finally {
      await store.close();
    }
  });
});

test('etcd availability', (t) => {
  if (skipReason) t.skip(skipReason);
});
