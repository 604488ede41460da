// The encoded-answer cache: keyed by the query without its ID and by transport, each answer valid while the
// generation of the catalog scope it was read from stays; bounded with the oldest entries dropped first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerCache } from '../../../src/network/dns/answer-cache.js';
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
