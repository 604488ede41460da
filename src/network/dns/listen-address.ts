// Puts the cluster DNS address (10.43.0.10 by default) on the node: a /32 on the loopback interface with a
// label naming its owner (lo:<name>), so the DNS server can bind it directly and pods reach it through their
// default route to the node. Chosen over a DNAT in the service proxy because it works with every proxy
// mode that has root, keeps the client's source address, and the server sees the address it was asked on;
// chosen over a dummy interface because kernels without the dummy driver (like these machines') exist. One
// address per cluster (the service CIDR differs) so concurrent clusters on one host never share it. Root only.
import { runHostCommand } from '../proxy/host-command.js';

export interface DnsAddressOptions {
  ip: string;
  /** Address label after "lo:", at most 12 characters, e.g. "skdns1a2b3c". */
  label: string;
  netns?: string;
}

const prefixOf = (ip: string) => (ip.includes(':') ? 128 : 32);
const fullLabel = (label: string) => `lo:${label}`;

export async function addDnsAddress(o: DnsAddressOptions): Promise<void> {
  if (fullLabel(o.label).length > 15) throw new Error(`address label lo:${o.label} is longer than 15 characters`);
  const addrs = await runHostCommand('ip', ['-o', 'addr', 'show', 'dev', 'lo'], { netns: o.netns });
  if (!addrs.includes(` ${o.ip}/${prefixOf(o.ip)} `)) {
    const args = ['addr', 'add', `${o.ip}/${prefixOf(o.ip)}`, 'dev', 'lo'];
    // Labels are an IPv4 notion.
    if (!o.ip.includes(':')) args.push('label', fullLabel(o.label));
    await runHostCommand('ip', args, { netns: o.netns });
  }
  await runHostCommand('ip', ['link', 'set', 'lo', 'up'], { netns: o.netns });
}

export async function removeDnsAddress(o: DnsAddressOptions): Promise<void> {
  try {
    await runHostCommand('ip', ['addr', 'del', `${o.ip}/${prefixOf(o.ip)}`, 'dev', 'lo'], { netns: o.netns });
  } catch {
    // already gone
  }
}
