// HorizontalPodAutoscalers, served as autoscaling/v2 (preferred, the storage version) and autoscaling/v1.
// The v1↔v2 conversion follows upstream's pkg/apis/autoscaling/v1/conversion.go: v1 carries only the CPU
// utilization target, and everything v2-only travels in annotations so a read-modify-write through v1 loses
// nothing: autoscaling.alpha.kubernetes.io/{metrics,current-metrics,conditions,behavior}. Pure.
import { cause, type StatusCause } from '../errors.js';
import type { KindStrategy, ResourceType, VersionConversion } from '../resource.js';
import type { KubeObject } from '../types.js';
import { defineResource, statusSub } from './define.js';
import { type Loose, clone, ensure, isInt, loose, oneOf, setIfAbsent } from './validation.js';

const G = 'autoscaling';
export const ANNOTATION_METRICS = 'autoscaling.alpha.kubernetes.io/metrics';
export const ANNOTATION_CURRENT_METRICS = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const ANNOTATION_CONDITIONS = 'autoscaling.alpha.kubernetes.io/conditions';
export const ANNOTATION_BEHAVIOR = 'autoscaling.alpha.kubernetes.io/behavior';
export const DEFAULT_CPU_UTILIZATION = 80;

const defined = (o: Loose): Loose => {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
};

// ---------------------------------------------------------------------------------------------------------
// Metric shapes: v2 (target/current objects) ↔ the v1 annotation shape (v2beta1-like flat fields).

function metricSpecToV1(m: Loose): Loose {
  const out: Loose = { type: m['type'] };
  const t = (x: Loose | undefined): Loose => (x?.['target'] ?? {}) as Loose;
  if (m['resource']) out['resource'] = defined({ name: m['resource']['name'], targetAverageUtilization: t(m['resource'])['averageUtilization'], targetAverageValue: t(m['resource'])['averageValue'] });
  if (m['containerResource']) {
    const c = m['containerResource'];
    out['containerResource'] = defined({ name: c['name'], container: c['container'], targetAverageUtilization: t(c)['averageUtilization'], targetAverageValue: t(c)['averageValue'] });
  }
  if (m['pods']) out['pods'] = defined({ metricName: m['pods']['metric']?.['name'], targetAverageValue: t(m['pods'])['averageValue'], selector: m['pods']['metric']?.['selector'] });
  if (m['object']) {
    const o = m['object'];
    out['object'] = defined({ target: o['describedObject'], metricName: o['metric']?.['name'], targetValue: t(o)['value'], selector: o['metric']?.['selector'], averageValue: t(o)['averageValue'] });
  }
  if (m['external']) {
    const e = m['external'];
    out['external'] = defined({ metricName: e['metric']?.['name'], metricSelector: e['metric']?.['selector'], targetValue: t(e)['value'], targetAverageValue: t(e)['averageValue'] });
  }
  return out;
}

function metricSpecFromV1(m: Loose): Loose {
  const out: Loose = { type: m['type'] };
  const r = m['resource'] as Loose | undefined;
  if (r) {
    out['resource'] = {
      name: r['name'],
      target: defined({ type: r['targetAverageUtilization'] !== undefined && r['targetAverageUtilization'] !== null ? 'Utilization' : 'AverageValue', averageUtilization: r['targetAverageUtilization'], averageValue: r['targetAverageValue'] }),
    };
  }
  const c = m['containerResource'] as Loose | undefined;
  if (c) {
    out['containerResource'] = {
      name: c['name'],
      container: c['container'],
      target: defined({ type: c['targetAverageUtilization'] !== undefined && c['targetAverageUtilization'] !== null ? 'Utilization' : 'AverageValue', averageUtilization: c['targetAverageUtilization'], averageValue: c['targetAverageValue'] }),
    };
  }
  const p = m['pods'] as Loose | undefined;
  if (p) out['pods'] = { metric: defined({ name: p['metricName'], selector: p['selector'] }), target: defined({ type: 'AverageValue', averageValue: p['targetAverageValue'] }) };
  const o = m['object'] as Loose | undefined;
  if (o) {
    out['object'] = {
      describedObject: o['target'],
      metric: defined({ name: o['metricName'], selector: o['selector'] }),
      target: defined({ type: o['averageValue'] === undefined || o['averageValue'] === null ? 'Value' : 'AverageValue', value: o['targetValue'], averageValue: o['averageValue'] }),
    };
  }
  const e = m['external'] as Loose | undefined;
  if (e) {
    out['external'] = {
      metric: defined({ name: e['metricName'], selector: e['metricSelector'] }),
      target: defined({ type: e['targetValue'] === undefined || e['targetValue'] === null ? 'AverageValue' : 'Value', value: e['targetValue'], averageValue: e['targetAverageValue'] }),
    };
  }
  return out;
}

