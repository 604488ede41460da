// `skiff up --runtime sim` with a short HPA sync period and metric resolution: `kubectl top` reads the
// metrics API, `kubectl autoscale` creates an HPA that scales a Deployment from simulated CPU usage, and
// `kubectl get hpa` / `kubectl describe hpa` print upstream's columns, conditions and events.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, e2eSkipReason } from './harness.js';
import { eventually } from './wait.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping hpa e2e: ${skip}`);

const manifest = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {sim.skiff.dev/cpu-usage: 100m, sim.skiff.dev/memory-usage: 64Mi}
    spec:
      containers:
      - name: app
        image: busybox
        resources: {requests: {cpu: 100m, memory: 64Mi}}
`;

describe('HPA and kubectl top on simulated nodes', { skip }, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({ extraArgs: ['--runtime', 'sim', '--sim-nodes', '2', '--sim-node-cpu', '2', '--horizontal-pod-autoscaler-sync-period', '1s', '--metric-resolution', '1s'] });
    await c.k(['apply', '-f', '-'], manifest);
    await c.k(['rollout', 'status', 'deployment/web', '--timeout=60s']);
  });
  after(async () => {
    await c?.stop();
  });

  test('kubectl top pods and nodes', async () => {
    const pods = await eventually('kubectl top pods', async () => {
      const r = await c.kubectl(['top', 'pods', '-l', 'app=web']);
      return r.code === 0 && r.stdout.split('\n').filter((l) => /^web-/.test(l)).length === 2 && r.stdout;
    });
    assert.match(pods, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    assert.match(pods, /^web-\S+\s+100m\s+64Mi\s*$/m);
    const nodes = await eventually('kubectl top nodes', async () => {
      const r = await c.kubectl(['top', 'nodes']);
      return r.code === 0 && /sim-node-1/.test(r.stdout) && /sim-node-0/.test(r.stdout) && r.stdout;
    });
    assert.match(nodes, /^NAME\s+CPU\(cores\)\s+CPU(\(%\)|%)\s+MEMORY\(bytes\)\s+MEMORY(\(%\)|%)/);
    // Two pods of 100m on 2-CPU nodes: 200m in all.
    const cpu = [...nodes.matchAll(/^sim-node-\d+\s+(\d+)m\s+(\d+)%/gm)].map((m) => Number(m[1]));
    assert.equal(cpu.reduce((a, b) => a + b, 0), 200);
    const containers = await c.k(['top', 'pods', '-l', 'app=web', '--containers']);
    assert.match(containers, /^web-\S+\s+app\s+100m\s+64Mi\s*$/m);
  });

  test('kubectl autoscale scales the Deployment; kubectl get hpa shows TARGETS, MINPODS, MAXPODS, REPLICAS', async () => {
    await c.k(['autoscale', 'deployment', 'web', '--cpu-percent=50', '--min=2', '--max=6']);
    // 100% of the request against a 50% target: 2 → 4 (then 4 → 6 once the new pods report).
    await eventually('web scaled up', async () => Number(await c.k(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'])) >= 4, 60_000);
    const table = await eventually('hpa targets', async () => {
      const out = await c.k(['get', 'hpa', 'web']);
      return /cpu: 100%\/50%/.test(out) && out;
    });
    assert.match(table, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\n/);
    assert.match(table, /^web\s+Deployment\/web\s+cpu: 100%\/50%\s+2\s+6\s+\d+\s+\S+\n/m);
    const describe = await c.k(['describe', 'hpa', 'web']);
    assert.match(describe, /ScalingActive\s+True\s+ValidMetricFound\s+the HPA was able to successfully calculate a replica count from cpu resource utilization \(percentage of request\)/);
    assert.match(describe, /Normal\s+SuccessfulRescale\s+\S+\s+horizontal-pod-autoscaler\s+New size: 4; reason: cpu resource utilization \(percentage of request\) above target/);
    await eventually('web at the maximum', async () => Number(await c.k(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'])) === 6, 60_000);
  });
});
