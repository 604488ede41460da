// Outbound NAT for a managed containerd's pods: one iptables rule per node (`-s <pod CIDR> ! -d <pod CIDR>
// -j MASQUERADE`, as flannel installs it) instead of the bridge plugin's ipMasq, which creates a chain and
// rules per pod and so runs iptables several times on every pod start and stop. Same effect for the
// traffic: pod-to-pod stays unNATed, everything leaving the pod network is masqueraded.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The rule's match and target (after `iptables -t nat -A|-C|-D POSTROUTING`). Pure. */
export function masqueradeRuleArgs(podCidr: string, comment: string): string[] {
  return ['-s', podCidr, '!', '-d', podCidr, '-m', 'comment', '--comment', comment, '-j', 'MASQUERADE'];
}

async function iptables(op: '-A' | '-C' | '-D', args: string[]): Promise<boolean> {
  try {
    await run('iptables', ['-w', '5', '-t', 'nat', op, 'POSTROUTING', ...args], { timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/** Installs the rule unless present. False when iptables is missing or refuses (pods keep no outbound NAT). */
export async function ensureMasquerade(podCidr: string, comment: string): Promise<boolean> {
  const args = masqueradeRuleArgs(podCidr, comment);
  return (await iptables('-C', args)) || iptables('-A', args);
}

/** Removes every copy of the rule. */
export async function removeMasquerade(podCidr: string, comment: string): Promise<void> {
  const args = masqueradeRuleArgs(podCidr, comment);
  for (let i = 0; i < 10 && (await iptables('-D', args)); i++);
}
