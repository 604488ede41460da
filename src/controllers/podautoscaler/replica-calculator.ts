// The HPA's replica arithmetic, as upstream's pkg/controller/podautoscaler/replica_calculator.go: group the
// target's pods (ready, unready, missing metrics, ignored), compute the usage ratio, and propose a replica
// count with the tolerance, the missing-pod fallbacks and the "no change of direction" guards. Pure: metric
// values and pods come in, proposals (or upstream's error messages) come out; nothing here fetches.
//
// Values are milli-units (Quantity.MilliValue()) as upstream's metrics client produces them, and integer
// divisions truncate as Go's int64 division does.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { tryParseQuantity } from '../../util/quantity.js';

export interface PodMetric {
  /** Sample time (ms since epoch). */
  timestampMs: number;
  windowMs: number;
  /** milli-units */
  value: number;
}

/** Per pod name. */
export type PodMetricsInfo = Map<string, PodMetric>;

export interface CalculatorOptions {
  /** --horizontal-pod-autoscaler-tolerance, default 0.1. */
  tolerance: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period, default 5 min. */
  cpuInitializationPeriodMs: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay, default 30 s. */
  delayOfInitialReadinessStatusMs: number;
}

export const defaultCalculatorOptions: CalculatorOptions = {
  tolerance: 0.1,
  cpuInitializationPeriodMs: 5 * 60_000,
  delayOfInitialReadinessStatusMs: 30_000,
};

/** An upstream error message (becomes a condition message / event text). */
export class CalculationError extends Error {}

export interface PodGroups {
  readyPodCount: number;
  unreadyPods: Set<string>;
  missingPods: Set<string>;
  ignoredPods: Set<string>;
}

const ts = (s: string | undefined): number | undefined => (s ? Date.parse(s) : undefined);

/** groupPods: which pods count, which are unready (CPU only), which lack metrics, which are ignored. */
export function groupPods(pods: Pod[], metrics: PodMetricsInfo, resource: string, o: CalculatorOptions, nowMs: number): PodGroups {
  const g: PodGroups = { readyPodCount: 0, unreadyPods: new Set(), missingPods: new Set(), ignoredPods: new Set() };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Failed') {
      g.ignoredPods.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      g.unreadyPods.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missingPods.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const condition = pod.status?.conditions?.find((c) => c.type === 'Ready');
      const start = ts(pod.status?.startTime);
      let unready: boolean;
      if (!condition || start === undefined) {
        unready = true;
      } else {
        const transition = ts(condition.lastTransitionTime) ?? 0;
        if (start + o.cpuInitializationPeriodMs > nowMs) {
          // Within the initialization period: ignore unready pods and samples not taken a whole window after
          // the last readiness change.
          unready = condition.status === 'False' || metric.timestampMs < transition + metric.windowMs;
        } else {
          // Afterwards: ignore only pods that are unready and have never been ready.
          unready = condition.status === 'False' && start + o.delayOfInitialReadinessStatusMs > transition;
        }
      }
      if (unready) {
        g.unreadyPods.add(name);
        continue;
      }
    }
    g.readyPodCount++;
  }
  return g;
}

export function removeMetricsForPods(metrics: PodMetricsInfo, pods: Set<string>): void {
  for (const p of pods) metrics.delete(p);
}

