// Discovery documents built from the resource registry: aggregated discovery (apidiscovery.k8s.io v2 and
// v2beta1, which kubectl asks for first and which must be answered with the exact Content-Type) and the
// legacy /api, /apis, /api/v1, /apis/<g>, /apis/<g>/<v> documents. Cached per registry generation.
import { createHash } from 'node:crypto';
import type { ResourceType } from '../api/resource.js';
import { apiVersionOf } from '../api/types.js';
import type { ResourceRegistry } from './resource-registry.js';

export interface Rendered {
  body: string;
  etag: string;
}

export class Discovery {
  private cache = new Map<string, Rendered>();
  private gen = -1;

  constructor(private readonly registry: ResourceRegistry) {}

  private memo(key: string, build: () => unknown): Rendered {
    if (this.gen !== this.registry.generation) {
      this.cache.clear();
      this.gen = this.registry.generation;
    }
    let r = this.cache.get(key);
    if (!r) {
      const body = JSON.stringify(build());
      r = { body, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32).toUpperCase()}"` };
      this.cache.set(key, r);
    }
    return r;
  }

  /** Aggregated discovery for /api (core) or /apis (named groups). */
  aggregated(which: 'api' | 'apis', version: 'v2' | 'v2beta1'): Rendered {
    return this.memo(`agg:${which}:${version}`, () => ({
      kind: 'APIGroupDiscoveryList',
      apiVersion: `apidiscovery.k8s.io/${version}`,
      metadata: {},
      items: this.registry
        .groupVersions()
        .filter((g) => (which === 'api' ? g.group === '' : g.group !== ''))
        .map((g) => ({
          metadata: g.group ? { name: g.group, creationTimestamp: null } : { creationTimestamp: null },
          versions: g.versions.map((v) => ({
            version: v,
            resources: topLevel(this.registry.resourcesIn(g.group, v)).map((rt) => aggregatedResource(rt)),
            freshness: 'Current',
          })),
        })),
    }));
  }

  /** Legacy GET /api. */
  apiVersions(serverAddress: string): Rendered {
    return this.memo(`api:${serverAddress}`, () => ({
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    }));
  }

  /** Legacy GET /apis. */
  apiGroupList(): Rendered {
    return this.memo('apis', () => ({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: this.registry
        .groupVersions()
        .filter((g) => g.group !== '')
        .map((g) => groupDoc(g.group, g.versions, g.preferred)),
    }));
  }

  /** Legacy GET /apis/<group>; undefined when the group is not served. */
  apiGroup(group: string): Rendered | undefined {
    const g = this.registry.groupVersions().find((x) => x.group === group && group !== '');
    if (!g) return undefined;
    return this.memo(`group:${group}`, () => ({ kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g.group, g.versions, g.preferred) }));
  }

  /** Legacy GET /api/v1 or /apis/<group>/<version>; undefined when not served. */
  resourceList(group: string, version: string): Rendered | undefined {
    const rts = this.registry.resourcesIn(group, version);
    if (!rts.length) return undefined;
    return this.memo(`rl:${group}/${version}`, () => ({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: apiVersionOf(group, version),
      resources: rts.flatMap((rt) => legacyResources(rt)),
    }));
  }
}

function topLevel(rts: ResourceType[]): ResourceType[] {
  return [...rts].sort((a, b) => a.resource.localeCompare(b.resource));
}

function groupDoc(group: string, versions: string[], preferred: string) {
  const gv = (v: string) => ({ groupVersion: `${group}/${v}`, version: v });
  return { name: group, versions: versions.map(gv), preferredVersion: gv(preferred) };
}

function aggregatedResource(rt: ResourceType) {
  const out: Record<string, unknown> = {
    resource: rt.resource,
    responseKind: { group: rt.group, version: rt.version, kind: rt.kind },
    scope: rt.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: rt.singular,
    verbs: rt.verbs,
  };
  if (rt.shortNames.length) out['shortNames'] = rt.shortNames;
  if (rt.categories.length) out['categories'] = rt.categories;
  if (rt.subresources.length) {
    out['subresources'] = rt.subresources.map((s) => ({
      subresource: s.name,
      responseKind: s.responseKind,
      verbs: s.verbs,
    }));
  }
  return out;
}

function legacyResources(rt: ResourceType) {
  const main: Record<string, unknown> = {
    name: rt.resource,
    singularName: rt.singular,
    namespaced: rt.namespaced,
    kind: rt.kind,
    verbs: rt.verbs,
  };
  if (rt.shortNames.length) main['shortNames'] = rt.shortNames;
  if (rt.categories.length) main['categories'] = rt.categories;
  main['storageVersionHash'] = createHash('sha256').update(`${rt.group}/${rt.storageVersion}/${rt.kind}`).digest('base64').slice(0, 11);
  const subs = rt.subresources.map((s) => {
    const e: Record<string, unknown> = {
      name: `${rt.resource}/${s.name}`,
      singularName: '',
      namespaced: rt.namespaced,
      kind: s.responseKind.kind,
      verbs: s.verbs,
    };
    // Subresources speaking another group's kind (Scale, Eviction) name its group and version, as upstream.
    if (s.responseKind.group !== rt.group || s.responseKind.version !== rt.version) {
      e['group'] = s.responseKind.group;
      e['version'] = s.responseKind.version;
    }
    return e;
  });
  return [main, ...subs];
}
