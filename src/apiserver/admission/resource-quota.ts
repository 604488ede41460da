// Upstream's ResourceQuota admission plugin: on create of a namespaced object, every ResourceQuota of the
// namespace that constrains what the object uses must have room for it (status.used + the object's usage
// ≤ status.hard), else 403 "exceeded quota: ..."; pods lacking a request/limit a quota constrains get
// 403 "failed quota: <q>: must specify ...". Admitted usage is charged at once by writing the quota's
// status.used (compare-and-swap, as upstream does), with admissions serialized per namespace in this
// process, so concurrent creates cannot overshoot; the ResourceQuota controller later recomputes the exact
// figures. This module only decides and charges; it never changes the admitted object.
import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import { errors, StatusError } from '../../api/errors.js';
import type { ResourceType } from '../../api/resource.js';
import type { KubeObject } from '../../api/types.js';
import {
  addUsage,
  calculateUsed,
  exceeded,
  mask,
  matchingResources,
  objectUsage,
  podConstraintError,
  prettyPrint,
  quotaMatches,
  toUsage,
  fromUsage,
  type GroupResource,
  type Usage,
} from '../../controllers/resourcequota/evaluate.js';
import { ConflictError, NotFoundError } from '../../storage/store.js';
import type { ObjectStorage } from '../object-storage.js';
import type { ResourceRegistry } from '../resource-registry.js';
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';

export interface QuotaCharge {
  quota: ResourceQuota;
  /** New status.used to write, when the object is admitted. */
  used: Usage;
}

/**
 * The admission decision (pure): the charges to make, or the forbidden message (without the
 * `<resource> "<name>" is forbidden: ` prefix). Quotas are considered in name order.
 */
export function evaluateQuotas(quotas: ResourceQuota[], gr: GroupResource, obj: unknown, nowMs: number): { charges: QuotaCharge[] } | { error: string } {
  const sorted = [...quotas].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const usage = objectUsage(gr, obj, nowMs);
  const interesting: { quota: ResourceQuota; names: string[] }[] = [];
  for (const quota of sorted) {
    if (!quotaMatches(quota, gr, obj)) continue;
    const names = matchingResources(gr, Object.keys(quota.status?.hard ?? {}));
    if (gr.group === '' && gr.resource === 'pods') {
      const err = podConstraintError(obj as never, names);
      if (err) return { error: `failed quota: ${quota.metadata?.name}: ${err}` };
    }
    // Quota not yet observed by the controller: upstream refuses until it is.
    const used = quota.status?.used ?? {};
    const unknown = names.filter((n) => !(n in used));
    if (unknown.length) return { error: `status unknown for quota: ${quota.metadata?.name}, resources: ${unknown.join(',')}` };
    if (names.length) interesting.push({ quota, names });
  }
  const charges: QuotaCharge[] = [];
  for (const { quota, names } of interesting) {
    const requested = mask(usage, names);
    if (requested.size === 0) continue;
    const used = toUsage(quota.status?.used);
    const hard = toUsage(quota.status?.hard);
    const newUsed = addUsage(used, requested);
    const over = exceeded(mask(newUsed, requested.keys()), hard);
    if (over.length) {
      return {
        error: `exceeded quota: ${quota.metadata?.name}, requested: ${prettyPrint(mask(requested, over))}, used: ${prettyPrint(mask(used, over))}, limited: ${prettyPrint(mask(hard, over))}`,
      };
    }
    charges.push({ quota, used: newUsed });
  }
  return { charges };
}

const pendingTtlMs = 30_000;

