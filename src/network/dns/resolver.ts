// Cluster DNS answers as the Kubernetes DNS specification and CoreDNS's kubernetes plugin give them: a
// pure function from (catalog, question) to the records of the answer, or "forward" for names outside the
// cluster zone (and reverse names that are not cluster addresses). The server around it handles packets,
// transports and forwarding; this module must not do I/O.
//
//   <svc>.<ns>.svc.<zone>              A/AAAA: cluster IPs; headless: ready endpoint addresses;
//                                      ExternalName: CNAME; SRV: one record per port (per endpoint if headless)
//   _<port>._<proto>.<svc>.<ns>.svc.<zone>   SRV for a named port
//   <endpoint>.<svc>.<ns>.svc.<zone>   A/AAAA of one endpoint (its hostname, or its address with dashes)
//   <a-b-c-d>.<ns>.pod.<zone>          A of a pod IP (CoreDNS "pods insecure")
//   d.c.b.a.in-addr.arpa               PTR of a cluster IP or endpoint address
// A name that exists without records of the asked type is NODATA (NOERROR, SOA in authority); a name that
// does not exist is NXDOMAIN. Every record has the same TTL (5 s by default, as CoreDNS).
import { isIPv4, isIPv6 } from 'node:net';
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort } from 'kubernetes-types/discovery/v1.js';
import { clusterIPsOf, dnsScopes, type DnsCatalog } from './catalog.js';

export interface ZoneConfig {
  /** Cluster domain, e.g. "cluster.local" (no trailing dot). */
  zone: string;
  ttl: number;
  /** The cluster DNS address(es), answered for ns.dns.<zone>. */
  dnsIPs?: string[];
}

export type RecordData =
  | { type: 'A' | 'AAAA' | 'CNAME' | 'PTR' | 'NS'; data: string }
  | { type: 'SRV'; data: { priority: number; weight: number; port: number; target: string } }
  | { type: 'SOA'; data: { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number } };

export type DnsRecord = RecordData & { name: string; ttl: number };

export type Resolution =
  | {
      kind: 'answer';
      rcode: 'NOERROR' | 'NXDOMAIN';
      answers: DnsRecord[];
      authorities: DnsRecord[];
      additionals: DnsRecord[];
      /** What the answer was read from (dnsScopes): a cached copy holds until that scope changes. */
      scope: string;
    }
  | { kind: 'forward' };

export type QueryType = 'A' | 'AAAA' | 'SRV' | 'CNAME' | 'PTR' | 'SOA' | 'NS' | 'ANY' | string;

