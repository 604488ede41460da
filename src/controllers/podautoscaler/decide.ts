// One HPA sync, as upstream's reconcileAutoscaler after the scale subresource was read: the proposal of each
// metric (computeReplicasForMetric and its computeStatusFor* helpers: statuses, metric names, the conditions
// and events of failures), the largest proposal across metrics, the min/max/zero rules, normalization, the
// SuccessfulRescale event and the new status. Metrics and pods arrive through the MetricsSource and pod list
// given; everything else is computed here, so the controller and `skiff hpa simulate` share it. It never
// writes: the caller applies `scaleTo` through /scale and writes `status`.
import type {
  CrossVersionObjectReference,
  HorizontalPodAutoscaler,
  HorizontalPodAutoscalerCondition,
  HorizontalPodAutoscalerStatus,
  MetricSpec,
  MetricStatus,
  MetricTarget,
  MetricValueStatus,
} from 'kubernetes-types/autoscaling/v2.js';
import type { LabelSelector as LabelSelectorObject } from 'kubernetes-types/meta/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { setCondition as setMetaCondition } from '../disruption/decisions.js';
import { Quantity, tryParseQuantity } from '../../util/quantity.js';
import { parseLabelSelector, type LabelSelector } from '../../util/label-selector.js';
import {
  defaultCalculatorOptions,
  perPodReplicas,
  plainMetricReplicas,
  readyPodsCount,
  resourceReplicas,
  usageRatioReplicas,
  type CalculatorOptions,
  type PodMetricsInfo,
} from './replica-calculator.js';
import { normalizeDesiredReplicas, normalizeDesiredReplicasWithBehaviors, recordInitialRecommendation, storeScaleEvent, type ScaleHistory } from './normalize.js';
import { rfc3339 } from '../../util/wire-time.js';

/** Where metric values come from (metrics.k8s.io, custom.metrics.k8s.io, external.metrics.k8s.io). Errors
 * are thrown with upstream's metrics-client messages ("no metrics returned from resource metrics API"). */
export interface MetricsSource {
  resourceMetric(namespace: string, selector: LabelSelector, resource: string, container: string): Promise<{ metrics: PodMetricsInfo; timestampMs: number }>;
  rawMetric(namespace: string, metricName: string, selector: LabelSelector, metricSelector: LabelSelectorObject | undefined): Promise<{ metrics: PodMetricsInfo; timestampMs: number }>;
  objectMetric(namespace: string, metricName: string, ref: CrossVersionObjectReference, metricSelector: LabelSelectorObject | undefined): Promise<{ value: number; timestampMs: number }>;
  externalMetric(namespace: string, metricName: string, metricSelector: LabelSelectorObject | undefined): Promise<{ values: number[]; timestampMs: number }>;
}

export interface HpaEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The autoscaling/v1 Scale as read from the target. */
export interface ScaleView {
  specReplicas: number;
  statusReplicas: number;
  selector: string | undefined;
}

export interface SyncInput {
  hpa: HorizontalPodAutoscaler;
  scale: ScaleView;
  /** Pods matching the scale's selector in the HPA's namespace (the controller's pod lister). */
  listPods(selector: LabelSelector): Pod[];
  /**
   * Records this HPA's selector and returns the keys ("ns/name", sorted) of every HPA selecting the pods it
   * selects (upstream's hpaSelectors); more than one is AmbiguousSelector. Absent: no check.
   */
  selectingHpas?(selector: LabelSelector): string[];
  metrics: MetricsSource;
  history: ScaleHistory;
  nowMs: number;
  options?: CalculatorOptions;
  downscaleStabilizationMs?: number;
}

export interface SyncResult {
  /** Set when the target must be resized. */
  scaleTo?: number;
  rescaleReason?: string;
  status: HorizontalPodAutoscalerStatus;
  events: HpaEvent[];
  /** The error upstream's reconcile returns (requeue with back-off), if any. */
  error?: string;
}

type CondType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';

