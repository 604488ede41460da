// The metrics APIs served by the Skiff API server itself (in process, as an aggregated APIService would be):
// metrics.k8s.io/v1beta1 (NodeMetrics, PodMetrics; read-only resources registered for discovery, tables and
// authorization like any other), and custom.metrics.k8s.io/v1beta2 / external.metrics.k8s.io/v1beta1 (whose
// paths carry metric names, so they are answered before resource routing). Reads come from the watch caches
// and the collector's snapshot: nothing here touches the store per request.
import type { ResourceType } from '../api/resource.js';
import type { KubeObject } from '../api/types.js';
import { errors } from '../api/errors.js';
import type { PreEncodedJson } from '../apiserver/render.js';
import { defineResource } from '../api/kinds/define.js';
import type { ObjectStorage } from '../apiserver/object-storage.js';
import type { ResourceRegistry } from '../apiserver/resource-registry.js';
import type { WatchCache } from '../storage/watch-cache.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import { startCollector, type Collector } from './collector.js';
import type { LocalSummaries } from './local-summaries.js';
import { MetricsSnapshot } from './snapshot.js';
import { ListBodyCache, type BodyVersion } from './list-body-cache.js';
import { labelPairs, pinnedPair } from '../util/label-pairs.js';
import { deepEqual } from '../util/deep-equal.js';
import {
  getNodeMetrics,
  getPodMetrics,
  listNodeMetrics,
  listPodMetrics,
  metricsGroup,
  metricsVersion,
  nodeMetricsTable,
  podMetricsTable,
  renderPodMetrics,
  type ObjectLookup,
} from './resource-metrics.js';
import { customGroup, customVersion, externalGroup, externalSourceLabel, externalVersion, isMetricValuePath, serveMetricValues, type CustomObjectLookup } from './custom-metrics.js';

export interface MetricsApiOptions {
  /**
   * Scraping of node agents' /stats/summary: the cluster CA (to verify agents) and a client certificate it
   * signed. Absent = no scraping (the APIs answer from an empty snapshot).
   */
  scrape?: { ca: string; cert: string; key: string; resolutionMs?: number; concurrency?: number; local?: LocalSummaries };
}

const readOnly = { nameRule: 'path-segment' as const, statusSubresource: false, generation: false };

/** The resource types the metrics APIs add to the registry (never stored). */
export function metricsResourceTypes(): ResourceType[] {
  const nodes = defineResource({ group: metricsGroup, version: metricsVersion, resource: 'nodes', kind: 'NodeMetrics', namespaced: false, verbs: ['get', 'list'], storagePrefix: '', strategy: { ...readOnly, table: nodeMetricsTable } });
  const pods = defineResource({ group: metricsGroup, version: metricsVersion, resource: 'pods', kind: 'PodMetrics', namespaced: true, verbs: ['get', 'list'], storagePrefix: '', strategy: { ...readOnly, table: podMetricsTable } });
  // Discovery entries for the metric-value groups (their metric names are dynamic, as with adapters that
  // list wildcard resources); requests below them are answered by serveMetricValues.
  const custom = defineResource({ group: customGroup, version: customVersion, resource: 'pods/*', kind: 'MetricValueList', namespaced: true, verbs: ['get'], storagePrefix: '', strategy: readOnly });
  const external = defineResource({ group: externalGroup, version: externalVersion, resource: '*', kind: 'ExternalMetricValueList', namespaced: true, verbs: ['get'], storagePrefix: '', strategy: readOnly });
  return [nodes, pods, custom, external];
}

export class MetricsApi {
  readonly snapshot = new MetricsSnapshot();
  private collector: Collector | undefined;
  private nodeCache: WatchCache | undefined;
  private podCache: WatchCache | undefined;
  private nodesRt: ResourceType | undefined;
  private podsRt: ResourceType | undefined;
  /** "<ns>/<key>=<value>" → names of the pods carrying that label, and each pod's pairs (to undo them). */
  private readonly podsByPair = new Map<string, Set<string>>();
  private readonly pairsOfPod = new Map<string, string[]>();
  /** namespace → name → pod, from the same watch (lookups without building storage keys). */
  private readonly podObjects = new Map<string, Map<string, KubeObject>>();
  private podWatch: { close(): void } | undefined;
  /** Pod changes seen by the watch, counted globally and noted per namespace (versions of cached list bodies). */
  private podChanges = 0;
  private readonly podChangedAt = new Map<string, number>();
  private readonly listBodies = new ListBodyCache();