function metricStatusToV1(m: Loose): Loose {
  const out: Loose = { type: m['type'] };
  const cur = (x: Loose | undefined): Loose => (x?.['current'] ?? {}) as Loose;
  if (m['resource']) out['resource'] = defined({ name: m['resource']['name'], currentAverageUtilization: cur(m['resource'])['averageUtilization'], currentAverageValue: cur(m['resource'])['averageValue'] ?? '0' });
  if (m['containerResource']) {
    const c = m['containerResource'];
    out['containerResource'] = defined({ name: c['name'], container: c['container'], currentAverageUtilization: cur(c)['averageUtilization'], currentAverageValue: cur(c)['averageValue'] ?? '0' });
  }
  if (m['pods']) out['pods'] = defined({ metricName: m['pods']['metric']?.['name'], currentAverageValue: cur(m['pods'])['averageValue'] ?? '0', selector: m['pods']['metric']?.['selector'] });
  if (m['object']) {
    const o = m['object'];
    out['object'] = defined({ target: o['describedObject'], metricName: o['metric']?.['name'], currentValue: cur(o)['value'] ?? '0', selector: o['metric']?.['selector'], averageValue: cur(o)['averageValue'] });
  }
  if (m['external']) {
    const e = m['external'];
    out['external'] = defined({ metricName: e['metric']?.['name'], metricSelector: e['metric']?.['selector'], currentValue: cur(e)['value'] ?? '0', currentAverageValue: cur(e)['averageValue'] });
  }
  return out;
}

function metricStatusFromV1(m: Loose): Loose {
  const out: Loose = { type: m['type'] };
  const r = m['resource'] as Loose | undefined;
  if (r) out['resource'] = { name: r['name'], current: defined({ averageUtilization: r['currentAverageUtilization'], averageValue: r['currentAverageValue'] }) };
  const c = m['containerResource'] as Loose | undefined;
  if (c) out['containerResource'] = { name: c['name'], container: c['container'], current: defined({ averageUtilization: c['currentAverageUtilization'], averageValue: c['currentAverageValue'] }) };
  const p = m['pods'] as Loose | undefined;
  if (p) out['pods'] = { metric: defined({ name: p['metricName'], selector: p['selector'] }), current: defined({ averageValue: p['currentAverageValue'] }) };
  const o = m['object'] as Loose | undefined;
  if (o) out['object'] = { describedObject: o['target'], metric: defined({ name: o['metricName'], selector: o['selector'] }), current: defined({ value: o['currentValue'], averageValue: o['averageValue'] }) };
  const e = m['external'] as Loose | undefined;
  if (e) out['external'] = { metric: defined({ name: e['metricName'], selector: e['metricSelector'] }), current: defined({ value: e['currentValue'], averageValue: e['currentAverageValue'] }) };
  return out;
}

// Behavior travels as upstream's internal Go struct JSON (field names capitalised); reading accepts either case.
function behaviorToAnnotation(b: Loose): string {
  const rules = (r: Loose | undefined): Loose | null =>
    r
      ? defined({
          StabilizationWindowSeconds: r['stabilizationWindowSeconds'] ?? null,
          SelectPolicy: r['selectPolicy'] ?? null,
          Policies: Array.isArray(r['policies'])
            ? r['policies'].map((p: Loose) => ({ Type: p['type'], Value: p['value'], PeriodSeconds: p['periodSeconds'] }))
            : null,
          Tolerance: r['tolerance'],
        })
      : null;
  return JSON.stringify({ ScaleUp: rules(b['scaleUp']), ScaleDown: rules(b['scaleDown']) });
}

function pick(o: Loose, name: string): unknown {
  if (o[name] !== undefined) return o[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

function behaviorFromAnnotation(s: string): Loose | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(s);
  } catch {
    return undefined;
  }
  if (!raw || typeof raw !== 'object') return undefined;
  const rules = (r: unknown): Loose | undefined => {
    if (!r || typeof r !== 'object') return undefined;
    const l = r as Loose;
    const pol = pick(l, 'Policies');
    return defined({
      stabilizationWindowSeconds: pick(l, 'StabilizationWindowSeconds') ?? undefined,
      selectPolicy: pick(l, 'SelectPolicy') ?? undefined,
      policies: Array.isArray(pol)
        ? pol.map((p: Loose) => ({ type: pick(p, 'Type'), value: pick(p, 'Value'), periodSeconds: pick(p, 'PeriodSeconds') }))
        : undefined,
      tolerance: pick(l, 'Tolerance') ?? undefined,
    });
  };
  const out = defined({ scaleUp: rules(pick(raw as Loose, 'ScaleUp')), scaleDown: rules(pick(raw as Loose, 'ScaleDown')) });
  return Object.keys(out).length ? out : undefined;
}

