// What cluster DNS knows about the cluster: Services, their EndpointSlices and Namespaces, looked up by
// name or by IP. Two implementations of one small interface: a snapshot built from arrays (table tests,
// benchmarks) and a live view over informer caches (the server). No DNS logic here; no I/O.
import type { Namespace, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ReadonlyIndexer } from '../../client/indexer.js';
import { sliceServiceKey } from '../proxy/service-ports.js';

export interface DnsCatalog {
  service(namespace: string, name: string): Service | undefined;
  /** The EndpointSlices of one Service (label kubernetes.io/service-name). */
  endpointSlices(namespace: string, service: string): EndpointSlice[];
  hasNamespace(namespace: string): boolean;
  /** Services with this cluster IP (reverse lookups). */
  servicesByClusterIP(ip: string): Service[];
  /** EndpointSlices holding an endpoint with this address (reverse lookups of headless endpoints). */
  endpointSlicesByAddress(ip: string): EndpointSlice[];
  /**
   * Changes whenever anything in this scope (dnsScopes) may answer differently: answer caches keep an answer
   * while the generation of the scope it was read from stays the same.
   */
  generation(scope: string): number;
}

/**
 * The parts of the catalog an answer can depend on: one Service with its EndpointSlices (also when it does
 * not exist: NXDOMAIN), one namespace's existence, the address index (reverse lookups), or nothing (zone).
 */
export const dnsScopes = {
  service: (namespace: string, name: string): string => `s/${namespace}/${name}`,
  namespace: (namespace: string): string => `n/${namespace}`,
  reverse: 'r',
  zone: 'z',
  /** Answers from upstream resolvers: no catalog event changes them (they expire by TTL instead). */
  forwarded: 'f',
};

/** The scopes an informer event on this object changes. */
export function scopesChangedBy(kind: 'Service' | 'EndpointSlice' | 'Namespace', obj: Service | EndpointSlice | Namespace): string[] {
  const ns = obj.metadata?.namespace ?? '';
  if (kind === 'Namespace') return [dnsScopes.namespace(obj.metadata?.name ?? '')];
  if (kind === 'Service') return [dnsScopes.service(ns, obj.metadata?.name ?? ''), dnsScopes.reverse];
  const svc = obj.metadata?.labels?.[serviceNameLabel];
  return svc ? [dnsScopes.service(ns, svc), dnsScopes.reverse] : [];
}

export const serviceNameLabel = 'kubernetes.io/service-name';

/** Index functions the live catalog needs on the informers. */
export const catalogIndexers = {
  services: {
    clusterIP: (s: Service): string[] => clusterIPsOf(s),
  },
  endpointSlices: {
    service: (s: EndpointSlice): string[] => {
      const k = sliceServiceKey(s);
      return k ? [k] : [];
    },
    address: (s: EndpointSlice): string[] => (s.endpoints ?? []).flatMap((e) => e.addresses ?? []),
  },
};

export function clusterIPsOf(s: Service): string[] {
  const ips = s.spec?.clusterIPs?.length ? s.spec.clusterIPs : s.spec?.clusterIP ? [s.spec.clusterIP] : [];
  return ips.filter((ip) => ip && ip !== 'None');
}

/** A fixed snapshot (tests, benchmarks). */
export function snapshotCatalog(objs: { services?: Service[]; endpointSlices?: EndpointSlice[]; namespaces?: Array<Namespace | string> }): DnsCatalog {
  const svcs = new Map<string, Service>();
  const byIP = new Map<string, Service[]>();
  for (const s of objs.services ?? []) {
    svcs.set(`${s.metadata?.namespace ?? 'default'}/${s.metadata?.name}`, s);
    for (const ip of clusterIPsOf(s)) byIP.set(ip, [...(byIP.get(ip) ?? []), s]);
  }
  const slices = new Map<string, EndpointSlice[]>();
  const byAddr = new Map<string, EndpointSlice[]>();
  for (const s of objs.endpointSlices ?? []) {
    for (const k of catalogIndexers.endpointSlices.service(s)) slices.set(k, [...(slices.get(k) ?? []), s]);
    for (const a of new Set(catalogIndexers.endpointSlices.address(s))) byAddr.set(a, [...(byAddr.get(a) ?? []), s]);
  }
  const nss = new Set((objs.namespaces ?? []).map((n) => (typeof n === 'string' ? n : n.metadata?.name ?? '')));
  return {
    service: (ns, name) => svcs.get(`${ns}/${name}`),
    endpointSlices: (ns, name) => slices.get(`${ns}/${name}`) ?? [],
    hasNamespace: (ns) => nss.has(ns),
    servicesByClusterIP: (ip) => byIP.get(ip) ?? [],
    endpointSlicesByAddress: (ip) => byAddr.get(ip) ?? [],
    generation: () => 0,
  };
}

/** A live view over informer caches that carry catalogIndexers; generation counts their events per scope. */
export function informerCatalog(
  c: { services: ReadonlyIndexer<Service>; endpointSlices: ReadonlyIndexer<EndpointSlice>; namespaces: ReadonlyIndexer<Namespace> },
  generation: (scope: string) => number,
): DnsCatalog {
  return {
    service: (ns, name) => c.services.get(`${ns}/${name}`),
    endpointSlices: (ns, name) => c.endpointSlices.byIndex('service', `${ns}/${name}`),
    hasNamespace: (ns) => c.namespaces.has(ns),
    servicesByClusterIP: (ip) => c.services.byIndex('clusterIP', ip),
    endpointSlicesByAddress: (ip) => c.endpointSlices.byIndex('address', ip),
    generation,
  };
}
