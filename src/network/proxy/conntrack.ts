// Stale UDP flows, cleared as kube-proxy does after a sync (pkg/proxy/conntrack): UDP has no connection to
// close, so a conntrack entry made for a Service address keeps sending a client's packets to the endpoint it
// was first DNATed to, even after that endpoint is gone. After the data path is updated:
//   - an endpoint no longer used by a UDP Service port: delete the flows to each of its virtual addresses
//     (cluster, external, load-balancer IPs) and to its NodePort that were DNATed to that endpoint;
//   - a UDP Service port that had no endpoints and now has some, or that is gone: delete every flow to its
//     virtual addresses and NodePort (packets sent meanwhile may have made entries that lead nowhere).
// staleUdpFlows is pure; clearStaleFlows runs the `conntrack` tool (conntrack-tools) in the proxy's netns.
import { HostCommandError, runHostCommand } from './host-command.js';
import { familyOf, type ServicePortRoute } from './service-ports.js';

export interface ConntrackDeletion {
  family: 4 | 6;
  /** Flows whose original destination is this address, or (nodePort) whose original destination port is this. */
  origDst?: string;
  origDstPort?: number;
  /** Only those DNATed to this endpoint address; absent = every such flow. */
  dnatTo?: string;
}

const endpointIPs = (r: ServicePortRoute | undefined): Set<string> => new Set(r ? [...r.clusterEndpoints, ...r.localEndpoints].map((e) => e.ip) : []);
const hasEndpoints = (r: ServicePortRoute | undefined): boolean => endpointIPs(r).size > 0;

/** The deletions due when a set of Services' routes changes from `before` to `after` (other routes untouched). */
export function staleUdpFlows(before: ServicePortRoute[], after: ServicePortRoute[]): ConntrackDeletion[] {
  const out = new Map<string, ConntrackDeletion>();
  const add = (d: ConntrackDeletion) => out.set(JSON.stringify(d), d);
  const afterById = new Map(after.filter((r) => r.protocol === 'udp').map((r) => [r.id, r]));
  const beforeById = new Map(before.filter((r) => r.protocol === 'udp').map((r) => [r.id, r]));
  const virtual = (r: ServicePortRoute) => [...r.clusterIPs, ...r.externalIPs];
  for (const [id, old] of beforeById) {
    const now = afterById.get(id);
    if (!now) {
      for (const ip of virtual(old)) add({ family: old.family, origDst: ip });
      if (old.nodePort) add({ family: old.family, origDstPort: old.nodePort });
      continue;
    }
    const kept = endpointIPs(now);
    for (const ep of endpointIPs(old)) {
      if (kept.has(ep) || familyOf(ep) !== old.family) continue;
      for (const ip of virtual(old)) add({ family: old.family, origDst: ip, dnatTo: ep });
      if (old.nodePort) add({ family: old.family, origDstPort: old.nodePort, dnatTo: ep });
    }
  }
  for (const [id, now] of afterById) {
    if (hasEndpoints(beforeById.get(id)) || !hasEndpoints(now)) continue;
    for (const ip of virtual(now)) add({ family: now.family, origDst: ip });
    if (now.nodePort) add({ family: now.family, origDstPort: now.nodePort });
  }
  return [...out.values()];
}

export function conntrackArgs(d: ConntrackDeletion): string[] {
  const args = ['-D', '-f', d.family === 6 ? 'ipv6' : 'ipv4', '-p', 'udp'];
  if (d.origDst) args.push('--orig-dst', d.origDst);
  if (d.origDstPort) args.push('--orig-port-dst', String(d.origDstPort));
  if (d.dnatTo) args.push('--dst-nat', d.dnatTo);
  return args;
}

/** Runs the deletions (a few at a time); "0 flow entries have been deleted" is success. */
export async function clearStaleFlows(deletions: ConntrackDeletion[], netns?: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < deletions.length) {
      const d = deletions[next++]!;
      try {
        await runHostCommand('conntrack', conntrackArgs(d), { netns, timeoutMs: 10_000 });
      } catch (e) {
        if (!(e instanceof HostCommandError && /0 flow entries/.test(e.stderr))) throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, deletions.length) }, worker));
}
