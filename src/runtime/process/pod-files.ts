// The pod's /etc/resolv.conf, /etc/hosts and /etc/hostname, as the kubelet writes them (its managed hosts
// file, with the same header and host-alias section). Pure: the runtime writes the text into the sandbox's
// directory and bind-mounts the files in each container's mount namespace.
import type { DnsConfig, PodSandboxConfig } from '../runtime.js';

export function resolvConf(dns: DnsConfig): string {
  const lines: string[] = [];
  if (dns.searches.length) lines.push(`search ${dns.searches.join(' ')}`);
  for (const s of dns.servers) lines.push(`nameserver ${s}`);
  if (dns.options.length) lines.push(`options ${dns.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

/**
 * The kubelet's managed hosts file. Pod network: the fixed localhost block and the pod's IPs with its
 * hostname. Host network: the host's own hosts file. Host aliases are appended in both cases.
 */
export function hostsFile(config: Pick<PodSandboxConfig, 'hostname' | 'hostAliases' | 'hostNetwork'>, podIPs: string[], hostHosts: string): string {
  let text: string;
  if (config.hostNetwork) {
    text = '# Kubernetes-managed hosts file (host network).\n' + hostHosts + (hostHosts.endsWith('\n') || !hostHosts ? '' : '\n');
  } else {
    text = [
      '# Kubernetes-managed hosts file.',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      'fe00::0\tip6-localnet',
      'fe00::0\tip6-mcastprefix',
      'fe00::1\tip6-allnodes',
      'fe00::2\tip6-allrouters',
      ...podIPs.map((ip) => `${ip}\t${config.hostname}`),
      '',
    ].join('\n');
  }
  const aliases = config.hostAliases ?? [];
  if (aliases.length) {
    text += '\n# Entries added by HostAliases.\n';
    for (const a of aliases) text += `${a.ip}\t${a.hostnames.join('\t')}\n`;
  }
  return text;
}
