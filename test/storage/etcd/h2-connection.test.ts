// The etcd store's HTTP/2 client against a real HTTP/2 server (node:http2, nghttp2 underneath, which indexes
// and Huffman-codes its headers as etcd's Go server does): bodies larger than every flow-control window both
// ways, header blocks spread over CONTINUATION frames, the server's stream limit, resets, GOAWAY, cancel,
// PING, a refused connection, and TLS with ALPN and a client certificate.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createSecureServer, createServer, constants, type Http2Server, type Http2SecureServer, type ServerHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensurePki } from '../../../src/apiserver/auth/pki.js';
import { H2Connection, type H2StreamFailure } from '../../../src/storage/etcd/h2-connection.js';
import { encodeIndexed, encodeLiteral } from '../../../src/storage/etcd/hpack.js';

interface Reply {
  status: number;
  headers: Record<string, string>;
  trailers: Record<string, string>;
  body: Buffer;
  failure: H2StreamFailure | undefined;
}

function block(path: string, extra: Array<[string, string]> = [], scheme = 'http'): Buffer {
  return Buffer.concat([
    encodeIndexed(':method', 'POST')!,
    encodeIndexed(':scheme', scheme)!,
    encodeLiteral(':path', path),
    encodeLiteral(':authority', 'localhost'),
    ...extra.map(([k, v]) => encodeLiteral(k, v)),
  ]);
}

/** One request; resolves when the stream ends either way. */
function exchange(conn: H2Connection, path: string, body?: Buffer, extra: Array<[string, string]> = []): Promise<Reply> {
  return new Promise((resolve) => {
    const reply: Reply = { status: 0, headers: {}, trailers: {}, body: Buffer.alloc(0), failure: undefined };
    const chunks: Buffer[] = [];
    let headersSeen = false;
    conn.request(block(path, extra), body, true, {
      onHeaders(fields, endStream) {
        const into = headersSeen || endStream ? reply.trailers : reply.headers;
        if (!headersSeen) headersSeen = true;
        for (const [k, v] of fields) {
          if (k === ':status') reply.status = Number(v);
          else into[k] = v;
        }
      },
      onData: (d) => chunks.push(Buffer.from(d)),
      onClose(failure) {
        reply.failure = failure;
        reply.body = Buffer.concat(chunks);
        resolve(reply);
      },
    });
  });
}

