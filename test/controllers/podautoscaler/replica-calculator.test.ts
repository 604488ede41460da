// Upstream's replica_calculator_test.go cases, through the same fixture shape: pods "test-pod-<i>" with two
// containers each requesting requests[i] and using levels[i] (so raw values are 2 × level), a Ready condition
// whose lastTransitionTime and the metrics' timestamp are Go's zero time, start times "hot" (now) or "cool"
// (3 minutes ago; Go's zero time when unset), and the testing options (tolerance 0.1, CPU initialization
// period 2 min, initial readiness delay 10 s).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  perPodReplicas,
  plainMetricReplicas,
  readyPodsCount,
  resourceReplicas,
  usageRatioReplicas,
  type CalculatorOptions,
  type PodMetricsInfo,
} from '../../../src/controllers/podautoscaler/replica-calculator.js';

const opts: CalculatorOptions = { tolerance: 0.1, cpuInitializationPeriodMs: 120_000, delayOfInitialReadinessStatusMs: 10_000 };
const now = Date.parse('2026-01-01T12:00:00Z');
const ZERO = '0001-01-01T00:00:00Z';
const hot = new Date(now).toISOString();
const cool = new Date(now - 180_000).toISOString();
type Phase = 'Running' | 'Pending' | 'Failed';

interface Fixture {
  current: number;
  readiness?: ('True' | 'False')[];
  start?: string[];
  phase?: Phase[];
  deleting?: boolean[];
  requests?: string[];
}

function pods(f: Fixture): Pod[] {
  const n = Math.max(f.current, f.phase?.length ?? 0);
  return Array.from({ length: n }, (_, i) => ({
    metadata: { name: `test-pod-${i}`, namespace: 'test-namespace', labels: { name: 'test-pod' }, ...(f.deleting?.[i] ? { deletionTimestamp: hot } : {}) },
    spec: {
      containers: [0, 1].map((c) => ({ name: `container${c}`, ...(f.requests && i < f.requests.length ? { resources: { requests: { cpu: f.requests[i]! } } } : {}) })),
    },
    status: {
      phase: f.phase?.[i] ?? 'Running',
      startTime: f.start?.[i] ?? ZERO,
      conditions: [{ type: 'Ready', status: f.readiness?.[i] ?? 'True', lastTransitionTime: ZERO }],
    },
  }));
}

const metricsOf = (levels: number[], perPod: number, names?: string[]): PodMetricsInfo =>
  new Map(levels.map((l, i) => [names?.[i] ?? `test-pod-${i}`, { timestampMs: Date.parse(ZERO), windowMs: 60_000, value: l * perPod }]));

const ones = (n: number) => Array.from({ length: n }, () => '1.0');

