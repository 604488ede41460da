// The iptables data path, used when nftables is not usable: the same routes and the same plan
// (service-ports.ts routePlan) as kube-proxy's iptables mode — a SERVICES chain matching cluster and
// external IPs, NODEPORTS for local addresses, one chain per Service port balancing with `statistic`
// (random, or nth for round-robin), one chain per endpoint doing the DNAT, `recent` for ClientIP affinity,
// a mark for masquerading and REJECT/DROP in the filter table for Services without endpoints. Chains carry a
// per-instance prefix; syncs rewrite only chains that changed (iptables-restore --noflush). Stop removes the
// jumps from the built-in chains and every chain of this instance.
import { createHash } from 'node:crypto';
import { runHostCommand } from './host-command.js';
import type { NftConfig } from './nft-ruleset.js';
import type { DataPath, SyncResult } from './data-path.js';
import { routePlan, type ProxyEndpoint, type ServicePortRoute } from './service-ports.js';
import { setSysctl } from './sysctl.js';

export interface IptablesConfig extends Omit<NftConfig, 'table'> {
  /** Distinguishes this instance's chains (hashed into a short prefix). */
  chainPrefix: string;
}

/** Chains of one table: name → rules (iptables-restore lines without "-A <chain>"). */
export type IptChains = Map<string, string[]>;

export interface IptRuleset {
  nat: IptChains;
  filter: IptChains;
}

const hex = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n).toUpperCase();

export function iptPrefix(chainPrefix: string): string {
  return `SKIFF${hex(chainPrefix, 4)}`;
}

/** The built-in chains jumping into this instance's chains. */
export function builtinJumps(prefix: string): Array<{ table: 'nat' | 'filter'; chain: string; target: string }> {
  return [
    { table: 'nat', chain: 'PREROUTING', target: `${prefix}-SERVICES` },
    { table: 'nat', chain: 'OUTPUT', target: `${prefix}-SERVICES` },
    { table: 'nat', chain: 'POSTROUTING', target: `${prefix}-POSTROUTING` },
    { table: 'filter', chain: 'INPUT', target: `${prefix}-CHECK` },
    { table: 'filter', chain: 'FORWARD', target: `${prefix}-CHECK` },
    { table: 'filter', chain: 'OUTPUT', target: `${prefix}-CHECK` },
  ];
}