function isCpuUtilization(m: Loose): boolean {
  return m?.['type'] === 'Resource' && m['resource']?.['name'] === 'cpu' && m['resource']?.['target']?.['averageUtilization'] !== undefined && m['resource']?.['target']?.['averageUtilization'] !== null;
}

/** Stored autoscaling/v2 → served autoscaling/v1. */
export function hpaV2ToV1(obj: KubeObject): KubeObject {
  const i = loose(clone(obj));
  const spec = (i['spec'] ?? {}) as Loose;
  const status = (i['status'] ?? {}) as Loose;
  const md = (i['metadata'] ?? {}) as Loose;
  const annotations: Record<string, string> = { ...(md['annotations'] ?? {}) };
  const metrics = (spec['metrics'] as Loose[] | undefined) ?? [];
  const outSpec: Loose = defined({ scaleTargetRef: spec['scaleTargetRef'], minReplicas: spec['minReplicas'], maxReplicas: spec['maxReplicas'] });
  for (const m of metrics) {
    if (m?.['type'] === 'Resource' && m['resource']?.['name'] === 'cpu') {
      const u = m['resource']?.['target']?.['averageUtilization'];
      if (u !== undefined && u !== null) outSpec['targetCPUUtilizationPercentage'] = u;
      break;
    }
  }
  const other = metrics.filter((m) => !isCpuUtilization(m)).map(metricSpecToV1);
  if (other.length) annotations[ANNOTATION_METRICS] = JSON.stringify(other);
  const current = (status['currentMetrics'] as Loose[] | undefined) ?? [];
  if (current.length) annotations[ANNOTATION_CURRENT_METRICS] = JSON.stringify(current.map(metricStatusToV1));
  const conditions = (status['conditions'] as Loose[] | undefined) ?? [];
  if (conditions.length) annotations[ANNOTATION_CONDITIONS] = JSON.stringify(conditions);
  if (spec['behavior']) annotations[ANNOTATION_BEHAVIOR] = behaviorToAnnotation(spec['behavior']);
  const outStatus: Loose = defined({
    observedGeneration: status['observedGeneration'],
    lastScaleTime: status['lastScaleTime'],
    currentReplicas: status['currentReplicas'] ?? 0,
    desiredReplicas: status['desiredReplicas'] ?? 0,
  });
  for (const m of current) {
    if (m?.['type'] === 'Resource' && m['resource']?.['name'] === 'cpu') {
      const u = m['resource']?.['current']?.['averageUtilization'];
      if (u !== undefined && u !== null) outStatus['currentCPUUtilizationPercentage'] = u;
    }
  }
  const outMd = { ...md };
  if (Object.keys(annotations).length) outMd['annotations'] = annotations;
  const out: Loose = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: outMd, spec: outSpec, status: outStatus };
  return out as KubeObject;
}

