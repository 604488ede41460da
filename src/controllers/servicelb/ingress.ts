// Which addresses a LoadBalancer Service gets in status.loadBalancer.ingress, as k3s's servicelb decides:
// the nodes' own addresses (ExternalIP when a node has one, else InternalIP) of every Ready node — or only
// of nodes labelled svccontroller.k3s.cattle.io/enablelb=true when any node carries that label — in the
// Service's IP families, sorted. The node service proxies route those addresses (and the NodePort) to the
// Service. Services with a spec.loadBalancerClass belong to another implementation; Services that are no
// longer of type LoadBalancer lose the addresses. Pure.
import { isIPv4, isIPv6 } from 'node:net';
import type { LoadBalancerIngress, Node, Service } from 'kubernetes-types/core/v1.js';

export const enableLBLabel = 'svccontroller.k3s.cattle.io/enablelb';

/** The ingress list the Service should have, or undefined when this controller must not touch it. */
export function desiredIngress(svc: Service, nodes: Node[]): LoadBalancerIngress[] | undefined {
  const isLB = svc.spec?.type === 'LoadBalancer';
  if (isLB && svc.spec?.loadBalancerClass) return undefined;
  if (!isLB) return svc.status?.loadBalancer?.ingress?.length ? [] : undefined;
  const families = svc.spec?.ipFamilies?.length ? svc.spec.ipFamilies : ['IPv4'];
  const labelled = nodes.filter((n) => n.metadata?.labels?.[enableLBLabel] === 'true');
  const pool = (labelled.length ? labelled : nodes).filter(isReady);
  const ips = new Set<string>();
  for (const n of pool) {
    for (const fam of families) {
      const ok = fam === 'IPv6' ? isIPv6 : isIPv4;
      const addrs = n.status?.addresses ?? [];
      const pick = addrs.find((a) => a.type === 'ExternalIP' && ok(a.address)) ?? addrs.find((a) => a.type === 'InternalIP' && ok(a.address));
      if (pick) ips.add(pick.address);
    }
  }
  return [...ips].sort(compareIPs).map((ip) => ({ ip }));
}

function isReady(n: Node): boolean {
  return (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function compareIPs(a: string, b: string): number {
  const key = (ip: string) => (isIPv4(ip) ? ip.split('.').map((x) => x.padStart(3, '0')).join('.') : `~${ip}`);
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

export function sameIngress(a: LoadBalancerIngress[] | undefined, b: LoadBalancerIngress[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v.ip === y[i]!.ip && v.hostname === y[i]!.hostname);
}
