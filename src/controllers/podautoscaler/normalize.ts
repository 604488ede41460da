// From a metric proposal to the replica count the HPA applies, as upstream's horizontal.go: the stabilization
// window over recent recommendations (normalizeDesiredReplicas without behavior; stabilizeRecommendation-
// WithBehaviors with it), min/max and the scale rate (convertDesiredReplicasWithRules: ×2 or 4 pods;
// convertDesiredReplicasWithBehaviorRate: Pods/Percent policies over periodSeconds, selectPolicy), and the
// AbleToScale / ScalingLimited reasons and messages. Pure: the recommendation and scale-event history is a
// value passed in and mutated, with `now` explicit, so `skiff hpa simulate` replays exactly what the
// controller does.
import type { HPAScalingRules, HorizontalPodAutoscalerBehavior } from 'kubernetes-types/autoscaling/v2.js';

export interface TimestampedRecommendation {
  recommendation: number;
  timeMs: number;
}

export interface TimestampedScaleEvent {
  replicaChange: number;
  timeMs: number;
  outdated: boolean;
}

/** What the controller remembers per HPA between syncs (upstream keeps the same maps per key). */
export interface ScaleHistory {
  recommendations: TimestampedRecommendation[];
  scaleUpEvents: TimestampedScaleEvent[];
  scaleDownEvents: TimestampedScaleEvent[];
}

export const newScaleHistory = (): ScaleHistory => ({ recommendations: [], scaleUpEvents: [], scaleDownEvents: [] });

export interface ConditionProposal {
  reason: string;
  message: string;
}

export interface Normalized {
  desiredReplicas: number;
  /** AbleToScale (status True) reason/message. */
  ableToScale: ConditionProposal;
  /** ScalingLimited status and reason/message. */
  scalingLimited: ConditionProposal & { status: 'True' | 'False' };
}

/** --horizontal-pod-autoscaler-downscale-stabilization, default 5 min. */
export const defaultDownscaleStabilizationMs = 5 * 60_000;

const scaleUpLimitFactor = 2;
const scaleUpLimitMinimum = 4;

/** recordInitialRecommendation: the first sync remembers the current size as a recommendation. */
export function recordInitialRecommendation(h: ScaleHistory, currentReplicas: number, nowMs: number): void {
  if (h.recommendations.length === 0) h.recommendations.push({ recommendation: currentReplicas, timeMs: nowMs });
}

const readyForNewScale: ConditionProposal = { reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
const withinRange: ConditionProposal = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };

