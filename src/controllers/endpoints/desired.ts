// The Endpoints object a Service should have (pure; upstream endpoints controller syncService +
// RepackSubsets): ready pods in `addresses`, the rest in `notReadyAddresses`, one subset per distinct set of
// resolved ports, addresses sorted by IP, capped at 1000 addresses with the over-capacity annotation.
import type { EndpointAddress, EndpointPort, EndpointSubset, Pod, Service } from 'kubernetes-types/core/v1.js';
import { endpointHostname, findPort, isHeadless, isPodReady, podIP, podRef, shouldPodBeInEndpoints } from './pod-endpoints.js';

export const maxEndpointsPerObject = 1000;
export const overCapacityAnnotation = 'endpoints.kubernetes.io/over-capacity';

interface Entry {
  addr: EndpointAddress;
  ready: boolean;
  ports: EndpointPort[];
}

const portKey = (ports: EndpointPort[]) =>
  ports
    .map((p) => `${p.name ?? ''}/${p.port}/${p.protocol ?? 'TCP'}/${p.appProtocol ?? ''}`)
    .sort()
    .join(',');

const ipOrder = (a: EndpointAddress, b: EndpointAddress) => {
  const na = a.ip.split('.').map(Number);
  const nb = b.ip.split('.').map(Number);
  for (let i = 0; i < Math.max(na.length, nb.length); i++) {
    const d = (na[i] ?? 0) - (nb[i] ?? 0);
    if (d) return d;
  }
  return a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : (a.targetRef?.name ?? '').localeCompare(b.targetRef?.name ?? '');
};

export interface DesiredEndpoints {
  subsets: EndpointSubset[];
  truncated: boolean;
}

export function desiredEndpoints(svc: Service, pods: Pod[]): DesiredEndpoints {
  const publish = svc.spec?.publishNotReadyAddresses === true;
  const entries: Entry[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publish)) continue;
    const ip = podIP(pod)!;
    const addr: EndpointAddress = { ip, targetRef: podRef(pod) };
    if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
    const hostname = endpointHostname(pod, svc);
    if (hostname) addr.hostname = hostname;
    const ready = publish || isPodReady(pod);
    const svcPorts = svc.spec?.ports ?? [];
    if (svcPorts.length === 0) {
      if (isHeadless(svc)) entries.push({ addr, ready, ports: [] });
      continue;
    }
    const ports: EndpointPort[] = [];
    for (const sp of svcPorts) {
      const n = findPort(pod, sp);
      if (n === undefined) continue;
      const ep: EndpointPort = { port: n, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) ep.name = sp.name;
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      ports.push(ep);
    }
    if (ports.length) entries.push({ addr, ready, ports });
  }

  let truncated = false;
  if (entries.length > maxEndpointsPerObject) {
    truncated = true;
    entries.sort((a, b) => Number(b.ready) - Number(a.ready) || ipOrder(a.addr, b.addr));
    entries.length = maxEndpointsPerObject;
  }

  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const e of entries) {
    const k = portKey(e.ports);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { ports: [...e.ports].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port), ready: [], notReady: [] }));
    (e.ready ? g.ready : g.notReady).push(e.addr);
  }
  const subsets: EndpointSubset[] = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => {
      const s: EndpointSubset = {};
      if (g.ready.length) s.addresses = g.ready.sort(ipOrder);
      if (g.notReady.length) s.notReadyAddresses = g.notReady.sort(ipOrder);
      if (g.ports.length) s.ports = g.ports;
      return s;
    });
  return { subsets, truncated };
}
