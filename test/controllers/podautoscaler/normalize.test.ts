// Upstream's horizontal_test.go cases for stabilization (TestNormalizeDesiredReplicas), behavior rate limits
// (TestScalingWithRules, with its generateScalingRules / generateEventsUniformDistribution fixtures) and
// scale-event storage (TestStoreScaleEvents).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HPAScalingRules } from 'kubernetes-types/autoscaling/v2.js';
import {
  convertDesiredReplicasWithBehaviorRate,
  convertDesiredReplicasWithRules,
  effectiveBehavior,
  newScaleHistory,
  normalizeDesiredReplicasWithBehaviors,
  replicasChangePerPeriod,
  stabilizeRecommendation,
  storeScaleEvent,
  type TimestampedScaleEvent,
} from '../../../src/controllers/podautoscaler/normalize.js';

const now = Date.parse('2026-01-01T12:00:00Z');
const ago = (s: number) => now - s * 1000;

function rules(pods: number, podsPeriod: number, percent: number, percentPeriod: number, window: number): HPAScalingRules {
  const policies: NonNullable<HPAScalingRules['policies']> = [];
  if (pods) policies.push({ type: 'Pods', value: pods, periodSeconds: podsPeriod });
  if (percent) policies.push({ type: 'Percent', value: percent, periodSeconds: percentPeriod });
  return { stabilizationWindowSeconds: window, selectPolicy: 'Max', policies };
}

function uniform(raw: number[], period: number): TimestampedScaleEvent[] {
  const seg = period / raw.length;
  return raw.map((r, i) => ({ replicaChange: r, timeMs: ago(Math.trunc(period - seg * (i + 1) + seg / 2)), outdated: false }));
}

test('stabilizeRecommendation (no behavior): highest recommendation within 5 minutes', () => {
  const cases: { name: string; recs: [number, number][]; desired: number; want: number; log: number }[] = [
    { name: 'empty log', recs: [], desired: 5, want: 5, log: 1 },
    { name: 'stabilize', recs: [[4, 120], [5, 60]], desired: 3, want: 5, log: 3 },
    { name: 'no stabilize', recs: [[1, 120], [2, 60]], desired: 3, want: 3, log: 3 },
    { name: 'no stabilize - old recommendations', recs: [[10, 600], [9, 540]], desired: 3, want: 3, log: 2 },
    { name: 'stabilize - old recommendations', recs: [[10, 600], [4, 60], [5, 120], [9, 540]], desired: 3, want: 5, log: 4 },
  ];
  for (const c of cases) {
    const h = newScaleHistory();
    h.recommendations = c.recs.map(([r, s]) => ({ recommendation: r, timeMs: ago(s) }));
    assert.equal(stabilizeRecommendation(h, c.desired, now, 300_000), c.want, c.name);
    assert.equal(h.recommendations.length, c.log, `${c.name}: log length`);
  }
});

test('convertDesiredReplicasWithRules (no behavior): min, max, 2× or 4 pods', () => {
  const cases: [current: number, desired: number, min: number, max: number, want: number, reason: string][] = [
    [5, 7, 3, 8, 7, 'DesiredWithinRange'],
    [3, 1, 2, 8, 2, 'TooFewReplicas'],
    [20, 1000, 1, 10, 10, 'TooManyReplicas'],
    [100, 1000, 100, 150, 150, 'TooManyReplicas'],
    [3, 1000, 1, 2000, 6, 'ScaleUpLimit'],
    [1, 1000, 1, 2000, 4, 'ScaleUpLimit'],
  ];
  for (const [current, desired, min, max, want, reason] of cases) {
    const r = convertDesiredReplicasWithRules(current, desired, min, max);
    assert.deepEqual([r.replicas, r.reason], [want, reason], `${current}→${desired} [${min},${max}]`);
  }
});

