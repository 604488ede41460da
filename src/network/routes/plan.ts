// Which routes a node needs so that its pods reach pods on other nodes (the job of flannel's host-gw backend
// or the cloud route controller upstream): for every other node with a spec.podCIDR and an InternalIP, a
// route to that pod CIDR via that node's address. Nodes reached through a local or loopback address (several
// nodes of one host share its network) need none. Pure.
import type { Node } from 'kubernetes-types/core/v1.js';
import { parseIpv4Cidr } from '../service-cidr.js';

export interface PodRoute {
  /** Destination: the other node's pod CIDR (canonical text). */
  dest: string;
  /** Next hop: the other node's InternalIP. */
  via: string;
  /** The node the route leads to (for messages). */
  node: string;
}

export function routeKey(r: Pick<PodRoute, 'dest' | 'via'>): string {
  return `${r.dest} via ${r.via}`;
}

function internalIPv4(node: Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP' && /^\d+\.\d+\.\d+\.\d+$/.test(a.address))?.address;
}

/**
 * The routes this node wants, sorted by destination. selfName: this node; localIPs: addresses of this node's
 * network namespace. A pod CIDR claimed by two nodes (should not happen) goes to the first by name.
 */
export function planPodRoutes(nodes: readonly Node[], selfName: string, localIPs: readonly string[]): PodRoute[] {
  const local = new Set(localIPs);
  const byDest = new Map<string, PodRoute>();
  for (const n of [...nodes].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))) {
    const name = n.metadata?.name ?? '';
    if (name === selfName || n.metadata?.deletionTimestamp) continue;
    const via = internalIPv4(n);
    const cidrs = n.spec?.podCIDRs?.length ? n.spec.podCIDRs : n.spec?.podCIDR ? [n.spec.podCIDR] : [];
    if (!via || local.has(via) || via.startsWith('127.')) continue;
    for (const text of cidrs) {
      const c = parseIpv4Cidr(text);
      if (typeof c === 'string' || byDest.has(c.text)) continue;
      byDest.set(c.text, { dest: c.text, via, node: name });
    }
  }
  return [...byDest.values()].sort((a, b) => a.dest.localeCompare(b.dest));
}

export interface RouteChanges {
  /** Routes to install (new, or a destination whose next hop changed: `ip route replace`). */
  put: PodRoute[];
  /** Destinations no longer wanted. */
  remove: Pick<PodRoute, 'dest' | 'via'>[];
}

/** What to change so that the installed routes become the wanted ones. */
export function diffPodRoutes(installed: readonly Pick<PodRoute, 'dest' | 'via'>[], wanted: readonly PodRoute[]): RouteChanges {
  const have = new Map(installed.map((r) => [r.dest, r]));
  const want = new Map(wanted.map((r) => [r.dest, r]));
  return {
    put: wanted.filter((r) => have.get(r.dest)?.via !== r.via),
    remove: installed.filter((r) => !want.has(r.dest)),
  };
}

/** nftables table of a node's pod-route rules (identifiers: letters, digits, underscore). */
export function podRoutesTable(nodeName: string): string {
  return `skiff_routes_${nodeName.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/**
 * Keeps pod addresses across nodes: traffic from this node's pod CIDR to another node's pod CIDR gets an
 * identity source NAT before the runtime's pod-egress masquerade (a later srcnat chain), which then leaves it
 * alone, because the first NAT binding made on a connection wins. A transaction that (re)creates the table.
 */
export function podRoutesRuleset(table: string, ownPodCIDR: string | undefined, peers: readonly string[]): string {
  const lines = [`table ip ${table} {}`, `delete table ip ${table}`, `table ip ${table} {`, '  chain keep-pod-source {', '    type nat hook postrouting priority srcnat - 10; policy accept;'];
  if (ownPodCIDR && peers.length) lines.push(`    ip saddr ${ownPodCIDR} ip daddr { ${peers.join(', ')} } snat to ip saddr`);
  lines.push('  }', '}', '');
  return lines.join('\n');
}
