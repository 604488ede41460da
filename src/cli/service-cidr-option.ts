// --service-cidr (k3s's flag; upstream --service-cluster-ip-range) of `skiff up` and `skiff server`: where
// Service ClusterIPs come from. The `kubernetes` Service takes its first address and, unless --cluster-dns
// says otherwise, the local node's cluster DNS its tenth.
import { UsageError, type OptionSpec, type ParsedOptions } from './args.js';
import { cidrsOverlap, defaultServiceCidr, parseIpv4Cidr, parseServiceCidr, type ServiceCidr } from '../network/service-cidr.js';

export const serviceCidrOption: OptionSpec = {
  name: 'service-cidr',
  type: 'string',
  valueName: 'CIDR',
  description: 'Service ClusterIP range; the kubernetes Service gets its first address, cluster DNS its tenth',
  default: defaultServiceCidr,
};

/** The validated --service-cidr (it must not overlap --cluster-cidr when that is given). */
export function serviceCidrSetting(opts: ParsedOptions): ServiceCidr {
  const c = parseServiceCidr(opts.optionalString('service-cidr') ?? defaultServiceCidr);
  if (typeof c === 'string') throw new UsageError(`--service-cidr: ${c}`);
  const podText = opts.optionalString('cluster-cidr');
  const pods = podText === undefined ? undefined : parseIpv4Cidr(podText);
  if (pods && typeof pods !== 'string' && cidrsOverlap(c, pods)) {
    throw new UsageError(`--service-cidr ${c.text} overlaps --cluster-cidr ${pods.text}: Service and pod addresses must be distinct`);
  }
  return c;
}

/** Cluster DNS of the node `skiff up` runs: --cluster-dns when given, else the service CIDR's tenth address. */
export function localClusterDns(opts: ParsedOptions, given: string[]): string[] {
  return opts.explicit.has('cluster-dns') ? given : [serviceCidrSetting(opts).dnsIP];
}