test('convertDesiredReplicasWithBehaviorRate (TestScalingWithRules)', () => {
  type C = { name: string; up?: TimestampedScaleEvent[]; down?: TimestampedScaleEvent[]; min: number; max: number; upRules?: HPAScalingRules; downRules?: HPAScalingRules; current: number; desired: number; want: number; cond: string };
  const cases: C[] = [
    { name: 'within range', min: 3, max: 8, current: 5, desired: 7, want: 7, cond: 'DesiredWithinRange' },
    { name: '< minReplicas', min: 2, max: 8, current: 3, desired: 1, want: 2, cond: 'TooFewReplicas' },
    { name: 'within range when minReplicas is 0', min: 0, max: 10, current: 1, desired: 0, want: 0, cond: 'DesiredWithinRange' },
    { name: 'maxReplicas < scaleUpLimit', min: 1, max: 10, current: 20, desired: 1000, want: 10, cond: 'TooManyReplicas' },
    { name: 'more than the maximum', min: 100, max: 150, current: 100, desired: 1000, want: 150, cond: 'TooManyReplicas' },
    { name: 'scaleUpLimit < maxReplicas with user policies', min: 1, max: 2000, upRules: rules(0, 0, 1, 60, 0), current: 3, desired: 1000, want: 4, cond: 'ScaleUpLimit' },
    { name: 'scaleUp with default behavior', min: 1, max: 1000, current: 10, desired: 50, want: 20, cond: 'ScaleUpLimit' },
    { name: 'pods policy larger than percent', min: 1, max: 1000, upRules: rules(100, 60, 100, 60, 0), current: 10, desired: 500, want: 110, cond: 'ScaleUpLimit' },
    { name: 'percent policy larger than pods', min: 1, max: 1000, upRules: rules(2, 60, 100, 60, 0), current: 10, desired: 500, want: 20, cond: 'ScaleUpLimit' },
    { name: 'large pod policy', min: 1, max: 1000, upRules: rules(100, 60, 0, 0, 0), current: 10, desired: 50, want: 50, cond: 'DesiredWithinRange' },
    { name: 'large percent policy', min: 1, max: 1000, upRules: rules(10000, 60, 0, 0, 0), current: 10, desired: 50, want: 50, cond: 'DesiredWithinRange' },
    { name: 'pod policy limitation', min: 1, max: 1000, upRules: rules(30, 60, 0, 0, 0), current: 10, desired: 50, want: 40, cond: 'ScaleUpLimit' },
    { name: 'percent policy limitation', min: 1, max: 1000, upRules: rules(0, 0, 200, 60, 0), current: 10, desired: 50, want: 30, cond: 'ScaleUpLimit' },
    { name: 'down: percent larger than pods', min: 1, max: 1000, downRules: rules(20, 60, 1, 60, 300), current: 100, desired: 2, want: 80, cond: 'ScaleDownLimit' },
    { name: 'down: pods larger than percent', min: 1, max: 1000, downRules: rules(2, 60, 1, 60, 300), current: 100, desired: 2, want: 98, cond: 'ScaleDownLimit' },
    { name: 'down: MinReplicas with large pod policy', min: 1, max: 1000, downRules: rules(100, 60, 0, 0, 300), current: 10, desired: 0, want: 1, cond: 'TooFewReplicas' },
    { name: 'down: MinReplicas with large percent policy', min: 5, max: 1000, downRules: rules(0, 0, 100, 60, 300), current: 10, desired: 2, want: 5, cond: 'TooFewReplicas' },
    { name: 'down: pod policy limitation', min: 1, max: 1000, downRules: rules(5, 60, 0, 0, 300), current: 10, desired: 2, want: 5, cond: 'ScaleDownLimit' },
    { name: 'down: percent policy limitation', min: 1, max: 1000, downRules: rules(0, 0, 50, 60, 300), current: 10, desired: 5, want: 5, cond: 'DesiredWithinRange' },
    { name: 'up: MaxReplicas with large pod policy and events', up: uniform([1, 5, 9], 120), min: 1, max: 200, upRules: rules(300, 60, 0, 0, 0), current: 100, desired: 500, want: 200, cond: 'TooManyReplicas' },
    { name: 'up: MaxReplicas with large percent policy and events', up: uniform([1, 5, 9], 120), min: 1, max: 200, upRules: rules(0, 0, 10000, 60, 0), current: 100, desired: 500, want: 200, cond: 'TooManyReplicas' },
    { name: 'up: a lot of recent scale up events', up: uniform([1, 5, 9], 120), min: 1, max: 1000, upRules: rules(5, 120, 0, 0, 0), current: 100, desired: 500, want: 100, cond: 'ScaleUpLimit' },
    { name: 'up: pod policy and previous events', up: uniform([1, 5, 9], 120), min: 1, max: 1000, upRules: rules(150, 120, 0, 0, 0), current: 100, desired: 500, want: 235, cond: 'ScaleUpLimit' },
    { name: 'up: percent policy and previous events', up: uniform([1, 5, 9], 120), min: 1, max: 1000, upRules: rules(0, 0, 200, 120, 0), current: 100, desired: 500, want: 255, cond: 'ScaleUpLimit' },
    { name: 'up: percent policy, up and down events', up: uniform([4], 120), down: uniform([2], 120), min: 1, max: 1000, upRules: rules(0, 0, 300, 300, 0), current: 6, desired: 24, want: 16, cond: 'ScaleUpLimit' },
    { name: 'down: default policy and previous events', down: uniform([1, 5, 9], 120), min: 1, max: 1000, current: 10, desired: 5, want: 5, cond: 'DesiredWithinRange' },
    { name: 'down: MinReplicas=1 large pod policy, events', down: uniform([1, 5, 9], 120), min: 1, max: 1000, downRules: rules(115, 120, 0, 0, 300), current: 100, desired: 0, want: 1, cond: 'TooFewReplicas' },
    { name: 'down: MinReplicas large pod policy, events', down: uniform([1, 5, 9], 120), min: 5, max: 1000, downRules: rules(130, 120, 0, 0, 300), current: 100, desired: 0, want: 5, cond: 'TooFewReplicas' },
    { name: 'down: MinReplicas large percent policy, events', down: uniform([1, 5, 9], 120), min: 5, max: 1000, downRules: rules(0, 0, 100, 120, 300), current: 100, desired: 2, want: 5, cond: 'TooFewReplicas' },
    { name: 'down: pod policy limitation and events', down: uniform([1, 5, 9], 120), min: 1, max: 1000, downRules: rules(5, 120, 0, 0, 300), current: 100, desired: 2, want: 100, cond: 'ScaleDownLimit' },
    { name: 'down: percent policy limitation and events', down: uniform([2, 4, 6], 120), min: 1, max: 1000, downRules: rules(0, 0, 50, 120, 300), current: 100, desired: 0, want: 56, cond: 'ScaleDownLimit' },
    { name: 'down: percent policy, up and down events', up: uniform([2], 120), down: uniform([4], 120), min: 1, max: 1000, downRules: rules(0, 0, 50, 180, 0), current: 10, desired: 1, want: 6, cond: 'ScaleDownLimit' },
    { name: 'down: previous events prevent further scale down', down: uniform([10, 10, 10], 120), min: 1, max: 1000, downRules: rules(0, 0, 10, 120, 300), current: 100, desired: 0, want: 100, cond: 'ScaleDownLimit' },
    { name: 'down: previous events still allow more', down: uniform([10, 10, 10], 120), min: 1, max: 1000, downRules: rules(0, 0, 1000, 120, 300), current: 10, desired: 5, want: 5, cond: 'DesiredWithinRange' },
    { name: "outdated flag, one behavior, up", up: uniform([8, 12, 9, 11], 120), min: 1, max: 1000, upRules: rules(1000, 60, 0, 0, 0), current: 100, desired: 200, want: 200, cond: 'DesiredWithinRange' },
    { name: 'outdated flag, two policies, up', up: uniform([8, 12, 9, 11], 120), min: 1, max: 1000, upRules: rules(1000, 30, 100, 60, 0), current: 100, desired: 200, want: 200, cond: 'DesiredWithinRange' },
    { name: 'outdated flag, one behavior, down', down: uniform([8, 12, 9, 11], 120), min: 1, max: 1000, downRules: rules(1000, 60, 0, 0, 300), current: 100, desired: 5, want: 5, cond: 'DesiredWithinRange' },
  ];
  for (const c of cases) {
    const b = effectiveBehavior({ scaleUp: c.upRules, scaleDown: c.downRules });
    const h = { recommendations: [], scaleUpEvents: c.up ?? [], scaleDownEvents: c.down ?? [] };
    const r = convertDesiredReplicasWithBehaviorRate(h, { currentReplicas: c.current, desiredReplicas: c.desired, minReplicas: c.min, maxReplicas: c.max, scaleUp: b.scaleUp, scaleDown: b.scaleDown, nowMs: now });
    assert.deepEqual([r.replicas, r.reason], [c.want, c.cond], c.name);
  }
  const disabled = effectiveBehavior({ scaleUp: { selectPolicy: 'Disabled' }, scaleDown: { selectPolicy: 'Disabled' } });
  const h = newScaleHistory();
  const args = { minReplicas: 1, maxReplicas: 100, scaleUp: disabled.scaleUp, scaleDown: disabled.scaleDown, nowMs: now };
  assert.deepEqual(convertDesiredReplicasWithBehaviorRate(h, { ...args, currentReplicas: 5, desiredReplicas: 50 }).replicas, 5, 'scale-up Disabled');
  assert.deepEqual(convertDesiredReplicasWithBehaviorRate(h, { ...args, currentReplicas: 5, desiredReplicas: 1 }).replicas, 5, 'scale-down Disabled');
  const minPolicy = effectiveBehavior({ scaleUp: { selectPolicy: 'Min', policies: [{ type: 'Pods', value: 4, periodSeconds: 60 }, { type: 'Percent', value: 100, periodSeconds: 60 }] } });
  assert.equal(convertDesiredReplicasWithBehaviorRate(h, { ...args, scaleUp: minPolicy.scaleUp, currentReplicas: 10, desiredReplicas: 50 }).replicas, 14, 'selectPolicy Min');
});