/** Lower-cased, without the trailing dot. */
export function canonicalName(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

/** The dashed form CoreDNS uses for addresses as names: 10-42-0-5, fd00--5. */
export function dashedIP(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}

/** Inverse of dashedIP for pod names; undefined when not an IP. */
export function undashIP(label: string): string | undefined {
  const v4 = label.replace(/-/g, '.');
  if (isIPv4(v4)) return v4;
  const v6 = label.replace(/-/g, ':');
  return isIPv6(v6) ? v6 : undefined;
}

const familyOf = (ip: string): 'A' | 'AAAA' | undefined => (isIPv4(ip) ? 'A' : isIPv6(ip) ? 'AAAA' : undefined);

/** Endpoint conditions as CoreDNS reads them: ready unless explicitly false. */
const isReady = (e: Endpoint) => e.conditions?.ready !== false;

export function resolve(catalog: DnsCatalog, cfg: ZoneConfig, qname: string, qtype: QueryType): Resolution {
  const name = canonicalName(qname);
  const zone = canonicalName(cfg.zone);
  const ans = new Answer(cfg, qname);
  if (name.endsWith('.in-addr.arpa') || name.endsWith('.ip6.arpa')) return reverse(catalog, cfg, ans, name, qtype);
  if (name !== zone && !name.endsWith(`.${zone}`)) return { kind: 'forward' };
  const labels = name === zone ? [] : name.slice(0, -(zone.length + 1)).split('.');
  const n = labels.length;

  if (n === 0) {
    if (qtype === 'SOA') ans.add({ type: 'SOA', data: soaData(cfg) });
    else if (qtype === 'NS') {
      ans.add({ type: 'NS', data: `ns.dns.${zone}` });
      for (const ip of cfg.dnsIPs ?? []) ans.extra(`ns.dns.${zone}`, ip);
    }
    return ans.done();
  }
  if (n === 2 && labels[0] === 'ns' && labels[1] === 'dns') {
    for (const ip of cfg.dnsIPs ?? []) ans.address(qtype, ip);
    return ans.done();
  }
  const kind = labels[n - 1];
  if (kind === 'pod') {
    if (n === 1) return ans.done();
    if (n === 2) return ans.from(dnsScopes.namespace(labels[0]!)).answerIf(catalog.hasNamespace(labels[0]!));
    const ip = n === 3 ? undashIP(labels[0]!) : undefined;
    if (!ip) return ans.nxdomain();
    ans.address(qtype, ip);
    return ans.done();
  }
  if (kind !== 'svc') return ans.nxdomain();
  if (n === 1) return ans.done();
  const ns = labels[n - 2]!;
  if (n === 2) return ans.from(dnsScopes.namespace(ns)).answerIf(catalog.hasNamespace(ns));
  ans.from(dnsScopes.service(ns, labels[n - 3]!));
  const svc = catalog.service(ns, labels[n - 3]!);
  if (!svc) return ans.nxdomain();
  const svcName = `${svc.metadata!.name}.${ns}.svc.${zone}`;

  if (svc.spec?.type === 'ExternalName') {
    if (n !== 3 || !svc.spec.externalName) return ans.nxdomain();
    ans.add({ type: 'CNAME', data: canonicalName(svc.spec.externalName) });
    return ans.done();
  }
  const headless = clusterIPsOf(svc).length === 0;
  const endpoints = readyEndpoints(catalog, ns, svc.metadata!.name!);

  if (n === 3) {
    if (qtype === 'SRV') {
      srvRecords(ans, svc, svcName, headless, endpoints, undefined, undefined);
      return ans.done();
    }
    if (headless) {
      if (endpoints.length === 0) return ans.nxdomain();
      for (const ip of new Set(endpoints.map((e) => e.address))) ans.address(qtype, ip);
    } else for (const ip of clusterIPsOf(svc)) ans.address(qtype, ip);
    return ans.done();
  }
  if (n === 4) {
    const matching = endpoints.filter((e) => e.name === labels[0]);
    if (matching.length === 0) return ans.nxdomain();
    for (const ip of new Set(matching.map((e) => e.address))) ans.address(qtype, ip);
    return ans.done();
  }
  if (n === 5 && labels[0]!.startsWith('_') && labels[1]!.startsWith('_')) {
    const found = srvRecords(ans, svc, svcName, headless, endpoints, labels[0]!.slice(1), labels[1]!.slice(1), qtype !== 'SRV');
    return found ? ans.done() : ans.nxdomain();
  }
  return ans.nxdomain();
}

interface ReadyEndpoint {
  /** Its DNS label: hostname, or the dashed address. */
  name: string;
  address: string;
  ports: EndpointPort[];
}

function readyEndpoints(catalog: DnsCatalog, ns: string, svc: string): ReadyEndpoint[] {
  const out: ReadyEndpoint[] = [];
  for (const slice of catalog.endpointSlices(ns, svc)) {
    for (const e of slice.endpoints ?? []) {
      if (!isReady(e)) continue;
      for (const address of e.addresses ?? []) out.push({ name: e.hostname || dashedIP(address), address, ports: slice.ports ?? [] });
    }
  }
  return out;
}

/** Adds SRV records (and the targets' addresses as additionals); returns whether any port matched. */
function srvRecords(ans: Answer, svc: Service, svcName: string, headless: boolean, endpoints: ReadyEndpoint[], portName?: string, proto?: string, countOnly = false): boolean {
  const wanted = (p: { name?: string; protocol?: string }) =>
    (portName === undefined || (p.name ?? '') === portName) && (proto === undefined || (p.protocol ?? 'TCP').toLowerCase() === proto);
  const recs: Array<{ port: number; target: string; ip?: string }> = [];
  if (headless) {
    for (const e of endpoints) for (const p of e.ports) if (wanted(p) && p.port) recs.push({ port: p.port, target: `${e.name}.${svcName}`, ip: e.address });
  } else {
    for (const p of (svc.spec?.ports ?? []) as ServicePort[]) if (wanted(p)) recs.push({ port: p.port, target: svcName });
  }
  if (countOnly || recs.length === 0) return recs.length > 0;
  const weight = Math.floor(100 / recs.length);
  const seen = new Set<string>();
  for (const r of recs) {
    ans.add({ type: 'SRV', data: { priority: 0, weight, port: r.port, target: r.target } });
    if (seen.has(r.target)) continue;
    seen.add(r.target);
    for (const ip of r.ip ? [r.ip] : clusterIPsOf(svc)) ans.extra(r.target, ip);
  }
  return true;
}

function reverse(catalog: DnsCatalog, cfg: ZoneConfig, ans: Answer, name: string, qtype: QueryType): Resolution {
  const ip = ipFromReverse(name);
  if (!ip) return { kind: 'forward' };
  ans.from(dnsScopes.reverse);
  const zone = canonicalName(cfg.zone);
  const targets = new Set<string>();
  for (const s of catalog.servicesByClusterIP(ip)) targets.add(`${s.metadata!.name}.${s.metadata!.namespace}.svc.${zone}`);
  for (const slice of catalog.endpointSlicesByAddress(ip)) {
    const svcName = slice.metadata?.labels?.['kubernetes.io/service-name'];
    const svc = svcName ? catalog.service(slice.metadata!.namespace!, svcName) : undefined;
    if (!svc || clusterIPsOf(svc).length > 0) continue;
    for (const e of slice.endpoints ?? []) {
      if (isReady(e) && e.addresses?.includes(ip)) targets.add(`${e.hostname || dashedIP(ip)}.${svc.metadata!.name}.${svc.metadata!.namespace}.svc.${zone}`);
    }
  }
  if (targets.size === 0) return { kind: 'forward' };
  if (qtype === 'PTR' || qtype === 'ANY') for (const t of targets) ans.add({ type: 'PTR', data: t });
  return ans.done();
}

/** 4.3.2.1.in-addr.arpa → 1.2.3.4; nibble-reversed ip6.arpa → the IPv6 address; partial names → undefined. */
export function ipFromReverse(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4) return undefined;
    const ip = parts.reverse().join('.');
    return isIPv4(ip) ? ip : undefined;
  }
  const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
  if (nibbles.length !== 32 || nibbles.some((x) => !/^[0-9a-f]$/.test(x))) return undefined;
  const hex = nibbles.reverse().join('');
  const ip = hex.match(/.{4}/g)!.join(':');
  // The URL parser prints IPv6 in its canonical compressed form, as the API server stores addresses.
  return isIPv6(ip) ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : undefined;
}

