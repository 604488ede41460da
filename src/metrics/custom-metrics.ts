// custom.metrics.k8s.io/v1beta2 and external.metrics.k8s.io/v1beta1 served from metrics Skiff knows without an
// adapter (the convention is documented in docs/metrics.md):
//   - object and pod metrics: an annotation `custom.metrics.skiff.dev/<metric>: <quantity>` on any namespaced
//     object (pods for Pods metrics; a Service, Ingress, Deployment ... for Object metrics) or a Namespace;
//   - external metrics: ConfigMaps labelled `external.metrics.skiff.dev/source=true` whose data keys are
//     metric names and values quantities; the ConfigMap's labels are the metric's labels.
// Paths, list shapes and "not found" answers as the custom-metrics apiserver library serves them. Pure over
// an object lookup.
import type { KubeObject } from '../api/types.js';
import { errors, StatusError } from '../api/errors.js';
import { tryParseQuantity } from '../util/quantity.js';
import { matchesLabels, parseLabelSelector, type LabelSelector } from '../util/label-selector.js';
import { rfc3339 } from '../util/wire-time.js';

export const customGroup = 'custom.metrics.k8s.io';
export const customVersion = 'v1beta2';
export const externalGroup = 'external.metrics.k8s.io';
export const externalVersion = 'v1beta1';
export const customMetricAnnotationPrefix = 'custom.metrics.skiff.dev/';
export const externalSourceLabel = 'external.metrics.skiff.dev/source';

export interface CustomObjectLookup {
  /**
   * Objects of a resource ("pods", "services", "deployments.apps", "namespaces") in a namespace ("" for
   * cluster-scoped), one by name or all when name is "*". Undefined when the resource is unknown.
   */
  objects(resource: string, namespace: string, name: string): { kind: string; apiVersion: string; items: KubeObject[] } | undefined;
  /** ConfigMaps carrying the external-metrics label, in a namespace. */
  externalSources(namespace: string): KubeObject[];
}

function parseSelector(raw: string | null, what: string): LabelSelector | undefined {
  if (!raw) return undefined;
  try {
    return parseLabelSelector(raw);
  } catch (e) {
    throw errors.badRequest(`unable to parse ${what}: ${(e as Error).message}`);
  }
}

/** True when the path is a custom or external metrics read (below the group/version discovery documents). */
export function isMetricValuePath(path: string): boolean {
  // Such a path has a segment after "custom.metrics.k8s.io" or "external.metrics.k8s.io" (most paths asked
  // are other resources: answered without splitting).
  if (!path.includes('.metrics.k8s.io/')) return false;
  const p = path.split('/').filter(Boolean);
  return p[0] === 'apis' && ((p[1] === customGroup && p[2] === customVersion) || (p[1] === externalGroup && p[2] === externalVersion)) && p.length > 3;
}

/** GET /apis/custom.metrics.k8s.io/v1beta2/... and /apis/external.metrics.k8s.io/v1beta1/... */
export function serveMetricValues(path: string, query: URLSearchParams, lookup: CustomObjectLookup, nowMs: number): unknown {
  const p = path.split('/').filter(Boolean).map(decodeURIComponent);
  return p[1] === customGroup ? customMetrics(p.slice(3), query, lookup, nowMs) : externalMetrics(p.slice(3), query, lookup, nowMs);
}

function customMetrics(p: string[], query: URLSearchParams, lookup: CustomObjectLookup, nowMs: number): unknown {
  // namespaces/{ns}/{resource}/{name}/{metric} | {resource}/{name}/{metric} | namespaces/{ns}/metrics/{metric}
  let namespace = '';
  let resource: string;
  let name: string;
  let metric: string;
  if (p[0] === 'namespaces' && p.length === 4 && p[2] === 'metrics') {
    [resource, name, metric] = ['namespaces', p[1]!, p[3]!];
  } else if (p[0] === 'namespaces' && p.length === 5) {
    [namespace, resource, name, metric] = [p[1]!, p[2]!, p[3]!, p[4]!];
  } else if (p.length === 3) {
    [resource, name, metric] = [p[0]!, p[1]!, p[2]!];
  } else {
    throw errors.noRoute();
  }
  const selector = parseSelector(query.get('labelSelector'), 'labelSelector');
  const metricSelector = parseSelector(query.get('metricLabelSelector'), 'metricLabelSelector');
  const found = lookup.objects(resource, namespace, name);
  if (!found) throw errors.noRoute();
  const key = customMetricAnnotationPrefix + metric;
  const items: unknown[] = [];
  // Annotation metrics carry no labels: a metric selector requiring any label matches nothing.
  const metricMatches = !metricSelector || matchesLabels(metricSelector, {});
  for (const o of found.items) {
    if (selector && !matchesLabels(selector, (o.metadata.labels as Record<string, string>) ?? {})) continue;
    const raw = (o.metadata.annotations as Record<string, string> | undefined)?.[key];
    const q = tryParseQuantity(raw);
    if (!q || !metricMatches) continue;
    items.push({
      describedObject: { kind: found.kind, namespace: o.metadata.namespace, name: o.metadata.name, apiVersion: found.apiVersion.includes('/') ? found.apiVersion : `/${found.apiVersion}` },
      metric: { name: metric },
      timestamp: rfc3339(nowMs),
      value: q.toString(),
    });
  }
  if (items.length === 0) {
    throw new StatusError(404, 'NotFound', `the server could not find the metric ${metric} for ${resource}${name === '*' ? '' : ` ${name}`}`, { group: customGroup, kind: resource, name });
  }
  return { kind: 'MetricValueList', apiVersion: `${customGroup}/${customVersion}`, metadata: {}, items };
}

function externalMetrics(p: string[], query: URLSearchParams, lookup: CustomObjectLookup, nowMs: number): unknown {
  // namespaces/{ns}/{metric}
  if (p[0] !== 'namespaces' || p.length !== 3) throw errors.noRoute();
  const [namespace, metric] = [p[1]!, p[2]!];
  const selector = parseSelector(query.get('labelSelector'), 'labelSelector');
  const items: unknown[] = [];
  for (const cm of lookup.externalSources(namespace)) {
    const raw = (cm as unknown as { data?: Record<string, string> }).data?.[metric];
    const q = tryParseQuantity(raw);
    if (!q) continue;
    const labels = { ...((cm.metadata.labels as Record<string, string>) ?? {}) };
    delete labels[externalSourceLabel];
    if (selector && !matchesLabels(selector, labels)) continue;
    items.push({ metricName: metric, metricLabels: labels, timestamp: rfc3339(nowMs), value: q.toString() });
  }
  if (items.length === 0) {
    throw new StatusError(404, 'NotFound', `the server could not find the requested resource (get ${metric}.${externalGroup})`, { group: externalGroup, kind: metric });
  }
  return { kind: 'ExternalMetricValueList', apiVersion: `${externalGroup}/${externalVersion}`, metadata: {}, items };
}
