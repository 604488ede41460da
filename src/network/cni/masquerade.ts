// Pod egress masquerade for the whole pod CIDR with one nftables rule in a table of its own (as flannel
// does), instead of the bridge plugin's per-pod iptables chains, which cost several iptables runs on every
// pod ADD and DEL. Traffic from a pod to anything outside the pod CIDR leaves with the node's address.
// The ruleset text is pure; applying it runs `nft -f -` once per node network.
import { execFile } from 'node:child_process';

/** nftables table name for a bridge (identifiers: letters, digits, underscore). */
export function masqueradeTable(bridge: string): string {
  return `skiff_masq_${bridge.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** A transaction that (re)creates the table: declaring it first makes the delete valid when it is absent. */
export function masqueradeRuleset(bridge: string, podCIDR: string): string {
  const family = podCIDR.includes(':') ? 'ip6' : 'ip';
  const t = masqueradeTable(bridge);
  return [
    `table ${family} ${t} {}`,
    `delete table ${family} ${t}`,
    `table ${family} ${t} {`,
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ${family} saddr ${podCIDR} ${family} daddr != ${podCIDR} masquerade`,
    '  }',
    '}',
    '',
  ].join('\n');
}

function nft(args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('nft', args, (err, _out, stderr) => (err ? reject(new Error(String(stderr).trim() || err.message)) : resolve()));
    if (input !== undefined) child.stdin?.end(input);
  });
}

export function installMasquerade(bridge: string, podCIDR: string): Promise<void> {
  return nft(['-f', '-'], masqueradeRuleset(bridge, podCIDR));
}

/** Removes the table (both families); absent tables are fine. */
export async function removeMasquerade(bridge: string): Promise<void> {
  const t = masqueradeTable(bridge);
  await nft(['-f', '-'], `table ip ${t} {}\ndelete table ip ${t}\ntable ip6 ${t} {}\ndelete table ip6 ${t}\n`).catch(() => undefined);
}
