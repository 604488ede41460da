// The Deployment controller (with the ReplicaSet controller, simulated nodes and the scheduler) against an
// in-process API server: rollout to complete status and conditions, rolling update within maxUnavailable,
// revisions and rollback by template, pause/resume, Recreate, revisionHistoryLimit, progress deadline and
// proportional scaling of a stuck rollout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import * as resources from '../../../src/client/resources.js';
import { eventually } from '../support.js';
import { startWorkloadEnv, type WorkloadEnv } from './workload-env.js';

let env: WorkloadEnv;
before(async () => {
  env = await startWorkloadEnv();
});
after(async () => {
  await env?.close();
});

const ns = { namespace: 'default' };

function deployment(name: string, replicas: number, extra: Partial<NonNullable<Deployment['spec']>> = {}, image = 'nginx:1'): Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
      ...extra,
    },
  };
}

const getD = (name: string) => env.client.get<Deployment>(resources.deployments, name, ns);
const rsOf = async (name: string) =>
  (await env.client.list<ReplicaSet>(resources.replicaSets, { ...ns, labelSelector: `app=${name}` })).items.sort((a, b) => Number(a.metadata?.annotations?.['deployment.kubernetes.io/revision']) - Number(b.metadata?.annotations?.['deployment.kubernetes.io/revision']));
const complete = (d: Deployment) => {
  const r = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return s.observedGeneration === d.metadata?.generation && s.updatedReplicas === r && s.readyReplicas === r && s.availableReplicas === r && s.replicas === r;
};
const cond = (d: Deployment, type: string) => d.status?.conditions?.find((c) => c.type === type);
const setImage = (name: string, image: string) =>
  env.client.patch(resources.deployments, name, { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } }, 'strategic', ns);

test('a new deployment rolls out: hash label, revision, conditions, status and events', async () => {
  await env.client.create(resources.deployments, deployment('web', 4), ns);
  const d = await eventually(() => getD('web'), complete, 'rollout complete');
  assert.equal(cond(d, 'Available')?.reason, 'MinimumReplicasAvailable');
  assert.equal(cond(d, 'Progressing')?.reason, 'NewReplicaSetAvailable');
  assert.equal(d.status?.unavailableReplicas ?? 0, 0);
  assert.equal(d.metadata?.annotations?.['deployment.kubernetes.io/revision'], '1');
  const [rs] = await rsOf('web');
  const hash = rs!.metadata!.labels!['pod-template-hash']!;
  assert.match(hash, /^[a-z0-9]+$/);
  assert.equal(rs!.metadata!.name, `web-${hash}`);
  assert.equal(rs!.spec!.selector.matchLabels!['pod-template-hash'], hash);
  assert.equal(rs!.metadata!.annotations!['deployment.kubernetes.io/revision'], '1');
  assert.equal(rs!.metadata!.ownerReferences![0]!.uid, d.metadata!.uid);
  const evs = (await env.client.list<Event>(resources.events, ns)).items;
  assert.ok(evs.some((e) => e.reason === 'ScalingReplicaSet' && e.message === `Scaled up replica set web-${hash} from 0 to 4` && e.source?.component === 'deployment-controller'));
});

test('a rolling update keeps replicas - maxUnavailable available and bumps the revision; rollback reuses the old ReplicaSet', async () => {
  await env.client.patch(resources.deployments, 'web', { spec: { strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } } }, 'strategic', ns);
  await eventually(() => getD('web'), complete, 'strategy change observed');
  let minAvail = Infinity;
  let maxTotal = 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const pods = (await env.client.list<Pod>(resources.pods, { ...ns, labelSelector: 'app=web' })).items;
      const ready = pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
      minAvail = Math.min(minAvail, ready);
      maxTotal = Math.max(maxTotal, pods.filter((p) => !p.metadata?.deletionTimestamp).length);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  await setImage('web', 'nginx:2');
  const d = await eventually(() => getD('web'), (x) => complete(x) && x.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '2', 'update complete');
  done = true;
  await sampler;
  assert.ok(minAvail >= 3, `available never below 3 (saw ${minAvail})`);
  assert.ok(maxTotal <= 5, `never more than 5 pods (saw ${maxTotal})`);
  const rss = await rsOf('web');
  assert.deepEqual(rss.map((r) => [r.metadata!.annotations!['deployment.kubernetes.io/revision'], r.spec!.replicas]), [['1', 0], ['2', 4]]);
  assert.equal(cond(d, 'Progressing')?.reason, 'NewReplicaSetAvailable');
  assert.match(cond(d, 'Progressing')!.message!, /^ReplicaSet "web-[a-z0-9]+" has successfully progressed\.$/);

  // Rollback as kubectl does: template of revision 1 back; the old ReplicaSet becomes revision 3.
  const old = rss[0]!;
  const tmpl = structuredClone(old.spec!.template!);
  delete tmpl.metadata!.labels!['pod-template-hash'];
  await env.client.patch(resources.deployments, 'web', [{ op: 'replace', path: '/spec/template', value: tmpl }], 'json', ns);
  await eventually(() => getD('web'), (x) => complete(x) && x.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '3', 'rolled back');
  const after = await rsOf('web');
  assert.equal(after.length, 2, 'no new ReplicaSet for a rollback');
  assert.equal(after[1]!.metadata!.name, old.metadata!.name);
  assert.equal(after[1]!.metadata!.annotations!['deployment.kubernetes.io/revision-history'], '1');
  assert.equal(after[1]!.spec!.replicas, 4);
});

