// Service ClusterIP and NodePort allocation (upstream does this in the service REST storage with bitmap
// allocators repaired from etcd). Here the allocation state is derived from the Services in the watch cache
// (an index of held values, listed once and then kept in step with the cache's events, so a write does not
// scan every Service), plus short-lived in-process reservations for creates that have not reached the cache
// yet, so it is restart-safe and never hands out a value twice. It runs as a mutating admission plugin after the
// service strategy's defaults; it does not touch anything but spec.clusterIP(s) and spec.ports[].nodePort.
import { cause, errors, type StatusCause } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { ObjectStorage } from '../object-storage.js';
import type { WatchCache } from '../../storage/watch-cache.js';
import type { ResourceRegistry } from '../resource-registry.js';
import type { AdmissionPlugin } from './admission.js';

import { formatIPv4, parseIPv4, serviceCidrOf, type Ipv4Cidr } from '../../network/service-cidr.js';

export { formatIPv4, parseIPv4 };
export const nodePortRange = { min: 30000, max: 32767 };

export interface AllocatorConfig {
  cidr: Ipv4Cidr;
  /** Addresses handed out only when asked for by name (the `kubernetes` Service's and cluster DNS's). */
  reservedIPs: Set<number>;
  ports: { min: number; max: number };
}

/** The allocator for a service CIDR (--service-cidr; default 10.43.0.0/16). */
export function defaultAllocatorConfig(serviceCidr?: string): AllocatorConfig {
  const cidr = serviceCidrOf(serviceCidr);
  return {
    cidr,
    reservedIPs: new Set([parseIPv4(cidr.kubernetesIP)!, parseIPv4(cidr.dnsIP)!]),
    ports: { ...nodePortRange },
  };
}

/** Values already taken (by other services). */
export interface Allocated {
  ips: Pick<Set<string>, 'has'>;
  ports: Pick<Set<number>, 'has'>;
}

type Loose = Record<string, unknown>;
interface PortLike {
  port?: number;
  protocol?: string;
  nodePort?: number;
}

function specOf(obj: KubeObject | undefined): Loose {
  return ((obj as Loose | undefined)?.['spec'] ?? {}) as Loose;
}

export function wantsClusterIP(spec: Loose): boolean {
  return (spec['type'] ?? 'ClusterIP') !== 'ExternalName' && spec['clusterIP'] !== 'None';
}

export function wantsNodePorts(spec: Loose): boolean {
  const t = spec['type'];
  if (t === 'NodePort') return true;
  return t === 'LoadBalancer' && spec['allocateLoadBalancerNodePorts'] !== false;
}

/** The IPs and node ports a stored service holds. */
export function heldBy(obj: KubeObject): { ips: string[]; ports: number[] } {
  const spec = specOf(obj);
  const ips: string[] = [];
  if ((spec['type'] ?? 'ClusterIP') !== 'ExternalName') {
    const list = Array.isArray(spec['clusterIPs']) ? (spec['clusterIPs'] as unknown[]) : [spec['clusterIP']];
    for (const ip of list) if (typeof ip === 'string' && ip && ip !== 'None') ips.push(ip);
  }
  const ports: number[] = [];
  for (const p of (spec['ports'] as PortLike[] | undefined) ?? []) if (p && typeof p.nodePort === 'number' && p.nodePort > 0) ports.push(p.nodePort);
  if (typeof spec['healthCheckNodePort'] === 'number' && spec['healthCheckNodePort'] > 0) ports.push(spec['healthCheckNodePort']);
  return { ips, ports };
}

function inCidr(cfg: AllocatorConfig, n: number): boolean {
  return n > cfg.cidr.base && n < cfg.cidr.base + cfg.cidr.size - 1; // not the network or broadcast address
}

/** A free address (pure given rand): random start, then linear probe; undefined when the range is full. */
export function pickIP(cfg: AllocatorConfig, taken: Pick<Set<string>, 'has'>, rand: () => number = Math.random): string | undefined {
  const hosts = cfg.cidr.size - 2;
  const start = Math.floor(rand() * hosts);
  for (let i = 0; i < hosts; i++) {
    const n = cfg.cidr.base + 1 + ((start + i) % hosts);
    if (cfg.reservedIPs.has(n)) continue;
    const s = formatIPv4(n);
    if (!taken.has(s)) return s;
  }
  return undefined;
}

export function pickPort(cfg: AllocatorConfig, taken: Pick<Set<number>, 'has'>, rand: () => number = Math.random): number | undefined {
  const n = cfg.ports.max - cfg.ports.min + 1;
  const start = Math.floor(rand() * n);
  for (let i = 0; i < n; i++) {
    const p = cfg.ports.min + ((start + i) % n);
    if (!taken.has(p)) return p;
  }
  return undefined;
}

export interface AllocationResult {
  causes: StatusCause[];
  /** Values this service now holds that were not held by the old object. */
  newIPs: string[];
  newPorts: number[];
}

