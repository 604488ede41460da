// The store's gRPC channel: its framing helpers (table-driven), and against a real etcd member: unary calls,
// etcd's own status codes and messages, deadlines on a peer that never answers, failover from a member that
// refuses connections or hangs to the next one in the list, and a watch stream.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { decodeGrpcMessage, frame, frameInPlace, GrpcStatusError, GrpcChannel, grpcTimeout, MessageReader, unframe } from '../../../src/storage/etcd/grpc-channel.js';
import { decodeRangeResponse, decodeTxnResponse, decodeWatchResponse, encodeRangeRequest, encodeTxnRequest, encodeWatchCreateRequest } from '../../../src/storage/etcd/kv-codec.js';
import { classifyEtcdError } from '../../../src/storage/etcd/errors.js';
import { etcdSkipReason, startEtcd, type EtcdCluster } from '../etcd-harness.js';

describe('gRPC framing', () => {
  it('frame/unframe round trip', () => {
    const msg = Buffer.from('hello');
    const f = frame(msg);
    assert.equal(f.toString('hex'), '0000000005' + msg.toString('hex'));
    assert.deepEqual(unframe(f, 100), msg);
  });
  const bad: { name: string; body: Buffer; max: number; error: RegExp }[] = [
    { name: 'no message', body: Buffer.alloc(3), max: 10, error: /no message/ },
    { name: 'compressed', body: Buffer.from([1, 0, 0, 0, 0]), max: 10, error: /compressed/ },
    { name: 'over the limit', body: frame(Buffer.alloc(11)), max: 10, error: /exceeds the limit/ },
    { name: 'truncated', body: frame(Buffer.alloc(8)).subarray(0, 9), max: 10, error: /truncated/ },
  ];
  it('frameInPlace writes the prefix into reserved bytes, as frame() would', () => {
    const msg = Buffer.from('abcdefghij');
    const body = Buffer.alloc(5 + msg.length, 0xff);
    msg.copy(body, 5);
    assert.equal(frameInPlace(body), body);
    assert.deepEqual(body, frame(msg));
  });
  for (const c of bad) it(`unframe rejects: ${c.name}`, () => assert.throws(() => unframe(c.body, c.max), c.error));

  it('MessageReader splits messages at any chunk boundary', () => {
    const msgs = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(300, 7), Buffer.from('last')];
    const wire = Buffer.concat(msgs.map(frame));
    for (const size of [1, 2, 4, 5, 6, 7, 64, wire.length]) {
      const r = new MessageReader(1000);
      const got: Buffer[] = [];
      for (let i = 0; i < wire.length; i += size) got.push(...r.push(wire.subarray(i, i + size)));
      assert.deepEqual(got.map((g) => g.toString('hex')), msgs.map((m) => m.toString('hex')), `chunks of ${size}`);
    }
    assert.throws(() => new MessageReader(10).push(frame(Buffer.alloc(11))), /exceeds the limit/);
    assert.throws(() => new MessageReader(10).push(Buffer.from([1, 0, 0, 0, 1, 0])), /compressed/);
  });

  const timeouts: [number, string][] = [[0.2, '1m'], [1500, '1500m'], [1e12, '99999999m']];
  for (const [ms, want] of timeouts) it(`grpc-timeout for ${ms} ms is ${want}`, () => assert.equal(grpcTimeout(ms), want));

  const messages: [string | string[] | undefined, string][] = [
    [undefined, ''],
    ['etcdserver: no leader', 'etcdserver: no leader'],
    ['a%20b%25', 'a b%'],
    ['bad%zz', 'bad%zz'],
  ];
  for (const [raw, want] of messages) it(`grpc-message ${JSON.stringify(raw)}`, () => assert.equal(decodeGrpcMessage(raw), want));
});

const skip = etcdSkipReason();

