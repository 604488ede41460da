// Node routes for pod-to-pod traffic across nodes: watches Nodes, plans (plan.ts) a route to every other
// node's pod CIDR via its InternalIP, and applies the difference with `ip route` in this node's network
// namespace. Its routes carry their own protocol number, so they are found again after a crash and removed
// on stop. Traffic between pod CIDRs keeps the pods' addresses (an identity source NAT ahead of the pod
// egress masquerade, in the nftables table skiff_routes_<node>). Needs root (CAP_NET_ADMIN); nodes must
// reach each other's InternalIP directly (one L2 segment), as flannel's host-gw backend.
import type { Node } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import * as resources from '../../client/resources.js';
import { runHostCommand } from '../proxy/host-command.js';
import { diffPodRoutes, planPodRoutes, podRoutesRuleset, podRoutesTable, routeKey, type PodRoute, type RouteChanges } from './plan.js';

/** The routing protocol number Skiff's pod routes carry (`ip route show proto 90`). */
export const podRouteProto = '90';

type Installed = Pick<PodRoute, 'dest' | 'via'>;

/** Pod routes present in the namespace (those with Skiff's protocol number). */
export async function installedPodRoutes(netns?: string): Promise<Installed[]> {
  const out = await runHostCommand('ip', ['-j', '-4', 'route', 'show', 'proto', podRouteProto], { netns });
  const rows = JSON.parse(out || '[]') as { dst?: string; gateway?: string }[];
  return rows.filter((r) => r.dst && r.gateway).map((r) => ({ dest: r.dst!.includes('/') ? r.dst! : `${r.dst}/32`, via: r.gateway! }));
}

/** IPv4 addresses of the namespace's interfaces. */
export async function localAddresses(netns?: string): Promise<string[]> {
  const out = await runHostCommand('ip', ['-j', '-4', 'addr', 'show'], { netns });
  const ifs = JSON.parse(out || '[]') as { addr_info?: { local?: string }[] }[];
  return ifs.flatMap((i) => (i.addr_info ?? []).map((a) => a.local ?? '')).filter(Boolean);
}

/** Applies changes one route at a time; returns the messages of those that failed (the rest are applied). */
export async function applyPodRoutes(changes: RouteChanges, netns?: string): Promise<string[]> {
  const failures: string[] = [];
  for (const r of changes.remove) {
    await runHostCommand('ip', ['route', 'del', r.dest, 'via', r.via, 'proto', podRouteProto], { netns }).catch((e: Error) => {
      if (!/No such process/.test(e.message)) failures.push(`removing the route ${routeKey(r)}: ${e.message}`);
    });
  }
  for (const r of changes.put) {
    await runHostCommand('ip', ['route', 'replace', r.dest, 'via', r.via, 'proto', podRouteProto], { netns }).catch((e: Error) =>
      failures.push(`route to node ${r.node}'s pods ${routeKey(r)}: ${e.message}`),
    );
  }
  return failures;
}

export interface NodeRoutesOptions {
  client: ApiClient;
  nodeName: string;
  /** Named network namespace to program (tests); default: the agent's own. */
  netns?: string;
  log: (line: string) => void;
  retryMs?: number;
}

export interface NodeRoutes {
  /** Resolves after the first sync (routes to every node known then are in place or reported failed). */
  synced: Promise<void>;
  /** Stops watching; removeRoutes (default true) also deletes the routes, else they stay for the pods left running. */
  stop(opts?: { removeRoutes?: boolean }): Promise<void>;
}

export async function startNodeRoutes(o: NodeRoutesOptions): Promise<NodeRoutes> {
  const retryMs = o.retryMs ?? 5000;
  const nodes = new Informer<Node>(o.client, resources.nodes, { log: o.log });
  let stopped = false;
  let running: Promise<void> | undefined;
  let pending = false;
  let retry: NodeJS.Timeout | undefined;
  let lastFailures = '';
  const table = podRoutesTable(o.nodeName);
  let ruleset = ''; // last applied
  let firstSync: () => void = () => {};
  const synced = new Promise<void>((r) => (firstSync = r));

  const syncOnce = async () => {
    const [installed, local] = await Promise.all([installedPodRoutes(o.netns), localAddresses(o.netns)]);
    const wanted = planPodRoutes(nodes.indexer.list(), o.nodeName, local);
    const changes = diffPodRoutes(installed, wanted);
    const failures = changes.put.length || changes.remove.length ? await applyPodRoutes(changes, o.netns) : [];
    const own = nodes.indexer.list().find((n) => n.metadata?.name === o.nodeName)?.spec?.podCIDR;
    // Only with other nodes' pods to reach: a single node leaves no table behind.
    const rules = own && wanted.length ? podRoutesRuleset(table, own, wanted.map((r) => r.dest)) : '';
    if (rules !== ruleset) {
      const apply = rules ? runHostCommand('nft', ['-f', '-'], { netns: o.netns, input: rules }) : runHostCommand('nft', ['delete', 'table', 'ip', table], { netns: o.netns });
      await apply.then(
        () => void (ruleset = rules),
        (e: Error) => failures.push(`keeping pod addresses between nodes (nftables table ${table}): ${e.message}`),
      );
    }
    for (const r of changes.put) if (!failures.some((f) => f.includes(routeKey(r)))) o.log(`node routes: pods of node ${r.node} (${r.dest}) via ${r.via}`);
    const text = failures.join('; ');
    if (text && text !== lastFailures) o.log(`node routes: ${text} (retrying every ${retryMs / 1000} s)`);
    lastFailures = text;
    if (failures.length) {
      clearTimeout(retry);
      retry = setTimeout(schedule, retryMs);
    }
  };
  const run = async () => {
    while (pending && !stopped) {
      pending = false;
      try {
        await syncOnce();
      } catch (e) {
        o.log(`node routes: sync failed: ${(e as Error).message}`);
        clearTimeout(retry);
        retry = setTimeout(schedule, retryMs);
      }
      firstSync();
    }
  };
  function schedule() {
    if (stopped || !nodes.hasSynced()) return;
    pending = true;
    if (!running) running = run().finally(() => (running = undefined));
  }
  nodes.addEventHandler({ onAdd: schedule, onUpdate: schedule, onDelete: schedule });
  nodes.start();
  void nodes.waitForSync().then(schedule);
  return {
    synced,
    async stop({ removeRoutes = true } = {}) {
      stopped = true;
      clearTimeout(retry);
      await nodes.stop();
      await running;
      if (!removeRoutes) return;
      if (ruleset) await runHostCommand('nft', ['delete', 'table', 'ip', table], { netns: o.netns }).catch(() => undefined);
      const left = await installedPodRoutes(o.netns).catch(() => []);
      const failures = await applyPodRoutes({ put: [], remove: left }, o.netns);
      for (const f of failures) o.log(`node routes: ${f}`);
    },
  };
}
