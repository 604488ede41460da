// The service CIDR (--service-cidr, k3s's flag; upstream --service-cluster-ip-range) and the addresses derived
// from it: the `kubernetes` Service takes the first host address and cluster DNS the tenth (k3s's defaults,
// 10.43.0.1 and 10.43.0.10 in 10.43.0.0/16). Pure.

export const defaultServiceCidr = '10.43.0.0/16';

export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  /** Number of addresses. */
  size: number;
  bits: number;
  /** Canonical text, e.g. 10.43.0.0/16. */
  text: string;
}

export interface ServiceCidr extends Ipv4Cidr {
  kubernetesIP: string;
  dnsIP: string;
}

export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** An IPv4 CIDR (host bits are cleared, as Go's net.ParseCIDR); a message saying what is wrong otherwise. */
export function parseIpv4Cidr(s: string): Ipv4Cidr | string {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(s.trim());
  const ip = m ? parseIPv4(m[1]!) : undefined;
  const bits = m ? Number(m[2]) : NaN;
  if (!m || ip === undefined || bits > 32) return `"${s}" is not an IPv4 CIDR such as 10.43.0.0/16`;
  const size = 2 ** (32 - bits);
  const base = ip - (ip % size);
  return { base, size, bits, text: `${formatIPv4(base)}/${bits}` };
}

export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

export function cidrContains(c: Ipv4Cidr, ip: string): boolean {
  const n = parseIPv4(ip);
  return n !== undefined && n >= c.base && n < c.base + c.size;
}

/**
 * The service CIDR or a message for the user. Upstream refuses ranges wider than /12 for IPv4; a range must
 * also hold the tenth address (cluster DNS) plus a broadcast address, so /28 is the narrowest.
 */
export function parseServiceCidr(text: string): ServiceCidr | string {
  const c = parseIpv4Cidr(text);
  if (typeof c === 'string') return `invalid service CIDR: ${c} (only IPv4 service ranges are supported)`;
  if (c.bits < 12) return `invalid service CIDR ${c.text}: the range is too large; the prefix length must be at least 12`;
  if (c.bits > 28) return `invalid service CIDR ${c.text}: the range is too small; the prefix length must be at most 28 (cluster DNS takes the tenth address)`;
  return { ...c, kubernetesIP: formatIPv4(c.base + 1), dnsIP: formatIPv4(c.base + 10) };
}

/** The service CIDR from a text known to be valid (defaults, tests); throws otherwise. */
export function serviceCidrOf(text: string = defaultServiceCidr): ServiceCidr {
  const c = parseServiceCidr(text);
  if (typeof c === 'string') throw new TypeError(c);
  return c;
}
