// High availability on etcd: three etcd members and two Skiff servers. kubectl works against either server
// with one kubeconfig; SIGKILL of the etcd leader during a stream of 1,000 writes costs under 5 s and loses no
// acknowledged write; SIGKILL of the server holding the controller-manager lease hands the controllers to
// the other server within lease duration + 2 s, which then finishes a pending namespace deletion and a pending
// Deployment rollout (its pods wait for simulated nodes that only the survivor runs: they are added to the
// fleet after the kill); the LeaderElection events never show two leaders at once, and the ReplicaSet and
// Deployment events show every pod created, deleted and every scaling step taken exactly once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cluster, e2eSkipReason } from './harness.js';
import { etcdSkipReason, startEtcd } from '../storage/etcd-harness.js';
import { componentIdentity } from '../../src/cli/components.js';
import { apiFromKubeconfig, listConfigMaps, missingWrites, writeStream, type Api } from './write-load.js';

const skip = e2eSkipReason() ?? etcdSkipReason();
const LEASE_MS = 4000;
const leaderElection = ['--leader-elect-lease-duration', '4s', '--leader-elect-renew-deadline', '3s', '--leader-elect-retry-period', '500ms'];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Lease {
  metadata: { resourceVersion: string };
  spec: { holderIdentity?: string };
}
interface EventList {
  items: { reason?: string; message?: string; count?: number; metadata: { resourceVersion: string }; involvedObject: { kind?: string; name?: string } }[];
}
interface ReplicaSetList {
  items: { metadata: { name: string; annotations?: Record<string, string> }; spec: { replicas?: number; template: { spec: { containers: { image: string }[] } } } }[];
}

const REPLICAS = 3;

/** Sum of the counts of the events with this reason about this object. */
function eventCount(events: EventList, kind: string, name: string, reason: string): number {
  return events.items
    .filter((e) => e.involvedObject.kind === kind && e.involvedObject.name === name && e.reason === reason)
    .reduce((n, e) => n + (e.count ?? 1), 0);
}