describe('GrpcChannel against etcd', { skip }, () => {
  let etcd: EtcdCluster;
  /** A loopback port that accepts connections and never answers (a hung member). */
  let silent: Server;
  let silentPort = 0;
  const sockets = new Set<Socket>();
  /** A port nobody listens on. */
  let deadPort = 0;

  before(async () => {
    etcd = await startEtcd({ members: 1 });
    silent = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    deadPort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
    await etcd.stop();
  });

  const put = (key: string, value: string) =>
    encodeTxnRequest({ compare: [], success: [{ put: { key: Buffer.from(key), value: Buffer.from(value) } }], failure: [] });

  it('a transaction and a range', async () => {
    const c = new GrpcChannel({ endpoints: etcd.endpoints });
    try {
      const t = decodeTxnResponse(await c.call('/etcdserverpb.KV/Txn', put('/g/a', 'v1'), Date.now() + 5000));
      assert.equal(t.succeeded, true);
      const r = decodeRangeResponse(await c.call('/etcdserverpb.KV/Range', encodeRangeRequest({ key: Buffer.from('/g/a') }), Date.now() + 5000));
      assert.equal(r.kvs[0]?.value.toString(), 'v1');
      assert.equal(r.kvs[0]?.modRevision, t.revision);
    } finally {
      c.close();
    }
  });

  it("etcd's status and message: a future revision is OUT_OF_RANGE, classified as such", async () => {
    const c = new GrpcChannel({ endpoints: etcd.endpoints });
    try {
      const err = await c.call('/etcdserverpb.KV/Range', encodeRangeRequest({ key: Buffer.from('/g/a'), revision: 1e9 }), Date.now() + 5000).then(
        () => assert.fail('expected an error'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof GrpcStatusError);
      assert.equal(err.code, 11);
      assert.match(err.details, /required revision is a future revision/);
      assert.equal(classifyEtcdError(err), 'future-revision');
      const unimplemented = await c.call('/etcdserverpb.KV/NoSuchMethod', Buffer.alloc(0), Date.now() + 5000).catch((e: unknown) => e);
      assert.ok(unimplemented instanceof GrpcStatusError);
      assert.equal(unimplemented.code, 12);
      assert.equal(classifyEtcdError(unimplemented), 'fatal');
    } finally {
      c.close();
    }
  });

  it('a refused member is left for the next endpoint', async () => {
    const c = new GrpcChannel({ endpoints: [`http://127.0.0.1:${deadPort}`, etcd.endpoints[0]!] });
    try {
      const first = await c.call('/etcdserverpb.KV/Txn', put('/g/b', 'x'), Date.now() + 5000).catch((e: unknown) => e);
      assert.ok(first instanceof GrpcStatusError, String(first));
      assert.equal(first.code, 14);
      assert.equal(classifyEtcdError(first), 'retryable');
      const second = decodeTxnResponse(await c.call('/etcdserverpb.KV/Txn', put('/g/b', 'y'), Date.now() + 5000));
      assert.equal(second.succeeded, true);
    } finally {
      c.close();
    }
  });

  it('a member that never answers: DEADLINE_EXCEEDED, then the next endpoint', async () => {
    const c = new GrpcChannel({ endpoints: [`http://127.0.0.1:${silentPort}`, etcd.endpoints[0]!] });
    try {
      const first = await c.call('/etcdserverpb.KV/Range', encodeRangeRequest({ key: Buffer.from('/g/a') }), Date.now() + 300).catch((e: unknown) => e);
      assert.ok(first instanceof GrpcStatusError, String(first));
      assert.equal(first.code, 4);
      assert.equal(classifyEtcdError(first), 'retryable');
      const r = decodeRangeResponse(await c.call('/etcdserverpb.KV/Range', encodeRangeRequest({ key: Buffer.from('/g/a') }), Date.now() + 5000));
      assert.equal(r.kvs[0]?.value.toString(), 'v1');
    } finally {
      c.close();
    }
  });

  it('a watch stream: created, then events with prev_kv, until cancelled', async () => {
    const c = new GrpcChannel({ endpoints: etcd.endpoints });
    const responses: ReturnType<typeof decodeWatchResponse>[] = [];
    let closedWith: unknown = 'open';
    const stream = c.openStream('/etcdserverpb.Watch/Watch', { hasleader: 'true' }, {
      onMessage: (m) => responses.push(decodeWatchResponse(m)),
      onClose: (err) => (closedWith = err),
    });
    try {
      stream.write(encodeWatchCreateRequest({ key: Buffer.from('/w/'), rangeEnd: Buffer.from('/w0'), startRevision: 0, prevKv: true }));
      const until = async (what: string, cond: () => boolean) => {
        const deadline = Date.now() + 5000;
        while (!cond()) {
          if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      await until('created', () => responses.some((r) => r.created));
      await c.call('/etcdserverpb.KV/Txn', put('/w/a', '1'), Date.now() + 5000);
      await c.call('/etcdserverpb.KV/Txn', put('/w/a', '2'), Date.now() + 5000);
      await c.call('/etcdserverpb.KV/Txn', put('/x/ignored', '3'), Date.now() + 5000);
      await until('two events', () => responses.flatMap((r) => r.events).length >= 2);
      const events = responses.flatMap((r) => r.events);
      assert.deepEqual(events.map((e) => [e.type, e.kv.key.toString(), e.kv.value.toString(), e.prevKv?.value.toString()]), [
        ['put', '/w/a', '1', undefined],
        ['put', '/w/a', '2', '1'],
      ]);
      assert.equal(events[1]!.kv.version, 2);
      stream.cancel();
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(closedWith, 'open', 'no handler runs after cancel()');
    } finally {
      c.close();
    }
  });

  it('cancelling a stream leaves the session to the other streams and calls (and the next stream opens)', async () => {
    const c = new GrpcChannel({ endpoints: etcd.endpoints });
    const open = (prefix: string) => {
      const got = { created: false, events: 0, closedWith: 'open' as unknown };
      const stream = c.openStream('/etcdserverpb.Watch/Watch', {}, {
        onMessage: (m) => {
          const r = decodeWatchResponse(m);
          got.created ||= r.created;
          got.events += r.events.length;
        },
        onClose: (err) => (got.closedWith = err),
      });
      stream.write(encodeWatchCreateRequest({ key: Buffer.from(prefix), rangeEnd: Buffer.from(`${prefix.slice(0, -1)}0`), startRevision: 0 }));
      return { stream, got };
    };
    const until = async (what: string, cond: () => boolean) => {
      const deadline = Date.now() + 5000;
      while (!cond()) {
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    try {
      const kept = open('/keep/');
      const first = open('/c1/');
      await until('both created', () => kept.got.created && first.got.created);
      first.stream.cancel();
      const second = open('/c2/');
      await until('the stream opened after the cancel is created', () => second.got.created);
      await c.call('/etcdserverpb.KV/Txn', put('/keep/a', '1'), Date.now() + 5000);
      await c.call('/etcdserverpb.KV/Txn', put('/c2/a', '1'), Date.now() + 5000);
      await until('events on the kept and the new stream', () => kept.got.events === 1 && second.got.events === 1);
      assert.equal(kept.got.closedWith, 'open');
      assert.equal(second.got.closedWith, 'open');
    } finally {
      c.close();
    }
  });

  it('a stream to a refused member closes with UNAVAILABLE', async () => {
    const c = new GrpcChannel({ endpoints: [`http://127.0.0.1:${deadPort}`] });
    try {
      const err = await new Promise((resolve) => c.openStream('/etcdserverpb.Watch/Watch', {}, { onMessage: () => {}, onClose: resolve }));
      assert.ok(err instanceof GrpcStatusError, String(err));
      assert.equal(err.code, 14);
    } finally {
      c.close();
    }
  });

  it('keepalive: a member that stops answering pings (SIGSTOP) is left for the next one', async () => {
    const other = await startEtcd({ members: 1 });
    const c = new GrpcChannel({ endpoints: [etcd.endpoints[0]!, other.endpoints[0]!], keepaliveMs: 150, keepaliveTimeoutMs: 150 });
    const pid = etcd.pids()[0]!;
    let stopped = false;
    try {
      await c.call('/etcdserverpb.KV/Txn', put('/k/on-first', '1'), Date.now() + 5000);
      process.kill(pid, 'SIGSTOP');
      stopped = true;
      await new Promise((r) => setTimeout(r, 800));
      // No deadline had to pass: the missed pings already moved the channel to the other member.
      const started = Date.now();
      await c.call('/etcdserverpb.KV/Txn', put('/k/on-second', '2'), Date.now() + 3000);
      assert.ok(Date.now() - started < 1500, `answered by the other member in ${Date.now() - started} ms`);
      const r = decodeRangeResponse(await c.call('/etcdserverpb.KV/Range', encodeRangeRequest({ key: Buffer.from('/k/on-second') }), Date.now() + 3000));
      assert.equal(r.kvs[0]?.value.toString(), '2');
    } finally {
      if (stopped) process.kill(pid, 'SIGCONT');
      c.close();
      await other.stop();
    }
  });

  it('a closed client refuses calls', async () => {
    const c = new GrpcChannel({ endpoints: etcd.endpoints });
    c.close();
    const err = await c.call('/etcdserverpb.KV/Range', encodeRangeRequest({ key: Buffer.from('/g/a') }), Date.now() + 5000).catch((e: unknown) => e);
    assert.ok(err instanceof GrpcStatusError);
    assert.equal(err.code, 1);
  });
});
