// Puts the cluster DNS address (10.43.0.10 by default) on the node: a dummy interface holding the address as
// a /32, so the DNS server can bind it directly and pods reach it through their default route to the node.
// Chosen over a DNAT in the service proxy because it needs no proxy (works with every proxy mode that has
// root), keeps the client's source address, and the server sees the address it was asked on. One interface
// per cluster (name chosen by the caller) so concurrent clusters on one host never share it. Needs root.
import { runHostCommand } from '../proxy/host-command.js';

export interface DnsAddressOptions {
  ip: string;
  /** Interface name, at most 15 characters, e.g. "skiff-dns0". */
  ifname: string;
  netns?: string;
}

export async function addDnsAddress(o: DnsAddressOptions): Promise<void> {
  if (o.ifname.length > 15) throw new Error(`interface name ${o.ifname} is longer than 15 characters`);
  const links = await runHostCommand('ip', ['-o', 'link', 'show'], { netns: o.netns });
  if (!new RegExp(`^\\d+: ${o.ifname.replace(/[.]/g, '\\.')}[:@]`, 'm').test(links)) {
    await runHostCommand('ip', ['link', 'add', o.ifname, 'type', 'dummy'], { netns: o.netns });
  }
  const prefix = o.ip.includes(':') ? 128 : 32;
  const addrs = await runHostCommand('ip', ['-o', 'addr', 'show', 'dev', o.ifname], { netns: o.netns });
  if (!addrs.includes(` ${o.ip}/${prefix} `)) await runHostCommand('ip', ['addr', 'add', `${o.ip}/${prefix}`, 'dev', o.ifname], { netns: o.netns });
  await runHostCommand('ip', ['link', 'set', o.ifname, 'up'], { netns: o.netns });
}

export async function removeDnsAddress(o: Omit<DnsAddressOptions, 'ip'>): Promise<void> {
  try {
    await runHostCommand('ip', ['link', 'del', o.ifname], { netns: o.netns });
  } catch {
    // already gone
  }
}
