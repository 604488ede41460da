// metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics as metrics-server serves them: built from the latest
// snapshot, carrying the node's / pod's labels, filtered by label selector (and metadata.name /
// metadata.namespace field selectors), 404 "podmetrics.metrics.k8s.io \"ns/name\" not found" for what has no
// sample, and table columns for `kubectl get nodemetrics|podmetrics`. Pure over snapshot and object lookups.
import type { TableConvertor } from '../api/resource.js';
import type { KubeObject } from '../api/types.js';
import { errors } from '../api/errors.js';
import { Quantity } from '../util/quantity.js';
import { parseLabelSelector, matchesLabels, type LabelSelector } from '../util/label-selector.js';
import { parseFieldSelector, type FieldSelector } from '../util/field-selector.js';
import { PreEncodedJson } from '../apiserver/render.js';
import type { MetricsSnapshot } from './snapshot.js';
import type { ContainerSample, PodSample, ResourceSample } from './summary.js';
import type { BodyVersion, ListBodyCache, StampedBody } from './list-body-cache.js';

export const metricsGroup = 'metrics.k8s.io';
export const metricsVersion = 'v1beta1';
const apiVersion = `${metricsGroup}/${metricsVersion}`;

export interface ObjectLookup {
  node(name: string): KubeObject | undefined;
  pod(namespace: string, name: string): KubeObject | undefined;
  /** Names of the pods in a namespace that can match the selector (an index lookup), or undefined to scan. */
  podCandidates?(namespace: string, selector: LabelSelector): Iterable<string> | undefined;
}

/** Go's time.Duration String() for whole milliseconds ("15s", "1m0s", "20.5s"). */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const totalS = ms / 1000;
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = Math.round((totalS % 60) * 1000) / 1000;
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

// Samples are immutable once scraped: each is formatted once, however often it is served.
const formatted = new WeakMap<ResourceSample, { cpu: string; memory: string }>();

export function usageOf(r: ResourceSample): { cpu: string; memory: string } {
  let u = formatted.get(r);
  if (!u) {
    u = {
      cpu: Quantity.of(BigInt(Math.max(0, Math.round(r.cpuNano))), -9).toString(),
      memory: Quantity.of(BigInt(Math.max(0, Math.round(r.memoryBytes))), 0, 'BinarySI').toString(),
    };
    formatted.set(r, u);
  }
  return { ...u };
}

/** The shared formatted usage (not to be modified). */
function formattedUsage(r: ResourceSample): { cpu: string; memory: string } {
  return formatted.get(r) ?? (usageOf(r), formatted.get(r)!);
}