test('resource utilization cases (GetResourceReplicas)', () => {
  const cases: { name: string; f: Fixture; levels: number[]; target: number; want: [replicas: number, utilization: number, raw: number]; names?: string[] }[] = [
    { name: 'ScaleUp', f: { current: 3, requests: ones(3) }, levels: [300, 500, 700], target: 30, want: [5, 50, 1000] },
    { name: 'ScaleUpUnreadyLessScale', f: { current: 3, requests: ones(3), readiness: ['False', 'True', 'True'] }, levels: [300, 500, 700], target: 30, want: [4, 60, 1200] },
    { name: 'ScaleUpHotCpuLessScale', f: { current: 3, requests: ones(3), start: [hot, cool, cool] }, levels: [300, 500, 700], target: 30, want: [4, 60, 1200] },
    { name: 'ScaleUpUnreadyNoScale', f: { current: 3, requests: ones(3), readiness: ['True', 'False', 'False'] }, levels: [400, 500, 700], target: 30, want: [3, 40, 800] },
    { name: 'ScaleDown', f: { current: 5, requests: ones(5) }, levels: [100, 300, 500, 250, 250], target: 50, want: [3, 28, 560] },
    { name: 'ScaleDownIncludeUnreadyPods', f: { current: 5, requests: ones(5), readiness: ['True', 'True', 'True', 'False', 'False'] }, levels: [100, 300, 500, 250, 250], target: 50, want: [2, 30, 600] },
    {
      name: 'ScaleDownExcludeUnscheduledPods',
      f: { current: 5, requests: ones(5), readiness: ['True', 'False', 'False', 'False', 'False'], phase: ['Running', 'Pending', 'Pending', 'Pending', 'Pending'] },
      levels: [100],
      target: 50,
      want: [1, 10, 200],
    },
    { name: 'ScaleDownIgnoreHotCpuPods', f: { current: 5, requests: ones(5), start: [cool, cool, cool, hot, hot] }, levels: [100, 300, 500, 250, 250], target: 50, want: [2, 30, 600] },
    {
      name: 'ScaleDownIgnoresFailedPods',
      f: { current: 5, requests: ones(7), readiness: ['True', 'True', 'True', 'True', 'True', 'False', 'False'], phase: ['Running', 'Running', 'Running', 'Running', 'Running', 'Failed', 'Failed'] },
      levels: [100, 300, 500, 250, 250],
      target: 50,
      want: [3, 28, 560],
    },
    {
      name: 'ScaleDownIgnoresDeletionPods',
      f: { current: 5, requests: ones(7), readiness: ['True', 'True', 'True', 'True', 'True', 'False', 'False'], phase: Array(7).fill('Running'), deleting: [false, false, false, false, false, true, true] },
      levels: [100, 300, 500, 250, 250],
      target: 50,
      want: [3, 28, 560],
    },
    { name: 'Tolerance', f: { current: 3, requests: ['0.9', '1.0', '1.1'] }, levels: [1010, 1030, 1020], target: 100, want: [3, 102, 2040] },
    { name: 'SuperfluousMetrics', f: { current: 4, requests: ones(4) }, levels: [4000, 9500, 3000, 7000, 3200, 2000], target: 100, want: [24, 587, 11750] },
    { name: 'MissingMetrics', f: { current: 4, requests: ones(4) }, levels: [400, 95], target: 100, want: [3, 24, 495] },
    { name: 'MissingMetricsNoChangeEq', f: { current: 2, requests: ones(2) }, levels: [1000], target: 100, want: [2, 100, 2000] },
    { name: 'MissingMetricsNoChangeGt', f: { current: 2, requests: ones(2) }, levels: [1900], target: 100, want: [2, 190, 3800] },
    { name: 'MissingMetricsNoChangeLt', f: { current: 2, requests: ones(2) }, levels: [600], target: 100, want: [2, 60, 1200] },
    { name: 'MissingMetricsUnreadyChange', f: { current: 3, requests: ones(3), readiness: ['False', 'True', 'True'] }, levels: [100, 450], target: 50, want: [3, 45, 900] },
    { name: 'MissingMetricsHotCpuNoChange', f: { current: 3, requests: ones(3), start: [hot, cool, cool] }, levels: [100, 450], target: 50, want: [3, 45, 900] },
    { name: 'MissingMetricsUnreadyScaleUp', f: { current: 3, requests: ones(3), readiness: ['False', 'True', 'True'] }, levels: [100, 2000], target: 50, want: [4, 200, 4000] },
    { name: 'MissingMetricsHotCpuScaleUp', f: { current: 3, requests: ones(3), readiness: ['False', 'True', 'True'], start: [hot, cool, cool] }, levels: [100, 2000], target: 50, want: [4, 200, 4000] },
    { name: 'MissingMetricsUnreadyScaleDown', f: { current: 4, requests: ones(4), readiness: ['False', 'True', 'True', 'True'] }, levels: [100, 100, 100], target: 50, want: [3, 10, 200] },
    { name: 'DuringRollingUpdateWithMaxSurge', f: { current: 2, requests: ones(3), phase: ['Running', 'Running', 'Running'] }, levels: [100, 100], target: 50, want: [2, 10, 200] },
  ];
  for (const c of cases) {
    // The fixture's request is per container; upstream's levels are per container too (pod = 2 × level).
    const r = resourceReplicas({ currentReplicas: c.f.current, targetUtilization: c.target, resource: 'cpu', container: '', pods: pods(c.f), metrics: metricsOf(c.levels, 2, c.names), nowMs: now, options: opts });
    assert.deepEqual([r.replicas, r.utilization, r.rawAverage], c.want, c.name);
  }
});

test('resource errors: disjoint metrics, missing requests', () => {
  assert.throws(
    () => resourceReplicas({ currentReplicas: 1, targetUtilization: 100, resource: 'cpu', container: '', pods: pods({ current: 1, requests: ones(1) }), metrics: metricsOf([100], 2, ['an-older-pod-name']), nowMs: now, options: opts }),
    /no metrics returned matched known pods/,
  );
  assert.throws(
    () => resourceReplicas({ currentReplicas: 1, targetUtilization: 100, resource: 'cpu', container: '', pods: pods({ current: 1, requests: [] }), metrics: metricsOf([200], 2), nowMs: now, options: opts }),
    /^Error: missing request for cpu in container container0 of Pod test-pod-0$/,
  );
  assert.throws(
    () => resourceReplicas({ currentReplicas: 1, targetUtilization: 100, resource: 'cpu', container: '', pods: [], metrics: metricsOf([200], 2), nowMs: now, options: opts }),
    /no pods returned by selector while calculating replica count/,
  );
});

