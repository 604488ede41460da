// Cluster DNS for a node agent: informers on Services, EndpointSlices and Namespaces feed a live catalog,
// and a DNS server answers the cluster zone from it and forwards other names to the host's resolvers (the
// nameservers of /etc/resolv.conf unless upstreams are given). start → stop; nothing is left behind.
import { readFileSync } from 'node:fs';
import type { Namespace, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ApiClient } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import * as resources from '../../client/resources.js';
import { catalogIndexers, informerCatalog, scopesChangedBy, type DnsCatalog } from './catalog.js';
import { upstreamsFromResolvConf, type Upstream } from './forwarder.js';
import { startDnsServer, type DnsServer } from './server.js';

export { podDnsConfig, parseResolvConf, renderResolvConf, searchCandidates, type PodDnsConfig, type ResolvConf } from './pod-dns-config.js';
export { podHostsFile, podHostname, podHostDomain } from './hosts-file.js';
export { addDnsAddress, removeDnsAddress } from './listen-address.js';
export type { DnsServer } from './server.js';

export interface ClusterDnsOptions {
  client: ApiClient;
  /** Listening address and port (53 in production; 0 = ephemeral, for tests). */
  host: string;
  port: number;
  clusterDomain?: string;
  /** The cluster DNS addresses (answered for ns.dns.<domain>). */
  dnsIPs?: string[];
  /** Upstream resolvers; default: the nameservers of resolvConfPath. */
  upstreams?: Upstream[];
  resolvConfPath?: string;
  ttl?: number;
  log?: (line: string) => void;
}

export interface ClusterDns extends DnsServer {
  catalog: DnsCatalog;
}

export async function startClusterDns(opts: ClusterDnsOptions): Promise<ClusterDns> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const services = new Informer<Service>(opts.client, resources.services, { indexers: catalogIndexers.services, log });
  const slices = new Informer<EndpointSlice>(opts.client, resources.endpointSlices, { indexers: catalogIndexers.endpointSlices, log });
  const namespaces = new Informer<Namespace>(opts.client, resources.namespaces, { log });
  const informers = [services, slices, namespaces];
  // Per-scope generations: an event moves only the scopes of the objects it touched (old and new: an
  // EndpointSlice can move to another Service), each to a new value of one counter.
  const generations = new Map<string, number>();
  let counter = 0;
  const kinds = ['Service', 'EndpointSlice', 'Namespace'] as const;
  informers.forEach((inf, k) => {
    const bump = (...objs: Array<Service | EndpointSlice | Namespace>) => {
      for (const o of objs) for (const scope of scopesChangedBy(kinds[k]!, o)) generations.set(scope, ++counter);
    };
    (inf as Informer<Service | EndpointSlice | Namespace>).addEventHandler({ onAdd: (o) => bump(o), onUpdate: (a, b) => bump(a, b), onDelete: (o) => bump(o) });
  });
  for (const i of informers) i.start();
  const stopInformers = () => Promise.all(informers.map((i) => i.stop()));
  try {
    await Promise.all(informers.map((i) => i.waitForSync()));
    let upstreams = opts.upstreams;
    if (!upstreams) {
      const path = opts.resolvConfPath ?? '/etc/resolv.conf';
      try {
        upstreams = upstreamsFromResolvConf(readFileSync(path, 'utf8')).filter((u) => !(opts.dnsIPs ?? []).includes(u.host));
      } catch {
        upstreams = [];
      }
      if (upstreams.length === 0) log(`dns: no upstream nameservers in ${path}; names outside the cluster will fail (SERVFAIL)`);
    }
    const catalog = informerCatalog({ services: services.indexer, endpointSlices: slices.indexer, namespaces: namespaces.indexer }, (scope) => generations.get(scope) ?? 0);
    const server = await startDnsServer({
      catalog,
      zone: { zone: opts.clusterDomain ?? 'cluster.local', ttl: opts.ttl ?? 5, dnsIPs: opts.dnsIPs },
      host: opts.host,
      port: opts.port,
      upstreams,
      log,
    });
    return {
      ...server,
      catalog,
      stop: async () => {
        await server.stop();
        await stopInformers();
      },
    };
  } catch (e) {
    await stopInformers();
    throw e;
  }
}