// Samples of one scrape carry a few dozen distinct seconds (one per node) besides the answers' own.
const rfcBySecond = new Map<number, string>();
/** RFC 3339 at second precision; one formatting per second however many objects carry it. */
function rfc3339(ms: number): string {
  const sec = Math.floor(ms / 1000);
  let s = rfcBySecond.get(sec);
  if (s === undefined) {
    if (rfcBySecond.size >= 4096) rfcBySecond.clear();
    s = new Date(sec * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    rfcBySecond.set(sec, s);
  }
  return s;
}

const renderedPods = new WeakMap<PodSample, { timestamp: string; window: string; containers: { name: string; usage: { cpu: string; memory: string } }[] }>();

function selectors(query: URLSearchParams): { labels?: LabelSelector; fields?: FieldSelector } {
  const out: { labels?: LabelSelector; fields?: FieldSelector } = {};
  try {
    const l = query.get('labelSelector');
    if (l) out.labels = parseLabelSelector(l);
  } catch (e) {
    throw errors.badRequest(`unable to parse requirement: ${(e as Error).message}`);
  }
  try {
    const f = query.get('fieldSelector');
    if (f) out.fields = parseFieldSelector(f, (field) => field === 'metadata.name' || field === 'metadata.namespace');
  } catch (e) {
    throw errors.badRequest((e as Error).message);
  }
  return out;
}

const labelsOf = (o: KubeObject | undefined): Record<string, string> => (o?.metadata?.labels as Record<string, string> | undefined) ?? {};

export function nodeMetrics(snapshot: MetricsSnapshot, objects: ObjectLookup, name: string, nowMs: number): KubeObject | undefined {
  const s = snapshot.node(name);
  if (!s) return undefined;
  const node = objects.node(name);
  const labels = labelsOf(node);
  return {
    kind: 'NodeMetrics',
    apiVersion,
    metadata: { name, creationTimestamp: rfc3339(nowMs), ...(Object.keys(labels).length ? { labels } : {}) },
    timestamp: rfc3339(s.timestampMs),
    window: goDuration(s.windowMs),
    usage: usageOf(s),
  } as unknown as KubeObject;
}

/** The pod's sample when it is this pod's (a sample of an earlier pod with the same name is not). */
function currentSample(snapshot: MetricsSnapshot, objects: ObjectLookup, namespace: string, name: string): { s: PodSample; pod: KubeObject | undefined } | undefined {
  const s = snapshot.pod(namespace, name);
  if (!s) return undefined;
  const pod = objects.pod(namespace, name);
  if (pod && pod.metadata.uid && s.uid && pod.metadata.uid !== s.uid) return undefined;
  return { s, pod };
}

function podMetricsObject(s: PodSample, pod: KubeObject | undefined, creationTimestamp: string): KubeObject {
  const labels = labelsOf(pod);
  let body = renderedPods.get(s);
  if (!body) {
    body = { timestamp: rfc3339(s.timestampMs), window: goDuration(s.windowMs), containers: s.containers.map((c: ContainerSample) => ({ name: c.name, usage: usageOf(c) })) };
    renderedPods.set(s, body);
  }
  return {
    kind: 'PodMetrics',
    apiVersion,
    metadata: { name: s.name, namespace: s.namespace, creationTimestamp, ...(Object.keys(labels).length ? { labels } : {}) },
    // Shared by every answer until the next scrape replaces the sample (never mutated).
    ...body,
  } as unknown as KubeObject;
}

export function podMetrics(snapshot: MetricsSnapshot, objects: ObjectLookup, namespace: string, name: string, nowMs: number): KubeObject | undefined {
  const c = currentSample(snapshot, objects, namespace, name);
  return c && podMetricsObject(c.s, c.pod, rfc3339(nowMs));
}

// A PodMetrics' JSON around its creationTimestamp (the only part that changes between scrapes), kept per
// sample and rebuilt when the pod object (its labels) changes: a list splices these instead of serialising.
// Written out directly (the same text JSON.stringify gives for podMetricsObject's object, key for key), with
// the bytes kept too for lists served from the ListBodyCache.
const podJson = new WeakMap<PodSample, PodFragments>();

interface PodFragments {
  pod: KubeObject | undefined;
  head: string;
  tail: string;
  /** head and tail as UTF-8, made for the first list body that copies them. */
  headBytes?: Buffer;
  tailBytes?: Buffer;
  at: string;
  full: string;
}

function podFragments(s: PodSample, pod: KubeObject | undefined, withBytes = false): PodFragments {
  let f = podJson.get(s);
  if (!f || f.pod !== pod) {
    const labels = labelsOf(pod);
    let containers = '';
    for (const c of s.containers) {
      const u = formattedUsage(c);
      containers += `${containers ? ',' : ''}{"name":${JSON.stringify(c.name)},"usage":{"cpu":"${u.cpu}","memory":"${u.memory}"}}`;
    }
    const head = `{"kind":"PodMetrics","apiVersion":"${apiVersion}","metadata":{"name":${JSON.stringify(s.name)},"namespace":${JSON.stringify(s.namespace)},"creationTimestamp":"`;
    const labelsJson = Object.keys(labels).length ? `,"labels":${JSON.stringify(labels)}` : '';
    const tail = `"${labelsJson}},"timestamp":"${rfc3339(s.timestampMs)}","window":"${goDuration(s.windowMs)}","containers":[${containers}]}`;
    f = { pod, head, tail, at: '', full: '' };
    podJson.set(s, f);
  }
  if (withBytes && !f.headBytes) {
    f.headBytes = Buffer.from(f.head);
    f.tailBytes = Buffer.from(f.tail);
  }
  return f;
}

function podMetricsJson(s: PodSample, pod: KubeObject | undefined, creationTimestamp: string): string {
  const f = podFragments(s, pod);
  // Lists within the same second share the whole item.
  if (f.at !== creationTimestamp) {
    f.at = creationTimestamp;
    f.full = f.head + creationTimestamp + f.tail;
  }
  return f.full;
}

/**
 * Renders the JSON fragments (and their bytes) of freshly scraped samples ahead of the list bodies that will
 * copy them (the samples need not be in the snapshot yet: the collector stores a scrape's nodes together).
 */
export function renderPodMetrics(objects: ObjectLookup, samples: Iterable<PodSample>): void {
  for (const s of samples) {
    const pod = objects.pod(s.namespace, s.name);
    if (pod && pod.metadata.uid && s.uid && pod.metadata.uid !== s.uid) continue;
    podFragments(s, pod, true);
  }
}

const listHead = `{"kind":"PodMetricsList","apiVersion":"${apiVersion}","metadata":{},"items":[`;
const listTail = ']}';

/** The list's JSON as bytes, with the byte offset of every item's creationTimestamp (see ListBodyCache). */
function stampedPodMetricsList(selected: { s: PodSample; pod: KubeObject | undefined }[], stamp: string): StampedBody {
  const stampBytes = Buffer.from(stamp);
  const fragments = new Array<PodFragments>(selected.length);
  let total = listHead.length + listTail.length + Math.max(0, selected.length - 1) + selected.length * stampBytes.length;
  for (let i = 0; i < selected.length; i++) {
    const f = (fragments[i] = podFragments(selected[i]!.s, selected[i]!.pod, true));
    total += f.headBytes!.length + f.tailBytes!.length;
  }
  const bytes = Buffer.allocUnsafe(total);
  const stampAt = new Array<number>(selected.length);
  let o = bytes.write(listHead, 0, 'latin1');
  for (let i = 0; i < fragments.length; i++) {
    const f = fragments[i]!;
    if (i) bytes[o++] = 0x2c; // ','
    o += f.headBytes!.copy(bytes, o);
    stampAt[i] = o;
    o += stampBytes.copy(bytes, o);
    o += f.tailBytes!.copy(bytes, o);
  }
  bytes.write(listTail, o, 'latin1');
  return { bytes, stampAt, stampLength: stampBytes.length };
}

export function getNodeMetrics(snapshot: MetricsSnapshot, objects: ObjectLookup, name: string, nowMs: number): KubeObject {
  const m = nodeMetrics(snapshot, objects, name, nowMs);
  if (!m) throw errors.notFound(metricsGroup, 'nodemetrics', name);
  return m;
}

export function getPodMetrics(snapshot: MetricsSnapshot, objects: ObjectLookup, namespace: string, name: string, nowMs: number): KubeObject {
  const m = podMetrics(snapshot, objects, namespace, name, nowMs);
  if (!m) throw errors.notFound(metricsGroup, 'podmetrics', `${namespace}/${name}`);
  return m;
}

export function listNodeMetrics(snapshot: MetricsSnapshot, objects: ObjectLookup, query: URLSearchParams, nowMs: number): KubeObject {
  const { labels, fields } = selectors(query);
  const items: KubeObject[] = [];
  for (const name of snapshot.nodeNames().sort()) {
    if (fields && !fields.matches((f) => (f === 'metadata.name' ? name : ''))) continue;
    if (labels && !matchesLabels(labels, labelsOf(objects.node(name)))) continue;
    const m = nodeMetrics(snapshot, objects, name, nowMs);
    if (m) items.push(m);
  }
  return { kind: 'NodeMetricsList', apiVersion, metadata: {}, items } as unknown as KubeObject;
}

/**
 * The PodMetricsList in (namespace, name) order. JSON answers splice each pod's cached JSON (see
 * podMetricsJson); a selector-less list with `cached` is served from the ListBodyCache under the namespace
 * ("" for all) while `cached.version` holds; other shapes get the objects.
 */
export function listPodMetrics(
  snapshot: MetricsSnapshot,
  objects: ObjectLookup,
  namespace: string,
  query: URLSearchParams,
  nowMs: number,
  cached?: { cache: ListBodyCache; version: BodyVersion },
): PreEncodedJson {
  const { labels, fields } = selectors(query);
  let chosen: { s: PodSample; pod: KubeObject | undefined }[] | undefined;
  const select = () => {
    if (chosen) return chosen;
    const selected: { s: PodSample; pod: KubeObject | undefined }[] = [];
    const names = namespace && labels ? objects.podCandidates?.(namespace, labels) : undefined;
    // Index candidates come unordered (and are few); the snapshot iterates in order.
    const samples: Iterable<PodSample> = names ? [...candidateSamples(snapshot, namespace, names)].sort((a, b) => (a.name < b.name ? -1 : 1)) : snapshot.podsIn(namespace);
    for (const s of samples) {
      if (fields && !fields.matches((f) => (f === 'metadata.name' ? s.name : f === 'metadata.namespace' ? s.namespace : ''))) continue;
      const c = currentSample(snapshot, objects, s.namespace, s.name);
      if (!c) continue;
      if (labels && !matchesLabels(labels, labelsOf(c.pod))) continue;
      selected.push(c);
    }
    return (chosen = selected);
  };
  const creationTimestamp = rfc3339(nowMs);
  const useCache = cached && !labels && !fields;
  return new PreEncodedJson(
    () => {
      if (useCache) return cached.cache.body(namespace, cached.version, creationTimestamp, (stamp) => stampedPodMetricsList(select(), stamp), nowMs);
      const selected = select();
      const parts = new Array<string>(selected.length);
      for (let i = 0; i < selected.length; i++) parts[i] = podMetricsJson(selected[i]!.s, selected[i]!.pod, creationTimestamp);
      return `${listHead}${parts.join(',')}${listTail}`;
    },
    () => ({ kind: 'PodMetricsList', apiVersion, metadata: {}, items: select().map((c) => podMetricsObject(c.s, c.pod, creationTimestamp)) }),
  );
}

function* candidateSamples(snapshot: MetricsSnapshot, namespace: string, names: Iterable<string>): Iterable<PodSample> {
  for (const n of names) {
    const s = snapshot.pod(namespace, n);
    if (s) yield s;
  }
}

const metricColumns = [
  { name: 'Name', type: 'string' as const, format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
  { name: 'CPU', type: 'string' as const, description: 'CPU usage', priority: 0 },
  { name: 'Memory', type: 'string' as const, description: 'Memory usage', priority: 0 },
  { name: 'Window', type: 'string' as const, description: 'Window', priority: 0 },
];

/** metrics-server's table: NAME CPU MEMORY WINDOW (pods sum their containers). */
export const nodeMetricsTable: TableConvertor = {
  columns: metricColumns,
  row(obj) {
    const o = obj as unknown as { usage?: { cpu?: string; memory?: string }; window?: string };
    return [obj.metadata.name, o.usage?.cpu ?? '', o.usage?.memory ?? '', o.window ?? ''];
  },
};

export const podMetricsTable: TableConvertor = {
  columns: metricColumns,
  row(obj) {
    const o = obj as unknown as { containers?: { usage: { cpu: string; memory: string } }[]; window?: string };
    let cpu = Quantity.fromInt(0);
    let mem = Quantity.fromInt(0, 'BinarySI');
    for (const c of o.containers ?? []) {
      cpu = cpu.add(Quantity.parse(c.usage.cpu));
      mem = mem.add(Quantity.parse(c.usage.memory));
    }
    return [obj.metadata.name, cpu.toString(), mem.toString(), o.window ?? ''];
  },
};
