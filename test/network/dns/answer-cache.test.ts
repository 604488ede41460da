// The encoded-answer cache: keyed by the query without its ID and by transport, each answer valid while the
// generation of the catalog scope it was read from stays; bounded with the oldest entries dropped first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dns from 'dns-packet';
import { AnswerCache, recordTtls } from '../../../src/network/dns/answer-cache.js';
import { dnsScopes } from '../../../src/network/dns/catalog.js';
import { queryPacket } from './dns-client.js';

const gens = new Map<string, number>();
const gen = (scope: string) => gens.get(scope) ?? 0;
const svcA = dnsScopes.service('default', 'a');

const withId = (b: Buffer, id: number) => {
  const out = Buffer.from(b);
  out.writeUInt16BE(id, 0);
  return out;
};

test('a hit returns the cached bytes; get() patches in the asking query ID', () => {
  const c = new AnswerCache();
  const q = withId(queryPacket('web.default.svc.cluster.local', 'A'), 7);
  const answer = withId(Buffer.from('0000response-bytes'), 7);
  c.set(q, false, svcA, 0, answer);
  const again = withId(q, 4242);
  assert.equal(c.lookup(again, false, gen), answer);
  const copy = c.get(again, false, gen)!;
  assert.equal(copy.readUInt16BE(0), 4242);
  assert.deepEqual(copy.subarray(2), answer.subarray(2));
  assert.equal(answer.readUInt16BE(0), 7, 'the cached answer is never modified');
});

test('keys: transport, question as asked, type, EDNS and flags all count; the ID does not', () => {
  const c = new AnswerCache();
  const base = queryPacket('web.default.svc.cluster.local', 'A');
  c.set(base, false, svcA, 0, Buffer.from('xxA'));
  const cases: Array<[string, Buffer, boolean, boolean]> = [
    ['same query, other ID', withId(base, 99), false, true],
    ['same query over TCP', base, true, false],
    ['other case', queryPacket('Web.default.svc.cluster.local', 'A'), false, false],
    ['other type', queryPacket('web.default.svc.cluster.local', 'AAAA'), false, false],
    ['with EDNS', queryPacket('web.default.svc.cluster.local', 'A', { edns: 1232 }), false, false],
    ['without recursion desired', (() => { const b = Buffer.from(base); b[2] = b[2]! & ~0x01; return b; })(), false, false],
    ['a prefix of the query', base.subarray(0, base.length - 1), false, false],
  ];
  for (const [name, q, tcp, hit] of cases) assert.equal(c.lookup(q, tcp, gen) !== undefined, hit, name);
});

test('a change in one scope makes only the answers read from it stale; a new answer replaces the stale one', () => {
  const c = new AnswerCache();
  const qa = queryPacket('a.default.svc.cluster.local', 'A');
  const qb = queryPacket('b.default.svc.cluster.local', 'A');
  const svcB = dnsScopes.service('default', 'b');
  c.set(qa, false, svcA, gen(svcA), Buffer.from('xx1'));
  c.set(qb, false, svcB, gen(svcB), Buffer.from('xx2'));
  gens.set(svcA, 7);
  assert.equal(c.lookup(qa, false, gen), undefined, 'a changed');
  assert.deepEqual(c.lookup(qb, false, gen), Buffer.from('xx2'), 'b did not');
  c.set(qa, false, svcA, gen(svcA), Buffer.from('xx3'));
  assert.deepEqual(c.lookup(qa, false, gen), Buffer.from('xx3'));
  assert.equal(c.size, 2);
  gens.delete(svcA);
});

test('when full, the oldest entries go first', () => {
  const c = new AnswerCache(3);
  const qs = ['a', 'b', 'c', 'd'].map((n) => queryPacket(`${n}.default.svc.cluster.local`, 'A'));
  for (const q of qs) c.set(q, false, svcA, 0, Buffer.from('xx'));
  assert.equal(c.size, 3);
  assert.deepEqual(qs.map((q) => c.lookup(q, false, gen) !== undefined), [false, true, true, true]);
});

test('the hash covers every byte after the ID', () => {
  const q = queryPacket('a.default.svc.cluster.local', 'A');
  const h = AnswerCache.hash(q);
  assert.equal(AnswerCache.hash(withId(q, 1234)), h);
  for (let i = 2; i < q.length; i++) {
    const b = Buffer.from(q);
    b[i] = b[i]! ^ 0x20;
    assert.notEqual(AnswerCache.hash(b), h, `byte ${i}`);
  }
});

test('recordTtls finds every record TTL (compressed names too) but not the OPT record\'s', () => {
  const q = { name: 'a.example', type: 'A' as const };
  const answer = dns.encode({
    type: 'response',
    id: 1,
    questions: [q],
    answers: [
      { type: 'A', name: 'a.example', ttl: 60, data: '192.0.2.1' },
      { type: 'A', name: 'a.example', ttl: 20, data: '192.0.2.2' },
    ],
    authorities: [{ type: 'NS', name: 'example', ttl: 300, data: 'ns.example' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0 } as unknown as dns.Answer],
  });
  const t = recordTtls(answer)!;
  assert.equal(t.minTtl, 20);
  assert.deepEqual(t.ttlOffsets.map((o) => answer.readUInt32BE(o)), [60, 20, 300]);
  // A hand-made message whose answer name is a compression pointer to the question (as most servers send).
  const header = Buffer.from([0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
  const question = Buffer.from([1, 0x61, 7, ...Buffer.from('example'), 0, 0, 1, 0, 1]);
  const rr = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 42, 0, 4, 192, 0, 2, 9]);
  const compressed = Buffer.concat([header, question, rr]);
  assert.deepEqual(recordTtls(compressed), { ttlOffsets: [header.length + question.length + 6], minTtl: 42 });
  const table: Array<[string, Buffer]> = [
    ['no records', dns.encode({ type: 'response', id: 1, questions: [q], answers: [] })],
    ['cut short', compressed.subarray(0, compressed.length - 3)],
    ['header only', header],
  ];
  for (const [name, b] of table) assert.equal(recordTtls(b), undefined, name);
});

test('a timed (forwarded) answer is served with its TTLs counted down, and not after it expires', () => {
  const c = new AnswerCache();
  const q = queryPacket('a.example', 'A');
  const answer = dns.encode({ type: 'response', id: 1, questions: [{ name: 'a.example', type: 'A' }], answers: [{ type: 'A', name: 'a.example', ttl: 25, data: '192.0.2.1' }] });
  const { ttlOffsets } = recordTtls(answer)!;
  const t0 = 1_000_000;
  c.set(q, false, dnsScopes.forwarded, 0, answer, { seconds: 25, ttlOffsets, now: t0 });
  const ttlAt = (now: number) => {
    const hit = c.lookup(q, false, gen, now);
    return hit ? (dns.decode(hit).answers![0] as dns.StringAnswer).ttl : undefined;
  };
  assert.deepEqual([ttlAt(t0), ttlAt(t0 + 999), ttlAt(t0 + 10_500), ttlAt(t0 + 24_999), ttlAt(t0 + 25_000)], [25, 25, 15, 1, undefined]);
  assert.equal(answer.readUInt32BE(ttlOffsets[0]!), 25, 'the stored answer is not modified');
});