/** normalizeDesiredReplicas: an HPA without spec.behavior. */
export function normalizeDesiredReplicas(
  h: ScaleHistory,
  args: { currentReplicas: number; desiredReplicas: number; minReplicas: number; maxReplicas: number; nowMs: number; downscaleStabilizationMs?: number },
): Normalized {
  const stabilized = stabilizeRecommendation(h, args.desiredReplicas, args.nowMs, args.downscaleStabilizationMs ?? defaultDownscaleStabilizationMs);
  const ableToScale =
    stabilized !== args.desiredReplicas
      ? { reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' }
      : readyForNewScale;
  const r = convertDesiredReplicasWithRules(args.currentReplicas, stabilized, args.minReplicas, args.maxReplicas);
  return {
    desiredReplicas: r.replicas,
    ableToScale,
    scalingLimited: { status: r.replicas === stabilized ? 'False' : 'True', reason: r.reason, message: r.message },
  };
}

/** stabilizeRecommendation: the highest recommendation within the downscale window (reuses one old slot). */
export function stabilizeRecommendation(h: ScaleHistory, desired: number, nowMs: number, windowMs: number): number {
  let max = desired;
  let oldIndex = -1;
  const cutoff = nowMs - windowMs;
  h.recommendations.forEach((rec, i) => {
    if (rec.timeMs < cutoff) oldIndex = i;
    else if (rec.recommendation > max) max = rec.recommendation;
  });
  const entry = { recommendation: desired, timeMs: nowMs };
  if (oldIndex >= 0) h.recommendations[oldIndex] = entry;
  else h.recommendations.push(entry);
  return max;
}

/** convertDesiredReplicasWithRules: min/max and the legacy scale-up limit (max(2×current, 4)). */
export function convertDesiredReplicasWithRules(current: number, desired: number, min: number, max: number): { replicas: number; reason: string; message: string } {
  const scaleUpLimit = Math.max(scaleUpLimitFactor * current, scaleUpLimitMinimum);
  let maximumAllowed: number;
  let reason: string;
  let message: string;
  if (max > scaleUpLimit) {
    maximumAllowed = scaleUpLimit;
    reason = 'ScaleUpLimit';
    message = 'the desired replica count is increasing faster than the maximum scale rate';
  } else {
    maximumAllowed = max;
    reason = 'TooManyReplicas';
    message = 'the desired replica count is more than the maximum replica count';
  }
  if (desired < min) return { replicas: min, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
  if (desired > maximumAllowed) return { replicas: maximumAllowed, reason, message };
  return { replicas: desired, reason: withinRange.reason, message: withinRange.message };
}

/** Behavior with the scale-down window filled in (maybeInitScaleDownStabilizationWindow) and upstream defaults. */
export function effectiveBehavior(b: HorizontalPodAutoscalerBehavior, downscaleStabilizationMs = defaultDownscaleStabilizationMs): { scaleUp: Required<Pick<HPAScalingRules, 'policies' | 'selectPolicy' | 'stabilizationWindowSeconds'>>; scaleDown: Required<Pick<HPAScalingRules, 'policies' | 'selectPolicy' | 'stabilizationWindowSeconds'>> } {
  return {
    scaleUp: {
      stabilizationWindowSeconds: b.scaleUp?.stabilizationWindowSeconds ?? 0,
      selectPolicy: b.scaleUp?.selectPolicy ?? 'Max',
      policies: b.scaleUp?.policies ?? [
        { type: 'Pods', value: 4, periodSeconds: 15 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ],
    },
    scaleDown: {
      stabilizationWindowSeconds: b.scaleDown?.stabilizationWindowSeconds ?? Math.trunc(downscaleStabilizationMs / 1000),
      selectPolicy: b.scaleDown?.selectPolicy ?? 'Max',
      policies: b.scaleDown?.policies ?? [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    },
  };
}

/** normalizeDesiredReplicasWithBehaviors. */
export function normalizeDesiredReplicasWithBehaviors(
  h: ScaleHistory,
  args: { behavior: HorizontalPodAutoscalerBehavior; currentReplicas: number; desiredReplicas: number; minReplicas: number; maxReplicas: number; nowMs: number; downscaleStabilizationMs?: number },
): Normalized {
  const b = effectiveBehavior(args.behavior, args.downscaleStabilizationMs);
  const st = stabilizeRecommendationWithBehaviors(h, {
    currentReplicas: args.currentReplicas,
    desiredReplicas: args.desiredReplicas,
    upWindowSeconds: b.scaleUp.stabilizationWindowSeconds,
    downWindowSeconds: b.scaleDown.stabilizationWindowSeconds,
    nowMs: args.nowMs,
  });
  const ableToScale = st.recommendation !== args.desiredReplicas ? { reason: st.reason, message: st.message } : readyForNewScale;
  const r = convertDesiredReplicasWithBehaviorRate(h, {
    currentReplicas: args.currentReplicas,
    desiredReplicas: st.recommendation,
    minReplicas: args.minReplicas,
    maxReplicas: args.maxReplicas,
    scaleUp: b.scaleUp,
    scaleDown: b.scaleDown,
    nowMs: args.nowMs,
  });
  return {
    desiredReplicas: r.replicas,
    ableToScale,
    scalingLimited: { status: r.replicas === st.recommendation ? 'False' : 'True', reason: r.reason, message: r.message },
  };
}

/** stabilizeRecommendationWithBehaviors: clamp between the lowest (up window) and highest (down window). */
export function stabilizeRecommendationWithBehaviors(
  h: ScaleHistory,
  args: { currentReplicas: number; desiredReplicas: number; upWindowSeconds: number; downWindowSeconds: number; nowMs: number },
): { recommendation: number; reason: string; message: string } {
  const upCutoff = args.nowMs - args.upWindowSeconds * 1000;
  const downCutoff = args.nowMs - args.downWindowSeconds * 1000;
  let up = args.desiredReplicas;
  let down = args.desiredReplicas;
  let oldIndex = -1;
  h.recommendations.forEach((rec, i) => {
    if (rec.timeMs > upCutoff) up = Math.min(rec.recommendation, up);
    if (rec.timeMs > downCutoff) down = Math.max(rec.recommendation, down);
    if (rec.timeMs < upCutoff && rec.timeMs < downCutoff) oldIndex = i;
  });
  let recommendation = args.currentReplicas;
  if (recommendation < up) recommendation = up;
  if (recommendation > down) recommendation = down;
  const entry = { recommendation: args.desiredReplicas, timeMs: args.nowMs };
  if (oldIndex >= 0) h.recommendations[oldIndex] = entry;
  else h.recommendations.push(entry);
  if (args.desiredReplicas >= args.currentReplicas) {
    return { recommendation, reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' };
  }
  return { recommendation, reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };
}

type Rules = { policies: NonNullable<HPAScalingRules['policies']>; selectPolicy: string };

/** convertDesiredReplicasWithBehaviorRate. */
export function convertDesiredReplicasWithBehaviorRate(
  h: ScaleHistory,
  args: { currentReplicas: number; desiredReplicas: number; minReplicas: number; maxReplicas: number; scaleUp: Rules; scaleDown: Rules; nowMs: number },
): { replicas: number; reason: string; message: string } {
  const { currentReplicas: current, desiredReplicas: desired } = args;
  if (desired > current) {
    let limit = calculateScaleUpLimitWithScalingRules(current, h.scaleUpEvents, h.scaleDownEvents, args.scaleUp, args.nowMs);
    if (limit < current) limit = current; // no further scale-up until the events age out
    let maximumAllowed = args.maxReplicas;
    let reason = 'TooManyReplicas';
    let message = 'the desired replica count is more than the maximum replica count';
    if (maximumAllowed > limit) {
      maximumAllowed = limit;
      reason = 'ScaleUpLimit';
      message = 'the desired replica count is increasing faster than the maximum scale rate';
    }
    if (desired > maximumAllowed) return { replicas: maximumAllowed, reason, message };
  } else if (desired < current) {
    let limit = calculateScaleDownLimitWithBehaviors(current, h.scaleUpEvents, h.scaleDownEvents, args.scaleDown, args.nowMs);
    if (limit > current) limit = current;
    let minimumAllowed = args.minReplicas;
    let reason = 'TooFewReplicas';
    let message = 'the desired replica count is less than the minimum replica count';
    if (minimumAllowed < limit) {
      minimumAllowed = limit;
      reason = 'ScaleDownLimit';
      message = 'the desired replica count is decreasing faster than the maximum scale rate';
    }
    if (desired < minimumAllowed) return { replicas: minimumAllowed, reason, message };
  }
  return { replicas: desired, reason: withinRange.reason, message: withinRange.message };
}

/** getReplicasChangePerPeriod. */
export function replicasChangePerPeriod(periodSeconds: number, events: TimestampedScaleEvent[], nowMs: number): number {
  const cutoff = nowMs - periodSeconds * 1000;
  let n = 0;
  for (const e of events) if (e.timeMs > cutoff) n += e.replicaChange;
  return n;
}

const MAX_INT32 = 2 ** 31 - 1;
const MIN_INT32 = -(2 ** 31);

/** calculateScaleUpLimitWithScalingRules. */
export function calculateScaleUpLimitWithScalingRules(current: number, up: TimestampedScaleEvent[], down: TimestampedScaleEvent[], rules: Rules, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const useMin = rules.selectPolicy === 'Min';
  let result = useMin ? MAX_INT32 : MIN_INT32;
  for (const p of rules.policies) {
    const start = current - replicasChangePerPeriod(p.periodSeconds, up, nowMs) + replicasChangePerPeriod(p.periodSeconds, down, nowMs);
    let proposed = 0;
    if (p.type === 'Pods') proposed = start + p.value;
    else if (p.type === 'Percent') proposed = Math.ceil(start * (1 + p.value / 100));
    result = useMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** calculateScaleDownLimitWithBehaviors. */
export function calculateScaleDownLimitWithBehaviors(current: number, up: TimestampedScaleEvent[], down: TimestampedScaleEvent[], rules: Rules, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const useMin = rules.selectPolicy === 'Min';
  let result = useMin ? MIN_INT32 : MAX_INT32;
  for (const p of rules.policies) {
    const start = current - replicasChangePerPeriod(p.periodSeconds, up, nowMs) + replicasChangePerPeriod(p.periodSeconds, down, nowMs);
    let proposed = 0;
    if (p.type === 'Pods') proposed = start - p.value;
    else if (p.type === 'Percent') proposed = Math.trunc(start * (1 - p.value / 100));
    result = useMin ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

/** storeScaleEvent: remember a rescale for the rate policies (only with spec.behavior, as upstream). */
export function storeScaleEvent(h: ScaleHistory, behavior: HorizontalPodAutoscalerBehavior | undefined, prev: number, next: number, nowMs: number): void {
  if (!behavior) return;
  const b = effectiveBehavior(behavior);
  const isUp = next > prev;
  const events = isUp ? h.scaleUpEvents : h.scaleDownEvents;
  const rules = isUp ? b.scaleUp : b.scaleDown;
  const longest = rules.policies.reduce((m, p) => Math.max(m, p.periodSeconds), 0);
  const cutoff = nowMs - longest * 1000;
  for (const e of events) if (e.timeMs < cutoff) e.outdated = true;
  const entry: TimestampedScaleEvent = { replicaChange: isUp ? next - prev : prev - next, timeMs: nowMs, outdated: false };
  // The last outdated slot is reused, as upstream's loop keeps the last index it saw.
  let i = -1;
  events.forEach((e, k) => {
    if (e.outdated) i = k;
  });
  if (i >= 0) events[i] = entry;
  else events.push(entry);
}