export function resourceQuotaPlugin(registry: ResourceRegistry, storage: ObjectStorage, opts: { now?: () => number } = {}): AdmissionPlugin {
  const now = opts.now ?? Date.now;
  const locks = new Map<string, Promise<void>>();
  const withLock = async <T>(ns: string, fn: () => Promise<T>): Promise<T> => {
    const prev = locks.get(ns) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const chained = prev.then(() => mine);
    locks.set(ns, chained);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (locks.get(ns) === chained) locks.delete(ns);
    }
  };

  // Admitted objects not yet seen in the watch cache (so neither in a recount nor, maybe, in status.used).
  const pending = new Map<string, { key: string; gr: GroupResource; obj: unknown; expires: number }[]>();

  /**
   * The quotas with status.used raised to what this server observes for the object's kind: the objects in
   * the watch cache plus admitted ones not there yet. The controller's recount may lag behind our own
   * charges; taking the larger figure keeps concurrent creates from overshooting.
   */
  async function withObservedUsage(quotas: ResourceQuota[], attrs: AdmissionAttributes, gr: GroupResource, t: number): Promise<ResourceQuota[]> {
    if (!attrs.rt.storagePrefix) return quotas;
    const cache = await storage.cache(attrs.rt);
    const items: unknown[] = cache.list(storage.collectionPrefix(attrs.rt, attrs.namespace)).items;
    const list = (pending.get(attrs.namespace) ?? []).filter((p) => p.expires > t && !cache.get(p.key));
    if (list.length) pending.set(attrs.namespace, list);
    else pending.delete(attrs.namespace);
    for (const p of list) if (p.gr.group === gr.group && p.gr.resource === gr.resource) items.push(p.obj);
    return quotas.map((q) => {
      const used = q.status?.used;
      if (!used) return q;
      const observed = calculateUsed({ ...q, spec: { ...q.spec, hard: q.status?.hard ?? {} } }, [{ gr, items }], t);
      const out: Record<string, string> = { ...used };
      for (const [k, v] of observed) {
        const cur = toUsage({ [k]: used[k] }).get(k);
        if (cur && cur.cmp(v) < 0) out[k] = v.toString();
      }
      return { ...q, status: { ...q.status, used: out } };
    });
  }

  async function quotasOf(rqType: ResourceType, ns: string): Promise<ResourceQuota[]> {
    const cache = await storage.cache(rqType);
    return cache.list(storage.collectionPrefix(rqType, ns)).items as unknown as ResourceQuota[];
  }

  async function admit(attrs: AdmissionAttributes, rqType: ResourceType): Promise<void> {
    const gr = { group: attrs.rt.group, resource: attrs.rt.resource };
    const forbidden = (msg: string) => errors.forbidden(`${attrs.rt.resource} "${attrs.name}" is forbidden: ${msg}`);
    for (let attempt = 0; ; attempt++) {
      // Fresh copies from storage: the cache may lag our own charges.
      const cached = await quotasOf(rqType, attrs.namespace);
      const quotas: ResourceQuota[] = [];
      for (const c of cached) {
        const fresh = await storage.get(rqType, attrs.namespace, c.metadata?.name ?? '');
        if (fresh) quotas.push(fresh as unknown as ResourceQuota);
      }
      const t = now();
      const effective = await withObservedUsage(quotas, attrs, gr, t);
      const r = evaluateQuotas(effective, gr, attrs.object, t);
      if ('error' in r) throw forbidden(r.error);
      if (attrs.dryRun || r.charges.length === 0) return;
      try {
        for (const { quota, used } of r.charges) {
          const obj = structuredClone(quota) as unknown as KubeObject & ResourceQuota;
          obj.status = { ...(obj.status ?? {}), used: { ...(obj.status?.used ?? {}), ...fromUsage(used) } };
          const key = storage.key(rqType, attrs.namespace, obj.metadata.name ?? '');
          await storage.store.update(key, storage.encode(rqType, obj), Number(quota.metadata?.resourceVersion));
        }
        const list = pending.get(attrs.namespace) ?? [];
        list.push({ key: storage.key(attrs.rt, attrs.namespace, attrs.name), gr, obj: structuredClone(attrs.object), expires: t + pendingTtlMs });
        pending.set(attrs.namespace, list);
        return;
      } catch (e) {
        if (e instanceof StatusError) throw e;
        // Someone else changed (or removed) the quota meanwhile: decide again on fresh state.
        if (!(e instanceof ConflictError || e instanceof NotFoundError) || attempt >= 10) throw errors.internal(`resourcequota: ${(e as Error).message}`);
      }
    }
  }

  return {
    name: 'ResourceQuota',
    handles: (rt, operation, subresource) => operation === 'CREATE' && !subresource && rt.namespaced,
    validate: (attrs) => {
      if (attrs.operation !== 'CREATE' || attrs.subresource || !attrs.object || !attrs.namespace || !attrs.rt.namespaced) return;
      const rqType = registry.lookup('', 'v1', 'resourcequotas');
      if (!rqType) return;
      // A namespace without quotas (the started watch cache says so at once) has nothing to charge.
      const cache = storage.startedCache(rqType);
      if (cache !== undefined && cache.list(storage.collectionPrefix(rqType, attrs.namespace)).items.length === 0) return;
      return (async () => {
        const existing = await quotasOf(rqType, attrs.namespace);
        if (existing.length === 0) return;
        await withLock(attrs.namespace, () => admit(attrs, rqType));
      })();
    },
  };
}
