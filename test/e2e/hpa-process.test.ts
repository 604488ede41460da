// The HPA on real workloads: `skiff up --runtime process` runs CPU-burning pods, the metrics collector
// scrapes the node agent's /stats/summary, and the HPA scales the Deployment up; once the load stops it
// scales down only after the stabilization window and within the policy's rate. Pods without CPU requests
// leave the HPA unable to compute (ScalingActive False, FailedGetResourceMetric).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Cluster, e2eSkipReason } from './harness.js';
import { eventually } from './wait.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping hpa-process e2e: ${skip}`);

const node = process.execPath;
const marker = `skiff-e2e-hpa-${process.pid}`;
const burn = `for(;;){} // ${marker}`;
const idle = `setInterval(()=>{},1e9) // ${marker}`;

const deployment = (name: string, script: string, requests: boolean) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: node:20
        command: [${JSON.stringify(node)}, "-e", ${JSON.stringify(script)}]
        ${requests ? 'resources: {requests: {cpu: 100m}, limits: {cpu: 300m}}' : '# no resources: a limit alone would default the request to it'}
`;

const hpa = (name: string) => `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: ${name}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ${name}}
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 20
      policies: [{type: Pods, value: 1, periodSeconds: 6}]
`;

describe('HPA with CPU-burning pods on the process runtime', { skip }, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({ extraArgs: ['--runtime', 'process', '--horizontal-pod-autoscaler-sync-period', '2s', '--metric-resolution', '2s'] });
  });
  after(async () => {
    await c?.stop();
    try {
      execFileSync('pkill', ['-f', marker]); // belt and braces: the cluster stops its pods itself
    } catch {
      // none left
    }
  });

  test('load → scale up to the maximum; no load → scale down after the window, one pod per period', async () => {
    await c.k(['apply', '-f', '-'], deployment('burn', burn, true));
    await c.k(['rollout', 'status', 'deployment/burn', '--timeout=60s']);
    // The agent's counters show the burn (capped at the 300m limit where cgroups apply) before the HPA exists.
    await eventually('kubectl top shows the load', async () => {
      const r = await c.kubectl(['top', 'pods', '-l', 'app=burn', '--no-headers']);
      const m = /\s(\d+)m\s/.exec(r.stdout);
      return r.code === 0 && m && Number(m[1]) > 60;
    }, 60_000);
    await c.k(['apply', '-f', '-'], hpa('burn'));
    await eventually('scaled to 3', async () => (await c.k(['get', 'deployment', 'burn', '-o', 'jsonpath={.spec.replicas}'])) === '3', 90_000);
    const up = JSON.parse(await c.k(['get', 'hpa', 'burn', '-o', 'json']));
    assert.ok(up.status.currentMetrics[0].resource.current.averageUtilization > 50, JSON.stringify(up.status.currentMetrics));

    // Stop the load: the new pods idle. Scale-down waits for the 20 s window, then goes 3 → 2 → 1 at most one
    // pod per 6 s.
    const stopped = Date.now();
    // A patch of the command only: re-applying the manifest would also reset spec.replicas.
    await c.k(['patch', 'deployment', 'burn', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/template/spec/containers/0/command/2', value: idle }])]);
    const sizes: [number, number][] = [];
    await eventually('scaled down to 1', async () => {
      const n = Number(await c.k(['get', 'deployment', 'burn', '-o', 'jsonpath={.spec.replicas}']));
      if (sizes.length === 0 || sizes[sizes.length - 1]![1] !== n) sizes.push([Date.now() - stopped, n]);
      return n === 1;
    }, 120_000);
    const firstDown = sizes.find(([, n]) => n < 3)!;
    assert.ok(firstDown[0] >= 18_000, `scale-down started ${firstDown[0]} ms after the load stopped, inside the 20 s window: ${JSON.stringify(sizes)}`);
    assert.deepEqual(sizes.map(([, n]) => n).filter((n) => n < 3), [2, 1], `one pod at a time: ${JSON.stringify(sizes)}`);
    const events = await c.k(['get', 'events', '--field-selector', 'involvedObject.name=burn,reason=SuccessfulRescale', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
    assert.match(events, /New size: 2; reason: All metrics below target/);
    await c.k(['delete', 'deployment', 'burn', '--wait=false']);
  });

  test('no CPU request: ScalingActive False, FailedGetResourceMetric', async () => {
    await c.k(['apply', '-f', '-'], deployment('norequest', idle, false));
    await c.k(['rollout', 'status', 'deployment/norequest', '--timeout=60s']);
    await c.k(['apply', '-f', '-'], hpa('norequest'));
    // Until the pod's first samples are scraped the HPA reports no metrics; then the missing request.
    const cond = await eventually('ScalingActive False for the missing request', async () => {
      const h = JSON.parse(await c.k(['get', 'hpa', 'norequest', '-o', 'json']));
      const x = h.status?.conditions?.find((x: { type: string; status: string }) => x.type === 'ScalingActive' && x.status === 'False');
      return x && /missing request/.test(x.message) && x;
    }, 60_000);
    assert.equal(cond.reason, 'FailedGetResourceMetric');
    assert.match(cond.message, /^the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container app of Pod norequest-/);
  });
});
