// Workload controllers end to end: real kubectl against `skiff up --runtime sim --sim-nodes 3`, where all
// controllers and the scheduler run inside the server. StatefulSet ordinal order and PVCs that outlive pods,
// a DaemonSet following a node added with `skiff sim-node add`, a failing Job that retries then fails at
// backoffLimit, and a Service with a ClusterIP whose EndpointSlice lists a Deployment's ready pods.
// CronJob concurrencyPolicy Forbid and Replace are in workloads-cronjob.test.ts (their own server: they wait for a
// minute boundary while the tests here run).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { PersistentVolumeClaim, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ApiClient } from '../../src/client/client.js';
import { loadKubeconfig } from '../../src/client/config.js';
import * as resources from '../../src/client/resources.js';
import { Cluster, e2eSkipReason, nodeArgs, repoRoot } from './harness.js';
import { cidrContains, serviceCidrOf } from '../../src/network/service-cidr.js';
import { eventually, isReadyPod as isReady } from './wait.js';


const skip = e2eSkipReason();
if (skip) console.log(`# skipping workloads e2e: ${skip}`);

// The container mounts the claim template "data" (its volume comes from volumeClaimTemplates).
const statefulSet = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 3
  selector:
    matchLabels: {app: sts-web}
  template:
    metadata:
      labels: {app: sts-web}
    spec:
      containers:
      - name: c
        image: nginx:1
        volumeMounts:
        - name: data
          mountPath: /data
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests: {storage: 1Gi}
`;

const daemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: c
        image: agent:1
`;

const failingJob = `apiVersion: batch/v1
kind: Job
metadata:
  name: fails
spec:
  backoffLimit: 1
  template:
    metadata:
      annotations:
        sim.skiff.dev/complete-after-seconds: "0"
        sim.skiff.dev/exit-code: "1"
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
`;

const serviceAndDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: c
        image: api:1
        ports:
        - {name: http, containerPort: 8080}
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: api}
  ports:
  - {name: http, port: 80, targetPort: http}