/** Sum of the containers' requests per pod (milli), or upstream's "missing request" error. */
export function calculatePodRequests(pods: Pod[], container: string, resource: string): Map<string, number> {
  const requests = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    const containers = [
      ...(pod.spec?.containers ?? []),
      ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
    ];
    for (const c of containers) {
      if (container !== '' && container !== c.name) continue;
      const q = tryParseQuantity(c.resources?.requests?.[resource] as string | number | undefined);
      if (!q || q.isZero()) throw new CalculationError(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata?.name ?? ''}`);
      sum += q.milliValue();
    }
    requests.set(pod.metadata?.name ?? '', sum);
  }
  return requests;
}

/** GetResourceUtilizationRatio. */
export function resourceUtilizationRatio(metrics: PodMetricsInfo, requests: Map<string, number>, targetUtilization: number): { ratio: number; utilization: number; rawAverage: number } {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let n = 0;
  for (const [pod, m] of metrics) {
    const r = requests.get(pod);
    if (r === undefined) continue; // extraneous metrics
    metricsTotal += m.value;
    requestsTotal += r;
    n++;
  }
  if (requestsTotal === 0) throw new CalculationError('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / targetUtilization, utilization, rawAverage: Math.trunc(metricsTotal / n) };
}

/** GetMetricUsageRatio. */
export function metricUsageRatio(metrics: PodMetricsInfo, targetUsage: number): { ratio: number; usage: number } {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const usage = Math.trunc(total / metrics.size);
  return { ratio: usage / targetUsage, usage };
}

const withinTolerance = (ratio: number, o: CalculatorOptions) => Math.abs(1 - ratio) <= o.tolerance;

export interface ResourceProposal {
  replicas: number;
  utilization: number;
  rawAverage: number;
  timestampMs: number;
}

/** GetResourceReplicas (Resource / ContainerResource with an averageUtilization target). */
export function resourceReplicas(args: {
  currentReplicas: number;
  targetUtilization: number;
  resource: string;
  container: string;
  pods: Pod[];
  metrics: PodMetricsInfo;
  nowMs: number;
  options?: CalculatorOptions;
}): ResourceProposal {
  const o = args.options ?? defaultCalculatorOptions;
  const metrics = new Map(args.metrics);
  const timestampMs = firstTimestamp(metrics);
  if (args.pods.length === 0) throw new CalculationError('no pods returned by selector while calculating replica count');
  const g = groupPods(args.pods, metrics, args.resource, o, args.nowMs);
  removeMetricsForPods(metrics, g.ignoredPods);
  removeMetricsForPods(metrics, g.unreadyPods);
  if (metrics.size === 0) throw new CalculationError('did not receive metrics for targeted pods (pods might be unready)');
  const requests = calculatePodRequests(args.pods, args.container, args.resource);
  const { ratio, utilization, rawAverage } = resourceUtilizationRatio(metrics, requests, args.targetUtilization);
  const replicas = propose(args.currentReplicas, ratio, g, metrics, o, (p) => {
    // Scale-down: missing pods use 100% of their request (or the target when it is above 100%).
    const fallback = Math.max(100, args.targetUtilization);
    return Math.trunc(((requests.get(p) ?? 0) * fallback) / 100);
  }, () => resourceUtilizationRatio(metrics, requests, args.targetUtilization).ratio);
  return { replicas, utilization, rawAverage, timestampMs };
}

/**
 * The proposal both calculators share: directly from the ratio when no pod is missing or (on a scale-up)
 * unready; otherwise missing pods count as `scaleDownFallback` on a scale-down and 0 on a scale-up, unready
 * pods as 0 on a scale-up, and the recomputed ratio must neither fall within the tolerance nor change the
 * direction of the scale.
 */
function propose(current: number, ratio: number, g: PodGroups, metrics: PodMetricsInfo, o: CalculatorOptions, scaleDownFallback: (pod: string) => number, recompute: () => number): number {
  const scaleUpWithUnready = g.unreadyPods.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && g.missingPods.size === 0) {
    if (withinTolerance(ratio, o)) return current;
    return Math.ceil(ratio * g.readyPodCount);
  }
  const stub = (value: number) => ({ timestampMs: 0, windowMs: 0, value });
  if (g.missingPods.size > 0) {
    if (ratio < 1) for (const p of g.missingPods) metrics.set(p, stub(scaleDownFallback(p)));
    else if (ratio > 1) for (const p of g.missingPods) metrics.set(p, stub(0));
  }
  if (scaleUpWithUnready) for (const p of g.unreadyPods) metrics.set(p, stub(0));
  const next = recompute();
  if (withinTolerance(next, o) || (ratio < 1 && next > 1) || (ratio > 1 && next < 1)) return current;
  const replicas = Math.ceil(next * metrics.size);
  if ((next < 1 && replicas > current) || (next > 1 && replicas < current)) return current;
  return replicas;
}

/** calcPlainMetricReplicas (Pods metrics; Resource / ContainerResource with an averageValue target). */
export function plainMetricReplicas(args: {
  currentReplicas: number;
  targetUsage: number;
  resource: string;
  pods: Pod[];
  metrics: PodMetricsInfo;
  nowMs: number;
  options?: CalculatorOptions;
}): { replicas: number; usage: number; timestampMs: number } {
  const o = args.options ?? defaultCalculatorOptions;
  const metrics = new Map(args.metrics);
  const timestampMs = firstTimestamp(metrics);
  if (args.pods.length === 0) throw new CalculationError('no pods returned by selector while calculating replica count');
  const g = groupPods(args.pods, metrics, args.resource, o, args.nowMs);
  removeMetricsForPods(metrics, g.ignoredPods);
  removeMetricsForPods(metrics, g.unreadyPods);
  if (metrics.size === 0) throw new CalculationError('did not receive metrics for targeted pods (pods might be unready)');
  const { ratio, usage } = metricUsageRatio(metrics, args.targetUsage);
  // Scale-down: missing pods use exactly the target.
  const replicas = propose(args.currentReplicas, ratio, g, metrics, o, () => args.targetUsage, () => metricUsageRatio(metrics, args.targetUsage).ratio);
  return { replicas, usage, timestampMs };
}

/** Pods counted by getReadyPodsCount: Running with condition Ready=True. */
export function readyPodsCount(pods: Pod[]): number {
  if (pods.length === 0) throw new CalculationError('no pods returned by selector while calculating replica count');
  let n = 0;
  for (const p of pods) if (p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) n++;
  return n;
}

/** getUsageRatioReplicaCount (Object and External metrics with a Value target). `readyPods` is called lazily. */
export function usageRatioReplicas(currentReplicas: number, usageRatio: number, readyPods: () => number, options: CalculatorOptions = defaultCalculatorOptions): number {
  if (currentReplicas !== 0) {
    if (withinTolerance(usageRatio, options)) return currentReplicas;
    let ready: number;
    try {
      ready = readyPods();
    } catch (err) {
      throw new CalculationError(`unable to calculate ready pods: ${(err as Error).message}`);
    }
    return Math.ceil(usageRatio * ready);
  }
  return Math.ceil(usageRatio);
}

/** GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas (AverageValue targets): total usage in. */
export function perPodReplicas(statusReplicas: number, totalUsage: number, targetAverage: number, options: CalculatorOptions = defaultCalculatorOptions): { replicas: number; usage: number } {
  let replicas = statusReplicas;
  const ratio = totalUsage / (targetAverage * replicas);
  if (Math.abs(1 - ratio) > options.tolerance) replicas = Math.ceil(totalUsage / targetAverage);
  // With no replicas in the status upstream divides by zero; the total stands in for the per-pod figure.
  return { replicas, usage: statusReplicas > 0 ? Math.ceil(totalUsage / statusReplicas) : totalUsage };
}

function firstTimestamp(metrics: PodMetricsInfo): number {
  for (const m of metrics.values()) return m.timestampMs;
  return 0;
}
