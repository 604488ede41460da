// A pod's /etc/hosts as the kubelet writes it: the managed header and loopback entries, one line per pod IP
// with its hostname (fully qualified when spec.subdomain is set), then spec.hostAliases. Host-network pods
// get the host's file instead of the loopback block. Pure: the caller reads the host's file and writes the
// result.
import type { Pod } from 'kubernetes-types/core/v1.js';

export interface HostsFileInput {
  pod: Pod;
  podIPs: string[];
  clusterDomain: string;
  /** The host's /etc/hosts (used for host-network pods). */
  hostHostsFile?: string;
}

/** The pod's hostname as the kubelet sets it: spec.hostname or the pod name, at most 63 characters. */
export function podHostname(pod: Pod): string {
  const h = pod.spec?.hostname || pod.metadata?.name || '';
  return h.length > 63 ? h.slice(0, 63).replace(/[-.]+$/, '') : h;
}

/** <subdomain>.<namespace>.svc.<domain> when spec.subdomain is set, else undefined. */
export function podHostDomain(pod: Pod, clusterDomain: string): string | undefined {
  const sub = pod.spec?.subdomain;
  return sub ? `${sub}.${pod.metadata?.namespace ?? 'default'}.svc.${clusterDomain}` : undefined;
}

export function podHostsFile(input: HostsFileInput): string {
  const { pod } = input;
  let out: string;
  if (pod.spec?.hostNetwork) {
    out = '# Kubernetes-managed hosts file (host network).\n' + (input.hostHostsFile ?? '');
    if (out.length && !out.endsWith('\n')) out += '\n';
  } else {
    out =
      '# Kubernetes-managed hosts file.\n' +
      '127.0.0.1\tlocalhost\n' +
      '::1\tlocalhost ip6-localhost ip6-loopback\n' +
      'fe00::0\tip6-localnet\n' +
      'fe00::0\tip6-mcastprefix\n' +
      'fe00::1\tip6-allnodes\n' +
      'fe00::2\tip6-allrouters\n';
    const hostname = podHostname(pod);
    const domain = podHostDomain(pod, input.clusterDomain);
    for (const ip of input.podIPs) out += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  }
  const aliases = pod.spec?.hostAliases ?? [];
  if (aliases.length) {
    out += '\n# Entries added by HostAliases.\n';
    for (const a of aliases) out += `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`;
  }
  return out;
}