`;

describe('workload controllers with kubectl on simulated nodes', { skip }, () => {
  let c: Cluster;
  let client: ApiClient;
  const sts = { order: [] as string[], createdWhileNotAllPreviousReady: [] as string[], stop: async () => {} };

  /** Records the order StatefulSet pods appear in and whether each lower ordinal was Ready at that moment. */
  async function watchStatefulSetPods(): Promise<void> {
    const w = await client.watch<Pod>(resources.pods, { namespace: 'default', labelSelector: 'app=sts-web' });
    const ready = new Map<string, boolean>();
    const loop = (async () => {
      for await (const ev of w) {
        if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') continue;
        const p = ev.object as Pod;
        const name = p.metadata!.name!;
        if (ev.type === 'ADDED') {
          sts.order.push(name);
          const ord = Number(name.split('-').pop());
          for (let i = 0; i < ord; i++) if (!ready.get(`web-${i}`)) sts.createdWhileNotAllPreviousReady.push(name);
        }
        ready.set(name, ev.type !== 'DELETED' && isReady(p));
      }
    })();
    sts.stop = async () => {
      w.close();
      await loop.catch(() => undefined);
    };
  }

  const getJson = async <T>(args: string[]): Promise<T> => JSON.parse(await c.k([...args, '-o', 'json'])) as T;
  const pods = async (selector: string) => (await getJson<{ items: Pod[] }>(['get', 'pods', '-l', selector])).items;
  const pvcs = async () => (await getJson<{ items: PersistentVolumeClaim[] }>(['get', 'pvc'])).items;

  before(async () => {
    c = await Cluster.start({ extraArgs: ['--runtime', 'sim', '--sim-nodes', '3'] });
    client = ApiClient.fromConfig(loadKubeconfig(c.kubeconfig), { timeoutMs: 10_000 });
    await eventually('3 Ready nodes', async () => {
      const nodes = (await getJson<{ items: { status?: { conditions?: { type: string; status: string }[] } }[] }>(['get', 'nodes'])).items;
      return nodes.length === 3 && nodes.every((n) => n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
    });
    // The failing Job spends most of its time in back-off; start it first so it runs alongside the others.
    await c.k(['apply', '-f', '-'], failingJob);
  });
  after(async () => {
    await sts.stop();
    client?.close();
    await c?.stop();
  });

  test('StatefulSet creates web-0, web-1, web-2 in order, each after the previous is Ready', async () => {
    await watchStatefulSetPods();
    await c.k(['apply', '-f', '-'], statefulSet);
    await c.k(['rollout', 'status', 'statefulset/web', '--timeout=60s']);
    await sts.stop();
    assert.deepEqual(sts.order, ['web-0', 'web-1', 'web-2']);
    assert.deepEqual(sts.createdWhileNotAllPreviousReady, [], 'OrderedReady: a pod was created before its predecessors were Ready');
    const claims = await pvcs();
    assert.deepEqual(claims.map((p) => p.metadata?.name).sort(), ['data-web-0', 'data-web-1', 'data-web-2']);
    const web1 = (await pods('app=sts-web')).find((p) => p.metadata?.name === 'web-1')!;
    assert.equal(web1.spec?.hostname, 'web-1');
    assert.equal(web1.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName, 'data-web-1');
  });

  test('StatefulSet keeps its PVCs when a pod is deleted and on scale-down', async () => {
    const before = new Map((await pvcs()).map((p) => [p.metadata!.name!, p.metadata!.uid!]));
    const oldUid = (await pods('app=sts-web')).find((p) => p.metadata?.name === 'web-1')!.metadata!.uid;
    // What matters is the replacement, not how long kubectl waits for the graceful deletion under load.
    await c.k(['delete', 'pod', 'web-1', '--wait=false']);
    await eventually(
      'web-1 recreated and Ready',
      async () => {
        const p = (await pods('app=sts-web')).find((x) => x.metadata?.name === 'web-1');
        return p && p.metadata?.uid !== oldUid && isReady(p);
      },
      90_000,
    );
    const afterDelete = new Map((await pvcs()).map((p) => [p.metadata!.name!, p.metadata!.uid!]));
    assert.deepEqual(afterDelete, before, 'the same PVCs (same UIDs) survive pod deletion');

    await c.k(['scale', 'statefulset/web', '--replicas=1']);
    await eventually('scaled down to web-0 only', async () => {
      const names = (await pods('app=sts-web')).map((p) => p.metadata?.name);
      return names.length === 1 && names[0] === 'web-0';
    });
    const afterScale = new Map((await pvcs()).map((p) => [p.metadata!.name!, p.metadata!.uid!]));
    assert.deepEqual(afterScale, before, 'PVCs are retained on scale-down (whenScaled: Retain)');
  });

  test('a DaemonSet lands on a node added with `skiff sim-node add`', async () => {
    await c.k(['apply', '-f', '-'], daemonSet);
    await eventually('one ready agent pod per node', async () => {
      const ds = await getJson<DaemonSet>(['get', 'ds', 'agent']);
      return ds.status?.desiredNumberScheduled === 3 && ds.status.numberReady === 3;
    });
    const onNodes = (await pods('app=agent')).map((p) => p.spec?.nodeName).sort();
    assert.equal(new Set(onNodes).size, 3, `one pod per node: ${onNodes.join(' ')}`);

    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), 'sim-node', 'add', 'extra-1', '--data-dir', c.dataDir], { env: { ...process.env, HOME: c.home }, timeout: 30_000 }, (err, _o, stderr) =>
        err ? reject(new Error(`sim-node add failed: ${stderr}`)) : resolve(),
      ),
    );
    const pod = await eventually('an agent pod on extra-1 that is Ready', async () => (await pods('app=agent')).find((p) => p.spec?.nodeName === 'extra-1' && isReady(p)));
    assert.equal(pod.metadata?.ownerReferences?.[0]?.kind, 'DaemonSet');
    const ds = await getJson<DaemonSet>(['get', 'ds', 'agent']);
    assert.equal(ds.status?.desiredNumberScheduled, 4);
  });

  test('a Service gets a ClusterIP and its EndpointSlice lists the ready pods of a Deployment', async () => {
    await c.k(['apply', '-f', '-'], serviceAndDeployment);
    await c.k(['rollout', 'status', 'deployment/api', '--timeout=60s']);
    const svc = await getJson<Service>(['get', 'svc', 'api']);
    const args = nodeArgs(c.port);
    const range = serviceCidrOf(args[args.indexOf('--service-cidr') + 1]); // the harness's range for this cluster
    assert.ok(cidrContains(range, svc.spec?.clusterIP ?? ''), `ClusterIP ${svc.spec?.clusterIP} is outside ${range.text}`);
    const ready = (await pods('app=api')).filter(isReady);
    assert.equal(ready.length, 3);
    const want = ready.map((p) => p.status?.podIP).sort();
    const slice = await eventually('an EndpointSlice with the 3 ready pod IPs', async () => {
      const items = (await getJson<{ items: EndpointSlice[] }>(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=api'])).items;
      const s = items[0];
      const got = s?.endpoints?.filter((e) => e.conditions?.ready).flatMap((e) => e.addresses).sort();
      return items.length === 1 && JSON.stringify(got) === JSON.stringify(want) ? s : undefined;
    });
    assert.equal(slice.addressType, 'IPv4');
    assert.deepEqual(slice.ports?.map((p) => [p.name, p.port]), [['http', 8080]]);
    assert.deepEqual(slice.endpoints?.map((e) => e.targetRef?.name).sort(), ready.map((p) => p.metadata?.name).sort());
    const out = await c.k(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=api']);
    assert.match(out, /8080/);
  });

  test('a Job whose pods fail retries, then fails at backoffLimit', async () => {
    const job = await eventually(
      'Job fails with BackoffLimitExceeded',
      async () => {
        const j = await getJson<Job>(['get', 'job', 'fails']);
        return j.status?.conditions?.some((x) => x.type === 'Failed' && x.status === 'True') ? j : undefined;
      },
      45_000,
    );
    const failed = job.status?.conditions?.find((x) => x.type === 'Failed');
    assert.equal(failed?.reason, 'BackoffLimitExceeded');
    assert.equal(job.status?.failed, 2, 'backoffLimit 1: the first failure is retried once');
    assert.equal(job.status?.active ?? 0, 0);
    const jobPods = await pods('job-name=fails');
    assert.equal(jobPods.length, 2);
    assert.ok(jobPods.every((p) => p.status?.phase === 'Failed'));
  });
});
