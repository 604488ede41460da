// A pod's network through CNI: a network namespace (named as `ip netns` names them, so it outlives any process
// and every container joins it by path) with `lo` up, then the bridge network on `eth0` (ADD in order, each plugin
// given the previous result), DEL in reverse, CHECK to verify an adopted pod. `lo` is brought up by `ip` in
// the same shell as the namespace, not by the CNI `loopback` plugin: the plugin does only that, and each Go
// plugin run costs several milliseconds of CPU per pod (attachments recorded with a loopback network by
// earlier versions are still deleted through it). What was
// used for ADD is returned as an attachment record so DEL after an agent restart passes the same config
// (the spec requires it). Egress masquerade is one nftables rule per node network (masquerade.ts). Also
// removes the bridge and that rule when the runtime cleans up everything.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { bridgeConfList, cniArgs, pluginInput, resultIPs, type CniPortMapping, type NetworkConfList } from './conflist.js';
import { CniError, invokeBatch, invokePlugin, type CniCommand, type CniInvocation } from './invoke.js';
import { installMasquerade, removeMasquerade } from './masquerade.js';
import { ensureNetnsDir } from './netns-dir.js';

const run = promisify(execFile);

export interface PodNetworkOptions {
  binDir: string;
  bridge: string;
  podCIDR: string;
  /** Directory private to this runtime: host-local reservations live under it. */
  dataDir: string;
  /** Masquerade pod traffic leaving the pod CIDR (one nftables rule; per-pod bridge-plugin rules without nft). */
  ipMasq: boolean;
  mtu?: number;
  /** A static busybox: the namespace is made by its `unshare` and `lo` brought up by its `ip` (see netnsCommands). */
  busybox?: string;
}

export interface PodIdentity {
  sandboxId: string;
  name: string;
  namespace: string;
  uid: string;
  portMappings: CniPortMapping[];
}

/** Everything needed to check or delete the pod's network later, even from another process. */
export interface NetworkAttachment {
  netnsName: string;
  netnsPath: string;
  containerId: string;
  args: string;
  portMappings: CniPortMapping[];
  networks: { ifName: string; list: NetworkConfList }[];
  ips: string[];
  /** The bridge network's ADD result: CHECK's prevResult. */
  result?: unknown;
}

export function netnsNameFor(sandboxId: string): string {
  return `skiff-${sandboxId.slice(0, 20)}`;
}

/**
 * Commands that create the pod's named network namespace with `lo` up. With a busybox and `ip netns`'s
 * directory already set up (a shared mount, which the first `ip netns add` makes it), the namespace file is
 * created by the caller and busybox's `unshare --net=FILE` makes the namespace, binds it to the file and
 * execs busybox's `ip link set lo up` in it: one process of a static binary instead of two runs of
 * iproute2's `ip` (~1.5 ms less CPU per pod). Otherwise `ip netns add` and `ip -n NAME link set lo up`.
 */
export function netnsCommands(att: Pick<NetworkAttachment, 'netnsName' | 'netnsPath'>, busybox: string | undefined, dirReady: boolean): { createFile: boolean; commands: string[][] } {
  if (busybox && dirReady) return { createFile: true, commands: [[busybox, 'unshare', `--net=${att.netnsPath}`, busybox, 'ip', 'link', 'set', 'lo', 'up']] };
  return {
    createFile: false,
    commands: [
      ['ip', 'netns', 'add', att.netnsName],
      ['ip', '-n', att.netnsName, 'link', 'set', 'lo', 'up'],
    ],
  };
}

export class CniPodNetwork {
  private masquerade: Promise<'node' | 'per-pod'> | undefined;
  /** `ip netns`'s directory is known to be a shared mount (it stays one). */
  private netnsDirReady = false;

  constructor(readonly options: PodNetworkOptions) {}

  /**
   * What setUp will do for `pod`, before doing it: the caller can record it first, so a crash in the middle
   * leaves something tearDown can undo. (The first call also installs the node's masquerade rule.)
   */
  async plan(pod: PodIdentity): Promise<NetworkAttachment> {
    const netnsName = netnsNameFor(pod.sandboxId);
    const o = this.options;
    const perPodMasq = o.ipMasq && (await this.nodeMasquerade()) === 'per-pod';
    return {
      netnsName,
      netnsPath: `/run/netns/${netnsName}`,
      containerId: pod.sandboxId,
      args: cniArgs({ namespace: pod.namespace, name: pod.name, uid: pod.uid, sandboxId: pod.sandboxId }),
      portMappings: pod.portMappings,
      networks: [
        {
          ifName: 'eth0',
          list: bridgeConfList({ name: `skiff-${o.bridge}`, bridge: o.bridge, podCIDR: o.podCIDR, ipamDataDir: `${o.dataDir}/ipam`, ipMasq: perPodMasq, mtu: o.mtu, hostPorts: pod.portMappings.length > 0 }),
        },
      ],
      ips: [],
    };
  }

