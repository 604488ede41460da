// Pure EndpointSlice decisions (upstream pkg/controller/endpointslice reconciler, simplified): the endpoints
// a Service should have grouped by resolved port set, and a plan that keeps existing slices where possible
// (an endpoint stays in the slice it is in), fills free room, creates new slices of at most maxEndpoints,
// deletes empty ones, and keeps one placeholder slice when the Service has no endpoints at all.
import type { EndpointPort, EndpointSlice, Endpoint } from 'kubernetes-types/discovery/v1.js';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { endpointConditions, endpointHostname, findPort, podIP, podRef, shouldPodBeInEndpoints } from '../endpoints/pod-endpoints.js';

export const serviceNameLabel = 'kubernetes.io/service-name';
export const managedByLabel = 'endpointslice.kubernetes.io/managed-by';
export const controllerName = 'endpointslice-controller.k8s.io';
export const defaultMaxEndpointsPerSlice = 100;

export function portSetKey(ports: EndpointPort[]): string {
  return ports
    .map((p) => `${p.name ?? ''}/${p.port ?? ''}/${p.protocol ?? 'TCP'}/${p.appProtocol ?? ''}`)
    .sort()
    .join(',');
}

export interface EndpointGroup {
  ports: EndpointPort[];
  endpoints: Endpoint[];
}

/** The endpoint for each pod, grouped by the ports resolved on that pod. */
export function desiredEndpointGroups(svc: Service, pods: Pod[]): Map<string, EndpointGroup> {
  const publish = svc.spec?.publishNotReadyAddresses === true;
  const groups = new Map<string, EndpointGroup>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports: EndpointPort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const n = findPort(pod, sp);
      if (n === undefined) continue;
      const p: EndpointPort = { name: sp.name ?? '', port: n, protocol: sp.protocol ?? 'TCP' };
      if (sp.appProtocol) p.appProtocol = sp.appProtocol;
      ports.push(p);
    }
    const ep: Endpoint = { addresses: [podIP(pod)!], conditions: endpointConditions(pod, publish), targetRef: podRef(pod) };
    if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
    const hostname = endpointHostname(pod, svc);
    if (hostname) ep.hostname = hostname;
    const key = portSetKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: [] }));
    g.endpoints.push(ep);
  }
  return groups;
}

/** Identity of an endpoint across syncs: the pod it stands for (or its address). */
export function endpointKey(ep: Endpoint): string {
  return ep.targetRef?.uid ?? ep.targetRef?.name ?? ep.addresses.join(',');
}

export interface SlicePlan {
  /** New slices: ports and endpoints (metadata is added by the caller). */
  create: EndpointGroup[];
  /** Existing slices with new content (only those that differ). */
  update: { slice: EndpointSlice; ports: EndpointPort[]; endpoints: Endpoint[] }[];
  delete: EndpointSlice[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const byKey = (a: Endpoint, b: Endpoint) => (endpointKey(a) < endpointKey(b) ? -1 : endpointKey(a) > endpointKey(b) ? 1 : 0);

export function planSlices(existing: EndpointSlice[], desired: Map<string, EndpointGroup>, maxEndpoints = defaultMaxEndpointsPerSlice): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const totalDesired = [...desired.values()].reduce((n, g) => n + g.endpoints.length, 0);
  const sorted = [...existing].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  if (totalDesired === 0) {
    // One placeholder slice (no ports, no endpoints) stands for the Service.
    const [keep, ...rest] = sorted;
    if (keep) {
      if ((keep.endpoints ?? []).length || (keep.ports ?? []).length) plan.update.push({ slice: keep, ports: [], endpoints: [] });
    } else plan.create.push({ ports: [], endpoints: [] });
    plan.delete.push(...rest);
    return plan;
  }
  const usedSlices = new Set<EndpointSlice>();
  for (const [key, group] of desired) {
    const want = new Map(group.endpoints.map((e) => [endpointKey(e), e]));
    const placed = new Set<string>();
    const slices = sorted.filter((s) => portSetKey(s.ports ?? []) === key && (s.endpoints ?? []).length <= maxEndpoints);
    const content = new Map<EndpointSlice, Endpoint[]>();
    for (const s of slices) {
      const eps: Endpoint[] = [];
      for (const old of s.endpoints ?? []) {
        const k = endpointKey(old);
        const e = want.get(k);
        if (e && !placed.has(k)) {
          eps.push(e);
          placed.add(k);
        }
      }
      content.set(s, eps);
    }
    const rest = group.endpoints.filter((e) => !placed.has(endpointKey(e))).sort(byKey);
    for (const s of slices) {
      const eps = content.get(s)!;
      // Only fill slices that keep something; empty ones are deleted instead of refilled.
      while (eps.length > 0 && eps.length < maxEndpoints && rest.length) eps.push(rest.shift()!);
    }
    for (const s of slices) {
      const eps = content.get(s)!;
      if (eps.length === 0 && rest.length) eps.push(...rest.splice(0, maxEndpoints));
      if (eps.length === 0) continue;
      usedSlices.add(s);
      if (!same(s.endpoints ?? [], eps) || !same(s.ports ?? [], group.ports)) plan.update.push({ slice: s, ports: group.ports, endpoints: eps });
    }
    while (rest.length) plan.create.push({ ports: group.ports, endpoints: rest.splice(0, maxEndpoints) });
  }
  for (const s of sorted) if (!usedSlices.has(s)) plan.delete.push(s);
  return plan;
}