export function buildIptRuleset(cfg: IptablesConfig, routes: ServicePortRoute[]): IptRuleset {
  const P = iptPrefix(cfg.chainPrefix);
  const mark = `0x${(cfg.masqueradeBit ?? 0x4000).toString(16)}`;
  const services: string[] = [];
  const nodeports: string[] = [];
  const check: string[] = [];
  const nat: IptChains = new Map([
    [`${P}-MARK-MASQ`, [`-j MARK --or-mark ${mark}`]],
    [`${P}-POSTROUTING`, [`-m mark ! --mark ${mark}/${mark} -j RETURN`, `-j MARK --xor-mark ${mark}`, '-j MASQUERADE --random-fully']],
  ]);
  const filter: IptChains = new Map();
  const name = (kind: string, key: string) => `${P}-${kind}-${hex(key, 10)}`;
  const recent = (sep: string) => `-m recent --name ${sep} --mask 255.255.255.255 --rsource`;

  for (const r of routes) {
    if (r.family !== 4) continue;
    const pp = `-p ${r.protocol} -m ${r.protocol}`;
    const sepName = (e: ProxyEndpoint) => name('SEP', `${r.id}|${e.ip}:${e.port}`);
    const endpointChain = (e: ProxyEndpoint) => {
      const n = sepName(e);
      if (nat.has(n)) return n;
      const rules = [`-s ${e.ip}/32 -j ${P}-MARK-MASQ`];
      rules.push(`${pp}${r.affinitySeconds ? ` ${recent(n)} --set` : ''} -j DNAT --to-destination ${e.ip}:${e.port}`);
      nat.set(n, rules);
      return n;
    };
    const balance = (eps: ProxyEndpoint[]) => {
      const names = eps.map(endpointChain);
      const rules: string[] = [];
      if (r.affinitySeconds) names.forEach((n) => rules.push(`${recent(n)} --rcheck --seconds ${r.affinitySeconds} --reap -j ${n}`));
      names.forEach((n, i) => {
        const left = names.length - i;
        if (left === 1) rules.push(`-j ${n}`);
        else if (cfg.balance === 'round-robin') rules.push(`-m statistic --mode nth --every ${left} --packet 0 -j ${n}`);
        else rules.push(`-m statistic --mode random --probability ${(1 / left).toFixed(10)} -j ${n}`);
      });
      return rules;
    };
    const masqCond = cfg.masqueradeAll ? '' : cfg.clusterCIDR ? ` ! -s ${cfg.clusterCIDR}` : undefined;
    const masq = masqCond === undefined ? [] : r.clusterIPs.map((vip) => `-d ${vip}/32 ${pp} --dport ${r.port}${masqCond} -j ${P}-MARK-MASQ`);
    const plan = routePlan(r);
    const svc = plan.cluster ? name('SVC', r.id) : undefined;
    const loc = plan.local ? name('LOC', r.id) : undefined;
    if (plan.cluster) nat.set(svc!, [...(plan.internal === 'cluster' ? masq : []), ...balance(plan.cluster)]);
    if (plan.local) nat.set(loc!, [...(plan.internal === 'local' ? masq : []), ...balance(plan.local)]);
    const refuse = (v: 'drop' | 'reject') => (v === 'drop' ? '-j DROP' : '-j REJECT');

    const internal = plan.internal === 'cluster' ? svc : plan.internal === 'local' ? loc : undefined;
    for (const vip of r.clusterIPs) {
      if (internal) services.push(`-d ${vip}/32 ${pp} --dport ${r.port} -j ${internal}`);
      else check.push(`-m conntrack --ctstate NEW -d ${vip}/32 ${pp} --dport ${r.port} ${refuse(plan.internal as 'drop' | 'reject')}`);
    }
    if (!plan.external) continue;
    let ext: string | undefined;
    if (plan.external === 'cluster') {
      ext = name('EXT', r.id);
      nat.set(ext, [`-j ${P}-MARK-MASQ`, `-j ${svc}`]);
    } else if (plan.external === 'local') {
      ext = name('EXT', r.id);
      const rules: string[] = [];
      if (svc) {
        if (cfg.clusterCIDR) rules.push(`-s ${cfg.clusterCIDR} -j ${svc}`);
        rules.push(`-m addrtype --src-type LOCAL -j ${P}-MARK-MASQ`, `-m addrtype --src-type LOCAL -j ${svc}`);
      }
      if (loc) rules.push(`-j ${loc}`);
      else {
        // Nothing here for outside clients: let the filter table drop them (the nat table may not).
        for (const ip of r.externalIPs) check.push(`-m conntrack --ctstate NEW -d ${ip}/32 ${pp} --dport ${r.port} -j DROP`);
        if (r.nodePort) check.push(`-m conntrack --ctstate NEW -m addrtype --dst-type LOCAL ${pp} --dport ${r.nodePort} -j DROP`);
      }
      nat.set(ext, rules);
    }
    for (const ip of r.externalIPs) {
      if (ext) services.push(`-d ${ip}/32 ${pp} --dport ${r.port} -j ${ext}`);
      else check.push(`-m conntrack --ctstate NEW -d ${ip}/32 ${pp} --dport ${r.port} ${refuse(plan.external as 'drop' | 'reject')}`);
    }
    if (r.nodePort) {
      if (ext) nodeports.push(`${pp} --dport ${r.nodePort} -j ${ext}`);
      else check.push(`-m conntrack --ctstate NEW -m addrtype --dst-type LOCAL ${pp} --dport ${r.nodePort} ${refuse(plan.external as 'drop' | 'reject')}`);
    }
  }
  services.push(`-m addrtype --dst-type LOCAL${cfg.localhostNodePorts ? '' : ' ! -d 127.0.0.0/8'} -j ${P}-NODEPORTS`);
  if (cfg.localhostNodePorts) check.push('-d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP');
  nat.set(`${P}-SERVICES`, services);
  nat.set(`${P}-NODEPORTS`, nodeports);
  filter.set(`${P}-CHECK`, check);
  return { nat, filter };
}

