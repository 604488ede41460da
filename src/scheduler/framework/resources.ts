// Resource arithmetic for scheduling: a pod's effective requests as upstream computes them (containers
// summed, init containers as a maximum, restartable sidecar init containers added, pod overhead added),
// the "non-zero" requests used for scoring (100m CPU / 200 MiB for containers that ask for nothing), and a
// node's allocatable. Numbers are millicores and bytes. Pure.
import type { Container, Node, Pod } from 'kubernetes-types/core/v1.js';
import { tryParseQuantity } from '../../util/quantity.js';

export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Allowed pods (allocatable only). */
  pods: number;
  /** Extended and hugepages resources by name, in their base unit. */
  scalar: Map<string, number>;
}

export const defaultMilliCPURequest = 100;
export const defaultMemoryRequest = 200 * 1024 * 1024;

export const emptyResources = (): Resources => ({ milliCPU: 0, memory: 0, ephemeralStorage: 0, pods: 0, scalar: new Map() });

function parsed(v: string | number, milli: boolean): number {
  try {
    const x = tryParseQuantity(v);
    if (!x) return 0;
    return milli ? x.milliValue() : x.value();
  } catch {
    return 0;
  }
}

/**
 * Amounts by quantity string, parsed once: every pod the scheduler sees (and each update of a bound one) is
 * turned into requests, and a cluster's pods use a few distinct quantities.
 */
const amounts = new Map<string, number>();
const milliAmounts = new Map<string, number>();

function q(v: string | number | undefined, milli: boolean): number {
  if (v === undefined) return 0;
  if (typeof v !== 'string') return parsed(v, milli);
  const memo = milli ? milliAmounts : amounts;
  let n = memo.get(v);
  if (n === undefined) {
    if (memo.size >= 4096) memo.clear();
    memo.set(v, (n = parsed(v, milli)));
  }
  return n;
}

/** Adds a resource list (requests or allocatable) into r. */
export function addList(r: Resources, list: Record<string, string | number> | undefined, sign = 1): void {
  if (!list) return;
  for (const name in list) {
    const v = list[name];
    switch (name) {
      case 'cpu':
        r.milliCPU += sign * q(v, true);
        break;
      case 'memory':
        r.memory += sign * q(v, false);
        break;
      case 'ephemeral-storage':
        r.ephemeralStorage += sign * q(v, false);
        break;
      case 'pods':
        r.pods += sign * q(v, false);
        break;
      default:
        if (isScalarResource(name)) r.scalar.set(name, (r.scalar.get(name) ?? 0) + sign * q(v, false));
    }
  }
}

/** Extended (domain/name) and prefixed native resources, hugepages-* and attachable-volumes-*. */
export function isScalarResource(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  return name.includes('/') && !name.startsWith('requests.');
}

function addInto(dst: Resources, src: Resources, sign = 1): void {
  dst.milliCPU += sign * src.milliCPU;
  dst.memory += sign * src.memory;
  dst.ephemeralStorage += sign * src.ephemeralStorage;
  dst.pods += sign * src.pods;
  for (const [k, v] of src.scalar) dst.scalar.set(k, (dst.scalar.get(k) ?? 0) + sign * v);
}

function maxInto(dst: Resources, src: Resources): void {
  dst.milliCPU = Math.max(dst.milliCPU, src.milliCPU);
  dst.memory = Math.max(dst.memory, src.memory);
  dst.ephemeralStorage = Math.max(dst.ephemeralStorage, src.ephemeralStorage);
  for (const [k, v] of src.scalar) dst.scalar.set(k, Math.max(dst.scalar.get(k) ?? 0, v));
}

export const addResources = (dst: Resources, src: Resources): void => addInto(dst, src, 1);
export const subResources = (dst: Resources, src: Resources): void => addInto(dst, src, -1);

export function cloneResources(r: Resources): Resources {
  return { milliCPU: r.milliCPU, memory: r.memory, ephemeralStorage: r.ephemeralStorage, pods: r.pods, scalar: new Map(r.scalar) };
}

function containerRequests(c: Container, nonZero: boolean): Resources {
  const r = emptyResources();
  // Limits stand in for absent requests (as API defaulting does).
  const req = { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) } as Record<string, string>;
  addList(r, req);
  if (nonZero) {
    if (req['cpu'] === undefined) r.milliCPU = defaultMilliCPURequest;
    if (req['memory'] === undefined) r.memory = defaultMemoryRequest;
  }
  return r;
}

/** The pod's requests as upstream's resourcehelper.PodRequests (nonZero: scoring's defaults applied). */
export function podRequests(pod: Pod, nonZero = false): Resources {
  const reqs = emptyResources();
  for (const c of pod.spec?.containers ?? []) addInto(reqs, containerRequests(c, nonZero));
  const restartable = emptyResources();
  const initMax = emptyResources();
  for (const c of pod.spec?.initContainers ?? []) {
    const cr = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      addInto(reqs, cr);
      addInto(restartable, cr);
      maxInto(initMax, restartable);
    } else {
      addInto(cr, restartable);
      maxInto(initMax, cr);
    }
  }
  maxInto(reqs, initMax);
  const overhead = pod.spec?.overhead as Record<string, string> | undefined;
  if (overhead) addList(reqs, overhead);
  return reqs;
}

const shared = new Map<string, Resources>();

/**
 * One frozen Resources per distinct value, for pods' requests (read-only once computed): the cache holds
 * two per pod and most pods of a cluster ask for one of a few shapes. Extended resources are not shared.
 */
export function sharedResources(r: Resources): Resources {
  if (r.scalar.size > 0) return r;
  const key = `${r.milliCPU}/${r.memory}/${r.ephemeralStorage}/${r.pods}`;
  let s = shared.get(key);
  if (!s) {
    if (shared.size >= 4096) shared.clear();
    shared.set(key, (s = Object.freeze(r)));
  }
  return s;
}

export function nodeAllocatable(node: Node): Resources {
  const r = emptyResources();
  addList(r, (node.status?.allocatable ?? node.status?.capacity) as Record<string, string> | undefined);
  return r;
}
