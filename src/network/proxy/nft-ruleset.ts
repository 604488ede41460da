// The nftables rule set for the service routes, shaped like kube-proxy's nftables mode: verdict maps from
// (address . protocol . port) to one chain per Service port, which DNATs through a numgen-indexed map of
// endpoints (one rule, however many endpoints); ClientIP affinity adds one chain and one dynamic set with a
// timeout per endpoint; a mark for masquerading (external traffic, off-cluster clients), a set of
// (endpoint . endpoint) pairs for hairpin traffic, and reject/drop maps for Services without usable
// endpoints. Everything lives in one table per Skiff instance (`ip <table>`), so concurrent
// clusters never touch each other's rules. Pure: produces text for `nft -f -`; diffing two rule sets gives
// an incremental transaction that only rewrites what changed (affinity state survives updates).
import { createHash } from 'node:crypto';
import { routePlan, type ProxyEndpoint, type ServicePortRoute } from './service-ports.js';

export interface NftConfig {
  table: string;
  /** The pod network (e.g. 10.42.0.0/16): traffic from elsewhere to a cluster IP is masqueraded. */
  clusterCIDR?: string;
  /** Masquerade all traffic to cluster IPs (kube-proxy --masquerade-all). */
  masqueradeAll?: boolean;
  /** NodePorts on 127.0.0.1 too (needs net.ipv4.conf.all.route_localnet=1, as kube-proxy's iptables mode). */
  localhostNodePorts?: boolean;
  balance?: 'random' | 'round-robin';
  /** The packet-mark bit for masquerading (default 0x4000, as kube-proxy). */
  masqueradeBit?: number;
}

/** Maps (key → verdict) and the hairpin set (key → '', no value). */
export type MapName = 'service-ips' | 'service-nodeports' | 'no-endpoint-services' | 'no-endpoint-nodeports' | 'hairpin';
export const mapNames: MapName[] = ['service-ips', 'service-nodeports', 'no-endpoint-services', 'no-endpoint-nodeports', 'hairpin'];

/** The dynamic part of the table: what changes with Services and endpoints. */
export interface NftRuleset {
  /** chain name → its rules, in order. */
  chains: Map<string, string[]>;
  /** affinity set name → its declaration. */
  sets: Map<string, string>;
  maps: Record<MapName, Map<string, string>>;
}

const hash = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 8).replace(/[-_]/g, 'x');

function baseName(r: ServicePortRoute): string {
  return `${r.namespace}/${r.name}/${r.protocol}/${r.portName || r.port}`;
}
export const chainNames = {
  service: (r: ServicePortRoute) => `svc-${hash(r.id)}-${baseName(r)}`,
  local: (r: ServicePortRoute) => `local-${hash(r.id)}-${baseName(r)}`,
  external: (r: ServicePortRoute) => `ext-${hash(r.id)}-${baseName(r)}`,
  endpoint: (r: ServicePortRoute, e: ProxyEndpoint) => `ep-${hash(`${r.id}|${e.ip}:${e.port}`)}-${baseName(r)}__${e.ip}/${e.port}`,
  affinity: (r: ServicePortRoute, e: ProxyEndpoint) => `aff-${hash(`${r.id}|${e.ip}:${e.port}|${r.affinitySeconds}`)}`,
};

export function emptyRuleset(): NftRuleset {
  return {
    chains: new Map(),
    sets: new Map(),
    maps: { 'service-ips': new Map(), 'service-nodeports': new Map(), 'no-endpoint-services': new Map(), 'no-endpoint-nodeports': new Map(), hairpin: new Map() },
  };
}

const markBit = (cfg: NftConfig) => `0x${(cfg.masqueradeBit ?? 0x4000).toString(16)}`;

