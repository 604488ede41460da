// Requests go to the raft leader: the pure choice from the members' Status answers (table-driven), and on a
// real 3-member etcd the store's active member is the leader, also after the leader is SIGKILLed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openEtcdStore } from '../../../src/storage/etcd/etcd-store.js';
import { leaderIndex } from '../../../src/storage/etcd/leader.js';
import type { MemberStatus } from '../../../src/storage/etcd/kv-codec.js';
import { etcdSkipReason, startEtcd, type EtcdCluster } from '../etcd-harness.js';

const st = (memberId: string, leader: string, raftTerm = 2): MemberStatus => ({ memberId, leader, raftTerm });
const BIG = '18446744073709551557'; // ids are uint64: beyond 2^53

describe('leaderIndex', () => {
  const cases: { name: string; statuses: (MemberStatus | undefined)[]; want: number | undefined }[] = [
    { name: 'the member naming itself', statuses: [st('1', '2'), st('2', '2'), st('3', '2')], want: 1 },
    { name: 'uint64 ids compared exactly', statuses: [st('18446744073709551556', BIG), st(BIG, BIG)], want: 1 },
    { name: 'the leader did not answer: no choice', statuses: [st('1', '2'), undefined, st('3', '2')], want: undefined },
    { name: 'no leader known (election)', statuses: [st('1', '0'), st('2', '0'), st('3', '0')], want: undefined },
    { name: 'nobody answered', statuses: [undefined, undefined], want: undefined },
    { name: 'a deposed leader of an older term is not chosen', statuses: [st('1', '1', 2), st('2', '3', 3), st('3', '3', 3)], want: 2 },
    { name: 'a deposed leader alone at an older term is not chosen', statuses: [st('1', '1', 2), st('2', '0', 3)], want: undefined },
    { name: 'one member', statuses: [st('7', '7', 1)], want: 0 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(leaderIndex(c.statuses), c.want));
});

const skipReason = etcdSkipReason();

describe('EtcdStore follows the leader on three members', { skip: skipReason }, () => {
  let cluster: EtcdCluster;
  before(async () => {
    cluster = await startEtcd({ members: 3 });
  });
  after(async () => {
    await cluster?.stop();
  });

  it('sends requests to the leader whatever the endpoint order, and to the new one after the leader dies', async () => {
    const leader = await cluster.leaderIndex();
    // The leader last: without leader tracking requests would go to the first endpoint, a follower.
    const order = [0, 1, 2].filter((i) => i !== leader).concat(leader);
    const store = await openEtcdStore({ endpoints: order.map((i) => cluster.endpoints[i]!), leaderCheckIntervalMs: 200, attemptTimeoutMs: 1000 });
    try {
      assert.equal(store.activeEndpoint, cluster.endpoints[leader]);
      await store.create('/leader/a', 'v');
      await cluster.killMember(leader, 'SIGKILL');
      // Writes go on (through whichever member answers), and the store settles on the newly elected leader.
      await store.create('/leader/b', 'v');
      const next = await cluster.leaderIndex();
      const deadline = Date.now() + 10_000;
      while (store.activeEndpoint !== cluster.endpoints[next] && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(store.activeEndpoint, cluster.endpoints[next]);
      assert.deepEqual((await store.list('/leader/')).items.map((kv) => kv.key), ['/leader/a', '/leader/b']);
    } finally {
      await store.close();
    }
  });
});