test('two servers on a three-member etcd', { skip, timeout: 240_000 }, async (t) => {
  const etcd = await startEtcd({ members: 3, extraArgs: ['--experimental-watch-progress-notify-interval=5s'] });
  const servers: Cluster[] = [];
  const apis: Api[] = [];
  try {
    // Control plane only (no local node): a server here is SIGKILLed and not started again.
    const args = ['--datastore', 'etcd', '--etcd-endpoints', etcd.endpoints.join(','), ...leaderElection, '--runtime', 'sim', '--sim-nodes', '0'];
    servers.push(await Cluster.start({ extraArgs: args }));
    servers.push(await Cluster.start({ extraArgs: args }));
    const [a, b] = servers as [Cluster, Cluster];
    const urlOf = (c: Cluster) => `https://127.0.0.1:${c.port}`;
    const apiA = apiFromKubeconfig(a.kubeconfig, urlOf(a));
    const apiB = apiFromKubeconfig(a.kubeconfig, urlOf(b)); // A's kubeconfig, B's address: one CA, one admin
    apis.push(apiA, apiB);

    await t.test('kubectl against either server with one kubeconfig', async () => {
      await a.k(['create', 'namespace', 'ha']);
      assert.match(await b.k(['get', 'namespace', 'ha', '-o', 'name']), /namespace\/ha/);
      assert.match(await a.k(['--server', urlOf(b), 'get', 'namespace', 'ha', '-o', 'name']), /namespace\/ha/);
      await b.k(['create', 'configmap', 'from-b', '-n', 'ha', '--from-literal=k=v']);
      assert.match(await a.k(['get', 'configmap', 'from-b', '-n', 'ha', '-o', 'jsonpath={.data.k}']), /^v$/);
    });

    await t.test('SIGKILL of the etcd leader during 1,000 writes: recovery within 5 s, no acknowledged write lost', async () => {
      const leader = await etcd.leaderIndex();
      let killAt = 0;
      let killed: Promise<void> | undefined;
      const result = await writeStream({
        apis: [apiA, apiB],
        namespace: 'ha',
        count: 1000,
        concurrency: 8,
        onAck: (n) => {
          if (n === 300 && !killed) {
            killAt = Date.now();
            killed = etcd.killMember(leader, 'SIGKILL');
          }
        },
      });
      await killed;
      assert.ok(killAt > 0, 'the etcd leader was killed mid-stream');
      assert.equal(result.abandoned, 0, 'every write was eventually acknowledged');
      const times = [...result.ackTimes].sort((x, y) => x - y);
      let stall = 0;
      for (let i = 1; i < times.length; i++) {
        if (times[i]! > killAt) stall = Math.max(stall, times[i]! - Math.max(times[i - 1]!, killAt));
      }
      const firstAfter = times.find((x) => x > killAt + 50) ?? Infinity;
      t.diagnostic(`etcd leader m${leader} SIGKILLed after 300 acks; longest stall after the kill ${stall} ms; ` +
        `first write acknowledged ${firstAfter - killAt} ms after the kill; ${result.acked.size} acknowledged`);
      assert.ok(stall < 5000, `the API stalled for ${stall} ms`);
      for (const api of [apiA, apiB]) {
        const present = await listConfigMaps(api, 'ha');
        assert.deepEqual(missingWrites(result.acked, present), [], `writes missing on ${api.url}`);
      }
    });

    await t.test('SIGKILL of the lease holder: the other server takes over within lease duration + 2 s and finishes a pending rollout', async () => {
      const leasePath = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager';
      const before = await apiA.json<Lease>('GET', leasePath);
      const ids = new Map([[componentIdentity(a.dataDir), 0], [componentIdentity(b.dataDir), 1]]);
      const holderIndex = ids.get(before.spec.holderIdentity ?? '');
      assert.ok(holderIndex !== undefined, `lease held by ${before.spec.holderIdentity}`);
      const holder = servers[holderIndex]!;
      const survivor = servers[1 - holderIndex]!;
      const survivorApi = [apiA, apiB][1 - holderIndex]!;
      const survivorId = componentIdentity(survivor.dataDir);
      const holderId = componentIdentity(holder.dataDir);
      // Pending controller work: a namespace with content, deleted right after the kill.
      await survivor.k(['create', 'namespace', 'doomed']);
      await survivor.k(['create', 'configmap', 'c', '-n', 'doomed']);
      // Pending rollout: no node exists yet, so neither revision's pods can run before the kill.
      await survivor.k(['create', 'deployment', 'web', '-n', 'ha', '--image=registry.k8s.io/pause:3.10', `--replicas=${REPLICAS}`]);
      await survivor.k(['set', 'image', 'deployment/web', '-n', 'ha', 'pause=registry.k8s.io/pause:3.9']);
      // Let the holder finish the steps it can take without nodes (3 old pods, 1 surge pod of revision 2), so
      // the kill cannot fall between one of its actions and that action's event.
      for (const end = Date.now() + 20_000; ; await sleep(100)) {
        const rs = await survivorApi.json<ReplicaSetList>('GET', '/apis/apps/v1/namespaces/ha/replicasets');
        const ev = await survivorApi.json<EventList>('GET', '/api/v1/namespaces/ha/events');
        const created = rs.items.map((r) => eventCount(ev, 'ReplicaSet', r.metadata.name, 'SuccessfulCreate')).sort();
        if (created.join() === '1,3') break;
        assert.ok(Date.now() < end, `pods created before the kill: ${created.join()}`);
      }
      const killRv = Number((await survivorApi.json<Lease>('GET', leasePath)).metadata.resourceVersion);

      const killAt = Date.now();
      await holder.halt('SIGKILL');
      await survivor.k(['delete', 'namespace', 'doomed', '--wait=false']);
      // Nodes for the rollout, simulated by the only server left.
      const nodes = Object.fromEntries(['ha-sim-0', 'ha-sim-1'].map((n) => [n, '{}']));
      await survivor.k(['patch', 'configmap', 'skiff-sim-nodes', '-n', 'kube-system', '--type', 'merge', '-p', JSON.stringify({ data: nodes })]);
      let takeover = -1;
      while (Date.now() - killAt < LEASE_MS + 10_000) {
        const lease = await survivorApi.json<Lease>('GET', leasePath);
        if (lease.spec.holderIdentity === survivorId) {
          takeover = Date.now() - killAt;
          break;
        }
        await sleep(100);
      }
      assert.ok(takeover >= 0, 'the survivor acquired the lease');
      let gone = -1;
      while (Date.now() - killAt < 30_000) {
        const r = await survivorApi.call('GET', '/api/v1/namespaces/doomed');
        if (r.status === 404) {
          gone = Date.now() - killAt;
          break;
        }
        await sleep(100);
      }
      const rollout = await survivor.kubectl(['rollout', 'status', 'deployment/web', '-n', 'ha', '--timeout=60s']);
      const rolledOut = Date.now() - killAt;
      t.diagnostic(`lease taken over ${takeover} ms after SIGKILL (lease duration ${LEASE_MS} ms); ` +
        `namespace deletion finished ${gone} ms after SIGKILL; rollout complete ${rolledOut} ms after SIGKILL`);
      assert.ok(takeover <= LEASE_MS + 2000, `takeover took ${takeover} ms`);
      assert.ok(gone >= 0, 'the survivor\'s namespace controller finished the deletion');
      assert.equal(rollout.code, 0, `rollout status: ${rollout.stderr}${rollout.stdout}`);
      assert.match(rollout.stdout, /successfully rolled out/);

      // Each controller acted once per step: every pod creation, deletion and scaling step shows up exactly
      // once in the events (two controllers acting at once would create surplus pods and delete them again).
      const rsList = await survivorApi.json<ReplicaSetList>('GET', '/apis/apps/v1/namespaces/ha/replicasets');
      const revision = (rs: ReplicaSetList['items'][number]) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'];
      const oldRs = rsList.items.find((rs) => revision(rs) === '1');
      const newRs = rsList.items.find((rs) => revision(rs) === '2');
      assert.ok(oldRs && newRs, `ReplicaSets: ${rsList.items.map((rs) => `${rs.metadata.name}@${revision(rs)}`).join(', ')}`);
      assert.equal(newRs.spec.replicas, REPLICAS);
      assert.equal(newRs.spec.template.spec.containers[0]?.image, 'registry.k8s.io/pause:3.9');
      assert.equal(oldRs.spec.replicas, 0);
      const nsEvents = await survivorApi.json<EventList>('GET', '/api/v1/namespaces/ha/events');
      const newCreated = eventCount(nsEvents, 'ReplicaSet', newRs.metadata.name, 'SuccessfulCreate');
      const oldCreated = eventCount(nsEvents, 'ReplicaSet', oldRs.metadata.name, 'SuccessfulCreate');
      const oldDeleted = eventCount(nsEvents, 'ReplicaSet', oldRs.metadata.name, 'SuccessfulDelete');
      t.diagnostic(`events: new ReplicaSet created ${newCreated} pods; old created ${oldCreated}, deleted ${oldDeleted}`);
      assert.equal(newCreated, REPLICAS, 'the new ReplicaSet created each of its pods once');
      assert.equal(eventCount(nsEvents, 'ReplicaSet', newRs.metadata.name, 'SuccessfulDelete'), 0, 'the new ReplicaSet deleted nothing');
      assert.equal(oldDeleted, oldCreated, 'the old ReplicaSet deleted exactly the pods it created');
      assert.ok(oldCreated <= REPLICAS, `the old ReplicaSet created ${oldCreated} pods`);
      let podCount = -1; // old pods may still be terminating when the rollout is reported complete
      for (const end = Date.now() + 30_000; Date.now() < end && podCount !== REPLICAS; await sleep(200)) {
        podCount = (JSON.parse(await survivor.k(['get', 'pods', '-n', 'ha', '-o', 'json'])) as { items: unknown[] }).items.length;
      }
      assert.equal(podCount, REPLICAS);
      const scaling = nsEvents.items.filter((e) => e.involvedObject.kind === 'Deployment' && e.reason === 'ScalingReplicaSet');
      for (const e of scaling) assert.equal(e.count ?? 1, 1, `scaling step taken twice: ${e.message}`);
      assert.equal(new Set(scaling.map((e) => e.message)).size, scaling.length, 'every scaling step was taken once');

      // No two leaders at once: walk the LeaderElection events in write order.
      const events = await survivorApi.json<EventList>('GET', '/api/v1/namespaces/kube-system/events');
      const seq = events.items
        .filter((e) => e.reason === 'LeaderElection' && e.involvedObject.name === 'kube-controller-manager')
        .sort((x, y) => Number(x.metadata.resourceVersion) - Number(y.metadata.resourceVersion));
      let current: string | undefined;
      for (const e of seq) {
        const [who, ...rest] = (e.message ?? '').split(' ');
        const what = rest.join(' ');
        if (what === 'became leader') {
          const predecessorDead = current === holderId && Number(e.metadata.resourceVersion) > killRv;
          assert.ok(current === undefined || current === who || predecessorDead, `${who} became leader while ${current} led`);
          current = who;
        } else if (what === 'stopped leading' && current === who) {
          current = undefined;
        }
      }
      assert.equal(current, survivorId);
      assert.ok(seq.some((e) => e.message === `${holderId} became leader`));
    });
  } finally {
    for (const api of apis) api.close();
    for (const s of servers) await s.stop();
    await etcd.stop();
  }
});