function listen(server: Http2Server | Http2SecureServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

describe('H2Connection against node:http2', () => {
  let server: Http2Server;
  let port: number;
  let maxConcurrent = 0;
  let concurrent = 0;
  const held: Array<() => void> = [];
  const cancelled: number[] = [];

  before(async () => {
    server = createServer({ settings: { maxConcurrentStreams: 2, maxHeaderListSize: 256 * 1024 }, maxSessionMemory: 100 });
    server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
      const path = String(headers[':path']);
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      stream.on('close', () => {
        concurrent--;
        if (stream.rstCode === constants.NGHTTP2_CANCEL) cancelled.push(stream.id!);
      });
      stream.on('error', () => {});
      const chunks: Buffer[] = [];
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('end', () => {
        const body = Buffer.concat(chunks);
        if (path === '/echo') {
          // Trailers as gRPC sends them, after the body.
          stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-request-bytes': String(body.length) }, { waitForTrailers: true });
          stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'all%20good' }));
          stream.end(body);
        } else if (path === '/big-headers') {
          const v = String(headers['x-big'] ?? '');
          stream.respond({ ':status': 200, 'x-big-back': v.toUpperCase(), 'x-big-length': String(v.length) }, { endStream: true });
        } else if (path === '/hold') {
          held.push(() => {
            if (!stream.destroyed) stream.respond({ ':status': 200 }, { endStream: true });
          });
        } else if (path === '/reset') {
          stream.close(constants.NGHTTP2_INTERNAL_ERROR);
        } else if (path === '/trailers-only') {
          stream.respond({ ':status': 200, 'grpc-status': '5', 'grpc-message': 'not found' }, { endStream: true });
        }
      });
    });
    port = await listen(server);
  });

  after(() => new Promise<void>((r) => server.close(() => r())));

  it('a body larger than every flow-control window, both ways, with headers and trailers', async () => {
    const conn = new H2Connection('127.0.0.1', port);
    try {
      // 20 MiB: over the peer's 64 KiB windows on the way out, over this side's stream and connection windows
      // (4 and 16 MiB) on the way back.
      const body = Buffer.alloc(20 * 1024 * 1024);
      for (let i = 0; i < body.length; i += 4096) body.writeUInt32BE(i, i);
      const reply = await exchange(conn, '/echo', body);
      assert.equal(reply.failure, undefined);
      assert.equal(reply.status, 200);
      assert.equal(reply.headers['x-request-bytes'], String(body.length));
      assert.equal(reply.trailers['grpc-status'], '0');
      assert.equal(reply.trailers['grpc-message'], 'all%20good');
      assert.ok(reply.body.equals(body));
      // And again on the same connection (the decoder's table carries over).
      const small = await exchange(conn, '/echo', Buffer.from('hello'));
      assert.equal(small.body.toString(), 'hello');
      assert.equal(small.trailers['grpc-status'], '0');
    } finally {
      conn.destroy();
    }
  });

  it('header blocks over CONTINUATION frames both ways', async () => {
    const conn = new H2Connection('127.0.0.1', port);
    try {
      const big = 'abcdefghij'.repeat(4000); // 40,000 bytes: three frames of at most 16 KiB
      const reply = await exchange(conn, '/big-headers', undefined, [['x-big', big]]);
      assert.equal(reply.failure, undefined);
      assert.equal(reply.trailers['x-big-length'], String(big.length));
      assert.equal(reply.trailers['x-big-back'], big.toUpperCase());
    } finally {
      conn.destroy();
    }
  });

  it("the server's stream limit: later streams wait for a free slot, then all complete", async () => {
    const conn = new H2Connection('127.0.0.1', port);
    try {
      // A first exchange so the server's SETTINGS (limit 2) has arrived.
      await exchange(conn, '/echo', Buffer.from('x'));
      maxConcurrent = 0;
      const replies = Array.from({ length: 5 }, () => exchange(conn, '/hold'));
      // Release held streams as they arrive until all five have been answered.
      let done = false;
      const all = Promise.all(replies).finally(() => (done = true));
      while (!done) {
        await new Promise((r) => setTimeout(r, 20));
        held.splice(0).forEach((f) => f());
      }
      for (const r of await all) assert.equal(r.failure, undefined);
      assert.ok(maxConcurrent <= 2, `server saw ${maxConcurrent} concurrent streams`);
    } finally {
      conn.destroy();
    }
  });

  it('a reset stream and a trailers-only answer', async () => {
    const conn = new H2Connection('127.0.0.1', port);
    try {
      const reset = await exchange(conn, '/reset');
      assert.deepEqual(reset.failure, { kind: 'reset', code: constants.NGHTTP2_INTERNAL_ERROR, message: `stream reset by the server (code ${constants.NGHTTP2_INTERNAL_ERROR})` });
      const only = await exchange(conn, '/trailers-only');
      assert.equal(only.failure, undefined);
      assert.equal(only.trailers['grpc-status'], '5');
      assert.equal(only.trailers['grpc-message'], 'not found');
      // The connection still serves.
      assert.equal((await exchange(conn, '/echo', Buffer.from('ok'))).body.toString(), 'ok');
    } finally {
      conn.destroy();
    }
  });

  it('cancel resets the stream at the server and runs no handler', async () => {
    const conn = new H2Connection('127.0.0.1', port);
    try {
      let called = 0;
      const s = conn.request(block('/hold'), undefined, true, { onHeaders: () => called++, onData: () => called++, onClose: () => called++ });
      while (held.length === 0) await new Promise((r) => setTimeout(r, 10));
      const before = cancelled.length;
      s.cancel();
      while (cancelled.length === before) await new Promise((r) => setTimeout(r, 10));
      held.splice(0).forEach((f) => f());
      await exchange(conn, '/echo', Buffer.from('x'));
      assert.equal(called, 0);
      assert.equal(conn.openStreams, 0);
    } finally {
      conn.destroy();
    }
  });

  it('PING is answered', async () => {
    const conn = new H2Connection('127.0.0.1', port);
    try {
      const err = await new Promise<Error | undefined>((resolve) => assert.ok(conn.ping(resolve)));
      assert.equal(err, undefined);
    } finally {
      conn.destroy();
    }
  });

  it('GOAWAY: streams above the last one are refused, the connection takes no new ones', async () => {
    const conn = new H2Connection('127.0.0.1', port);
    let gone: string | undefined;
    conn.onGone = (reason) => (gone = reason);
    try {
      await exchange(conn, '/echo', Buffer.from('x')); // stream 1
      const waiting = exchange(conn, '/hold'); // stream 3
      while (held.length === 0) await new Promise((r) => setTimeout(r, 10));
      // The server says it processed stream 1 only.
      for (const s of serverSessions.values()) s.goaway(constants.NGHTTP2_NO_ERROR, 1);
      const r = await waiting;
      assert.equal(r.failure?.kind, 'refused');
      assert.match(gone ?? '', /GOAWAY/);
      assert.equal(conn.usable, false);
      assert.throws(() => conn.request(block('/echo'), undefined, true, { onHeaders() {}, onData() {}, onClose() {} }), /unusable/);
      // With its last stream done, the connection is closed (a closed one sends no PING).
      assert.equal(conn.openStreams, 0);
      assert.equal(conn.ping(() => {}), false);
    } finally {
      held.splice(0).forEach((f) => f());
      conn.destroy();
      // A session that sent GOAWAY would otherwise keep the server's close() waiting.
      for (const s of serverSessions.values()) s.destroy();
    }
  });

  const serverSessions = new Map<number, import('node:http2').ServerHttp2Session>();
  before(() => {
    let n = 0;
    server.on('session', (s) => {
      const id = n++;
      serverSessions.set(id, s);
      s.on('close', () => serverSessions.delete(id));
    });
  });

  it('a refused connection fails its streams and the connection', async () => {
    const probe = createNetServer();
    const dead = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as AddressInfo).port)));
    await new Promise<void>((r) => probe.close(() => r()));
    const conn = new H2Connection('127.0.0.1', dead);
    let gone: string | undefined;
    conn.onGone = (reason) => (gone = reason);
    const r = await exchange(conn, '/echo', Buffer.from('x'));
    assert.equal(r.failure?.kind, 'connection');
    assert.match(gone ?? '', /ECONNREFUSED/);
    assert.equal(conn.ping(() => {}), false);
  });
});

