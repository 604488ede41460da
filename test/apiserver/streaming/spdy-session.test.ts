import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { SpdySession, type SpdyStream } from '../../../src/apiserver/streaming/spdy-session.js';
import { SpdyTestClient } from './spdy-client.js';

async function pair(t: { after(fn: () => void): void }): Promise<{ server: Socket; client: Socket }> {
  let server!: Socket;
  const srv = createServer((s) => (server = s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const client = connect((srv.address() as { port: number }).port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', r));
  while (!server) await new Promise((r) => setImmediate(r));
  t.after(() => {
    client.destroy();
    server.destroy();
    srv.close();
  });
  return { server, client };
}

test('streams: reply, data both ways, FIN, RST, pings answered, GOAWAY on close', async (t) => {
  const { server, client } = await pair(t);
  const session = new SpdySession(server);
  const seen: SpdyStream[] = [];
  session.on('stream', (s) => {
    seen.push(s);
    s.reply();
    s.incoming.on('data', (d: Buffer) => s.outgoing.write(Buffer.concat([Buffer.from('echo:'), d])));
    s.incoming.on('end', () => s.outgoing.end());
  });
  const c = new SpdyTestClient(client);
  const a = await c.open({ streamtype: 'data', port: '80' });
  a.write('one');
  a.end();
  assert.equal(await a.done(), 'echo:one');
  assert.deepEqual(seen[0]!.headers, { streamtype: 'data', port: '80' });
  const b = await c.open({ streamtype: 'data' });
  b.rst();
  await new Promise<void>((r) => seen[1] ? (seen[1].resetByPeer ? r() : seen[1].once('reset', () => r())) : setTimeout(r, 50));
  assert.equal(seen[1]!.resetByPeer, true);
  const goaway = new Promise<void>((r) => c.once('goaway', () => r()));
  session.close();
  await goaway;
});

test('a slow reader holds back the sender instead of buffering without bound', async (t) => {
  const { server, client } = await pair(t);
  const session = new SpdySession(server);
  const received: Buffer[] = [];
  let maxBuffered = 0;
  let stream!: SpdyStream;
  session.on('stream', (s) => {
    stream = s;
    s.reply();
    s.incoming.pipe(
      new Writable({
        highWaterMark: 16 * 1024,
        write(chunk: Buffer, _e, cb) {
          received.push(chunk);
          maxBuffered = Math.max(maxBuffered, s.incoming.writableLength);
          setTimeout(cb, 1);
        },
      }),
    );
  });
  const c = new SpdyTestClient(client);
  const s = await c.open({ streamtype: 'stdin' });
  if (!s.replied) await new Promise((r) => s.once('reply', r)); // as kubectl: write once the stream is accepted
  const chunk = Buffer.alloc(32 * 1024, 7);
  for (let i = 0; i < 64; i++) s.write(chunk); // 2 MiB
  s.end();
  await new Promise<void>((r) => stream ? stream.incoming.once('end', () => r()) : setTimeout(r, 10));
  while (received.reduce((a, b) => a + b.length, 0) < 64 * chunk.length) await new Promise((r) => setTimeout(r, 10));
  assert.equal(received.reduce((a, b) => a + b.length, 0), 2 * 1024 * 1024);
  // Bounded by what one socket read can hold, not by what the sender sends (2 MiB).
  assert.ok(maxBuffered <= 256 * 1024, `buffered at most ${maxBuffered} bytes in the session`);
  session.destroy();
});
