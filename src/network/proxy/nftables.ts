// The nftables data path: applies nft-ruleset.ts's rule set with `nft -f -` (one atomic transaction per
// sync): the whole table on the first sync and after a failure, only the differences afterwards. Stop
// deletes the table. Also sets the sysctls the rules rely on (bridged traffic through netfilter;
// route_localnet for localhost NodePorts).
import { buildRuleset, fullTransaction, partialTransaction, type NftConfig, type NftRuleset } from './nft-ruleset.js';
import { runHostCommand } from './host-command.js';
import type { DataPath, SyncResult } from './data-path.js';
import type { ServicePortRoute } from './service-ports.js';
import { setSysctl } from './sysctl.js';

export class NftablesDataPath implements DataPath {
  readonly mode = 'nftables' as const;
  private applied: NftRuleset | undefined;
  private readonly fragments = new WeakMap<ServicePortRoute, NftRuleset>();

  constructor(
    private readonly cfg: NftConfig,
    private readonly netns: string | undefined,
    private readonly log: (line: string) => void,
  ) {}

  async setUp(): Promise<void> {
    await setSysctl('net.bridge.bridge-nf-call-iptables', '1', this.netns, this.log);
    if (this.cfg.localhostNodePorts) await setSysctl('net.ipv4.conf.all.route_localnet', '1', this.netns, this.log);
  }

  async sync(routes: ServicePortRoute[]): Promise<SyncResult> {
    const next = buildRuleset(this.cfg, routes, this.fragments);
    const full = this.applied === undefined;
    const script = full ? fullTransaction(this.cfg, next) : partialTransaction(this.cfg, this.applied!, next);
    if (script) {
      try {
        await runHostCommand('nft', ['-f', '-'], { input: script, netns: this.netns });
      } catch (e) {
        this.applied = undefined; // the next sync rewrites the table
        throw e;
      }
    }
    this.applied = next;
    return { full, changes: script ? script.split('\n').length - 1 : 0 };
  }

  invalidate(): void {
    this.applied = undefined;
  }

  async stop(): Promise<void> {
    this.applied = undefined;
    try {
      await runHostCommand('nft', ['delete', 'table', 'ip', this.cfg.table], { netns: this.netns });
    } catch {
      // not there
    }
  }
}

/** Whether nft can manage tables here (binary present and privileged). */
export async function nftablesAvailable(netns?: string): Promise<boolean> {
  try {
    await runHostCommand('nft', ['list', 'tables'], { netns, timeoutMs: 5000 });
    return true;
  } catch {
    return false;
  }
}
