// The CNI portmap plugin (host ports of pods) creates shared chains in the host's `nat` table —
// CNI-HOSTPORT-DNAT/-MASQ/-SETMARK and jumps to them from PREROUTING, OUTPUT and POSTROUTING — and never
// removes them, even after its last pod's rules are gone. The test command removes them after the suites when
// they were not there before the suites and no pod rule is left in them, so a test run leaves the host's
// tables as it found them.
import { spawnSync } from 'node:child_process';

const prefix = 'CNI-HOSTPORT-';

function iptables(family, args) {
  const r = spawnSync(family === 6 ? 'ip6tables' : 'iptables', ['-w', '-t', 'nat', ...args], { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout ?? '' };
}

/** Splits an `iptables -S` line into arguments (double-quoted words, as in comments, stay one argument). */
export function splitRule(line) {
  const out = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m;
  while ((m = re.exec(line))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
  return out;
}

/** What to run to remove the portmap chains, from `iptables -t nat -S` output; [] when a pod rule is left. */
export function removalPlan(rules) {
  const lines = rules.split('\n').filter(Boolean);
  const chains = lines.filter((l) => l.startsWith(`-N ${prefix}`)).map((l) => l.slice(3).trim());
  if (!chains.length) return [];
  // Pods' own rules hang off CNI-HOSTPORT-DNAT (jumps to per-pod CNI-DN-… chains): leave everything then.
  if (lines.some((l) => l.startsWith(`-A ${prefix}DNAT `))) return [];
  const jumps = lines.filter((l) => l.startsWith('-A ') && !l.startsWith(`-A ${prefix}`) && chains.some((c) => l.endsWith(`-j ${c}`)));
  return [
    ...jumps.map((l) => ['-D', ...splitRule(l).slice(1)]),
    ...chains.map((c) => ['-F', c]),
    ...chains.map((c) => ['-X', c]),
  ];
}

/** Whether the portmap chains exist now, per address family. */
export function portmapChainsPresent() {
  const present = {};
  for (const family of [4, 6]) {
    const r = iptables(family, ['-S']);
    present[family] = r.ok && r.out.includes(`-N ${prefix}`);
  }
  return present;
}

/** Removes the portmap chains of the families where they were absent before; returns what it removed. */
export function removeNewPortmapChains(before) {
  const removed = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return removed;
  for (const family of [4, 6]) {
    if (before[family]) continue;
    const r = iptables(family, ['-S']);
    if (!r.ok) continue;
    const plan = removalPlan(r.out);
    for (const step of plan) iptables(family, step);
    if (plan.length) removed.push(`IPv${family}`);
  }
  return removed;
}