class StatusBuilder {
  conditions: HorizontalPodAutoscalerCondition[];
  readonly events: HpaEvent[] = [];
  constructor(
    hpa: HorizontalPodAutoscaler,
    private readonly nowText: string,
  ) {
    this.conditions = (hpa.status?.conditions ?? []).map((c) => ({ ...c }));
  }
  set(type: CondType, status: 'True' | 'False', reason: string, message: string): void {
    this.conditions = setMetaCondition(this.conditions as never, { type, status, reason, message }, this.nowText) as HorizontalPodAutoscalerCondition[];
  }
  event(type: HpaEvent['type'], reason: string, message: string): void {
    this.events.push({ type, reason, message });
  }
}

const milli = (q: string | number | undefined): number => tryParseQuantity(q)?.milliValue() ?? 0;
// Every sync formats its metric values and parses its target's selector; both repeat from sync to sync, so
// the results are remembered (bounded: cleared when full). Selectors are immutable once parsed.
const memoLimit = 10_000;
function memo<K, V>(compute: (k: K) => V): (k: K) => V {
  const cache = new Map<K, V>();
  return (k) => {
    let v = cache.get(k);
    if (v === undefined) {
      v = compute(k);
      if (cache.size >= memoLimit) cache.clear();
      cache.set(k, v);
    }
    return v;
  };
}
const milliText = memo((milli: number) => Quantity.fromMilli(milli).toString());
const milliQuantity = (v: number): string => milliText(Math.trunc(v));
const parseScaleSelector = memo(parseLabelSelector);