test('pods metric cases (GetMetricReplicas)', () => {
  const cases: { name: string; f: Fixture; levels: number[]; target: number; want: [number, number] }[] = [
    { name: 'ScaleUpCM', f: { current: 3 }, levels: [20000, 10000, 30000], target: 15000, want: [4, 20000] },
    { name: 'ScaleUpCMUnreadyHotCpuNoLessScale', f: { current: 3, readiness: ['True', 'True', 'False'], start: [cool, cool, hot] }, levels: [50000, 10000, 30000], target: 15000, want: [6, 30000] },
    { name: 'ScaleUpCMUnreadyHotCpuScaleWouldScaleDown', f: { current: 3, readiness: ['False', 'True', 'False'], start: [hot, cool, hot] }, levels: [50000, 15000, 30000], target: 15000, want: [7, 31666] },
    { name: 'ScaleUpCMExternal (as pods metric)', f: { current: 1 }, levels: [8600], target: 4400, want: [2, 8600] },
    { name: 'ScaleDownCM', f: { current: 5 }, levels: [12000, 12000, 12000, 12000, 12000], target: 20000, want: [3, 12000] },
    { name: 'ToleranceCM', f: { current: 3 }, levels: [20000, 21000, 21000], target: 20000, want: [3, 20666] },
  ];
  for (const c of cases) {
    const r = plainMetricReplicas({ currentReplicas: c.f.current, targetUsage: c.target, resource: '', pods: pods(c.f), metrics: metricsOf(c.levels, 1), nowMs: now, options: opts });
    assert.deepEqual([r.replicas, r.usage], c.want, c.name);
  }
});

test('object and external metric cases', () => {
  const ready = (f: Fixture) => () => readyPodsCount(pods(f));
  // GetObjectMetricReplicas / GetExternalMetricReplicas: ratio × ready pods.
  const value: { name: string; f: Fixture; usage: number; target: number; want: number }[] = [
    { name: 'ScaleUpCMObject', f: { current: 3 }, usage: 20000, target: 15000, want: 4 },
    { name: 'ScaleUpCMObjectIgnoresUnreadyPods', f: { current: 3, readiness: ['False', 'True', 'False'] }, usage: 50000, target: 10000, want: 5 },
    { name: 'ScaleUpCMExternalIgnoresUnreadyPods', f: { current: 3, readiness: ['False', 'True', 'False'] }, usage: 8600, target: 4400, want: 2 },
    { name: 'ScaleDownCMObject', f: { current: 5 }, usage: 12000, target: 20000, want: 3 },
    { name: 'ScaleDownCMExternal', f: { current: 5 }, usage: 8600, target: 14334, want: 3 },
    { name: 'ToleranceCMObject', f: { current: 3 }, usage: 20666, target: 20000, want: 3 },
    { name: 'ToleranceCMExternal', f: { current: 3 }, usage: 8600, target: 8888, want: 3 },
  ];
  for (const c of value) assert.equal(usageRatioReplicas(c.f.current, c.usage / c.target, ready(c.f), opts), c.want, c.name);
  assert.equal(usageRatioReplicas(0, 2.5, () => assert.fail('no pods are counted when the target is at zero')), 3, 'scale from zero');
  // GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas.
  const perPod: { name: string; current: number; usage: number; target: number; want: [number, number] }[] = [
    { name: 'ScaleUpCMPerPodObject', current: 3, usage: 20000, target: 5000, want: [4, 6667] },
    { name: 'ScaleUpPerPodCMExternal', current: 3, usage: 8600, target: 2150, want: [4, 2867] },
    { name: 'ScaleDownPerPodCMObject', current: 5, usage: 6000, target: 2000, want: [3, 1200] },
    { name: 'ScaleDownPerPodCMExternal', current: 5, usage: 8600, target: 2867, want: [3, 1720] },
    { name: 'TolerancePerPodCMObject', current: 4, usage: 20166, target: 5000, want: [4, 5042] },
    { name: 'TolerancePerPodCMExternal', current: 3, usage: 8600, target: 2900, want: [3, 2867] },
  ];
  for (const c of perPod) {
    const r = perPodReplicas(c.current, c.usage, c.target, opts);
    assert.deepEqual([r.replicas, r.usage], c.want, c.name);
  }
});
