// A pod's resolver configuration as the kubelet computes it (pkg/kubelet/network/dns): dnsPolicy
// ClusterFirst / ClusterFirstWithHostNet / Default / None, then spec.dnsConfig merged in, then the limits
// (3 nameservers, 32 search domains of at most 2048 characters in all). Pure: the caller reads the host's
// resolv.conf and writes the pod's; warnings are what the kubelet reports as DNSConfigForming events.
import type { Pod } from 'kubernetes-types/core/v1.js';

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  /** "ndots:5", "edns0", ... */
  options: string[];
}

export interface PodDnsConfig extends ResolvConf {
  warnings: string[];
}

const maxNameservers = 3;
const maxSearchPaths = 32;
const maxSearchChars = 2048;
const defaultOptions = ['ndots:5'];

/** Parses resolv.conf text: nameserver lines, the last search (or domain) line, options lines. */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...fields] = line.split(/\s+/);
    if (key === 'nameserver' && fields[0]) out.nameservers.push(fields[0]);
    else if (key === 'search') out.searches = fields.map((f) => f.replace(/\.$/, '')).filter((f) => f && f !== '.');
    else if (key === 'domain' && fields[0]) out.searches = [fields[0].replace(/\.$/, '')];
    else if (key === 'options') out.options = mergeOptions(out.options, fields);
  }
  return out;
}

export function renderResolvConf(c: ResolvConf): string {
  const lines: string[] = [];
  if (c.searches.length) lines.push(`search ${c.searches.join(' ')}`);
  for (const ns of c.nameservers) lines.push(`nameserver ${ns}`);
  if (c.options.length) lines.push(`options ${c.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

/**
 * The pod's resolv.conf. clusterDns: the cluster DNS addresses (empty = unknown: ClusterFirst falls back to
 * the host's configuration, as the kubelet does).
 */
export function podDnsConfig(pod: Pod, clusterDns: string[], clusterDomain: string, host: ResolvConf): PodDnsConfig {
  const warnings: string[] = [];
  const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  const hostNetwork = pod.spec?.hostNetwork === true;
  let cfg: ResolvConf = { nameservers: [...host.nameservers], searches: [...host.searches], options: [...host.options] };
  const cluster = policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !hostNetwork);
  if (policy === 'None') cfg = { nameservers: [], searches: [], options: [] };
  else if (cluster) {
    if (clusterDns.length) {
      const ns = pod.metadata?.namespace ?? 'default';
      cfg = {
        nameservers: [...clusterDns],
        searches: dedupe([`${ns}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain, ...host.searches]),
        options: [...defaultOptions],
      };
    } else {
      warnings.push(`pod: "${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid ?? ''})". kubelet does not have ClusterDNS IP configured and cannot create Pod using "${policy}" policy. Falling back to "Default" policy.`);
    }
  }
  const extra = pod.spec?.dnsConfig;
  if (extra) {
    cfg.nameservers = dedupe([...cfg.nameservers, ...(extra.nameservers ?? [])]);
    cfg.searches = dedupe([...cfg.searches, ...(extra.searches ?? [])]);
    cfg.options = mergeOptions(
      cfg.options,
      (extra.options ?? []).map((o) => (o.value !== undefined && o.value !== null ? `${o.name}:${o.value}` : o.name ?? '')).filter(Boolean),
    );
  }
  return { ...fitLimits(cfg, warnings), warnings };
}

function fitLimits(cfg: ResolvConf, warnings: string[]): ResolvConf {
  let searches = cfg.searches;
  if (searches.length > maxSearchPaths || searches.join(' ').length > maxSearchChars) {
    const kept: string[] = [];
    let chars = -1;
    for (const s of searches) {
      if (kept.length >= maxSearchPaths || chars + 1 + s.length > maxSearchChars) break;
      kept.push(s);
      chars += 1 + s.length;
    }
    searches = kept;
    warnings.push(`Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${searches.join(' ')}`);
  }
  let nameservers = cfg.nameservers;
  if (nameservers.length > maxNameservers) {
    nameservers = nameservers.slice(0, maxNameservers);
    warnings.push(`Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${nameservers.join(' ')}`);
  }
  return { nameservers, searches, options: cfg.options };
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** Options by name; a later value replaces an earlier one (the kubelet's mergeDNSOptions). */
function mergeOptions(base: string[], extra: string[]): string[] {
  const byName = new Map<string, string>();
  for (const o of [...base, ...extra]) byName.set(o.split(':')[0]!, o);
  return [...byName.values()];
}

/**
 * The names a glibc stub resolver asks for, in order, when a program in the pod looks up `name` with this
 * resolv.conf (res_search): an absolute name (trailing dot) only as written; a name with at least `ndots`
 * dots as written first, then with each search domain; otherwise each search domain first, then as written.
 */
export function searchCandidates(name: string, conf: ResolvConf): string[] {
  if (name.endsWith('.')) return [name.slice(0, -1)];
  const opt = conf.options.find((o) => o.startsWith('ndots:'));
  const ndots = opt ? Math.min(15, Number(opt.slice('ndots:'.length)) || 0) : 1;
  const dots = name.split('.').length - 1;
  const searched = conf.searches.map((s) => `${name}.${s}`);
  return dots >= ndots ? [name, ...searched] : [...searched, name];
}