/** Go's %+v of a *metav1.LabelSelector, as upstream's metric names print it. */
export function goSelector(sel: LabelSelectorObject | undefined): string {
  if (!sel) return '<nil>';
  const labels = Object.entries(sel.matchLabels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}: ${v},`)
    .join('');
  const exprs = (sel.matchExpressions ?? []).map((e) => `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(' ')}],},`).join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}

interface Proposal {
  replicas: number;
  metric: string;
  timestampMs: number;
}

class MetricFailure extends Error {
  constructor(
    message: string,
    readonly condition: { reason: string; message: string },
  ) {
    super(message);
  }
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** getUnableComputeReplicaCountCondition: a Warning event and the ScalingActive=False condition. */
function unable(b: StatusBuilder, reason: string, err: string): { reason: string; message: string } {
  b.event('Warning', reason, err);
  return { reason, message: `the HPA was unable to compute the replica count: ${err}` };
}

async function resourceGeneric(
  input: SyncInput,
  specReplicas: number,
  target: MetricTarget,
  resource: string,
  container: string,
  selector: LabelSelector,
  sourceType: 'Resource' | 'ContainerResource',
): Promise<{ proposal: Proposal; current: MetricValueStatus }> {
  const ns = input.hpa.metadata?.namespace ?? '';
  const o = input.options ?? defaultCalculatorOptions;
  if (target.averageValue !== undefined) {
    let r;
    try {
      const m = await input.metrics.resourceMetric(ns, selector, resource, container).catch((e: unknown) => {
        throw new Error(`unable to get metrics for resource ${resource}: ${errText(e)}`);
      });
      r = plainMetricReplicas({ currentReplicas: specReplicas, targetUsage: milli(target.averageValue), resource, pods: input.listPods(selector), metrics: m.metrics, nowMs: input.nowMs, options: o });
      r.timestampMs = m.timestampMs;
    } catch (e) {
      throw new Error(`failed to get ${resource} usage: ${errText(e)}`);
    }
    return { proposal: { replicas: r.replicas, metric: `${resource} resource`, timestampMs: r.timestampMs }, current: { averageValue: milliQuantity(r.usage) } };
  }
  if (target.averageUtilization === undefined) {
    throw new Error('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
  }
  let r;
  try {
    const m = await input.metrics.resourceMetric(ns, selector, resource, container).catch((e: unknown) => {
      throw new Error(`unable to get metrics for resource ${resource}: ${errText(e)}`);
    });
    r = resourceReplicas({ currentReplicas: specReplicas, targetUtilization: target.averageUtilization, resource, container, pods: input.listPods(selector), metrics: m.metrics, nowMs: input.nowMs, options: o });
    r.timestampMs = m.timestampMs;
  } catch (e) {
    throw new Error(`failed to get ${resource} utilization: ${errText(e)}`);
  }
  const metric = sourceType === 'ContainerResource' ? `${resource} container resource utilization (percentage of request)` : `${resource} resource utilization (percentage of request)`;
  return { proposal: { replicas: r.replicas, metric, timestampMs: r.timestampMs }, current: { averageUtilization: r.utilization, averageValue: milliQuantity(r.rawAverage) } };
}

/** computeReplicasForMetric: one metric's proposal and status, or a MetricFailure (condition + wrapped error). */
async function computeForMetric(input: SyncInput, b: StatusBuilder, spec: MetricSpec, specReplicas: number, statusReplicas: number, selector: LabelSelector): Promise<{ proposal: Proposal; status: MetricStatus }> {
  const ns = input.hpa.metadata?.namespace ?? '';
  const o = input.options ?? defaultCalculatorOptions;
  const readyPods = () => readyPodsCount(input.listPods(selector));
  switch (spec.type) {
    case 'Resource': {
      const src = spec.resource!;
      try {
        const r = await resourceGeneric(input, specReplicas, src.target, src.name, '', selector, 'Resource');
        return { proposal: r.proposal, status: { type: 'Resource', resource: { name: src.name, current: r.current } } };
      } catch (e) {
        throw new MetricFailure(`failed to get ${src.name} resource metric value: ${errText(e)}`, unable(b, 'FailedGetResourceMetric', errText(e)));
      }
    }
    case 'ContainerResource': {
      const src = spec.containerResource!;
      try {
        const r = await resourceGeneric(input, specReplicas, src.target, src.name, src.container, selector, 'ContainerResource');
        return { proposal: r.proposal, status: { type: 'ContainerResource', containerResource: { name: src.name, container: src.container, current: r.current } } };
      } catch (e) {
        throw new MetricFailure(`failed to get ${src.container} container metric value: ${errText(e)}`, unable(b, 'FailedGetContainerResourceMetric', errText(e)));
      }
    }
    case 'Pods': {
      const src = spec.pods!;
      try {
        let m;
        try {
          m = await input.metrics.rawMetric(ns, src.metric.name, selector, src.metric.selector);
        } catch (e) {
          throw new Error(`unable to get metric ${src.metric.name}: ${errText(e)}`);
        }
        const r = plainMetricReplicas({ currentReplicas: specReplicas, targetUsage: milli(src.target.averageValue), resource: '', pods: input.listPods(selector), metrics: m.metrics, nowMs: input.nowMs, options: o });
        return {
          proposal: { replicas: r.replicas, metric: `pods metric ${src.metric.name}`, timestampMs: m.timestampMs },
          status: { type: 'Pods', pods: { metric: { name: src.metric.name, ...(src.metric.selector ? { selector: src.metric.selector } : {}) }, current: { averageValue: milliQuantity(r.usage) } } },
        };
      } catch (e) {
        throw new MetricFailure(`failed to get pods metric value: ${errText(e)}`, unable(b, 'FailedGetPodsMetric', errText(e)));
      }
    }
    case 'Object': {
      const src = spec.object!;
      const ref = src.describedObject;
      const metricId = { name: src.metric.name, ...(src.metric.selector ? { selector: src.metric.selector } : {}) };
      const fetch = async () => {
        try {
          return await input.metrics.objectMetric(ns, src.metric.name, ref, src.metric.selector);
        } catch (e) {
          throw new Error(`unable to get metric ${src.metric.name}: ${ref.kind} on ${ns} ${ref.name}/${errText(e)}`);
        }
      };
      if (src.target.type === 'Value' && src.target.value !== undefined) {
        try {
          const m = await fetch();
          const replicas = usageRatioReplicas(specReplicas, m.value / milli(src.target.value), readyPods, o);
          return {
            proposal: { replicas, metric: `${ref.kind} metric ${src.metric.name}`, timestampMs: m.timestampMs },
            status: { type: 'Object', object: { describedObject: ref, metric: metricId, current: { value: milliQuantity(m.value) } } },
          };
        } catch (e) {
          throw new MetricFailure(`failed to get object metric value: ${errText(e)}`, unable(b, 'FailedGetObjectMetric', errText(e)));
        }
      }
      if (src.target.type === 'AverageValue' && src.target.averageValue !== undefined) {
        try {
          const m = await fetch();
          const r = perPodReplicas(statusReplicas, m.value, milli(src.target.averageValue), o);
          return {
            proposal: { replicas: r.replicas, metric: `external metric ${src.metric.name}(${goSelector(src.metric.selector)})`, timestampMs: m.timestampMs },
            status: { type: 'Object', object: { describedObject: ref, metric: metricId, current: { averageValue: milliQuantity(r.usage) } } },
          };
        } catch (e) {
          const c = unable(b, 'FailedGetObjectMetric', errText(e));
          throw new MetricFailure(`failed to get object metric value: failed to get ${src.metric.name} object metric: ${errText(e)}`, c);
        }
      }
      const msg = 'invalid object metric source: neither a value target nor an average value target was set';
      throw new MetricFailure(`failed to get object metric value: ${msg}`, unable(b, 'FailedGetObjectMetric', msg));
    }
    case 'External': {
      const src = spec.external!;
      const name = src.metric.name;
      const metricId = { name, ...(src.metric.selector ? { selector: src.metric.selector } : {}) };
      const fetch = async () => {
        try {
          return await input.metrics.externalMetric(ns, name, src.metric.selector);
        } catch (e) {
          throw new Error(`unable to get external metric ${ns}/${name}/${goSelector(src.metric.selector)}: ${errText(e)}`);
        }
      };
      const sum = (vs: number[]) => vs.reduce((a, v) => a + v, 0);
      if (src.target.averageValue !== undefined) {
        try {
          const m = await fetch();
          const r = perPodReplicas(statusReplicas, sum(m.values), milli(src.target.averageValue), o);
          return {
            proposal: { replicas: r.replicas, metric: `external metric ${name}(${goSelector(src.metric.selector)})`, timestampMs: m.timestampMs },
            status: { type: 'External', external: { metric: metricId, current: { averageValue: milliQuantity(r.usage) } } },
          };
        } catch (e) {
          const c = unable(b, 'FailedGetExternalMetric', errText(e));
          throw new MetricFailure(`failed to get ${name} external metric value: failed to get ${name} external metric: ${errText(e)}`, c);
        }
      }
      if (src.target.value !== undefined) {
        try {
          const m = await fetch();
          const usage = sum(m.values);
          const replicas = usageRatioReplicas(specReplicas, usage / milli(src.target.value), readyPods, o);
          return {
            proposal: { replicas, metric: `external metric ${name}(${goSelector(src.metric.selector)})`, timestampMs: m.timestampMs },
            status: { type: 'External', external: { metric: metricId, current: { value: milliQuantity(usage) } } },
          };
        } catch (e) {
          const c = unable(b, 'FailedGetExternalMetric', errText(e));
          throw new MetricFailure(`failed to get ${name} external metric value: failed to get external metric ${name}: ${errText(e)}`, c);
        }
      }
      const msg = 'invalid external metric source: neither a value target nor an average value target was set';
      throw new MetricFailure(`failed to get ${name} external metric value: ${msg}`, unable(b, 'FailedGetExternalMetric', msg));
    }
    default: {
      const msg = `unknown metric source type "${String((spec as { type?: string }).type)}"`;
      throw new MetricFailure(msg, unable(b, 'InvalidMetricSourceType', msg));
    }
  }
}

/** computeReplicasForMetrics: the largest proposal; -1 when every metric failed (or some did on a scale-down). */
async function computeReplicasForMetrics(
  input: SyncInput,
  b: StatusBuilder,
): Promise<{ replicas: number; metric: string; statuses: MetricStatus[]; error?: string }> {
  const { hpa, scale } = input;
  if (!scale.selector) {
    b.event('Warning', 'SelectorRequired', 'selector is required');
    b.set('ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector");
    return { replicas: -1, metric: '', statuses: [], error: 'selector is required' };
  }
  let selector: LabelSelector;
  try {
    selector = parseScaleSelector(scale.selector);
  } catch (e) {
    const msg = `couldn't convert selector into a corresponding internal selector object: ${errText(e)}`;
    b.event('Warning', 'InvalidSelector', msg);
    b.set('ScalingActive', 'False', 'InvalidSelector', msg);
    return { replicas: -1, metric: '', statuses: [], error: msg };
  }
  const owners = input.selectingHpas?.(selector) ?? [];
  if (owners.length > 1) {
    const msg = `pods by selector ${scale.selector} are controlled by multiple HPAs: [${owners.join(' ')}]`;
    b.event('Warning', 'AmbiguousSelector', msg);
    b.set('ScalingActive', 'False', 'AmbiguousSelector', msg);
    return { replicas: -1, metric: '', statuses: [], error: msg };
  }
  const specs = hpa.spec?.metrics ?? [];
  const statuses: MetricStatus[] = [];
  let replicas = 0;
  let metric = '';
  let invalid = 0;
  let firstError: MetricFailure | undefined;
  for (const spec of specs) {
    try {
      const r = await computeForMetric(input, b, spec, scale.specReplicas, scale.statusReplicas, selector);
      statuses.push(r.status);
      if (replicas === 0 || r.proposal.replicas > replicas) {
        replicas = r.proposal.replicas;
        metric = r.proposal.metric;
      }
    } catch (e) {
      // Upstream keeps a zero-valued status for a failed metric (statuses has one slot per spec).
      statuses.push({ type: '' } as unknown as MetricStatus);
      if (!(e instanceof MetricFailure)) throw e;
      if (invalid === 0) firstError = e;
      invalid++;
    }
  }
  const error = firstError ? `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstError.message}` : undefined;
  if (invalid >= specs.length || (invalid > 0 && replicas < scale.specReplicas)) {
    b.set('ScalingActive', 'False', firstError!.condition.reason, firstError!.condition.message);
    return { replicas: -1, metric: '', statuses, error };
  }
  b.set('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${metric}`);
  return { replicas, metric, statuses, error };
}