/** The static skeleton: maps, base chains and helper chains. Created on a full sync only. */
export function tableSkeleton(cfg: NftConfig): string {
  const t = cfg.table;
  const nodePortMatch = cfg.localhostNodePorts ? 'fib daddr type local' : 'fib daddr type local ip daddr != 127.0.0.0/8';
  const lines = [
    `table ip ${t} {`,
    `  map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }`,
    `  map service-nodeports { type inet_proto . inet_service : verdict; }`,
    `  map no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict; }`,
    `  map no-endpoint-nodeports { type inet_proto . inet_service : verdict; }`,
    `  set hairpin { type ipv4_addr . ipv4_addr; }`,
    `  chain reject-chain { reject; }`,
    `  chain mark-for-masquerade { meta mark set meta mark or ${markBit(cfg)}; }`,
    `  chain masquerading {`,
    // A pod reaching itself through its Service: the reply must come back through the node.
    `    ct status dnat ip saddr . ip daddr @hairpin masquerade fully-random`,
    `    meta mark & ${markBit(cfg)} == 0 return`,
    `    meta mark set meta mark xor ${markBit(cfg)}`,
    `    masquerade fully-random`,
    `  }`,
    `  chain services {`,
    `    ip daddr . meta l4proto . th dport vmap @service-ips`,
    `    ${nodePortMatch} meta l4proto . th dport vmap @service-nodeports`,
    `  }`,
    `  chain endpoints-check {`,
    `    ip daddr . meta l4proto . th dport vmap @no-endpoint-services`,
    `    ${nodePortMatch} meta l4proto . th dport vmap @no-endpoint-nodeports`,
    `  }`,
    `  chain nat-prerouting { type nat hook prerouting priority dstnat; policy accept; jump services; }`,
    `  chain nat-output { type nat hook output priority -100; policy accept; jump services; }`,
    `  chain nat-postrouting { type nat hook postrouting priority srcnat; policy accept; jump masquerading; }`,
    `  chain filter-input {`,
    `    type filter hook input priority -10; policy accept;`,
    `    ct state new jump endpoints-check`,
    // Localhost NodePorts open 127/8 to routing; drop martians from outside as kube-proxy does.
    ...(cfg.localhostNodePorts ? [`    ip daddr 127.0.0.0/8 ip saddr != 127.0.0.0/8 ct state != { established, related } ct status & dnat == 0 drop`] : []),
    `  }`,
    `  chain filter-forward { type filter hook forward priority -10; policy accept; ct state new jump endpoints-check; }`,
    `  chain filter-output { type filter hook output priority -10; policy accept; ct state new jump endpoints-check; }`,
    `}`,
  ];
  return lines.join('\n') + '\n';
}

/**
 * The dynamic rules for a set of routes. With a cache, the fragment of a route object seen before is reused
 * (the proxy hands over the same objects for Services that did not change), so a sync costs little more
 * than merging.
 */
export function buildRuleset(cfg: NftConfig, routes: ServicePortRoute[], cache?: WeakMap<ServicePortRoute, NftRuleset>): NftRuleset {
  const rs = emptyRuleset();
  for (const r of routes) {
    if (r.family !== 4) continue;
    let frag = cache?.get(r);
    if (!frag) {
      frag = routeFragment(cfg, r);
      cache?.set(r, frag);
    }
    for (const [k, v] of frag.chains) rs.chains.set(k, v);
    for (const [k, v] of frag.sets) rs.sets.set(k, v);
    for (const m of mapNames) for (const [k, v] of frag.maps[m]) rs.maps[m].set(k, v);
  }
  return rs;
}

/** The chains, sets and map elements of one route. */
function routeFragment(cfg: NftConfig, r: ServicePortRoute): NftRuleset {
  const rs = emptyRuleset();
  const numgen = cfg.balance === 'round-robin' ? 'numgen inc' : 'numgen random';
  const proto = r.protocol;
  const endpointChain = (e: ProxyEndpoint) => {
    const name = chainNames.endpoint(r, e);
    if (rs.chains.has(name)) return name;
    const set = chainNames.affinity(r, e);
    rs.sets.set(set, `{ type ipv4_addr; flags dynamic,timeout; timeout ${r.affinitySeconds}s; }`);
    rs.chains.set(name, [`update @${set} { ip saddr }`, `meta l4proto ${proto} dnat to ${e.ip}:${e.port}`]);
    return name;
  };
  const balance = (eps: ProxyEndpoint[]): string[] => {
    for (const e of eps) rs.maps.hairpin.set(`${e.ip} . ${e.ip}`, '');
    if (r.affinitySeconds > 0) {
      const names = eps.map(endpointChain);
      return [
        ...eps.map((e, i) => `ip saddr @${chainNames.affinity(r, e)} goto ${names[i]}`),
        `${numgen} mod ${names.length} vmap { ${names.map((n, i) => `${i} : goto ${n}`).join(', ')} }`,
      ];
    }
    if (eps.length === 1) return [`meta l4proto ${proto} dnat to ${eps[0]!.ip}:${eps[0]!.port}`];
    return [`meta l4proto ${proto} dnat ip to ${numgen} mod ${eps.length} map { ${eps.map((e, i) => `${i} : ${e.ip} . ${e.port}`).join(', ')} }`];
  };
  const masqCond = cfg.masqueradeAll ? '' : cfg.clusterCIDR ? ` ip saddr != ${cfg.clusterCIDR}` : undefined;
  const masqForVIP = masqCond === undefined ? [] : r.clusterIPs.map((vip) => `ip daddr ${vip} ${proto} dport ${r.port}${masqCond} jump mark-for-masquerade`);

  const plan = routePlan(r);
  const svcChain = plan.cluster ? chainNames.service(r) : undefined;
  const localChain = plan.local ? chainNames.local(r) : undefined;
  if (plan.cluster) rs.chains.set(svcChain!, [...(plan.internal === 'cluster' ? masqForVIP : []), ...balance(plan.cluster)]);
  if (plan.local) rs.chains.set(localChain!, [...(plan.internal === 'local' ? masqForVIP : []), ...balance(plan.local)]);
  const verdict = (to: 'cluster' | 'local' | 'drop' | 'reject', chain?: string) =>
    to === 'drop' ? 'drop' : to === 'reject' ? 'goto reject-chain' : `goto ${chain}`;

  const internalTarget = plan.internal === 'cluster' ? svcChain : plan.internal === 'local' ? localChain : undefined;
  for (const vip of r.clusterIPs) {
    const key = `${vip} . ${proto} . ${r.port}`;
    if (internalTarget) rs.maps['service-ips'].set(key, `goto ${internalTarget}`);
    else rs.maps['no-endpoint-services'].set(key, verdict(plan.internal));
  }

  if (!plan.external) return rs;
  let extChain: string | undefined;
  if (plan.external === 'cluster') {
    extChain = chainNames.external(r);
    rs.chains.set(extChain, ['jump mark-for-masquerade', `goto ${svcChain}`]);
  } else if (plan.external === 'local') {
    extChain = chainNames.external(r);
    const rules: string[] = [];
    if (svcChain) {
      // Pods and the node itself reach the Service as cluster traffic; only outside clients keep their
      // source address and stay on this node's endpoints.
      if (cfg.clusterCIDR) rules.push(`ip saddr ${cfg.clusterCIDR} goto ${svcChain}`);
      rules.push('fib saddr type local jump mark-for-masquerade', `fib saddr type local goto ${svcChain}`);
    }
    rules.push(localChain ? `goto ${localChain}` : 'drop');
    rs.chains.set(extChain, rules);
  }
  for (const ip of r.externalIPs) {
    const key = `${ip} . ${proto} . ${r.port}`;
    if (extChain) rs.maps['service-ips'].set(key, `goto ${extChain}`);
    else rs.maps['no-endpoint-services'].set(key, verdict(plan.external));
  }
  if (r.nodePort) {
    const key = `${proto} . ${r.nodePort}`;
    if (extChain) rs.maps['service-nodeports'].set(key, `goto ${extChain}`);
    else rs.maps['no-endpoint-nodeports'].set(key, verdict(plan.external));
  }
  return rs;
}

