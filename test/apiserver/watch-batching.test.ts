// Watch streams write the events dispatched together in one write per socket (rest/watch.ts writeBatched):
// the socket is corked at the first event and uncorked once the dispatch is over (a microtask), nothing is
// reordered or lost, and a socket closed meanwhile is no trouble. Real loopback TCP sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { writeBatched } from '../../src/apiserver/rest/watch.js';

async function withPair(fn: (server: Socket, received: () => Promise<string>, client: Socket) => Promise<void>): Promise<void> {
  const listener = createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const port = (listener.address() as { port: number }).port;
  const accepted = once(listener, 'connection') as Promise<[Socket]>;
  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  const [server] = await accepted;
  let data = '';
  client.setEncoding('utf8');
  client.on('data', (d: string) => (data += d));
  const received = async () => {
    await new Promise((r) => setTimeout(r, 20));
    return data;
  };
  try {
    await fn(server, received, client);
  } finally {
    server.destroy();
    client.destroy();
    listener.close();
  }
}

test('events written together leave in one write once the dispatch is over, in order', async () => {
  await withPair(async (server, received) => {
    const writes: number[] = [];
    const writev = (server as unknown as { _writev: (chunks: { chunk: Buffer }[], cb: () => void) => void })._writev.bind(server);
    (server as unknown as { _writev: unknown })._writev = (chunks: { chunk: Buffer }[], cb: () => void) => {
      writes.push(chunks.length);
      writev(chunks, cb);
    };
    writeBatched(server, Buffer.from('a\n'));
    writeBatched(server, Buffer.from('b\n'));
    writeBatched(server, Buffer.from('c\n'));
    assert.equal(server.writableCorked, 1, 'corked while the dispatch runs');
    assert.deepEqual(writes, [], 'nothing written yet');
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(server.writableCorked, 0, 'uncorked right after it');
    assert.deepEqual(writes, [3], 'one writev of the three events');
    assert.equal(await received(), 'a\nb\nc\n');
    // A later dispatch: the socket is corked again.
    writeBatched(server, Buffer.from('d\n'));
    assert.equal(server.writableCorked, 1);
    await Promise.resolve();
    assert.equal(await received(), 'a\nb\nc\nd\n');
  });
});

test('a write between batched ones (a bookmark) keeps its place', async () => {
  await withPair(async (server, received) => {
    writeBatched(server, Buffer.from('1\n'));
    server.write(Buffer.from('bookmark\n'));
    writeBatched(server, Buffer.from('2\n'));
    assert.equal(await received(), '1\nbookmark\n2\n');
  });
});

test('a socket destroyed before the uncork: nothing throws, other sockets are written', async () => {
  await withPair(async (a) => {
    await withPair(async (b, receivedB) => {
      writeBatched(a, Buffer.from('lost\n'));
      writeBatched(b, Buffer.from('kept\n'));
      a.destroy();
      assert.equal(await receivedB(), 'kept\n');
    });
  });
});
