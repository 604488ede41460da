// Upstream's LimitRanger admission plugin: on pod create it fills missing container limits/requests from
// the namespace's LimitRange items of type Container (`default` → limits, `defaultRequest` → requests) and
// records that in the `kubernetes.io/limit-ranger` annotation; then (pods on create, PVCs on create and
// update) it enforces min / max / maxLimitRequestRatio per Container, per Pod and per PersistentVolumeClaim,
// refusing with upstream's 403 messages. It reads LimitRanges from the watch cache and writes nothing.
import type { Container, LimitRange, LimitRangeItem, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { errors } from '../../api/errors.js';
import { podResourceList, type Usage } from '../../controllers/resourcequota/evaluate.js';
import { Quantity, tryParseQuantity } from '../../util/quantity.js';
import type { ObjectStorage } from '../object-storage.js';
import type { ResourceRegistry } from '../resource-registry.js';
import { withCache, type AdmissionAttributes, type AdmissionPlugin } from './admission.js';

export const limitRangerAnnotation = 'kubernetes.io/limit-ranger';

type List = { [k: string]: string | number | undefined };

function toMap(l: List | undefined): Usage {
  const m: Usage = new Map();
  for (const [k, v] of Object.entries(l ?? {})) {
    const x = tryParseQuantity(v);
    if (x) m.set(k, x);
  }
  return m;
}

const sortedEntries = (l: List | undefined) => Object.entries(l ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Fills one container's missing limits/requests; returns the annotation fragments (upstream mergeContainerResources). */
function mergeContainer(c: Container, defaults: { limits: List; requests: List }, prefix: string): string[] {
  const res = (c.resources ??= {});
  const limits = (res.limits ??= {}) as List;
  const requests = (res.requests ??= {}) as List;
  const setLimits: string[] = [];
  const setRequests: string[] = [];
  for (const [k, v] of Object.entries(defaults.limits)) {
    if (limits[k] === undefined) {
      limits[k] = v;
      setLimits.push(k);
    }
  }
  for (const [k, v] of Object.entries(defaults.requests)) {
    if (requests[k] === undefined) {
      requests[k] = v;
      setRequests.push(k);
    }
  }
  if (!Object.keys(limits).length) delete res.limits;
  if (!Object.keys(requests).length) delete res.requests;
  const out: string[] = [];
  if (setRequests.length) out.push(`${setRequests.sort().join(', ')} request for ${prefix} ${c.name}`);
  if (setLimits.length) out.push(`${setLimits.sort().join(', ')} limit for ${prefix} ${c.name}`);
  return out;
}

/** Applies Container defaults from the LimitRanges (pure apart from mutating pod). Returns whether anything was set. */
export function applyPodDefaults(pod: Pod, ranges: LimitRange[]): boolean {
  const limits: List = {};
  const requests: List = {};
  for (const lr of ranges) {
    for (const item of lr.spec?.limits ?? []) {
      if (item.type !== 'Container') continue;
      for (const [k, v] of Object.entries(item.default ?? {})) limits[k] = v;
      for (const [k, v] of Object.entries(item.defaultRequest ?? {})) requests[k] = v;
    }
  }
  if (!Object.keys(limits).length && !Object.keys(requests).length) return false;
  const notes: string[] = [];
  for (const c of pod.spec?.containers ?? []) notes.push(...mergeContainer(c, { limits, requests }, 'container'));
  for (const c of pod.spec?.initContainers ?? []) notes.push(...mergeContainer(c, { limits, requests }, 'init container'));
  if (!notes.length) return false;
  pod.metadata ??= {};
  pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [limitRangerAnnotation]: `LimitRanger plugin set: ${notes.join('; ')}` };
  return true;
}

// ---- constraints (upstream minConstraint / maxConstraint / maxRequestConstraint / limitRequestRatioConstraint)

function minConstraint(type: string, name: string, enforced: string, request: Usage, limit: Usage): string | undefined {
  const e = tryParseQuantity(enforced);
  if (!e) return undefined;
  const req = request.get(name);
  const lim = limit.get(name);
  if (!req) return `minimum ${name} usage per ${type} is ${e}.  No request is specified`;
  if (req.cmp(e) < 0) return `minimum ${name} usage per ${type} is ${e}, but request is ${req}`;
  if (lim && lim.cmp(e) < 0) return `minimum ${name} usage per ${type} is ${e}, but limit is ${lim}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforced: string, request: Usage, limit: Usage): string | undefined {
  const e = tryParseQuantity(enforced);
  if (!e) return undefined;
  const req = request.get(name);
  const lim = limit.get(name);
  if (!lim) return `maximum ${name} usage per ${type} is ${e}.  No limit is specified`;
  if (lim.cmp(e) > 0) return `maximum ${name} usage per ${type} is ${e}, but limit is ${lim}`;
  if (req && req.cmp(e) > 0) return `maximum ${name} usage per ${type} is ${e}, but request is ${req}`;
  return undefined;
}

function maxRequestConstraint(type: string, name: string, enforced: string, request: Usage): string | undefined {
  const e = tryParseQuantity(enforced);
  if (!e) return undefined;
  const req = request.get(name);
  if (!req) return `maximum ${name} usage per ${type} is ${e}.  No request is specified`;
  if (req.cmp(e) > 0) return `maximum ${name} usage per ${type} is ${e}, but request is ${req}`;
  return undefined;
}

/** Go's %f: six decimals. */
const goFloat = (x: number) => x.toFixed(6);

function ratioConstraint(type: string, name: string, enforced: string, request: Usage, limit: Usage): string | undefined {
  const e = tryParseQuantity(enforced);
  if (!e) return undefined;
  const req = request.get(name);
  const lim = limit.get(name);
  if (!req || req.isZero()) return `${name} max limit to request ratio per ${type} is ${e}, but no request is specified or request is 0`;
  if (!lim || lim.isZero()) return `${name} max limit to request ratio per ${type} is ${e}, but no limit is specified or limit is 0`;
  const useMilli = [req, lim].every((x) => x.cmp(Quantity.fromInt(9_000_000_000_000_000n / 1000n)) <= 0);
  const r = useMilli ? Number(req.scaledValue(-3)) : Number(req.scaledValue(0));
  const l = useMilli ? Number(lim.scaledValue(-3)) : Number(lim.scaledValue(0));
  const observed = l / r;
  const max = e.cmp(Quantity.fromInt(9_000_000_000_000_000n / 1000n)) <= 0 ? e.milliValue() : e.value();
  const cmpObserved = e.cmp(Quantity.fromInt(9_000_000_000_000_000n / 1000n)) <= 0 ? observed * 1000 : observed;
  if (cmpObserved > max) return `${name} max limit to request ratio per ${type} is ${e}, but provided ratio is ${goFloat(observed)}`;
  return undefined;
}

function checkItem(item: LimitRangeItem, type: string, requests: Usage, limits: Usage): string[] {
  const out: string[] = [];
  for (const [k, v] of sortedEntries(item.min as List)) out.push(minConstraint(type, k, String(v), requests, limits) ?? '');
  for (const [k, v] of sortedEntries(item.max as List)) out.push(maxConstraint(type, k, String(v), requests, limits) ?? '');
  for (const [k, v] of sortedEntries(item.maxLimitRequestRatio as List)) out.push(ratioConstraint(type, k, String(v), requests, limits) ?? '');
  return out.filter(Boolean);
}

/** Violations of the LimitRanges by a pod (upstream PodValidateLimitFunc), in upstream's order. */
export function podViolations(pod: Pod, ranges: LimitRange[]): string[] {
  const out: string[] = [];
  for (const lr of ranges) {
    for (const item of lr.spec?.limits ?? []) {
      if (item.type === 'Container') {
        for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
          out.push(...checkItem(item, 'Container', toMap(c.resources?.requests as List), toMap(c.resources?.limits as List)));
        }
      } else if (item.type === 'Pod') {
        out.push(...checkItem(item, 'Pod', podResourceList(pod, 'requests'), podResourceList(pod, 'limits')));
      }
    }
  }
  return out;
}

/** Violations by a PersistentVolumeClaim (upstream PersistentVolumeClaim limit type: storage requests). */
export function pvcViolations(pvc: PersistentVolumeClaim, ranges: LimitRange[]): string[] {
  const out: string[] = [];
  const requests = toMap(pvc.spec?.resources?.requests as List);
  for (const lr of ranges) {
    for (const item of lr.spec?.limits ?? []) {
      if (item.type !== 'PersistentVolumeClaim') continue;
      for (const [k, v] of sortedEntries(item.min as List)) {
        const m = minConstraint('PersistentVolumeClaim', k, String(v), requests, new Map());
        if (m) out.push(m);
      }
      for (const [k, v] of sortedEntries(item.max as List)) {
        const m = maxRequestConstraint('PersistentVolumeClaim', k, String(v), requests);
        if (m) out.push(m);
      }
    }
  }
  return out;
}

/** utilerrors.NewAggregate's message: one error as is, several as "[a, b]". */
export function aggregate(msgs: string[]): string {
  return msgs.length === 1 ? msgs[0]! : `[${msgs.join(', ')}]`;
}

export function limitRangerPlugin(registry: ResourceRegistry, storage: ObjectStorage): AdmissionPlugin {
  const applies = (a: AdmissionAttributes): 'pod' | 'pvc' | undefined => {
    if (a.subresource || !a.object || a.rt.group !== '' || !a.namespace) return undefined;
    if (a.object.metadata?.deletionTimestamp) return undefined;
    if (a.rt.resource === 'pods' && a.operation === 'CREATE') return 'pod';
    if (a.rt.resource === 'persistentvolumeclaims' && (a.operation === 'CREATE' || a.operation === 'UPDATE')) return 'pvc';
    return undefined;
  };
  /** use(the namespace's LimitRanges by name): at once when the watch cache has started (see withCache). */
  const withRanges = (ns: string, use: (lrs: LimitRange[]) => void): Promise<void> | void => {
    const rt = registry.lookup('', 'v1', 'limitranges');
    if (!rt) return use([]);
    return withCache(storage, rt, (cache) => {
      const items = cache.list(storage.collectionPrefix(rt, ns)).items as unknown as LimitRange[];
      use(items.length === 0 ? items : [...items].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '')));
    });
  };
  const forbid = (a: AdmissionAttributes, msgs: string[]) => {
    if (msgs.length) throw errors.forbidden(`${a.rt.resource} "${a.name}" is forbidden: ${aggregate(msgs)}`);
  };
  return {
    name: 'LimitRanger',
    handles: (rt, operation, subresource) =>
      !subresource && rt.group === '' && ((rt.resource === 'pods' && operation === 'CREATE') || (rt.resource === 'persistentvolumeclaims' && (operation === 'CREATE' || operation === 'UPDATE'))),
    mutate: (attrs) => {
      if (applies(attrs) !== 'pod') return;
      return withRanges(attrs.namespace, (lrs) => {
        if (lrs.length) applyPodDefaults(attrs.object as unknown as Pod, lrs);
      });
    },
    validate: (attrs) => {
      const kind = applies(attrs);
      if (!kind) return;
      return withRanges(attrs.namespace, (lrs) => {
        if (!lrs.length) return;
        if (kind === 'pod') forbid(attrs, podViolations(attrs.object as unknown as Pod, lrs));
        else forbid(attrs, pvcViolations(attrs.object as unknown as PersistentVolumeClaim, lrs));
      });
    },
  };
}