describe('H2Connection over TLS (ALPN h2, client certificate)', () => {
  let dir: string;
  let server: Http2SecureServer;
  let port: number;
  let pki: Awaited<ReturnType<typeof ensurePki>>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-h2-'));
    pki = await ensurePki(dir, { hostname: 'localhost', addresses: ['127.0.0.1'] });
    server = createSecureServer({
      cert: Buffer.from(pki.serverCert),
      key: Buffer.from(pki.serverKey),
      ca: Buffer.from(pki.caCert),
      requestCert: true,
      rejectUnauthorized: true,
    });
    server.on('stream', (stream, headers) => {
      const cn = (stream.session?.socket as import('node:tls').TLSSocket | undefined)?.getPeerCertificate().subject?.CN;
      stream.respond({ ':status': 200, 'x-client': String(cn), 'x-path': String(headers[':path']) }, { endStream: true });
    });
    port = await listen(server);
  });

  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a request with a trusted client certificate', async () => {
    const conn = new H2Connection('127.0.0.1', port, {
      tls: { ca: Buffer.from(pki.caCert), cert: Buffer.from(pki.adminCert), key: Buffer.from(pki.adminKey), servername: '' },
    });
    try {
      const reply = await new Promise<Reply>((resolve) => {
        const r: Reply = { status: 0, headers: {}, trailers: {}, body: Buffer.alloc(0), failure: undefined };
        conn.request(block('/tls', [], 'https'), undefined, true, {
          onHeaders(fields) {
            for (const [k, v] of fields) r.headers[k] = v;
          },
          onData() {},
          onClose(failure) {
            r.failure = failure;
            resolve(r);
          },
        });
      });
      assert.equal(reply.failure, undefined);
      assert.equal(reply.headers[':status'], '200');
      assert.equal(reply.headers['x-path'], '/tls');
      assert.ok(reply.headers['x-client'] && reply.headers['x-client'] !== 'undefined');
    } finally {
      conn.destroy();
    }
  });

  it('a server certificate from another CA fails the connection', async () => {
    const other = mkdtempSync(join(tmpdir(), 'skiff-h2-other-'));
    try {
      const otherPki = await ensurePki(other, { hostname: 'localhost', addresses: ['127.0.0.1'] });
      const conn = new H2Connection('127.0.0.1', port, { tls: { ca: Buffer.from(otherPki.caCert), servername: '' } });
      const failure = await new Promise<H2StreamFailure | undefined>((resolve) =>
        conn.request(block('/tls', [], 'https'), undefined, true, { onHeaders() {}, onData() {}, onClose: resolve }),
      );
      assert.equal(failure?.kind, 'connection');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
