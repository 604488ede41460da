// The service proxy of a node (kube-proxy's role): watches Services and EndpointSlices, computes this node's
// routes (service-ports.ts) and hands them to a data path — nftables (default), iptables when nft is
// unusable, or a userspace TCP/UDP proxy on loopback ports when the agent is not root. Changes are coalesced:
// at most one sync runs at a time and the next one starts as soon as it ends. A fallback is stated loudly:
// the returned `warning` is for the agent to turn into an Event and a node condition.
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ApiClient } from '../../client/client.js';
import { keyOf } from '../../client/indexer.js';
import { Informer } from '../../client/informer.js';
import * as resources from '../../client/resources.js';
import { clearStaleFlows, staleUdpFlows } from './conntrack.js';
import type { DataPath, ProxyMode, SyncResult } from './data-path.js';
import { commandWorks } from './host-command.js';
import { iptablesAvailable, IptablesDataPath } from './iptables.js';
import { nftablesAvailable, NftablesDataPath } from './nftables.js';
import { serviceRoutes, sliceServiceKey, type ServicePortRoute } from './service-ports.js';
import { UserspaceDataPath, type UserspaceListener } from './userspace.js';

export type { ProxyMode } from './data-path.js';
export type { UserspaceListener } from './userspace.js';

export interface ServiceProxyOptions {
  client: ApiClient;
  nodeName: string;
  nodeIPs: string[];
  mode: 'auto' | ProxyMode;
  /** Names this instance's table/chains (`skiff-<suffix>`), unique per cluster on a host. */
  tableSuffix: string;
  /** Pod network CIDR: traffic to cluster IPs from elsewhere is masqueraded. */
  clusterCIDR?: string;
  masqueradeAll?: boolean;
  /** NodePorts reachable on 127.0.0.1 (default true, as kube-proxy's iptables mode). */
  localhostNodePorts?: boolean;
  balance?: 'random' | 'round-robin';
  /** Program rules inside this named network namespace (tests, agents in their own namespace). */
  netns?: string;
  /** Userspace mode: the address its listeners bind (default 127.0.0.1). */
  userspaceHost?: string;
  log?: (line: string) => void;
  /** Full rewrite of the data path this often (kube-proxy's nftables mode: 1 h). */
  fullResyncMs?: number;
  /** Called after every successful sync (benchmarks, tests, metrics). */
  onSync?: (info: SyncResult & { routes: number; durationMs: number }) => void;
}

export interface ProxyWarning {
  /** Event reason / node condition reason. */
  reason: 'UserspaceProxy' | 'IptablesProxy';
  message: string;
}

export interface ServiceProxy {
  mode: ProxyMode;
  warning?: ProxyWarning;
  /** Resolves after the first successful sync. */
  synced(): Promise<void>;
  stats(): { syncs: number; fullSyncs: number; failures: number; lastError?: string };
  /** Userspace mode: where each Service port listens. */
  userspaceListeners(): UserspaceListener[];
  stop(): Promise<void>;
}

const retryMs = 1000;
const defaultFullResyncMs = 60 * 60 * 1000;

