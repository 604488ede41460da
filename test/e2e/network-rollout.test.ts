// Zero downtime through Services on `skiff up` (process runtime, root): while bounded load generators send
// requests to the ClusterIP from a client pod and to the NodePort from the host, a 3-replica Deployment
// (maxSurge 1, maxUnavailable 0, readiness probe, preStop sleep) is rolled with `kubectl set image` and then
// scaled down with `kubectl scale`: no request fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, e2eSkipReason } from './harness.js';
import { hostLoad } from '../support/load.js';
import { loadgen, webDeployment } from './network-load.js';

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const skip = e2eSkipReason() ?? (root ? undefined : 'needs root (pod network namespaces, nftables)');
if (skip) console.log(`# skipping network rollout e2e: ${skip}`);

const node = process.execPath;
const marker = `skiff-e2e-netroll-${process.pid}`;
const server = `require('http').createServer((q,s)=>s.end(process.env.HOSTNAME)).listen(8080) // ${marker}`;
const manifests = `${webDeployment(3, server)}---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: Pod
metadata: {name: loadgen}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: node:20
    command: [${JSON.stringify(node)}, "-e", "setInterval(()=>{},1e9) // ${marker}"]
`;

describe('zero-downtime rollouts through a Service', { skip }, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start();
    await c.k(['apply', '-f', '-'], manifests);
    await c.k(['wait', '--for=condition=Available', 'deployment/web', '--timeout=90s']);
    await c.k(['wait', '--for=condition=Ready', 'pod/loadgen', '--timeout=90s']);
  });
  after(async () => {
    await c?.stop();
  });

  async function underLoad(change: () => Promise<void>): Promise<void> {
    await c.kubectl(['exec', 'loadgen', '--', 'rm', '-f', '/tmp/stop']);
    const nodePort = Number((await c.k(['get', 'svc', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}'])).trim());
    const stop = { now: false };
    const inCluster = c.kubectl(['exec', 'loadgen', '--', node, '-e', loadgen('http://web.default.svc.cluster.local/', 10_000, 180)], { timeoutMs: 240_000 });
    const fromHost = hostLoad(nodePort, 2_000, 180, stop);
    await new Promise((r) => setTimeout(r, 1000));
    await change();
    stop.now = true;
    await c.k(['exec', 'loadgen', '--', 'touch', '/tmp/stop']);
    const r = await inCluster;
    assert.equal(r.code, 0, r.stderr);
    const cluster = JSON.parse(r.stdout.trim()) as { ok: number; failed: number; errors: Record<string, number> };
    const host = await fromHost;
    console.log(`ClusterIP from a pod: ${cluster.ok} ok, ${cluster.failed} failed; NodePort from the host: ${host.ok} ok, ${host.failed} failed`);
    assert.ok(cluster.ok >= 10_000, `at least 10,000 requests to the ClusterIP: ${JSON.stringify(cluster)}`);
    assert.equal(cluster.failed, 0, `ClusterIP: ${JSON.stringify(cluster)}`);
    assert.ok(host.ok >= 2_000, `NodePort requests: ${JSON.stringify(host)}`);
    assert.equal(host.failed, 0, `NodePort: ${JSON.stringify(host)}`);
  }

  test('kubectl set image rolls 3 replicas with no failed request', async () => {
    const before = (await c.k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' ');
    await underLoad(async () => {
      await c.k(['set', 'image', 'deployment/web', 'app=node:20-slim']);
      await c.k(['rollout', 'status', 'deployment/web', '--timeout=150s']);
    });
    const afterPods = (await c.k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' ');
    assert.ok(!afterPods.some((p) => before.includes(p)), 'every replica was replaced');
  });

  test('kubectl scale down with no failed request', async () => {
    await underLoad(async () => {
      await c.k(['scale', 'deployment/web', '--replicas=1']);
      for (;;) {
        const n = (await c.k(['get', 'pods', '-l', 'app=web', '-o', 'name'])).trim().split('\n').filter(Boolean).length;
        if (n === 1) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    });
  });
});