/** A transaction that replaces the whole table (first sync, or after a failed one). */
export function fullTransaction(cfg: NftConfig, rs: NftRuleset): string {
  const t = cfg.table;
  const out = [`add table ip ${t}`, `delete table ip ${t}`, tableSkeleton(cfg)];
  for (const [name, decl] of rs.sets) out.push(`add set ip ${t} ${name} ${decl}`);
  for (const name of rs.chains.keys()) out.push(`add chain ip ${t} ${name}`);
  for (const [name, rules] of rs.chains) for (const rule of rules) out.push(`add rule ip ${t} ${name} ${rule}`);
  for (const m of mapNames) for (const [k, v] of rs.maps[m]) out.push(`add element ip ${t} ${m} { ${element(k, v)} }`);
  return out.join('\n') + '\n';
}

/** The changes from prev to next; empty string when nothing changed. */
export function partialTransaction(cfg: NftConfig, prev: NftRuleset, next: NftRuleset): string {
  const t = cfg.table;
  const out: string[] = [];
  for (const [name, decl] of next.sets) if (!prev.sets.has(name)) out.push(`add set ip ${t} ${name} ${decl}`);
  for (const name of next.chains.keys()) if (!prev.chains.has(name)) out.push(`add chain ip ${t} ${name}`);
  for (const [name, rules] of next.chains) {
    const old = prev.chains.get(name);
    if (old && sameRules(old, rules)) continue;
    if (old) out.push(`flush chain ip ${t} ${name}`);
    for (const rule of rules) out.push(`add rule ip ${t} ${name} ${rule}`);
  }
  for (const m of mapNames) {
    const a = prev.maps[m];
    const b = next.maps[m];
    for (const [k, v] of a) if (b.get(k) !== v) out.push(`delete element ip ${t} ${m} { ${k} }`);
    for (const [k, v] of b) if (a.get(k) !== v) out.push(`add element ip ${t} ${m} { ${element(k, v)} }`);
  }
  const gone = [...prev.chains.keys()].filter((n) => !next.chains.has(n));
  for (const name of gone) out.push(`flush chain ip ${t} ${name}`);
  for (const name of gone) out.push(`delete chain ip ${t} ${name}`);
  for (const name of prev.sets.keys()) if (!next.sets.has(name)) out.push(`delete set ip ${t} ${name}`);
  return out.length ? out.join('\n') + '\n' : '';
}

/** A map element (key : value) or a set element (key alone). */
const element = (k: string, v: string) => (v ? `${k} : ${v}` : k);

function sameRules(a: string[], b: string[]): boolean {
  return a === b || a.length === b.length && a.every((x, i) => x === b[i]);
}