test('paused: template changes wait, scaling still applies; resume rolls out', async () => {
  await env.client.create(resources.deployments, deployment('pz', 2), ns);
  await eventually(() => getD('pz'), complete, 'pz complete');
  await env.client.patch(resources.deployments, 'pz', { spec: { paused: true } }, 'merge', ns);
  await eventually(() => getD('pz'), (d) => cond(d, 'Progressing')?.reason === 'DeploymentPaused', 'paused condition');
  await setImage('pz', 'nginx:2');
  await env.client.patch(resources.deployments, 'pz', { spec: { replicas: 3 } }, 'merge', ns);
  await eventually(() => getD('pz'), (d) => d.status?.observedGeneration === d.metadata?.generation && d.status?.availableReplicas === 3, 'scaled while paused');
  assert.equal((await rsOf('pz')).length, 1, 'no new ReplicaSet while paused');
  await env.client.patch(resources.deployments, 'pz', { spec: { paused: false } }, 'merge', ns);
  await eventually(() => getD('pz'), (d) => complete(d) && (d.status?.updatedReplicas ?? 0) === 3 && cond(d, 'Progressing')?.reason === 'NewReplicaSetAvailable', 'resumed rollout', 10_000);
  assert.equal((await rsOf('pz')).length, 2);
});

test('Recreate scales the old ReplicaSet to zero before creating the new one', async () => {
  await env.client.create(resources.deployments, deployment('rc', 3, { strategy: { type: 'Recreate' } }), ns);
  await eventually(() => getD('rc'), complete, 'rc complete');
  let overlap = false;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const pods = (await env.client.list<Pod>(resources.pods, { ...ns, labelSelector: 'app=rc' })).items;
      const hashes = new Set(pods.map((p) => p.metadata?.labels?.['pod-template-hash']));
      if (hashes.size > 1) overlap = true;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  await setImage('rc', 'nginx:2');
  await eventually(() => getD('rc'), (d) => complete(d) && d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '2', 'recreated');
  done = true;
  await sampler;
  assert.equal(overlap, false, 'old and new pods never coexist');
});

test('revisionHistoryLimit removes the oldest idle ReplicaSets', async () => {
  await env.client.create(resources.deployments, deployment('hist', 1, { revisionHistoryLimit: 1 }), ns);
  await eventually(() => getD('hist'), complete, 'hist v1');
  for (const v of [2, 3]) {
    await setImage('hist', `nginx:${v}`);
    await eventually(() => getD('hist'), (d) => complete(d) && d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === String(v), `hist v${v}`);
  }
  const rss = await eventually(() => rsOf('hist'), (l) => l.length === 2, 'one old ReplicaSet kept');
  assert.deepEqual(rss.map((r) => r.metadata!.annotations!['deployment.kubernetes.io/revision']), ['2', '3']);
});

test('a stuck rollout exceeds its progress deadline; scaling it is proportional', async () => {
  await env.client.create(resources.deployments, deployment('stuck', 10, { progressDeadlineSeconds: 1, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }), ns);
  await eventually(() => getD('stuck'), complete, 'stuck v1');
  // New pods can never be scheduled.
  await env.client.patch(resources.deployments, 'stuck', { spec: { template: { spec: { nodeSelector: { nowhere: 'true' } } } } }, 'strategic', ns);
  const d = await eventually(() => getD('stuck'), (x) => cond(x, 'Progressing')?.reason === 'ProgressDeadlineExceeded', 'deadline exceeded', 10_000);
  assert.equal(cond(d, 'Progressing')?.status, 'False');
  assert.match(cond(d, 'Progressing')!.message!, /has timed out progressing\.$/);
  let rss = await rsOf('stuck');
  assert.deepEqual(rss.map((r) => r.spec!.replicas), [8, 5]);
  await env.client.patch(resources.deployments, 'stuck', { spec: { replicas: 20 } }, 'merge', ns);
  rss = await eventually(() => rsOf('stuck'), (l) => l.reduce((n, r) => n + r.spec!.replicas!, 0) === 23, 'scaled proportionally (20 + maxSurge 3)');
  assert.deepEqual(rss.map((r) => r.spec!.replicas), [14, 9], 'old 8→14 (8·23/13), new 5→9');
});
