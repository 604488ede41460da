// What the service proxy must route, computed from Services and EndpointSlices: one entry per (Service,
// port, IP family) with its virtual addresses (cluster IPs, NodePort, external and load-balancer IPs) and
// the endpoints each kind of traffic may use, chosen as kube-proxy's CategorizeEndpoints does:
//   cluster traffic → ready endpoints; none ready → serving-and-terminating ones;
//   Local policies  → this node's ready endpoints; none → this node's serving-and-terminating ones.
// Named target ports resolve through the EndpointSlice's port names. Headless and ExternalName Services
// route nothing. Pure; the data-path renderers (nftables, iptables, userspace) consume the result.
import { isIPv4, isIPv6 } from 'node:net';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointSlice } from 'kubernetes-types/discovery/v1.js';

export type L4Protocol = 'tcp' | 'udp' | 'sctp';
export type IPFamily = 4 | 6;

export interface ProxyEndpoint {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** On the proxy's node. */
  local: boolean;
}

export interface ServicePortRoute {
  /** "namespace/name:portName" (port number when unnamed) + "/tcp" — stable across updates. */
  id: string;
  namespace: string;
  name: string;
  portName: string;
  protocol: L4Protocol;
  family: IPFamily;
  clusterIPs: string[];
  port: number;
  /** 0 = none. */
  nodePort: number;
  /** spec.externalIPs and status.loadBalancer.ingress[].ip of this family. */
  externalIPs: string[];
  /** ClientIP affinity timeout in seconds; 0 = no affinity. */
  affinitySeconds: number;
  internalLocal: boolean;
  /** externalTrafficPolicy Local on an externally reachable port. */
  externalLocal: boolean;
  /** Endpoints for traffic using the cluster policy (in a stable order). */
  clusterEndpoints: ProxyEndpoint[];
  /** This node's usable endpoints (for Local policies). */
  localEndpoints: ProxyEndpoint[];
  /** Whether any usable endpoint exists anywhere (false → reject instead of dropping silently). */
  hasAnyEndpoints: boolean;
}

const serviceNameLabel = 'kubernetes.io/service-name';
const defaultAffinitySeconds = 10800;

export function familyOf(ip: string): IPFamily | undefined {
  return isIPv4(ip) ? 4 : isIPv6(ip) ? 6 : undefined;
}

/** Whether a Service is routed by the proxy at all. */
export function isProxied(svc: Service): boolean {
  const t = svc.spec?.type ?? 'ClusterIP';
  if (t === 'ExternalName') return false;
  const ips = svc.spec?.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec?.clusterIP ? [svc.spec.clusterIP] : [];
  return ips.some((ip) => ip && ip !== 'None');
}

/** "namespace/service" of the Service an EndpointSlice belongs to, or undefined. */
export function sliceServiceKey(s: EndpointSlice): string | undefined {
  const svc = s.metadata?.labels?.[serviceNameLabel];
  return svc && s.metadata?.namespace ? `${s.metadata.namespace}/${svc}` : undefined;
}

const isReady = (e: Endpoint) => e.conditions?.ready !== false;
const isServing = (e: Endpoint) => (e.conditions?.serving ?? isReady(e)) !== false;
const isTerminating = (e: Endpoint) => e.conditions?.terminating === true;

/** The routes of one Service for this node. */
export function serviceRoutes(svc: Service, slices: EndpointSlice[], nodeName: string): ServicePortRoute[] {
  if (!isProxied(svc)) return [];
  const spec = svc.spec!;
  const ns = svc.metadata?.namespace ?? 'default';
  const name = svc.metadata?.name ?? '';
  const clusterIPs = (spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP!]).filter((ip) => ip && ip !== 'None');
  const type = spec.type ?? 'ClusterIP';
  const lbIPs = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => !!ip);
  const external = [...(spec.externalIPs ?? []), ...lbIPs];
  const internalLocal = spec.internalTrafficPolicy === 'Local';
  const affinitySeconds = spec.sessionAffinity === 'ClientIP' ? spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? defaultAffinitySeconds : 0;
  const out: ServicePortRoute[] = [];
  for (const family of [4, 6] as const) {
    const vips = clusterIPs.filter((ip) => familyOf(ip) === family);
    if (vips.length === 0) continue;
    for (const p of spec.ports ?? []) {
      const protocol = (p.protocol ?? 'TCP').toLowerCase() as L4Protocol;
      const portName = p.name ?? '';
      const eps = endpointsFor(slices, family, portName, protocol, nodeName);
      const nodePort = type === 'NodePort' || type === 'LoadBalancer' ? p.nodePort ?? 0 : 0;
      const externalIPs = [...new Set(external.filter((ip) => familyOf(ip) === family))];
      const externallyAccessible = nodePort > 0 || externalIPs.length > 0;
      const externalLocal = externallyAccessible && spec.externalTrafficPolicy === 'Local';
      const route: ServicePortRoute = {
        id: `${ns}/${name}:${portName || p.port}/${protocol}${family === 6 ? '/v6' : ''}`,
        namespace: ns,
        name,
        portName,
        protocol,
        family,
        clusterIPs: vips,
        port: p.port,
        nodePort,
        externalIPs,
        affinitySeconds,
        internalLocal,
        externalLocal,
        ...categorize(eps, { internalLocal, externalLocal, externallyAccessible }),
      };
      out.push(route);
    }
  }
  return out;
}

