// Forwarding to upstream resolvers on loopback (upstreams this test runs): queries share one socket under
// remapped IDs and get their own answers back with their own IDs; answers from anyone but the upstream
// asked are ignored; a silent upstream fails over to the next one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:net';
import * as dns from 'dns-packet';
import { Forwarder, questionOf } from '../../../src/network/dns/forwarder.js';
import { queryPacket } from './dns-client.js';

let answering: Socket;
let silent: Socket;
let spoofer: Socket;
const seenIds: number[] = [];

/** 192.0.2.<n> for the name host-<n>.example. */
const addressFor = (name: string) => `192.0.2.${Number(/host-(\d+)/.exec(name)?.[1] ?? 0)}`;

before(async () => {
  answering = createSocket('udp4');
  silent = createSocket('udp4');
  spoofer = createSocket('udp4');
  answering.on('message', (msg, rinfo) => {
    const q = dns.decode(msg);
    seenIds.push(q.id!);
    const name = q.questions![0]!.name;
    // A forged answer from another port first: same ID and question, wrong address.
    spoofer.send(dns.encode({ type: 'response', id: q.id, questions: q.questions, answers: [{ type: 'A', name, ttl: 1, data: '203.0.113.66' }] }), rinfo.port, rinfo.address);
    setTimeout(() => answering.send(dns.encode({ type: 'response', id: q.id, questions: q.questions, answers: [{ type: 'A', name, ttl: 60, data: addressFor(name) }] }), rinfo.port, rinfo.address), 5);
  });
  for (const s of [answering, silent, spoofer]) await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
});

after(() => {
  for (const s of [answering, silent, spoofer]) s.close();
});

test('parallel queries share a socket and each gets its own answer with its own ID; forged answers are ignored', async () => {
  const f = new Forwarder([{ host: '127.0.0.1', port: answering.address().port }], { timeoutMs: 2000 });
  try {
    const queries = Array.from({ length: 40 }, (_, i) => queryPacket(`host-${i}.example`, 'A'));
    const replies = await Promise.all(queries.map((q) => f.forward(q)));
    replies.forEach((r, i) => {
      assert.ok(r, `answer ${i}`);
      const d = dns.decode(r);
      assert.equal(d.id, queries[i]!.readUInt16BE(0));
      assert.equal((d.answers![0] as dns.StringAnswer).data, `192.0.2.${i}`);
    });
    assert.equal(new Set(seenIds.slice(-40)).size, 40, 'IDs on the wire are distinct');
  } finally {
    f.close();
  }
});

test('a silent upstream times out and the next one answers', async () => {
  const f = new Forwarder([{ host: '127.0.0.1', port: silent.address().port }, { host: '127.0.0.1', port: answering.address().port }], { timeoutMs: 150 });
  try {
    const r = await f.forward(queryPacket('host-7.example', 'A'));
    assert.equal((dns.decode(r!).answers![0] as dns.StringAnswer).data, '192.0.2.7');
  } finally {
    f.close();
  }
  const none = new Forwarder([{ host: '127.0.0.1', port: silent.address().port }], { timeoutMs: 100 });
  assert.equal(await none.forward(queryPacket('host-1.example', 'A')), undefined);
  none.close();
});

test('a truncated UDP answer: passed on as is for UDP clients, fetched again over TCP with tcpFallback', async () => {
  // An upstream whose UDP answers are always truncated and whose TCP answers (same port) are complete.
  const udp = createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const q = dns.decode(msg);
    udp.send(dns.encode({ type: 'response', id: q.id, flags: dns.TRUNCATED_RESPONSE, questions: q.questions, answers: [] }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  const port = udp.address().port;
  const tcp = createServer((sock) => {
    sock.once('data', (d) => {
      const q = dns.decode(d.subarray(2));
      const answers = Array.from({ length: 3 }, (_, i) => ({ type: 'A' as const, name: q.questions![0]!.name, ttl: 60, data: `192.0.2.${i + 1}` }));
      const reply = dns.encode({ type: 'response', id: q.id, questions: q.questions, answers });
      const len = Buffer.alloc(2);
      len.writeUInt16BE(reply.length);
      sock.end(Buffer.concat([len, reply]));
    });
  });
  await new Promise<void>((r) => tcp.listen(port, '127.0.0.1', () => r()));
  const f = new Forwarder([{ host: '127.0.0.1', port }], { timeoutMs: 2000 });
  try {
    const q = queryPacket('big.example', 'A');
    const overUdp = dns.decode((await f.forward(q))!);
    assert.equal(overUdp.flag_tc, true);
    assert.equal(overUdp.id, q.readUInt16BE(0));
    const full = dns.decode((await f.forward(q, { tcpFallback: true }))!);
    assert.equal(full.flag_tc, false);
    assert.equal(full.answers!.length, 3);
    assert.equal(full.id, q.readUInt16BE(0));
  } finally {
    f.close();
    udp.close();
    await new Promise((r) => tcp.close(r));
  }
});

test('questionOf: the single question section, or undefined for malformed queries', () => {
  const q = queryPacket('a.example', 'A');
  assert.equal(questionOf(q)!.length, 1 + 1 + 1 + 7 + 1 + 4);
  const two = Buffer.from(q);
  two.writeUInt16BE(2, 4);
  const table: Array<[string, Buffer, boolean]> = [
    ['one question', q, true],
    ['header only', q.subarray(0, 12), false],
    ['cut in the name', q.subarray(0, 16), false],
    ['cut in type/class', q.subarray(0, q.length - 1), false],
    ['two questions', two, false],
  ];
  for (const [name, b, ok] of table) assert.equal(questionOf(b) !== undefined, ok, name);
});