/** iptables-restore --noflush input turning prev into next (prev undefined = write every chain). */
export function iptablesRestoreInput(prev: IptRuleset | undefined, next: IptRuleset): string {
  const out: string[] = [];
  for (const table of ['nat', 'filter'] as const) {
    const a = prev?.[table] ?? new Map<string, string[]>();
    const b = next[table];
    const changed = [...b].filter(([n, rules]) => {
      const old = a.get(n);
      return !old || old.length !== rules.length || old.some((x, i) => x !== rules[i]);
    });
    const gone = [...a.keys()].filter((n) => !b.has(n));
    if (!changed.length && !gone.length) continue;
    out.push(`*${table}`);
    for (const [n] of changed) out.push(`:${n} - [0:0]`);
    for (const n of gone) out.push(`:${n} - [0:0]`);
    for (const [n, rules] of changed) for (const r of rules) out.push(`-A ${n} ${r}`);
    for (const n of gone) out.push(`-X ${n}`);
    out.push('COMMIT');
  }
  return out.length ? out.join('\n') + '\n' : '';
}

export class IptablesDataPath implements DataPath {
  readonly mode = 'iptables' as const;
  private applied: IptRuleset | undefined;
  private readonly prefix: string;

  constructor(
    private readonly cfg: IptablesConfig,
    private readonly netns: string | undefined,
    private readonly log: (line: string) => void,
  ) {
    this.prefix = iptPrefix(cfg.chainPrefix);
  }

  async setUp(): Promise<void> {
    await setSysctl('net.bridge.bridge-nf-call-iptables', '1', this.netns, this.log);
    if (this.cfg.localhostNodePorts) await setSysctl('net.ipv4.conf.all.route_localnet', '1', this.netns, this.log);
    // The chains must exist before the built-in chains can jump to them.
    await this.restore(iptablesRestoreInput(undefined, buildIptRuleset(this.cfg, [])));
    await this.ensureJumps();
  }

  /** The jumps from the built-in chains, added where missing. */
  private async ensureJumps(): Promise<void> {
    for (const j of builtinJumps(this.prefix)) {
      const args = ['-w', '5', '-t', j.table];
      try {
        await runHostCommand('iptables', [...args, '-C', j.chain, '-j', j.target], { netns: this.netns });
      } catch {
        await runHostCommand('iptables', [...args, '-I', j.chain, '1', '-j', j.target], { netns: this.netns });
      }
    }
  }

  async sync(routes: ServicePortRoute[]): Promise<SyncResult> {
    const next = buildIptRuleset(this.cfg, routes);
    const full = this.applied === undefined;
    const input = iptablesRestoreInput(this.applied, next);
    if (input) {
      try {
        await this.restore(input);
        if (full) await this.ensureJumps();
      } catch (e) {
        this.applied = undefined;
        throw e;
      }
    }
    this.applied = next;
    return { full, changes: input ? input.split('\n').length - 1 : 0 };
  }

  invalidate(): void {
    this.applied = undefined;
  }

  async stop(): Promise<void> {
    this.applied = undefined;
    for (const j of builtinJumps(this.prefix)) {
      try {
        await runHostCommand('iptables', ['-w', '5', '-t', j.table, '-D', j.chain, '-j', j.target], { netns: this.netns });
      } catch {
        // not there
      }
    }
    for (const table of ['nat', 'filter']) {
      const saved = await runHostCommand('iptables-save', ['-t', table], { netns: this.netns }).catch(() => '');
      const mine = saved
        .split('\n')
        .filter((l) => l.startsWith(`:${this.prefix}-`))
        .map((l) => l.slice(1).split(' ')[0]!);
      if (!mine.length) continue;
      const input = [`*${table}`, ...mine.map((n) => `:${n} - [0:0]`), ...mine.map((n) => `-X ${n}`), 'COMMIT'].join('\n') + '\n';
      await this.restore(input).catch((e) => this.log(`service proxy: removing iptables chains: ${(e as Error).message}`));
    }
  }

  private restore(input: string): Promise<string> {
    return runHostCommand('iptables-restore', ['-w', '5', '--noflush'], { input, netns: this.netns });
  }
}

/** Whether iptables can manage the nat table here. */
export async function iptablesAvailable(netns?: string): Promise<boolean> {
  try {
    await runHostCommand('iptables', ['-w', '5', '-t', 'nat', '-S', 'POSTROUTING'], { netns, timeoutMs: 5000 });
    await runHostCommand('iptables-restore', ['--version'], { netns, timeoutMs: 5000 });
    return true;
  } catch {
    return false;
  }
}