/** Endpoints of the slices of one family serving the named port (dedupe by ip:port, stable order). */
function endpointsFor(slices: EndpointSlice[], family: IPFamily, portName: string, protocol: L4Protocol, nodeName: string): ProxyEndpoint[] {
  const seen = new Map<string, ProxyEndpoint>();
  const addressType = family === 4 ? 'IPv4' : 'IPv6';
  for (const s of slices) {
    if (s.addressType !== addressType) continue;
    const sp = (s.ports ?? []).find((x) => (x.name ?? '') === portName && (x.protocol ?? 'TCP').toLowerCase() === protocol);
    if (!sp?.port) continue;
    for (const e of s.endpoints ?? []) {
      const ip = e.addresses?.[0];
      if (!ip) continue;
      const key = `${ip}:${sp.port}`;
      if (seen.has(key)) continue;
      seen.set(key, { ip, port: sp.port, ready: isReady(e), serving: isServing(e), terminating: isTerminating(e), local: e.nodeName === nodeName });
    }
  }
  return [...seen.values()].sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
}

/** kube-proxy's CategorizeEndpoints (without topology hints). */
export function categorize(
  eps: ProxyEndpoint[],
  policy: { internalLocal: boolean; externalLocal: boolean; externallyAccessible: boolean },
): { clusterEndpoints: ProxyEndpoint[]; localEndpoints: ProxyEndpoint[]; hasAnyEndpoints: boolean } {
  // Cluster endpoints serve internal traffic under the Cluster policy, and any external traffic (even with
  // externalTrafficPolicy Local, pods and the node itself short-circuit to them).
  const usesCluster = !policy.internalLocal || policy.externallyAccessible;
  const usesLocal = policy.internalLocal || (policy.externalLocal && policy.externallyAccessible);
  let clusterEndpoints: ProxyEndpoint[] = [];
  let hasAnyEndpoints = false;
  if (usesCluster) {
    clusterEndpoints = eps.filter((e) => e.ready);
    if (clusterEndpoints.length === 0) clusterEndpoints = eps.filter((e) => e.serving && e.terminating);
    hasAnyEndpoints = clusterEndpoints.length > 0;
  }
  if (!usesLocal) return { clusterEndpoints, localEndpoints: [], hasAnyEndpoints };
  let localReady = false;
  let localServingTerminating = false;
  for (const e of eps) {
    if (e.ready) {
      hasAnyEndpoints = true;
      if (e.local) localReady = true;
    } else if (e.serving && e.terminating) {
      hasAnyEndpoints = true;
      if (e.local) localServingTerminating = true;
    }
  }
  const localEndpoints = localReady
    ? eps.filter((e) => e.local && e.ready)
    : localServingTerminating
      ? eps.filter((e) => e.local && e.serving && e.terminating)
      : [];
  return { clusterEndpoints, localEndpoints, hasAnyEndpoints };
}

/**
 * Where each kind of traffic of a route goes, shared by the kernel data paths:
 * internal (to cluster IPs) and external (NodePort, external and load-balancer IPs) traffic go to the
 * cluster endpoints, this node's endpoints (Local policies), or nowhere: dropped when endpoints exist
 * elsewhere, rejected when none exist at all.
 */
export interface RoutePlan {
  /** Endpoints behind the cluster-policy chain (absent = no such chain). */
  cluster?: ProxyEndpoint[];
  /** Endpoints behind the local-policy chain. */
  local?: ProxyEndpoint[];
  internal: 'cluster' | 'local' | 'drop' | 'reject';
  /**
   * external traffic: 'cluster' = masquerade, then cluster endpoints; 'local' = externalTrafficPolicy Local
   * (pods and the node itself still use the cluster chain when it exists; others keep their source and
   * go to local endpoints, or are dropped when there are none here); undefined = not externally reachable.
   */
  external?: 'cluster' | 'local' | 'drop' | 'reject';
}

export function routePlan(r: ServicePortRoute): RoutePlan {
  const cluster = r.clusterEndpoints.length ? r.clusterEndpoints : undefined;
  const local = (r.internalLocal || r.externalLocal) && r.localEndpoints.length ? r.localEndpoints : undefined;
  const none = r.hasAnyEndpoints ? 'drop' : 'reject';
  const internal = r.internalLocal ? (local ? 'local' : none) : cluster ? 'cluster' : none;
  const reachable = r.nodePort > 0 || r.externalIPs.length > 0;
  let external: RoutePlan['external'];
  if (reachable) {
    if (!r.externalLocal) external = cluster ? 'cluster' : none;
    else external = cluster || local ? 'local' : none;
  }
  return { cluster, local, internal, external };
}