  /**
   * Creates the namespace and attaches the pod as planned; on failure undoes what was done and throws. The
   * namespace, `lo` and the first plugin of every network (bridge) run in one shell started by the script
   * runner: no fork of this process. Further plugins of a chain (portmap) follow with the previous result.
   */
  async setUp(att: NetworkAttachment): Promise<NetworkAttachment> {
    mkdirSync(this.options.dataDir, { recursive: true });
    // Set up as the first `ip netns add` would, before a namespace is bound under it (see netns-dir.ts).
    if (!this.netnsDirReady) this.netnsDirReady = (await ensureNetnsDir().catch(() => 'unsafe')) !== 'unsafe';
    const ns = netnsCommands(att, this.options.busybox, this.netnsDirReady);
    // As `ip netns add` makes it: empty, mode 0, and never one that exists.
    if (ns.createFile) writeFileSync(att.netnsPath, '', { flag: 'wx', mode: 0 });
    const batch = await invokeBatch(
      {
        before: ns.commands,
        // The networks are independent: attached concurrently (one alone runs in the foreground: a fork less).
        concurrent: att.networks.length > 1,
        invocations: att.networks.map((net) => this.invocation('ADD', att, net.ifName, pluginInput(net.list, net.list.plugins[0]!, undefined, { portMappings: att.portMappings }))),
      },
      this.options.dataDir,
    );
    if (batch.beforeError) {
      // Nothing attached yet: only the namespace (or its file) may exist.
      if (existsSync(att.netnsPath)) await run('ip', ['netns', 'delete', att.netnsName]).catch(() => rmSync(att.netnsPath, { force: true }));
      throw batch.beforeError;
    }
    try {
      const results = await Promise.all(
        att.networks.map(async (net, i) => {
          const first = batch.results[i]!;
          if (!first.ok) throw first.error;
          return this.chain('ADD', att, net.ifName, net.list, first.result, 1);
        }),
      );
      att.networks.forEach((net, i) => {
        if (net.ifName !== 'eth0') return;
        att.ips = resultIPs(results[i]);
        att.result = results[i];
      });
      if (!att.ips.length) throw new Error('CNI ADD returned no pod IP');
      return att;
    } catch (err) {
      await this.tearDown(att).catch(() => undefined);
      throw err;
    }
  }

  /**
   * CNI DEL for every network (each chain in reverse; the chains' first plugins and the namespace's removal
   * in one shell), then the namespace. Idempotent.
   */
  async tearDown(att: NetworkAttachment): Promise<void> {
    const errors: unknown[] = [];
    const nsExists = existsSync(att.netnsPath);
    // DEL without the namespace still releases the IPAM reservation (plugins must tolerate a missing netns).
    const target = { ...att, netnsPath: nsExists ? att.netnsPath : '' };
    const nets = [...att.networks].reverse();
    for (const net of nets) {
      await this.chain('DEL', target, net.ifName, { ...net.list, plugins: net.list.plugins.slice(1) }).catch((e) => errors.push(e));
    }
    const batch = await invokeBatch(
      {
        concurrent: nets.length > 1,
        invocations: nets.map((net) => this.invocation('DEL', target, net.ifName, pluginInput(net.list, net.list.plugins[0]!, undefined, { portMappings: att.portMappings }))),
        ...(nsExists ? { after: ['ip', 'netns', 'delete', att.netnsName] } : {}),
      },
      this.options.dataDir,
    );
    for (const r of batch.results) if (r && !r.ok) errors.push(r.error);
    if (batch.afterError) errors.push(batch.afterError);
    if (errors.length) throw errors[0];
  }

  /** CNI CHECK; returns the failure or undefined when the network is as it was set up. */
  async check(att: NetworkAttachment): Promise<string | undefined> {
    if (!existsSync(att.netnsPath)) return `network namespace ${att.netnsPath} is gone`;
    try {
      // CHECK takes the ADD result as prevResult; bridge and host-local verify links and addresses against it.
      for (const net of att.networks) if (net.ifName === 'eth0') await this.chain('CHECK', att, net.ifName, net.list, att.result);
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /**
   * With ipMasq: one nftables masquerade rule for the pod CIDR, installed once (per-pod iptables chains from
   * the bridge plugin cost several iptables runs per ADD and DEL); 'per-pod' when nft is not usable.
   */
  private nodeMasquerade(): Promise<'node' | 'per-pod'> {
    this.masquerade ??= installMasquerade(this.options.bridge, this.options.podCIDR).then(
      () => 'node' as const,
      () => 'per-pod' as const,
    );
    return this.masquerade;
  }

  /** Deletes the bridge, the masquerade rule and the IPAM directory (when the runtime removes every pod). */
  async removeBridge(): Promise<void> {
    this.masquerade = undefined;
    await removeMasquerade(this.options.bridge);
    await run('ip', ['link', 'delete', this.options.bridge, 'type', 'bridge']).catch(() => undefined);
    rmSync(`${this.options.dataDir}/ipam`, { recursive: true, force: true });
  }

  private invocation(command: CniCommand, att: NetworkAttachment, ifName: string, input: Record<string, unknown>): CniInvocation {
    return { binDir: this.options.binDir, command, containerId: att.containerId, netns: att.netnsPath, ifName, args: att.args, input };
  }

  /** Runs a conflist's plugins from index `from` (DEL: in reverse), each ADD given the previous result. */
  private async chain(command: CniCommand, att: NetworkAttachment, ifName: string, list: NetworkConfList, prevResult?: unknown, from = 0): Promise<unknown> {
    const rest = list.plugins.slice(from);
    const plugins = command === 'DEL' ? rest.reverse() : rest;
    let prev: unknown = prevResult;
    for (const plugin of plugins) {
      const result = await invokePlugin(this.invocation(command, att, ifName, pluginInput(list, plugin, prev, { portMappings: att.portMappings })));
      if (command === 'ADD') prev = result;
    }
    return prev;
  }
}

export { CniError };
