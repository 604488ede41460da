// The pod's /etc/resolv.conf, /etc/hosts and /etc/hostname for the process runtime's containers, rendered
// by the cluster DNS module's kubelet-format writers from what the sandbox config carries. Pure: the runtime
// writes the text into the sandbox's directory and bind-mounts the files in each container's mount namespace.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodSandboxConfig } from '../runtime.js';
import { podHostsFile } from '../../network/dns/hosts-file.js';
import { renderResolvConf } from '../../network/dns/pod-dns-config.js';

export interface PodEtcFiles {
  hosts: string;
  hostname: string;
  /** Absent: the pod uses the host's resolv.conf (dns undefined in the sandbox config). */
  resolvConf?: string;
}

export function podEtcFiles(config: Pick<PodSandboxConfig, 'name' | 'namespace' | 'hostname' | 'hostNetwork' | 'hostAliases' | 'dns'>, podIPs: string[], hostHosts: string): PodEtcFiles {
  // The sandbox config carries the resolved hostname, not spec.subdomain: the hosts file has the short name.
  const pod: Pod = {
    metadata: { name: config.name, namespace: config.namespace },
    spec: { hostname: config.hostname, hostNetwork: config.hostNetwork, hostAliases: config.hostAliases, containers: [] },
  };
  const dns = config.dns;
  return {
    hosts: podHostsFile({ pod, podIPs, clusterDomain: '', hostHostsFile: hostHosts }),
    hostname: `${config.hostname}\n`,
    ...(dns ? { resolvConf: renderResolvConf({ nameservers: dns.servers, searches: dns.searches, options: dns.options }) } : {}),
  };
}