/**
 * Upstream keeps one status per metric spec, a zero-valued one (`{"type": ""}`) for a metric that failed, so
 * that printers pair statuses with specs by index (`kubectl get hpa` shows `<unknown>` for it).
 */
const cleanStatuses = (s: MetricStatus[]): MetricStatus[] | undefined => (s.length ? s : undefined);

/** reconcileAutoscaler from "scale was read" to the end. */
export async function syncHpa(input: SyncInput): Promise<SyncResult> {
  const { hpa, scale, history, nowMs } = input;
  const nowText = rfc3339(nowMs);
  const b = new StatusBuilder(hpa, nowText);
  const ref = hpa.spec?.scaleTargetRef;
  const reference = `${ref?.kind}/${hpa.metadata?.namespace}/${ref?.name}`;
  b.set('AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
  const currentReplicas = scale.specReplicas;
  recordInitialRecommendation(history, currentReplicas, nowMs);
  const minReplicas = hpa.spec?.minReplicas ?? 1;
  const maxReplicas = hpa.spec?.maxReplicas ?? 0;
  let desiredReplicas = 0;
  let rescaleReason = '';
  let rescale = true;
  let statuses: MetricStatus[] = [];
  let retError: string | undefined;
  const statusOf = (desired: number, lastScaleTime = hpa.status?.lastScaleTime): HorizontalPodAutoscalerStatus => {
    const st: HorizontalPodAutoscalerStatus = { currentReplicas, desiredReplicas: desired, conditions: b.conditions };
    if (lastScaleTime) st.lastScaleTime = lastScaleTime;
    const cm = cleanStatuses(statuses);
    if (cm) st.currentMetrics = cm;
    return st;
  };

  if (currentReplicas === 0 && minReplicas !== 0) {
    desiredReplicas = 0;
    rescale = false;
    b.set('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
  } else if (currentReplicas > maxReplicas) {
    rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
    desiredReplicas = maxReplicas;
  } else if (currentReplicas < minReplicas) {
    rescaleReason = 'Current number of replicas below Spec.MinReplicas';
    desiredReplicas = minReplicas;
  } else {
    const m = await computeReplicasForMetrics(input, b);
    statuses = m.statuses;
    if (m.error && m.replicas === -1) {
      b.event('Warning', 'FailedComputeMetricsReplicas', m.error);
      return {
        status: statusOf(hpa.status?.desiredReplicas ?? 0),
        events: b.events,
        error: `failed to compute desired number of replicas based on listed metrics for ${reference}: ${m.error}`,
      };
    }
    if (m.error) retError = m.error;
    let rescaleMetric = '';
    if (m.replicas > desiredReplicas) {
      desiredReplicas = m.replicas;
      rescaleMetric = m.metric;
    }
    if (desiredReplicas > currentReplicas) rescaleReason = `${rescaleMetric} above target`;
    if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
    const n = hpa.spec?.behavior
      ? normalizeDesiredReplicasWithBehaviors(history, { behavior: hpa.spec.behavior, currentReplicas, desiredReplicas, minReplicas, maxReplicas, nowMs, downscaleStabilizationMs: input.downscaleStabilizationMs })
      : normalizeDesiredReplicas(history, { currentReplicas, desiredReplicas, minReplicas, maxReplicas, nowMs, downscaleStabilizationMs: input.downscaleStabilizationMs });
    b.set('AbleToScale', 'True', n.ableToScale.reason, n.ableToScale.message);
    b.set('ScalingLimited', n.scalingLimited.status, n.scalingLimited.reason, n.scalingLimited.message);
    desiredReplicas = n.desiredReplicas;
    rescale = desiredReplicas !== currentReplicas;
  }

  if (rescale) {
    b.set('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desiredReplicas}`);
    b.event('Normal', 'SuccessfulRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}`);
    storeScaleEvent(history, hpa.spec?.behavior, currentReplicas, desiredReplicas, nowMs);
    return { scaleTo: desiredReplicas, rescaleReason, status: statusOf(desiredReplicas, nowText), events: b.events, error: retError };
  }
  return { status: statusOf(currentReplicas), events: b.events, error: retError };
}

/** What the controller records when the scale update fails (FailedRescale, AbleToScale=False). */
export function failedRescale(result: SyncResult, hpa: HorizontalPodAutoscaler, currentReplicas: number, err: string, nowMs: number): SyncResult {
  const b = new StatusBuilder({ ...hpa, status: result.status }, rfc3339(nowMs));
  b.set('AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${err}`);
  const events = result.events.filter((e) => e.reason !== 'SuccessfulRescale');
  events.push({ type: 'Warning', reason: 'FailedRescale', message: `New size: ${result.scaleTo}; reason: ${result.rescaleReason}; error: ${err}` });
  const status: HorizontalPodAutoscalerStatus = { ...result.status, currentReplicas, desiredReplicas: hpa.status?.desiredReplicas ?? 0, conditions: b.conditions };
  if (hpa.status?.lastScaleTime) status.lastScaleTime = hpa.status.lastScaleTime;
  else delete status.lastScaleTime;
  const ref = hpa.spec?.scaleTargetRef;
  return { status, events, error: `failed to rescale ${ref?.kind}/${hpa.metadata?.namespace}/${ref?.name}: ${err}` };
}

/** Failure to read the target's scale (FailedGetScale). */
export function failedGetScale(hpa: HorizontalPodAutoscaler, err: string, nowMs: number): SyncResult {
  const b = new StatusBuilder(hpa, rfc3339(nowMs));
  b.event('Warning', 'FailedGetScale', err);
  b.set('AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${err}`);
  const ref = hpa.spec?.scaleTargetRef;
  return {
    status: { ...(hpa.status ?? { desiredReplicas: 0 }), conditions: b.conditions },
    events: b.events,
    error: `failed to query scale subresource for ${ref?.kind}/${hpa.metadata?.namespace}/${ref?.name}: ${err}`,
  };
}