  constructor(
    private readonly deps: { registry: ResourceRegistry; storage: ObjectStorage },
    private readonly opts: MetricsApiOptions,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    this.nodesRt = this.deps.registry.lookup('', 'v1', 'nodes');
    this.podsRt = this.deps.registry.lookup('', 'v1', 'pods');
    this.nodeCache = await this.deps.storage.cache(this.nodesRt!);
    this.podCache = await this.deps.storage.cache(this.podsRt!);
    this.indexPods(this.podCache);
    const s = this.opts.scrape;
    if (s) {
      const nodeCache = this.nodeCache;
      const prefix = this.deps.storage.collectionPrefix(this.nodesRt!, '');
      this.collector = startCollector({
        listNodes: () => nodeCache.list(prefix).items as unknown as Node[],
        tls: { ca: s.ca, cert: s.cert, key: s.key },
        resolutionMs: s.resolutionMs,
        concurrency: s.concurrency,
        local: s.local,
        log: this.log,
        snapshot: this.snapshot,
        // While whole lists are being asked for (kubectl top), each scraped node's pods are rendered as they
        // arrive (before the scrape is stored), so the next list only joins them instead of rendering 5,000 pods in one request.
        // Bodies no list asked for in two minutes are dropped, and with them the rendering ahead.
        onNodeScraped: (pods) => {
          this.listBodies.dropIdle(Date.now(), 120_000);
          if (this.listBodies.size && this.podWatch) renderPodMetrics(this.objects, pods);
        },
      });
    }
  }

  stop(): void {
    this.collector?.stop();
    this.podWatch?.close();
  }

  /** Keeps the label-pair index of pods current from the pods watch cache. */
  private indexPods(cache: WatchCache): void {
    const prefix = this.deps.storage.collectionPrefix(this.podsRt!, '');
    const set = (o: KubeObject) => {
      const known = this.podObjects.get(o.metadata.namespace ?? '');
      const prev = known?.get(o.metadata.name!);
      if (prev !== undefined && deepEqual(prev.metadata.labels, o.metadata.labels)) {
        // Labels as they were (a status write, say): the label index stands; only the object is newer.
        this.podChanged(o.metadata.namespace ?? '');
        known!.set(o.metadata.name!, o);
        return;
      }
      const key = `${o.metadata.namespace}/${o.metadata.name}`;
      unset(key);
      this.podChanged(o.metadata.namespace ?? '');
      const pairs = labelPairs(o.metadata.labels as Record<string, string> | undefined, o.metadata.namespace ?? '');
      this.pairsOfPod.set(key, pairs);
      let byName = this.podObjects.get(o.metadata.namespace ?? '');
      if (!byName) this.podObjects.set(o.metadata.namespace ?? '', (byName = new Map()));
      byName.set(o.metadata.name!, o);
      for (const p of pairs) {
        let names = this.podsByPair.get(p);
        if (!names) this.podsByPair.set(p, (names = new Set()));
        names.add(o.metadata.name!);
      }
    };
    const unset = (key: string) => {
      const pairs = this.pairsOfPod.get(key);
      if (!pairs) return;
      this.podChanged(key.slice(0, key.indexOf('/')));
      const name = key.slice(key.indexOf('/') + 1);
      const byName = this.podObjects.get(key.slice(0, key.indexOf('/')));
      byName?.delete(name);
      if (byName?.size === 0) this.podObjects.delete(key.slice(0, key.indexOf('/')));
      for (const p of pairs) {
        const names = this.podsByPair.get(p);
        names?.delete(name);
        if (names && names.size === 0) this.podsByPair.delete(p);
      }
      this.pairsOfPod.delete(key);
    };
    const listed = cache.list(prefix);
    for (const o of listed.items) set(o);
    this.podWatch = cache.watch(prefix, listed.revision, undefined, {
      onEvent: (e) => (e.type === 'DELETED' ? unset(`${e.object.metadata.namespace}/${e.object.metadata.name}`) : set(e.object)),
      onClose: (reason) => {
        if (reason === 'error') this.log('metrics: the pod label index lost its watch; label-selected PodMetrics lists scan instead');
        this.podsByPair.clear();
        this.pairsOfPod.clear();
        this.podObjects.clear();
        this.podWatch = undefined;
      },
    });
  }

  private podChanged(namespace: string): void {
    this.podChangedAt.set(namespace, ++this.podChanges);
  }

  /** What a selector-less PodMetrics list of the namespace ("" = all) is built from; undefined without the pod watch. */
  private listVersion(namespace: string): BodyVersion | undefined {
    if (!this.podWatch) return undefined;
    return { snapshot: this.snapshot.generation, pods: namespace ? (this.podChangedAt.get(namespace) ?? 0) : this.podChanges };
  }

