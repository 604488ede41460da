import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { startTestServer, type TestServer } from '../apiserver/harness.js';
import type { ApiClient } from '../../src/client/client.js';
import { formatMicroTime, LeaderElector, type LeaderElectionConfig } from '../../src/client/leader-election.js';
import { leases } from '../../src/client/resources.js';
import { clientFor, eventually } from './support.js';

let s: TestServer;
let client: ApiClient;
before(async () => {
  s = await startTestServer();
  client = clientFor(s);
});
const running = new Set<Candidate>();
after(async () => {
  for (const c of running) c.stop.abort();
  await Promise.all([...running].map((c) => c.done));
  client.close();
  await s.close();
});

const fast = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 100 };
const quiet = () => {};

interface Candidate {
  elector: LeaderElector;
  stop: AbortController;
  done: Promise<void>;
  log: string[];
}

function candidate(name: string, identity: string, extra: Partial<LeaderElectionConfig> = {}): Candidate {
  const log: string[] = [];
  const stop = new AbortController();
  const elector = new LeaderElector({
    client,
    namespace: 'default',
    name,
    identity,
    ...fast,
    log: quiet,
    callbacks: {
      onStartedLeading: (signal) => {
        log.push('started');
        signal.addEventListener('abort', () => log.push('leading-signal-aborted'));
      },
      onStoppedLeading: () => log.push('stopped'),
      onNewLeader: (id) => log.push(`leader=${id}`),
    },
    ...extra,
  });
  const c = { elector, stop, log, done: elector.run(stop.signal) };
  running.add(c);
  return c;
}

const getLease = (name: string) => client.get<Lease>(leases, name, { namespace: 'default' });

test('MicroTime has six fractional digits', () => {
  assert.equal(formatMicroTime(Date.UTC(2024, 0, 2, 3, 4, 5, 67)), '2024-01-02T03:04:05.067000Z');
});

test('configuration is checked as upstream does', () => {
  const base = { client, namespace: 'default', name: 'x', identity: 'a', callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} } };
  assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 1000, renewDeadlineMs: 1000 }), /leaseDuration/);
  assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 3000, renewDeadlineMs: 1000, retryPeriodMs: 900 }), /retryPeriod/);
  assert.throws(() => new LeaderElector({ ...base, identity: '' }), /identity/);
  new LeaderElector(base); // upstream defaults 15 s / 10 s / 2 s are valid
});

test('one leader at a time; the other takes over at once when the leader releases on stop', async () => {
  const a = candidate('release', 'a');
  await eventually(() => a.elector.isLeader(), 'a leads');
  const b = candidate('release', 'b');
  await eventually(() => b.log.includes('leader=a'), 'b observes a');
  let lease = await getLease('release');
  assert.equal(lease.spec?.holderIdentity, 'a');
  assert.equal(lease.spec?.leaseDurationSeconds, 1);
  assert.equal(lease.spec?.leaseTransitions, 0);
  assert.match(lease.spec?.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  const acquired = lease.spec?.acquireTime;

  // a keeps renewing: b stays a follower well past one lease duration.
  await new Promise((r) => setTimeout(r, 1300));
  assert.ok(a.elector.isLeader() && !b.elector.isLeader());
  lease = await getLease('release');
  assert.equal(lease.spec?.acquireTime, acquired, 'renewals keep acquireTime');
  assert.notEqual(lease.spec?.renewTime, acquired);

  const stoppedAt = Date.now();
  a.stop.abort();
  await a.done;
  assert.deepEqual(a.log, ['leader=a', 'started', 'leading-signal-aborted', 'stopped']);
  await eventually(() => b.elector.isLeader(), 'b takes over');
  assert.ok(Date.now() - stoppedAt < 900, `takeover after release took ${Date.now() - stoppedAt} ms`);
  lease = await getLease('release');
  assert.equal(lease.spec?.holderIdentity, 'b');
  assert.equal(lease.spec?.leaseTransitions, 1);
  assert.ok(b.log.includes('started'));

  b.stop.abort();
  await b.done;
  assert.equal((await getLease('release')).spec?.holderIdentity, '', 'released on stop');
});

test('without release, a successor waits for the lease to expire', async () => {
  const a = candidate('expire', 'a', { releaseOnCancel: false });
  await eventually(() => a.elector.isLeader(), 'a leads');
  const b = candidate('expire', 'b');
  await eventually(() => b.log.includes('leader=a'), 'b observes a');
  const stoppedAt = Date.now();
  a.stop.abort();
  await a.done;
  assert.equal((await getLease('expire')).spec?.holderIdentity, 'a', 'not released');
  await eventually(() => b.elector.isLeader(), 'b takes over after expiry', 5000);
  const waited = Date.now() - stoppedAt;
  assert.ok(waited >= 700, `b waited ${waited} ms, less than the lease duration`);
  assert.equal((await getLease('expire')).spec?.leaseTransitions, 1);
  b.stop.abort();
  await b.done;
});

test('a leader that cannot renew steps down within the renew deadline', async () => {
  const a = candidate('lost', 'a');
  await eventually(() => a.elector.isLeader(), 'a leads');
  // Someone else overwrites the lease (as after a partition): a's conditional renewals now fail.
  const lease = await getLease('lost');
  await client.update<Lease>(leases, { ...lease, spec: { ...lease.spec, holderIdentity: 'intruder', leaseDurationSeconds: 30 } });
  await eventually(() => a.log.includes('stopped'), 'a steps down', 3000);
  await a.done;
  assert.ok(a.log.includes('leading-signal-aborted'));
  assert.equal(a.elector.getLeader(), 'intruder');
});
