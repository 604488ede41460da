// `skiff hpa simulate`: the load curves, the simulation engine (the controller's own decisions over
// simulated time) and the command's table, plot and JSON output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerBehavior } from 'kubernetes-types/autoscaling/v2.js';
import { main } from '../../../src/cli/main.js';
import { curveFromPoints, parseCurveSpec, parseRecordedCurve, CurveError } from '../../../src/controllers/podautoscaler/load-curve.js';
import { simulate } from '../../../src/controllers/podautoscaler/simulation.js';
import { cliContext as ctx } from '../../support/cli-context.js';


test('load curves: synthetic specs and recorded series', () => {
  const spike = parseCurveSpec('spike:base=400m,peak=2,at=1m,rise=1m,hold=2m,fall=1m');
  assert.deepEqual([0, 60_000, 90_000, 120_000, 200_000, 270_000, 400_000].map(spike), [400, 400, 1200, 2000, 2000, 1200, 400]);
  assert.deepEqual([0, 300_000, 900_000].map(parseCurveSpec('ramp:from=0,to=3,over=10m')), [0, 1500, 3000]);
  assert.deepEqual([0, 299_999, 300_000].map(parseCurveSpec('steps:1@0,250m@5m')), [1000, 1000, 250]);
  assert.equal(Math.round(parseCurveSpec('sine:base=1,amplitude=500m,period=4m')(60_000)), 1500);
  assert.equal(parseCurveSpec('constant:750m')(123), 750);
  assert.throws(() => parseCurveSpec('wave:x=1'), CurveError);
  assert.throws(() => parseCurveSpec('spike:size=3'), /unknown parameter "size"/);
  const csv = parseRecordedCurve('time,cpu\n0,500m\n60,1500m\n2m,1\n', 'csv');
  assert.deepEqual(csv, [{ tMs: 0, value: 500 }, { tMs: 60_000, value: 1500 }, { tMs: 120_000, value: 1000 }]);
  assert.deepEqual([0, 30_000, 90_000, 600_000].map(curveFromPoints(csv)), [500, 1000, 1250, 1000]);
  assert.deepEqual(parseRecordedCurve('[{"t": "1m", "value": "2"}, {"t": 0, "value": 1}]', 'json'), [{ tMs: 0, value: 1000 }, { tMs: 60_000, value: 2000 }]);
  assert.throws(() => parseRecordedCurve('0,abc', 'csv'), /not a quantity/);
});

const hpa = (behavior?: HorizontalPodAutoscalerBehavior): HorizontalPodAutoscaler => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    minReplicas: 2,
    maxReplicas: 10,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    ...(behavior ? { behavior } : {}),
  },
});
const containers = [{ name: 'app', resources: { requests: { cpu: '100m' } } }];

test('simulation: scale-up limited to max(2×, 4) per sync, new pods count once Ready; scale-down waits for the window', async () => {
  const steps = await simulate({ hpa: hpa(), containers, initialReplicas: 2, curve: parseCurveSpec('steps:500m@0,100m@2m'), durationMs: 9 * 60_000, podStartupMs: 15_000 });
  const at = (m: number, s = 0) => steps.find((x) => x.tMs === m * 60_000 + s * 1000)!;
  // 500m over 2 pods of 100m = 250% of a 50% target → 10, limited to 4 in the first sync.
  assert.deepEqual([at(0).replicas, at(0).desired, at(0).status.currentMetrics?.[0]?.resource?.current.averageUtilization], [2, 4, 250]);
  assert.equal(at(0).events[0], 'SuccessfulRescale: New size: 4; reason: cpu resource utilization (percentage of request) above target');
  // 15 s later the two new pods are Ready (Pending before): 500m / 4 = 125% → 10 (limit 8) → 8.
  assert.deepEqual([at(0, 15).replicas, at(0, 15).ready, at(0, 15).desired], [4, 4, 8]);
  assert.deepEqual([at(0, 30).desired, at(0, 45).desired], [10, 10]);
  // Load drops at 2:00; the 5-minute window keeps the highest recommendation (10) until 7:00 at the latest.
  assert.equal(at(6).desired, 10);
  assert.equal(at(6).status.conditions?.find((c) => c.type === 'AbleToScale')?.reason, 'ScaleDownStabilized');
  assert.ok(steps.filter((s) => s.tMs >= 7 * 60_000).some((s) => s.desired < 10), 'scales down once the window has passed');
  assert.equal(steps[steps.length - 1]!.desired, 2, 'back to minReplicas');
});