test('storeScaleEvent (TestStoreScaleEvents): outdated entries are reused, only with a behavior', () => {
  const cases: { name: string; prev: [number, number][]; rules?: HPAScalingRules; want: [number, boolean][]; change: number }[] = [
    { name: 'empty entries with default behavior', prev: [], want: [], change: 0 },
    { name: 'empty entries with two-policy-behavior', prev: [], rules: rules(10, 60, 100, 60, 0), want: [[5, false]], change: 0 },
    { name: 'outdated entry kept without behavior', prev: [[7, 61]], want: [[7, false]], change: 0 },
    { name: 'outdated entry replaced with behavior', prev: [[7, 61]], rules: rules(10, 60, 100, 60, 0), want: [[5, false]], change: 0 },
    { name: 'actual entry not touched', prev: [[7, 58]], rules: rules(10, 60, 100, 60, 0), want: [[7, false], [5, false]], change: 7 },
    { name: 'two entries, one replaced', prev: [[7, 61], [6, 59]], rules: rules(10, 60, 0, 0, 0), want: [[5, false], [6, false]], change: 6 },
    { name: 'policies with different periods', prev: [[8, 29], [6, 59], [7, 61], [9, 61]], rules: rules(10, 60, 100, 30, 0), want: [[8, false], [6, false], [7, true], [5, false]], change: 14 },
    { name: 'two entries, both actual', prev: [[7, 58], [6, 59]], rules: rules(10, 120, 100, 30, 0), want: [[7, false], [6, false], [5, false]], change: 13 },
  ];
  for (const c of cases) {
    const h = newScaleHistory();
    h.scaleUpEvents = c.prev.map(([r, s]) => ({ replicaChange: r, timeMs: ago(s), outdated: false }));
    assert.equal(replicasChangePerPeriod(60, h.scaleUpEvents, now), c.change, `${c.name}: change`);
    storeScaleEvent(h, c.rules ? { scaleUp: c.rules } : undefined, 10, 15, now);
    assert.deepEqual(h.scaleUpEvents.map((e) => [e.replicaChange, e.outdated]), c.want, c.name);
  }
});