function soaData(cfg: ZoneConfig): Extract<RecordData, { type: 'SOA' }>['data'] {
  const zone = canonicalName(cfg.zone);
  // CoreDNS's SOA for the cluster zone: serial = a timestamp; minimum = the zone TTL.
  return { mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial: Math.floor(Date.now() / 1000), refresh: 7200, retry: 1800, expire: 86400, minimum: cfg.ttl };
}

/** Accumulates one answer. */
class Answer {
  private readonly answers: DnsRecord[] = [];
  private readonly additionals: DnsRecord[] = [];
  /** Names that need no catalog lookup answer the same until the configuration changes. */
  private scope = dnsScopes.zone;
  constructor(
    private readonly cfg: ZoneConfig,
    private readonly qname: string,
  ) {}

  add(r: RecordData): void {
    this.answers.push({ ...r, name: this.qname, ttl: this.cfg.ttl } as DnsRecord);
  }

  /** An address for the asked name if its family matches the query type (ANY takes both). */
  address(qtype: QueryType, ip: string): void {
    const fam = familyOf(ip);
    if (fam && (qtype === fam || qtype === 'ANY')) this.add({ type: fam, data: ip });
  }

  extra(name: string, ip: string): void {
    const fam = familyOf(ip);
    if (fam) this.additionals.push({ type: fam, data: ip, name, ttl: this.cfg.ttl });
  }

  /** The catalog part the rest of the answer depends on. */
  from(scope: string): this {
    this.scope = scope;
    return this;
  }

  done(): Resolution {
    const authorities = this.answers.length ? [] : [this.soa()];
    return { kind: 'answer', rcode: 'NOERROR', answers: this.answers, authorities, additionals: this.additionals, scope: this.scope };
  }

  nxdomain(): Resolution {
    return { kind: 'answer', rcode: 'NXDOMAIN', answers: [], authorities: [this.soa()], additionals: [], scope: this.scope };
  }

  answerIf(exists: boolean): Resolution {
    return exists ? this.done() : this.nxdomain();
  }

  private soa(): DnsRecord {
    return { type: 'SOA', name: canonicalName(this.cfg.zone), ttl: this.cfg.ttl, data: soaData(this.cfg) };
  }
}
