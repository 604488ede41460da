// Node IPAM decisions (upstream's range allocator): split the cluster CIDR into per-node subnets of
// --node-cidr-mask-size (default /24) and give a node the first subnet no other node holds. Subnets held by
// nodes that registered with their own (simulated nodes) are never handed out twice. IPv4. Pure.

export interface Cidr {
  base: number;
  prefix: number;
}

export function parseCidr(text: string): Cidr {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) throw new Error(`invalid CIDR address: ${text}`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) throw new Error(`invalid CIDR address: ${text}`);
  const ip = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (ip & mask) >>> 0, prefix };
}

export function formatCidr(c: Cidr): string {
  const b = c.base;
  return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${c.prefix}`;
}

/** The first subnet of cluster with nodeMaskSize bits that overlaps none of `used`; undefined when full. */
export function allocateNodeCidr(cluster: string, nodeMaskSize: number, used: Iterable<string>): string | undefined {
  const c = parseCidr(cluster);
  if (nodeMaskSize < c.prefix || nodeMaskSize > 32) throw new Error(`node CIDR mask size ${nodeMaskSize} does not fit in ${cluster}`);
  const taken: Cidr[] = [];
  for (const u of used) {
    try {
      taken.push(parseCidr(u));
    } catch {
      // not IPv4: cannot overlap
    }
  }
  const size = 2 ** (32 - nodeMaskSize);
  const count = 2 ** (nodeMaskSize - c.prefix);
  for (let i = 0; i < count; i++) {
    const candidate = { base: (c.base + i * size) >>> 0, prefix: nodeMaskSize };
    if (!taken.some((t) => overlaps(t, candidate))) return formatCidr(candidate);
  }
  return undefined;
}

function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  const mask = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
  return ((a.base & mask) >>> 0) === ((b.base & mask) >>> 0);
}