export async function startServiceProxy(opts: ServiceProxyOptions): Promise<ServiceProxy> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const { dataPath, warning } = await chooseDataPath(opts, log);
  if (warning) log(`service proxy: WARNING ${warning.message}`);
  await dataPath.setUp();

  const services = new Informer<Service>(opts.client, resources.services, { log });
  const slices = new Informer<EndpointSlice>(opts.client, resources.endpointSlices, {
    log,
    indexers: { service: (s: EndpointSlice) => (sliceServiceKey(s) ? [sliceServiceKey(s)!] : []) },
  });
  const stats = { syncs: 0, fullSyncs: 0, failures: 0, lastError: undefined as string | undefined };
  let stopped = false;
  let running: Promise<void> | undefined;
  let pending = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let firstSync: () => void = () => {};
  const firstSyncDone = new Promise<void>((r) => (firstSync = r));

  // Routes per Service, recomputed only for Services whose object or slices changed since the last sync, so
  // unchanged Services keep the same route objects (the data paths cache their rules by object).
  const routesByService = new Map<string, ServicePortRoute[]>();
  const dirty = new Set<string>();
  // Kernel data paths: after each sync, UDP flows to endpoints that went away are deleted from conntrack
  // (kube-proxy does the same); the routes last programmed per Service are what "went away" is measured from.
  const conntrack = dataPath.mode !== 'userspace' && (await commandWorks('conntrack', ['--version'], opts.netns));
  if (dataPath.mode !== 'userspace' && !conntrack) log('service proxy: conntrack (conntrack-tools) not found: UDP flows to removed endpoints are not cleared and keep going to them until they expire');
  const programmed = new Map<string, ServicePortRoute[]>();
  const routes = (keys: Set<string>): ServicePortRoute[] => {
    for (const key of keys) {
      const svc = services.indexer.get(key);
      if (svc) routesByService.set(key, serviceRoutes(svc, slices.indexer.byIndex('service', key), opts.nodeName));
      else routesByService.delete(key);
    }
    return [...routesByService.values()].flat();
  };
  const runSync = async (): Promise<void> => {
    while (pending && !stopped) {
      pending = false;
      const t0 = performance.now();
      const keys = new Set(dirty);
      dirty.clear();
      try {
        const rs = routes(keys);
        const res = await dataPath.sync(rs);
        const before = [...keys].flatMap((k) => programmed.get(k) ?? []);
        for (const k of keys) {
          const now = routesByService.get(k);
          if (now) programmed.set(k, now);
          else programmed.delete(k);
        }
        if (conntrack) {
          const stale = staleUdpFlows(before, [...keys].flatMap((k) => programmed.get(k) ?? []));
          await clearStaleFlows(stale, opts.netns).catch((e: Error) => log(`service proxy: clearing stale UDP flows: ${e.message}`));
        }
        stats.syncs++;
        if (res.full) stats.fullSyncs++;
        stats.lastError = undefined;
        opts.onSync?.({ ...res, routes: rs.length, durationMs: performance.now() - t0 });
        firstSync();
      } catch (e) {
        for (const k of keys) dirty.add(k);
        stats.failures++;
        stats.lastError = (e as Error).message;
        log(`service proxy: sync failed (retrying in ${retryMs} ms): ${stats.lastError}`);
        clearTimeout(retryTimer);
        retryTimer = setTimeout(schedule, retryMs);
        return;
      }
    }
  };
  const schedule = () => {
    if (stopped || !services.hasSynced() || !slices.hasSynced()) return;
    pending = true;
    if (!running) running = runSync().finally(() => (running = undefined));
  };
  const serviceChanged = (s: Service) => {
    dirty.add(keyOf(s));
    schedule();
  };
  const sliceChanged = (...ss: EndpointSlice[]) => {
    for (const s of ss) {
      const k = sliceServiceKey(s);
      if (k) dirty.add(k);
    }
    schedule();
  };
  services.addEventHandler({ onAdd: serviceChanged, onUpdate: (_o, n) => serviceChanged(n), onDelete: serviceChanged });
  slices.addEventHandler({ onAdd: (s) => sliceChanged(s), onUpdate: (o, n) => sliceChanged(o, n), onDelete: (s) => sliceChanged(s) });
  const resync = setInterval(() => {
    dataPath.invalidate();
    schedule();
  }, opts.fullResyncMs ?? defaultFullResyncMs);
  resync.unref();
  services.start();
  slices.start();
  await Promise.all([services.waitForSync(), slices.waitForSync()]);
  schedule();

  return {
    mode: dataPath.mode,
    warning,
    synced: () => firstSyncDone,
    stats: () => ({ ...stats }),
    userspaceListeners: () => (dataPath instanceof UserspaceDataPath ? dataPath.listeners() : []),
    stop: async () => {
      stopped = true;
      clearTimeout(retryTimer);
      clearInterval(resync);
      await Promise.all([services.stop(), slices.stop()]);
      await running;
      await dataPath.stop();
    },
  };
}

async function chooseDataPath(opts: ServiceProxyOptions, log: (line: string) => void): Promise<{ dataPath: DataPath; warning?: ProxyWarning }> {
  const table = `skiff-${opts.tableSuffix}`;
  const nftCfg = { table, clusterCIDR: opts.clusterCIDR, masqueradeAll: opts.masqueradeAll, localhostNodePorts: opts.localhostNodePorts ?? true, balance: opts.balance };
  const userspace = (why: string): { dataPath: DataPath; warning: ProxyWarning } => ({
    dataPath: new UserspaceDataPath({ host: opts.userspaceHost ?? '127.0.0.1', log }),
    warning: {
      reason: 'UserspaceProxy',
      message: `${why}: Services are proxied in userspace on ${opts.userspaceHost ?? '127.0.0.1'} ports, not on their cluster IPs (no NodePorts, slower)`,
    },
  });
  if (opts.mode === 'userspace') return userspace('userspace proxy mode requested');
  if (opts.mode === 'nftables') return { dataPath: new NftablesDataPath(nftCfg, opts.netns, log) };
  if (opts.mode === 'iptables') return { dataPath: new IptablesDataPath({ ...nftCfg, chainPrefix: opts.tableSuffix }, opts.netns, log) };
  if (await nftablesAvailable(opts.netns)) return { dataPath: new NftablesDataPath(nftCfg, opts.netns, log) };
  if (await iptablesAvailable(opts.netns)) {
    return {
      dataPath: new IptablesDataPath({ ...nftCfg, chainPrefix: opts.tableSuffix }, opts.netns, log),
      warning: { reason: 'IptablesProxy', message: 'nftables is not usable here (nft missing or not permitted); Services are routed with iptables' },
    };
  }
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return userspace(root ? 'neither nftables nor iptables is usable' : 'not running as root (no nftables/iptables)');
}