/** Served autoscaling/v1 → stored autoscaling/v2 (lifts the annotations back into fields). */
export function hpaV1ToV2(obj: KubeObject): KubeObject {
  const i = loose(clone(obj));
  const spec = (i['spec'] ?? {}) as Loose;
  const status = (i['status'] ?? {}) as Loose;
  const md = { ...((i['metadata'] ?? {}) as Loose) };
  const annotations: Record<string, string> = { ...(md['annotations'] ?? {}) };
  const outSpec: Loose = defined({ scaleTargetRef: spec['scaleTargetRef'], minReplicas: spec['minReplicas'], maxReplicas: spec['maxReplicas'] });
  let metrics: Loose[] = [];
  if (annotations[ANNOTATION_METRICS] !== undefined) {
    try {
      const parsed = JSON.parse(annotations[ANNOTATION_METRICS]!) as unknown;
      if (Array.isArray(parsed)) metrics = parsed.map((m: Loose) => metricSpecFromV1(m));
    } catch {
      // upstream fails the decode; an unreadable annotation is dropped instead
    }
    delete annotations[ANNOTATION_METRICS];
  }
  const cpu = spec['targetCPUUtilizationPercentage'];
  if (cpu !== undefined && cpu !== null) {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu } } });
  }
  if (metrics.length === 0) {
    metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  outSpec['metrics'] = metrics;
  if (annotations[ANNOTATION_BEHAVIOR] !== undefined) {
    const b = behaviorFromAnnotation(annotations[ANNOTATION_BEHAVIOR]!);
    if (b) outSpec['behavior'] = b;
    delete annotations[ANNOTATION_BEHAVIOR];
  }
  const outStatus: Loose = defined({
    observedGeneration: status['observedGeneration'],
    lastScaleTime: status['lastScaleTime'],
    currentReplicas: status['currentReplicas'] ?? 0,
    desiredReplicas: status['desiredReplicas'] ?? 0,
  });
  if (status['currentCPUUtilizationPercentage'] !== undefined && status['currentCPUUtilizationPercentage'] !== null) {
    outStatus['currentMetrics'] = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status['currentCPUUtilizationPercentage'] } } }];
  }
  if (annotations[ANNOTATION_CURRENT_METRICS] !== undefined) {
    try {
      const parsed = JSON.parse(annotations[ANNOTATION_CURRENT_METRICS]!) as unknown;
      if (Array.isArray(parsed)) outStatus['currentMetrics'] = parsed.map((m: Loose) => metricStatusFromV1(m));
    } catch {
      // dropped, as above
    }
    delete annotations[ANNOTATION_CURRENT_METRICS];
  }
  if (annotations[ANNOTATION_CONDITIONS] !== undefined) {
    try {
      const parsed = JSON.parse(annotations[ANNOTATION_CONDITIONS]!) as unknown;
      if (Array.isArray(parsed)) outStatus['conditions'] = parsed;
    } catch {
      // dropped
    }
    delete annotations[ANNOTATION_CONDITIONS];
  }
  if (Object.keys(annotations).length) md['annotations'] = annotations;
  else delete md['annotations'];
  const out: Loose = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: md, spec: outSpec, status: outStatus };
  return out as KubeObject;
}

export const hpaV1Conversion: VersionConversion = { toStorage: hpaV1ToV2, fromStorage: hpaV2ToV1 };

// ---------------------------------------------------------------------------------------------------------
// Defaults and validation

const SCALE_UP_DEFAULT = (): Loose => ({
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
});
const SCALE_DOWN_DEFAULT = (): Loose => ({ selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });

function mergeRules(from: Loose | undefined, def: Loose): Loose {
  if (!from) return def;
  const out = { ...def };
  for (const k of ['selectPolicy', 'stabilizationWindowSeconds', 'policies', 'tolerance']) if (from[k] !== undefined && from[k] !== null) out[k] = from[k];
  return out;
}

