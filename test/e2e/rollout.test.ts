// `kubectl rollout` against `skiff up --runtime sim` with the ReplicaSet and Deployment controllers: rollout
// status, set image (available pods never below replicas − maxUnavailable, verified with a pod watch),
// history, undo, restart, pause/resume, and a deleted pod is replaced. Until the controllers are registered in
// the server's controller manager, this test runs them in-process against the cluster.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { ApiClient } from '../../src/client/client.js';
import { loadKubeconfig } from '../../src/client/config.js';
import { Cluster, e2eSkipReason } from './harness.js';
import { readyPodsWatch } from './wait.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping rollout e2e: ${skip}`);

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 4
  selector:
    matchLabels: {app: web}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 1}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: nginx:1
`;

describe('kubectl rollout on simulated nodes', { skip }, () => {
  let c: Cluster;
  let client: ApiClient;

  before(async () => {
    c = await Cluster.start({ extraArgs: ['--runtime', 'sim', '--sim-nodes', '3'] });
    client = ApiClient.fromConfig(loadKubeconfig(c.kubeconfig), { timeoutMs: 10_000 });
  });
  after(async () => {
    client?.close();
    await c?.stop();
  });

  const status = () => c.k(['rollout', 'status', 'deployment/web', '--timeout=60s']);
  const getD = async () => JSON.parse(await c.k(['get', 'deployment', 'web', '-o', 'json'])) as Deployment;
  const rsList = async () => (JSON.parse(await c.k(['get', 'rs', '-l', 'app=web', '-o', 'json'])).items as ReplicaSet[]);

  test('create → rollout status succeeds', async () => {
    await c.k(['apply', '-f', '-'], manifest);
    const out = await status();
    assert.match(out, /deployment "web" successfully rolled out/);
    const d = await getD();
    assert.equal(d.status?.availableReplicas, 4);
    assert.equal(d.metadata?.annotations?.['deployment.kubernetes.io/revision'], '1');
  });

  test('set image rolls out without dropping below replicas − maxUnavailable', async () => {
    const watch = await readyPodsWatch(client, 'app=web');
    assert.equal(watch.state.min, 4);
    await c.k(['set', 'image', 'deployment/web', 'c=nginx:2']);
    assert.match(await status(), /successfully rolled out/);
    await watch.stop();
    assert.ok(watch.state.events > 0);
    assert.ok(watch.state.min >= 3, `available pods dropped to ${watch.state.min}`);
    const rss = await rsList();
    assert.equal(rss.length, 2);
    assert.deepEqual(rss.map((r) => r.spec?.replicas).sort(), [0, 4]);
  });

  test('history, undo, restart', async () => {
    const hist = await c.k(['rollout', 'history', 'deployment/web']);
    assert.match(hist, /^1\s/m);
    assert.match(hist, /^2\s/m);
    const rev1 = await c.k(['rollout', 'history', 'deployment/web', '--revision=1']);
    assert.match(rev1, /nginx:1/);

    assert.match(await c.k(['rollout', 'undo', 'deployment/web']), /rolled back/);
    await status();
    let d = await getD();
    assert.equal(d.spec?.template?.spec?.containers[0]?.image, 'nginx:1');
    assert.equal(d.metadata?.annotations?.['deployment.kubernetes.io/revision'], '3');
    const afterUndo = await rsList();
    if (afterUndo.length !== 2) console.log(JSON.stringify(afterUndo.map((r) => [r.metadata?.annotations, r.spec?.template]), null, 1));
    assert.equal(afterUndo.length, 2, 'undo reuses the revision-1 ReplicaSet');

    assert.match(await c.k(['rollout', 'restart', 'deployment/web']), /restarted/);
    await status();
    d = await getD();
    assert.ok(d.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']);
    assert.equal(d.metadata?.annotations?.['deployment.kubernetes.io/revision'], '4');
  });

  test('pause holds a template change; resume rolls it out', async () => {
    await c.k(['rollout', 'pause', 'deployment/web']);
    await c.k(['set', 'image', 'deployment/web', 'c=nginx:3']);
    await new Promise((r) => setTimeout(r, 800));
    assert.ok(!(await rsList()).some((r) => r.spec?.template?.spec?.containers[0]?.image === 'nginx:3'), 'no new ReplicaSet while paused');
    const d = await getD();
    assert.equal(d.status?.conditions?.find((x) => x.type === 'Progressing')?.reason, 'DeploymentPaused');
    await c.k(['rollout', 'resume', 'deployment/web']);
    assert.match(await status(), /successfully rolled out/);
    assert.equal((await getD()).status?.updatedReplicas, 4);
  });

  test('a deleted pod is replaced', async () => {
    const pods = JSON.parse(await c.k(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items as Pod[];
    const victim = pods[0]!.metadata!.name!;
    await c.k(['delete', 'pod', victim, '--wait=false']);
    for (let i = 0; ; i++) {
      const now = (JSON.parse(await c.k(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items as Pod[]).filter((p) => !p.metadata?.deletionTimestamp);
      const ready = now.filter((p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
      if (ready.length === 4 && !now.some((p) => p.metadata?.name === victim)) break;
      if (i > 100) assert.fail(`not healed: ${now.map((p) => p.metadata?.name).join(' ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await status();
  });
});