/**
 * Fills in spec.clusterIP(s) and spec.ports[].nodePort of `obj` (mutating it) given what other services
 * hold; values the user chose (or the old object held) are validated. Pure apart from `rand`.
 */
export function allocate(
  cfg: AllocatorConfig,
  obj: KubeObject,
  old: KubeObject | undefined,
  allocated: Allocated,
  rand: () => number = Math.random,
): AllocationResult {
  const spec = specOf(obj);
  (obj as Loose)['spec'] = spec;
  const res: AllocationResult = { causes: [], newIPs: [], newPorts: [] };
  const oldHeld = old ? heldBy(old) : { ips: [], ports: [] };

  if (wantsClusterIP(spec)) {
    const requested = typeof spec['clusterIP'] === 'string' && spec['clusterIP'] ? (spec['clusterIP'] as string) : undefined;
    if (requested === undefined) {
      const ip = pickIP(cfg, allocated.ips, rand);
      if (!ip) {
        res.causes.push(cause.invalid('spec.clusterIPs', [], `failed to allocate a serviceIP: range is full`));
      } else {
        spec['clusterIP'] = ip;
        spec['clusterIPs'] = [ip];
        res.newIPs.push(ip);
      }
    } else if (!oldHeld.ips.includes(requested)) {
      const n = parseIPv4(requested);
      const shown = Array.isArray(spec['clusterIPs']) && spec['clusterIPs'].length ? spec['clusterIPs'] : [requested];
      if (n === undefined) {
        res.causes.push(cause.invalid('spec.clusterIPs', shown, `failed to allocate IP ${requested}: must be a valid IP address`));
      } else if (!inCidr(cfg, n)) {
        res.causes.push(
          cause.invalid('spec.clusterIPs', shown, `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${cfg.cidr.text}`),
        );
      } else if (allocated.ips.has(requested)) {
        res.causes.push(cause.invalid('spec.clusterIPs', shown, `failed to allocate IP ${requested}: provided IP is already allocated`));
      } else {
        if (!Array.isArray(spec['clusterIPs']) || spec['clusterIPs'].length === 0) spec['clusterIPs'] = [requested];
        res.newIPs.push(requested);
      }
    }
  }

  if (wantsNodePorts(spec)) {
    const ports = (spec['ports'] as PortLike[] | undefined) ?? [];
    const chosen = new Set<number>();
    const taken = { has: (p: number) => chosen.has(p) || allocated.ports.has(p), add: (p: number) => chosen.add(p) };
    // A port number used by this service for another protocol may be shared (upstream allows TCP+UDP pairs).
    const mine = new Map<number, string[]>();
    ports.forEach((p, i) => {
      if (!p || typeof p.nodePort !== 'number' || p.nodePort === 0) return;
      const f = `spec.ports[${i}].nodePort`;
      const proto = p.protocol ?? 'TCP';
      const protos = mine.get(p.nodePort);
      if (protos) {
        if (protos.includes(proto)) res.causes.push(cause.duplicate(f, p.nodePort));
        else protos.push(proto);
        return;
      }
      mine.set(p.nodePort, [proto]);
      if (oldHeld.ports.includes(p.nodePort)) return;
      if (p.nodePort < cfg.ports.min || p.nodePort > cfg.ports.max) {
        res.causes.push(cause.invalid(f, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${cfg.ports.min}-${cfg.ports.max}`));
      } else if (taken.has(p.nodePort)) {
        res.causes.push(cause.invalid(f, p.nodePort, 'provided port is already allocated'));
      } else {
        res.newPorts.push(p.nodePort);
      }
    });
    for (const n of mine.keys()) taken.add(n);
    ports.forEach((p, i) => {
      if (!p || (typeof p.nodePort === 'number' && p.nodePort !== 0)) return;
      // Same port number, other protocol: share its node port as upstream does.
      const sibling = ports.find((q) => q !== p && q?.port === p.port && typeof q?.nodePort === 'number' && q.nodePort > 0 && (q.protocol ?? 'TCP') !== (p.protocol ?? 'TCP'));
      if (sibling?.nodePort) {
        p.nodePort = sibling.nodePort;
        return;
      }
      const n = pickPort(cfg, taken, rand);
      if (n === undefined) {
        res.causes.push(cause.invalid(`spec.ports[${i}].nodePort`, 0, 'failed to allocate a nodePort: range is full'));
        return;
      }
      p.nodePort = n;
      taken.add(n);
      res.newPorts.push(n);
    });
  }
  return res;
}

/**
 * How long an in-process reservation may wait for its write to show in the cache; past this the write failed
 * (or was rejected later in the chain) or the service is already gone, and the value is free again.
 */
const reservationTtlMs = 2_000;

interface Reservation {
  owner: string;
  /** The owner's resourceVersion in the cache when reserved ('' = not there): any other means its write landed. */
  ownerRv: string;
  until: number;
}

/**
 * The IPs and node ports every stored Service holds, counted per value, kept in step with a watch cache: built
 * from one list, then updated by the cache's own events (delivered synchronously as the cache applies them,
 * so the index never lags what cache.get shows). When the cache ends its watchers (it relists), the index is
 * dropped and built again on next use.
 */
export class HeldValues {
  private readonly byOwner = new Map<string, { ips: string[]; ports: number[] }>();
  private readonly ips = new Map<string, number>();
  private readonly ports = new Map<number, number>();

  set(owner: string, obj: KubeObject | undefined): void {
    const old = this.byOwner.get(owner);
    if (old) {
      for (const ip of old.ips) dec(this.ips, ip);
      for (const p of old.ports) dec(this.ports, p);
      this.byOwner.delete(owner);
    }
    if (!obj) return;
    const h = heldBy(obj);
    if (h.ips.length === 0 && h.ports.length === 0) return;
    this.byOwner.set(owner, h);
    for (const ip of h.ips) this.ips.set(ip, (this.ips.get(ip) ?? 0) + 1);
    for (const p of h.ports) this.ports.set(p, (this.ports.get(p) ?? 0) + 1);
  }

  /** Values held by Services other than `owner`. */
  except(owner: string): Allocated {
    const mine = this.byOwner.get(owner);
    const held = <K>(m: Map<K, number>, own: K[] | undefined) => (v: K) => (m.get(v) ?? 0) > (own?.includes(v) ? 1 : 0);
    return { ips: { has: held(this.ips, mine?.ips) }, ports: { has: held(this.ports, mine?.ports) } };
  }
}

function dec<K>(m: Map<K, number>, k: K): void {
  const n = (m.get(k) ?? 0) - 1;
  if (n > 0) m.set(k, n);
  else m.delete(k);
}

const ownerOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

function heldValuesOf(cache: WatchCache, prefix: string, indexes: WeakMap<WatchCache, HeldValues>): HeldValues {
  let idx = indexes.get(cache);
  if (idx) return idx;
  const built = new HeldValues();
  for (const s of cache.list(prefix).items) built.set(ownerOf(s), s);
  cache.watch(prefix, 0, undefined, {
    onEvent: (e) => built.set(ownerOf(e.object), e.type === 'DELETED' ? undefined : e.object),
    onClose: () => {
      if (indexes.get(cache) === built) indexes.delete(cache);
    },
  });
  indexes.set(cache, (idx = built));
  return idx;
}

export function serviceIpPlugin(registry: ResourceRegistry, storage: ObjectStorage, cfg: AllocatorConfig = defaultAllocatorConfig()): AdmissionPlugin {
  // Values handed out by this process whose write is not (yet) in the cache: guards concurrent creates.
  const pendingIPs = new Map<string, Reservation>();
  const pendingPorts = new Map<number, Reservation>();
  const indexes = new WeakMap<WatchCache, HeldValues>();

  return {
    name: 'ServiceIPAllocation',
    handles: (rt, operation, subresource) => (operation === 'CREATE' || operation === 'UPDATE') && !subresource && rt.group === '' && rt.resource === 'services',
    mutate: async (attrs) => {
      if (attrs.subresource || attrs.rt.group !== '' || attrs.rt.resource !== 'services' || !attrs.object) return;
      if (attrs.operation !== 'CREATE' && attrs.operation !== 'UPDATE') return;
      const svcType = registry.lookup('', 'v1', 'services');
      if (!svcType) return;
      const cache = await storage.cache(svcType);
      const prefix = `${svcType.storagePrefix}/`;
      const keyOf = (owner: string) => storage.key(svcType, owner.split('/')[0] ?? '', owner.split('/')[1] ?? '');
      const self = `${attrs.namespace}/${attrs.name}`;
      const now = Date.now();
      const held = heldValuesOf(cache, prefix, indexes).except(self);
      const reservedIPs = new Set<string>();
      const reservedPorts = new Set<number>();
      const allocated: Allocated = {
        ips: { has: (ip) => reservedIPs.has(ip) || held.ips.has(ip) },
        ports: { has: (p) => reservedPorts.has(p) || held.ports.has(p) },
      };
      const landed = (r: Reservation) => r.until < now || (cache.get(keyOf(r.owner))?.metadata.resourceVersion ?? '') !== r.ownerRv;
      for (const [ip, r] of pendingIPs) {
        if (landed(r)) pendingIPs.delete(ip);
        else if (r.owner !== self) reservedIPs.add(ip);
      }
      for (const [p, r] of pendingPorts) {
        if (landed(r)) pendingPorts.delete(p);
        else if (r.owner !== self) reservedPorts.add(p);
      }
      const res = allocate(cfg, attrs.object, attrs.oldObject, allocated);
      if (res.causes.length) throw errors.invalid('', 'Service', attrs.name, res.causes);
      if (attrs.dryRun) return;
      const r: Reservation = { owner: self, ownerRv: cache.get(keyOf(self))?.metadata.resourceVersion ?? '', until: now + reservationTtlMs };
      for (const ip of res.newIPs) pendingIPs.set(ip, r);
      for (const p of res.newPorts) pendingPorts.set(p, r);
    },
  };
}