test('simulation: behavior policies limit the rate (Pods 1 per minute down, Percent 100% up)', async () => {
  const behavior = {
    scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 60 }] },
    scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
  };
  const steps = await simulate({ hpa: hpa(behavior), containers, initialReplicas: 2, curve: parseCurveSpec('steps:1@0,100m@3m'), durationMs: 10 * 60_000, podStartupMs: 0 });
  const sizes = steps.filter((s) => s.events.some((e) => e.startsWith('SuccessfulRescale'))).map((s) => [s.tMs / 1000, s.desired]);
  // Up: 2 → 4 (100% per minute), 4 → 8 a minute later, then 10; down by one pod per minute after 3:00.
  assert.deepEqual(sizes.slice(0, 3), [[0, 4], [60, 8], [120, 10]]);
  const downs = sizes.filter(([t]) => t! >= 180);
  assert.ok(downs.length >= 5);
  for (let i = 1; i < downs.length; i++) {
    assert.equal(downs[i - 1]![1]! - downs[i]![1]!, 1, 'one pod at a time');
    assert.ok(downs[i]![0]! - downs[i - 1]![0]! >= 60, 'at most once per minute');
  }
});

test('skiff hpa simulate prints a table and a plot, or JSON', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-hpa-sim-'));
  try {
    const file = join(dir, 'hpa.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: shop}',
        'spec:',
        '  replicas: 3',
        '  selector: {matchLabels: {app: shop}}',
        '  template:',
        '    metadata: {labels: {app: shop}}',
        '    spec: {containers: [{name: web, image: shop, resources: {requests: {cpu: 250m}}}]}',
        '---',
        'apiVersion: autoscaling/v1',
        'kind: HorizontalPodAutoscaler',
        'metadata: {name: shop}',
        'spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: shop}, minReplicas: 3, maxReplicas: 12, targetCPUUtilizationPercentage: 70}',
      ].join('\n'),
    );
    const t = ctx();
    assert.equal(await main(['hpa', 'simulate', '-f', file, '--curve', 'spike:base=400m,peak=4,at=1m,rise=30s,hold=3m,fall=30s', '--duration', '6m'], t.c), 0, t.err());
    const out = t.out();
    assert.match(out, /^TIME\s+LOAD\(cpu\)\s+REPLICAS\s+READY\s+METRIC\s+DESIRED\s+EVENT\n0:00\s+400m\s+3\s+3\s+53%\s+3\n/);
    assert.match(out, /New size: 6; reason: cpu resource utilization \(percentage of request\) above target/);
    assert.match(out, /# replicas \(max 12\)\s+\* load \(peak 4000m\)/);
    const j = ctx();
    assert.equal(await main(['hpa', 'simulate', '-f', file, '--curve', 'constant:2', '--duration', '1m', '-o', 'json'], j.c), 0, j.err());
    const steps = JSON.parse(j.out()) as { t: number; replicas: number; desired: number }[];
    assert.deepEqual(steps.map((s) => [s.t, s.replicas, s.desired]), [[0, 3, 6], [15, 6, 12], [30, 12, 12], [45, 12, 12], [60, 12, 12]]);
    const bad = ctx();
    assert.equal(await main(['hpa', 'simulate', '-f', file], bad.c), 2);
    assert.match(bad.err(), /exactly one of --curve SPEC or --load FILE/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
