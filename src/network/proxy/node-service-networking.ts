// Everything a node agent runs for Services, in one start/stop: the service proxy (nftables, iptables or
// userspace) and cluster DNS. As root, DNS answers on the cluster DNS address (10.43.0.10:53 by default),
// which is put on this node's loopback interface (dns/listen-address.ts) so pods reach it through their
// default route; without root it answers on a loopback port only and says so. Warnings are for the agent
// to report (Event + node condition), as upstream reports a degraded kube-proxy.
import type { ApiClient } from '../../client/client.js';
import { addDnsAddress, removeDnsAddress, startClusterDns, type ClusterDns } from '../dns/index.js';
import { startServiceProxy, type ProxyMode, type ServiceProxy } from './index.js';

export interface NodeServiceNetworkingOptions {
  client: ApiClient;
  nodeName: string;
  nodeIPs: string[];
  /** Distinguishes this agent's nftables table, iptables chains and DNS interface on a shared host. */
  instanceId: string;
  /** The pod network (traffic from elsewhere to cluster IPs is masqueraded). */
  clusterCIDR?: string;
  /** The cluster DNS address, e.g. 10.43.0.10. */
  clusterDns: string;
  clusterDomain: string;
  proxyMode?: 'auto' | ProxyMode;
  /** Where DNS listens; default clusterDns:53 on the loopback interface (root) or 127.0.0.1, any port (not root). */
  dnsListen?: { host: string; port: number };
  /** Program rules and the DNS interface inside this named network namespace. */
  netns?: string;
  log: (line: string) => void;
}

export interface NetworkingWarning {
  reason: string;
  message: string;
}

export interface NodeServiceNetworking {
  proxy: ServiceProxy;
  dns: ClusterDns;
  /** Degraded modes to report; empty when everything runs as designed. */
  warnings: NetworkingWarning[];
  stop(): Promise<void>;
}

/** The label (after "lo:") of the DNS address, derived from the instance id; 12 characters at most. */
export function dnsAddressLabel(instanceId: string): string {
  return `sk${instanceId.replace(/[^a-zA-Z0-9]/g, '').slice(-10)}`;
}

export async function startNodeServiceNetworking(o: NodeServiceNetworkingOptions): Promise<NodeServiceNetworking> {
  const warnings: NetworkingWarning[] = [];
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const proxy = await startServiceProxy({
    client: o.client,
    nodeName: o.nodeName,
    nodeIPs: o.nodeIPs,
    mode: o.proxyMode ?? 'auto',
    tableSuffix: o.instanceId,
    clusterCIDR: o.clusterCIDR,
    netns: o.netns,
    log: o.log,
  });
  if (proxy.warning) warnings.push(proxy.warning);
  const address = { ip: o.clusterDns, label: dnsAddressLabel(o.instanceId) };
  let ownsAddress = false;
  let dns: ClusterDns | undefined;
  try {
    let listen = o.dnsListen;
    if (!listen && root && !o.netns) {
      await addDnsAddress(address);
      ownsAddress = true;
      listen = { host: o.clusterDns, port: 53 };
    }
    if (!listen) {
      listen = { host: '127.0.0.1', port: 0 };
      warnings.push({
        reason: 'ClusterDNSLoopbackOnly',
        message: `cluster DNS cannot serve ${o.clusterDns}:53 (${root ? 'agent in another network namespace' : 'not running as root'}); it answers on 127.0.0.1 only`,
      });
    }
    dns = await startClusterDns({ client: o.client, host: listen.host, port: listen.port, clusterDomain: o.clusterDomain, dnsIPs: [o.clusterDns], log: o.log });
    o.log(`service networking: proxy ${proxy.mode}, cluster DNS on ${dns.host}:${dns.port}`);
  } catch (e) {
    await proxy.stop();
    if (ownsAddress) await removeDnsAddress(address);
    throw e;
  }
  const started = dns;
  return {
    proxy,
    dns: started,
    warnings,
    stop: async () => {
      await started.stop();
      if (ownsAddress) await removeDnsAddress(address);
      await proxy.stop();
    },
  };
}
