// The what-if engine behind `skiff hpa simulate`: replays a load curve through an HPA spec with the
// controller's own decision code (syncHpa: replica calculator, stabilization, behavior policies, min/max),
// no cluster involved. The workload is modelled as a Deployment whose pods share the curve's total demand
// evenly among the Ready ones (as a load balancer would); new pods become Ready after a start-up delay and
// are Pending until then (so the unready/missing-metric rules apply as in a cluster); a scale-down removes
// not-ready pods first, then the newest. Every metric of the HPA reads the same curve: Resource and Pods
// metrics per pod, Object and External metrics as the total.
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerStatus } from 'kubernetes-types/autoscaling/v2.js';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { syncHpa, type MetricsSource } from './decide.js';
import { newScaleHistory } from './normalize.js';
import { defaultCalculatorOptions, type CalculatorOptions, type PodMetricsInfo } from './replica-calculator.js';
import type { LoadCurve } from './load-curve.js';
import { rfc3339 as iso } from '../../util/wire-time.js';

export interface SimulationInput {
  hpa: HorizontalPodAutoscaler;
  /** Containers of the pod template (their requests matter for Utilization targets). */
  containers: Container[];
  initialReplicas: number;
  curve: LoadCurve;
  durationMs: number;
  /** The controller's sync period (default 15 s): one decision per period. */
  syncPeriodMs?: number;
  /** Pod creation → Ready (default 30 s). */
  podStartupMs?: number;
  /** Metric window (metrics-server resolution, default 15 s). */
  metricWindowMs?: number;
  options?: CalculatorOptions;
  downscaleStabilizationMs?: number;
}

export interface SimulationStep {
  tMs: number;
  /** Total demand (milli-units) at this time. */
  load: number;
  /** Target size when the sync ran, and how many of those pods were Ready. */
  replicas: number;
  ready: number;
  /** The size the HPA decided. */
  desired: number;
  status: HorizontalPodAutoscalerStatus;
  /** SuccessfulRescale / warning events of this sync. */
  events: string[];
}

interface SimPod {
  name: string;
  createdMs: number;
  readyMs: number;
}

/** Simulated time starts at this wall-clock instant (timestamps in statuses and conditions). */
const epoch = Date.parse('2030-01-01T00:00:00Z');

export async function simulate(input: SimulationInput): Promise<SimulationStep[]> {
  const sync = input.syncPeriodMs ?? 15_000;
  const startup = input.podStartupMs ?? 30_000;
  const windowMs = input.metricWindowMs ?? 15_000;
  const labels = { app: 'simulated' };
  let seq = 0;
  const newPod = (createdMs: number, readyMs: number): SimPod => ({ name: `pod-${seq++}`, createdMs, readyMs });
  let pods: SimPod[] = Array.from({ length: input.initialReplicas }, () => newPod(-3_600_000, -3_600_000 + startup));
  let hpa: HorizontalPodAutoscaler = structuredClone(input.hpa);
  const history = newScaleHistory();
  const steps: SimulationStep[] = [];

  for (let t = 0; t <= input.durationMs; t += sync) {
    const now = epoch + t;
    const load = input.curve(t);
    const ready = pods.filter((p) => p.readyMs <= t);
    const share = ready.length ? load / ready.length : 0;
    const podObjects: Pod[] = pods.map((p) => ({
      metadata: { name: p.name, namespace: 'default', labels },
      spec: { containers: input.containers },
      status: {
        phase: p.readyMs <= t ? 'Running' : 'Pending',
        startTime: iso(epoch + p.createdMs),
        conditions: [{ type: 'Ready', status: p.readyMs <= t ? 'True' : 'False', lastTransitionTime: iso(epoch + (p.readyMs <= t ? p.readyMs : p.createdMs)) }],
      },
    }));
    const perPod = (): { metrics: PodMetricsInfo; timestampMs: number } => {
      if (!ready.length) throw new Error('no metrics returned from resource metrics API');
      return { metrics: new Map(ready.map((p) => [p.name, { timestampMs: now, windowMs, value: Math.round(share) }])), timestampMs: now };
    };
    const metrics: MetricsSource = {
      resourceMetric: async () => perPod(),
      rawMetric: async () => perPod(),
      objectMetric: async () => ({ value: Math.round(load), timestampMs: now }),
      externalMetric: async () => ({ values: [Math.round(load)], timestampMs: now }),
    };
    const result = await syncHpa({
      hpa,
      scale: { specReplicas: pods.length, statusReplicas: pods.length, selector: 'app=simulated' },
      listPods: (sel) => podObjects.filter((p) => sel.matches(p.metadata?.labels ?? {})),
      metrics,
      history,
      nowMs: now,
      options: input.options ?? defaultCalculatorOptions,
      downscaleStabilizationMs: input.downscaleStabilizationMs,
    });
    const replicas = pods.length;
    if (result.scaleTo !== undefined) {
      if (result.scaleTo > pods.length) {
        while (pods.length < result.scaleTo) pods.push(newPod(t, t + startup));
      } else {
        // ReplicaSet deletion order: not-ready pods first, then the newest.
        pods = [...pods].sort((a, b) => Number(a.readyMs > t) - Number(b.readyMs > t) || a.createdMs - b.createdMs).slice(0, result.scaleTo);
      }
    }
    hpa = { ...hpa, status: result.status };
    steps.push({
      tMs: t,
      load,
      replicas,
      ready: ready.length,
      desired: result.scaleTo ?? replicas,
      status: result.status,
      events: result.events.map((e) => `${e.reason}: ${e.message}`),
    });
  }
  return steps;
}