/** SetDefaults_HorizontalPodAutoscaler (v2): minReplicas 1, CPU 80% when no metrics, behavior filled when set. */
export function defaultHpaV2(obj: KubeObject): void {
  const spec = ensure(loose(obj), 'spec');
  setIfAbsent(spec, 'minReplicas', 1);
  if (!Array.isArray(spec['metrics']) || spec['metrics'].length === 0) {
    spec['metrics'] = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  const b = spec['behavior'] as Loose | undefined;
  if (b && typeof b === 'object') {
    b['scaleUp'] = mergeRules(b['scaleUp'], SCALE_UP_DEFAULT());
    b['scaleDown'] = mergeRules(b['scaleDown'], SCALE_DOWN_DEFAULT());
  }
}

function validateCommon(spec: Loose): StatusCause[] {
  const out: StatusCause[] = [];
  const ref = (spec['scaleTargetRef'] ?? {}) as Loose;
  if (!ref['kind']) out.push(cause.required('spec.scaleTargetRef.kind'));
  if (!ref['name']) out.push(cause.required('spec.scaleTargetRef.name'));
  const min = spec['minReplicas'];
  if (min !== undefined && min !== null && (!isInt(min) || min < 1)) out.push(cause.invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  const max = spec['maxReplicas'];
  if (!isInt(max) || max < 1) out.push(cause.invalid('spec.maxReplicas', max ?? 0, 'must be greater than 0'));
  else if (isInt(min) && max < min) out.push(cause.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  return out;
}

const METRIC_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const FIELD_FOR_TYPE: Record<string, string> = { Resource: 'resource', ContainerResource: 'containerResource', Pods: 'pods', Object: 'object', External: 'external' };

function validateV2(spec: Loose): StatusCause[] {
  const out = validateCommon(spec);
  ((spec['metrics'] as Loose[] | undefined) ?? []).forEach((m, i) => {
    const f = `spec.metrics[${i}]`;
    if (!m?.['type']) {
      out.push(cause.required(`${f}.type`, 'must specify a metric source type'));
      return;
    }
    out.push(...oneOf(m['type'], `${f}.type`, METRIC_TYPES));
    const key = FIELD_FOR_TYPE[m['type']];
    if (key && !m[key]) out.push(cause.required(`${f}.${key}`, `must populate information for the given metric source`));
    const src = key ? (m[key] as Loose | undefined) : undefined;
    const target = src?.['target'] as Loose | undefined;
    if (src && !target) out.push(cause.required(`${f}.${key}.target`, 'must specify a metric target'));
    if (target) {
      out.push(...oneOf(target['type'], `${f}.${key}.target.type`, ['AverageValue', 'Utilization', 'Value'], true));
      const u = target['averageUtilization'];
      if (u !== undefined && u !== null && (!isInt(u) || u < 1)) out.push(cause.invalid(`${f}.${key}.target.averageUtilization`, u, 'must be greater than 0'));
    }
  });
  const b = spec['behavior'] as Loose | undefined;
  for (const dir of ['scaleUp', 'scaleDown']) {
    const r = b?.[dir] as Loose | undefined;
    if (!r) continue;
    const f = `spec.behavior.${dir}`;
    const w = r['stabilizationWindowSeconds'];
    if (w !== undefined && w !== null && (!isInt(w) || w < 0 || w > 3600)) out.push(cause.invalid(`${f}.stabilizationWindowSeconds`, w, 'must be less than or equal to 3600'));
    out.push(...oneOf(r['selectPolicy'], `${f}.selectPolicy`, ['Disabled', 'Max', 'Min']));
    ((r['policies'] as Loose[] | undefined) ?? []).forEach((p, j) => {
      const pf = `${f}.policies[${j}]`;
      out.push(...oneOf(p?.['type'], `${pf}.type`, ['Percent', 'Pods'], true));
      if (!isInt(p?.['value']) || p['value'] <= 0) out.push(cause.invalid(`${pf}.value`, p?.['value'] ?? 0, 'must be greater than zero'));
      if (!isInt(p?.['periodSeconds']) || p['periodSeconds'] <= 0 || p['periodSeconds'] > 1800) {
        out.push(cause.invalid(`${pf}.periodSeconds`, p?.['periodSeconds'] ?? 0, p?.['periodSeconds'] > 1800 ? 'must be less than or equal to 1800' : 'must be greater than zero'));
      }
    });
  }
  return out;
}

function clearStatus(obj: KubeObject): void {
  delete loose(obj)['status'];
}

export const hpaV2Strategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: true,
  generation: true,
  defaults: defaultHpaV2,
  prepareForCreate: clearStatus,
  validate: (obj) => validateV2((loose(obj)['spec'] ?? {}) as Loose),
};

export const hpaV1Strategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: true,
  generation: true,
  defaults(obj) {
    const spec = ensure(loose(obj), 'spec');
    setIfAbsent(spec, 'minReplicas', 1);
  },
  prepareForCreate: clearStatus,
  validate(obj) {
    const spec = (loose(obj)['spec'] ?? {}) as Loose;
    // A v1 object reaching validation may already be in storage (v2) shape; validate what is there.
    if (Array.isArray(spec['metrics'])) return validateV2(spec);
    const out = validateCommon(spec);
    const t = spec['targetCPUUtilizationPercentage'];
    if (t !== undefined && t !== null && (!isInt(t) || t < 1)) out.push(cause.invalid('spec.targetCPUUtilizationPercentage', t, 'must be greater than 0'));
    return out;
  },
};

export function autoscalingResources(): ResourceType[] {
  const common = {
    group: G,
    resource: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    namespaced: true,
    shortNames: ['hpa'],
    categories: ['all'],
    storageVersion: 'v2',
  };
  return [
    defineResource({ ...common, version: 'v2', preferred: true, subresources: [statusSub(G, 'v2', 'HorizontalPodAutoscaler')], strategy: hpaV2Strategy }),
    defineResource({ ...common, version: 'v1', preferred: false, subresources: [statusSub(G, 'v1', 'HorizontalPodAutoscaler')], conversion: hpaV1Conversion, strategy: hpaV1Strategy }),
  ];
}