test('stabilization windows with behavior: up window keeps the lowest, down window the highest', () => {
  const h = newScaleHistory();
  h.recommendations = [
    { recommendation: 8, timeMs: ago(30) },
    { recommendation: 4, timeMs: ago(200) },
  ];
  const behavior = { scaleUp: { stabilizationWindowSeconds: 60 }, scaleDown: { stabilizationWindowSeconds: 300 } };
  // Desired 10 from 5: the up window (60 s) holds 8, so the recommendation is 8.
  let r = normalizeDesiredReplicasWithBehaviors(h, { behavior, currentReplicas: 5, desiredReplicas: 10, minReplicas: 1, maxReplicas: 20, nowMs: now });
  assert.deepEqual([r.desiredReplicas, r.ableToScale.reason], [8, 'ScaleUpStabilized']);
  // Desired 2 from 9: the down window (300 s) holds 10 (just recorded) → stay at 9 (current).
  r = normalizeDesiredReplicasWithBehaviors(h, { behavior, currentReplicas: 9, desiredReplicas: 2, minReplicas: 1, maxReplicas: 20, nowMs: now + 1000 });
  assert.deepEqual([r.desiredReplicas, r.ableToScale.reason, r.ableToScale.message], [9, 'ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation']);
  assert.deepEqual([r.scalingLimited.status, r.scalingLimited.reason], ['False', 'DesiredWithinRange']);
});