  /** Scrape every node now (tests, benchmarks); `stagger` as the periodic scrape does. */
  scrapeNow(opts: { stagger?: boolean } = {}): Promise<void> {
    return this.collector?.scrapeOnce(opts) ?? Promise.resolve();
  }

  private readonly objects: ObjectLookup = {
    node: (name) => this.nodeCache?.get(this.deps.storage.key(this.nodesRt!, '', name)),
    pod: (ns, name) => (this.podWatch ? this.podObjects.get(ns)?.get(name) : this.podCache?.get(this.deps.storage.key(this.podsRt!, ns, name))),
    podCandidates: (ns, selector) => {
      if (!this.podWatch) return undefined;
      const pinned = pinnedPair(selector, ns);
      return pinned ? (this.podsByPair.get(pinned) ?? []) : undefined;
    },
  };

  /** metrics.k8s.io requests (already routed, authorized and decoded by the server). */
  serves(rt: ResourceType): boolean {
    return rt.group === metricsGroup;
  }

  resourceRequest(rt: ResourceType, verb: string, namespace: string, name: string, query: URLSearchParams): KubeObject | PreEncodedJson {
    const now = Date.now();
    if (rt.resource === 'nodes') {
      if (verb === 'get') return getNodeMetrics(this.snapshot, this.objects, name, now);
      if (verb === 'list') return listNodeMetrics(this.snapshot, this.objects, query, now);
    } else if (rt.resource === 'pods') {
      if (verb === 'get') return getPodMetrics(this.snapshot, this.objects, namespace, name, now);
      if (verb === 'list') {
        const version = this.listVersion(namespace);
        return listPodMetrics(this.snapshot, this.objects, namespace, query, now, version && { cache: this.listBodies, version });
      }
    }
    throw errors.methodNotAllowed(`${verb} is not supported on ${rt.resource}.${rt.group}`);
  }

  /** custom/external metric-value paths (answered before resource routing). */
  handlesPath(path: string): boolean {
    return isMetricValuePath(path);
  }

  async servePath(path: string, query: URLSearchParams): Promise<unknown> {
    const lookup = await this.customLookup(path);
    return serveMetricValues(path, query, lookup, Date.now());
  }

  /** Resolves the watch caches a custom/external request needs, then answers lookups synchronously. */
  private async customLookup(path: string): Promise<CustomObjectLookup> {
    const { registry, storage } = this.deps;
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent).slice(3);
    const resolved = new Map<string, { rt: ResourceType; cache: WatchCache }>();
    const want: string[] = [];
    if (parts[0] === 'namespaces') want.push('namespaces');
    if (parts[0] === 'namespaces' && parts.length === 5) want.push(parts[2]!);
    else if (parts.length === 3 && path.includes(`/${customGroup}/`)) want.push(parts[0]!);
    if (path.includes(`/${externalGroup}/`)) want.push('configmaps');
    for (const res of want) {
      const rt = resourceByName(registry, res);
      if (rt && rt.storagePrefix) resolved.set(res, { rt, cache: await storage.cache(rt) });
    }
    return {
      objects(resource, namespace, name) {
        const r = resolved.get(resource);
        if (!r) return undefined;
        const ns = r.rt.namespaced ? namespace : '';
        const apiVersion = r.rt.group ? `${r.rt.group}/${r.rt.version}` : r.rt.version;
        if (name === '*') return { kind: r.rt.kind, apiVersion, items: r.cache.list(storage.collectionPrefix(r.rt, ns)).items };
        const o = r.cache.get(storage.key(r.rt, ns, name));
        return { kind: r.rt.kind, apiVersion, items: o ? [o] : [] };
      },
      externalSources(namespace) {
        const r = resolved.get('configmaps');
        if (!r) return [];
        return r.cache.list(storage.collectionPrefix(r.rt, namespace), { filter: (o) => (o.metadata.labels as Record<string, string> | undefined)?.[externalSourceLabel] === 'true' }).items;
      },
    };
  }
}

/** "services", "deployments.apps", "deployments.v1.apps" → the served resource type (preferred version). */
function resourceByName(registry: ResourceRegistry, name: string): ResourceType | undefined {
  const [resource, ...rest] = name.split('.');
  let group = rest.join('.');
  let version: string | undefined;
  if (rest.length >= 2 && /^v\d/.test(rest[0]!)) {
    version = rest[0];
    group = rest.slice(1).join('.');
  }
  let found: ResourceType | undefined;
  for (const rt of registry.all()) {
    if (rt.resource !== resource || rt.group !== group || (version && rt.version !== version)) continue;
    if (!found || rt.preferred) found = rt;
  }
  return found;
}
