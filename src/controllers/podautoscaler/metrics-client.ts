// The HPA's metrics client (upstream pkg/controller/podautoscaler/metrics): reads metrics.k8s.io PodMetrics,
// custom.metrics.k8s.io MetricValueLists and external.metrics.k8s.io ExternalMetricValueLists through the
// API like any client, and turns them into milli-unit values per pod with upstream's error messages. A pod
// whose containers lack the resource is left out (it then counts as "missing").
import type { CrossVersionObjectReference } from 'kubernetes-types/autoscaling/v2.js';
import type { LabelSelector as LabelSelectorObject } from 'kubernetes-types/meta/v1.js';
import type { ApiClient } from '../../client/client.js';
import { labelSelectorFromObject, type LabelSelector } from '../../util/label-selector.js';
import { tryParseQuantity } from '../../util/quantity.js';
import type { MetricsSource } from './decide.js';
import type { PodMetricsInfo } from './replica-calculator.js';

interface PodMetricsItem {
  metadata: { name: string; namespace?: string };
  timestamp: string;
  window: string;
  containers: { name: string; usage: Record<string, string> }[];
}

interface MetricValue {
  describedObject: { name: string };
  timestamp: string;
  windowSeconds?: number;
  value: string;
}

/** Go duration strings as metrics-server writes them ("15s", "1m0s", "1.5s"). */
export function parseGoDuration(s: string): number {
  let ms = 0;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    const v = Number(m[1]);
    ms += m[2] === 'h' ? v * 3_600_000 : m[2] === 'm' ? v * 60_000 : m[2] === 's' ? v * 1000 : m[2] === 'ms' ? v : 0;
  }
  return ms;
}

const milli = (q: string | undefined): number | undefined => tryParseQuantity(q)?.milliValue();
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const metricServerDefaultWindowMs = 60_000;

/** getPodMetrics / getContainerMetrics. */
export function podMetricsInfo(items: PodMetricsItem[], resource: string, container: string): PodMetricsInfo {
  const res: PodMetricsInfo = new Map();
  for (const m of items) {
    const timestampMs = Date.parse(m.timestamp);
    const windowMs = parseGoDuration(m.window ?? '');
    if (container) {
      const c = m.containers.find((x) => x.name === container);
      if (!c) throw new Error(`container ${container} not present in metrics for pod ${m.metadata.namespace}/${m.metadata.name}`);
      const v = milli(c.usage[resource]);
      if (v !== undefined) res.set(m.metadata.name, { timestampMs, windowMs, value: v });
      continue;
    }
    let sum = 0;
    let missing = m.containers.length === 0;
    for (const c of m.containers) {
      const v = milli(c.usage[resource]);
      if (v === undefined) {
        missing = true;
        break;
      }
      sum += v;
    }
    if (!missing) res.set(m.metadata.name, { timestampMs, windowMs, value: sum });
  }
  return res;
}

const enc = encodeURIComponent;

export class ApiMetricsSource implements MetricsSource {
  constructor(private readonly client: ApiClient) {}

  async resourceMetric(namespace: string, selector: LabelSelector, resource: string, container: string): Promise<{ metrics: PodMetricsInfo; timestampMs: number }> {
    let list: { items: PodMetricsItem[] };
    try {
      list = await this.client.call('GET', `/apis/metrics.k8s.io/v1beta1/namespaces/${enc(namespace)}/pods`, { query: { labelSelector: selector.toString() } });
    } catch (e) {
      throw new Error(`unable to fetch metrics from resource metrics API: ${errText(e)}`);
    }
    if (!list.items?.length) throw new Error('no metrics returned from resource metrics API');
    let metrics: PodMetricsInfo;
    try {
      metrics = podMetricsInfo(list.items, resource, container);
    } catch (e) {
      throw new Error(`failed to get container metrics: ${errText(e)}`);
    }
    return { metrics, timestampMs: Date.parse(list.items[0]!.timestamp) };
  }

  async rawMetric(namespace: string, metricName: string, selector: LabelSelector, metricSelector: LabelSelectorObject | undefined): Promise<{ metrics: PodMetricsInfo; timestampMs: number }> {
    let list: { items: MetricValue[] };
    try {
      list = await this.client.call('GET', `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${enc(namespace)}/pods/*/${enc(metricName)}`, {
        query: { labelSelector: selector.toString(), metricLabelSelector: metricSelector ? labelSelectorFromObject(metricSelector).toString() : undefined },
      });
    } catch (e) {
      throw new Error(`unable to fetch metrics from custom metrics API: ${errText(e)}`);
    }
    if (!list.items?.length) throw new Error('no metrics returned from custom metrics API');
    const metrics: PodMetricsInfo = new Map();
    for (const m of list.items) {
      const windowMs = m.windowSeconds !== undefined ? m.windowSeconds * 1000 : metricServerDefaultWindowMs;
      metrics.set(m.describedObject.name, { timestampMs: Date.parse(m.timestamp), windowMs, value: milli(m.value) ?? 0 });
    }
    return { metrics, timestampMs: Date.parse(list.items[0]!.timestamp) };
  }

  async objectMetric(namespace: string, metricName: string, ref: CrossVersionObjectReference, metricSelector: LabelSelectorObject | undefined): Promise<{ value: number; timestampMs: number }> {
    let list: { items: MetricValue[] };
    try {
      const query = { metricLabelSelector: metricSelector ? labelSelectorFromObject(metricSelector).toString() : undefined };
      if (ref.kind === 'Namespace' && (ref.apiVersion ?? 'v1') === 'v1') {
        list = await this.client.call('GET', `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${enc(ref.name)}/metrics/${enc(metricName)}`, { query });
      } else {
        const r = await this.client.resourceFor(ref.apiVersion ?? 'v1', ref.kind);
        const resource = r.group ? `${r.resource}.${r.group}` : r.resource;
        list = await this.client.call('GET', `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${enc(namespace)}/${enc(resource)}/${enc(ref.name)}/${enc(metricName)}`, { query });
      }
    } catch (e) {
      throw new Error(`unable to fetch metrics from custom metrics API: ${errText(e)}`);
    }
    const m = list.items?.[0];
    if (!m) throw new Error('unable to fetch metrics from custom metrics API: no metrics returned');
    return { value: milli(m.value) ?? 0, timestampMs: Date.parse(m.timestamp) };
  }

  async externalMetric(namespace: string, metricName: string, metricSelector: LabelSelectorObject | undefined): Promise<{ values: number[]; timestampMs: number }> {
    let list: { items: { timestamp: string; value: string }[] };
    try {
      list = await this.client.call('GET', `/apis/external.metrics.k8s.io/v1beta1/namespaces/${enc(namespace)}/${enc(metricName)}`, {
        query: { labelSelector: labelSelectorFromObject(metricSelector).toString() || undefined },
      });
    } catch (e) {
      throw new Error(`unable to fetch metrics from external metrics API: ${errText(e)}`);
    }
    if (!list.items?.length) throw new Error('no metrics returned from external metrics API');
    return { values: list.items.map((i) => milli(i.value) ?? 0), timestampMs: Date.parse(list.items[0]!.timestamp) };
  }
}
