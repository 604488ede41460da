// Pure PodDisruptionBudget arithmetic (upstream pkg/controller/disruption): expected pods from the
// controllers' scale, desired healthy from minAvailable / maxUnavailable (ints or percentages, rounded up),
// current healthy (ready, not deleting, not just disrupted), disruptionsAllowed, the DisruptionAllowed
// condition, and which status.disruptedPods entries are stale (pod deleting, gone, or past 2 minutes). No I/O.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import type { Condition } from 'kubernetes-types/meta/v1.js';
import { isPodReady } from '../endpoints/pod-endpoints.js';

/** How long an eviction's entry in status.disruptedPods waits for the deletion to show (upstream 2 min). */
export const deletionTimeoutMs = 2 * 60 * 1000;

export class PdbSyncError extends Error {}

/** intstr.GetScaledValueFromIntOrPercent. */
export function scaledValue(v: number | string, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    if (/^\d+$/.test(v)) return Number(v);
    throw new PdbSyncError(`invalid value for IntOrString: invalid type: string is not a percentage`);
  }
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** A pod's controller and its scale: undefined = no controller (unmanaged); 'unknown' = no scale found. */
export type ScaleLookup = (pod: Pod) => { uid: string; replicas: number } | undefined | 'unknown';

export interface Expected {
  expectedCount: number;
  desiredHealthy: number;
  unmanagedPods: string[];
}

function expectedScale(pods: Pod[], scaleOf: ScaleLookup): { count: number; unmanaged: string[] } {
  const byController = new Map<string, number>();
  const unmanaged: string[] = [];
  for (const pod of pods) {
    const s = scaleOf(pod);
    if (s === undefined) {
      unmanaged.push(pod.metadata?.name ?? '');
      continue;
    }
    if (s === 'unknown') throw new PdbSyncError(`found no controllers for pod "${pod.metadata?.name}"`);
    byController.set(s.uid, s.replicas);
  }
  let count = 0;
  for (const n of byController.values()) count += n;
  return { count, unmanaged };
}

export function expectedPods(pdb: PodDisruptionBudget, pods: Pod[], scaleOf: ScaleLookup): Expected {
  const spec = pdb.spec ?? {};
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const { count, unmanaged } = expectedScale(pods, scaleOf);
    const maxUnavailable = scaledValue(spec.maxUnavailable, count, true);
    return { expectedCount: count, desiredHealthy: Math.max(0, count - maxUnavailable), unmanagedPods: unmanaged };
  }
  if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
    if (typeof spec.minAvailable === 'number') return { expectedCount: pods.length, desiredHealthy: spec.minAvailable, unmanagedPods: [] };
    const { count, unmanaged } = expectedScale(pods, scaleOf);
    return { expectedCount: count, desiredHealthy: scaledValue(spec.minAvailable, count, true), unmanagedPods: unmanaged };
  }
  return { expectedCount: 0, desiredHealthy: 0, unmanagedPods: [] };
}

/** Entries of status.disruptedPods still pending, and when the earliest of them expires. */
export function activeDisruptedPods(disrupted: Record<string, string> | undefined, pods: Pod[], now: number): { map: Record<string, string>; recheckAt?: number } {
  const out: Record<string, string> = {};
  let recheckAt: number | undefined;
  if (!disrupted) return { map: out };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    const t = disrupted[name];
    if (t === undefined || pod.metadata?.deletionTimestamp) continue;
    const expires = Date.parse(t) + deletionTimeoutMs;
    if (!Number.isFinite(expires) || expires < now) continue;
    out[name] = t;
    recheckAt = Math.min(recheckAt ?? Infinity, expires);
  }
  return { map: out, recheckAt };
}

export function countHealthy(pods: Pod[], disrupted: Record<string, string>): number {
  let n = 0;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    if (disrupted[pod.metadata?.name ?? ''] !== undefined) continue;
    if (isPodReady(pod)) n++;
  }
  return n;
}

/** meta.SetStatusCondition: lastTransitionTime moves only when the status changes. */
export function setCondition(conds: Condition[] | undefined, c: Omit<Condition, 'lastTransitionTime'>, nowText: string): Condition[] {
  const list = (conds ?? []).map((x) => ({ ...x }));
  const i = list.findIndex((x) => x.type === c.type);
  if (i < 0) return [...list, { ...c, lastTransitionTime: nowText }];
  const old = list[i]!;
  list[i] = { ...c, lastTransitionTime: old.status === c.status ? old.lastTransitionTime : nowText };
  return list;
}

export function pdbStatus(
  pdb: PodDisruptionBudget,
  exp: Pick<Expected, 'expectedCount' | 'desiredHealthy'>,
  currentHealthy: number,
  disruptedPods: Record<string, string>,
  nowText: string,
): PodDisruptionBudgetStatus {
  const allowed = exp.expectedCount <= 0 || currentHealthy - exp.desiredHealthy <= 0 ? 0 : currentHealthy - exp.desiredHealthy;
  const status: PodDisruptionBudgetStatus = {
    ...pdb.status,
    currentHealthy,
    desiredHealthy: exp.desiredHealthy,
    expectedPods: exp.expectedCount,
    disruptionsAllowed: allowed,
    observedGeneration: pdb.metadata?.generation,
    conditions: setCondition(
      pdb.status?.conditions,
      allowed > 0
        ? { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: pdb.metadata?.generation }
        : { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration: pdb.metadata?.generation },
      nowText,
    ),
  };
  if (Object.keys(disruptedPods).length) status.disruptedPods = disruptedPods;
  else delete status.disruptedPods;
  return status;
}

/** upstream failSafe: nothing may be disrupted while the budget cannot be computed. */
export function failSafeStatus(pdb: PodDisruptionBudget, message: string, nowText: string): PodDisruptionBudgetStatus {
  return {
    ...pdb.status,
    disruptionsAllowed: 0,
    currentHealthy: pdb.status?.currentHealthy ?? 0,
    desiredHealthy: pdb.status?.desiredHealthy ?? 0,
    expectedPods: pdb.status?.expectedPods ?? 0,
    conditions: setCondition(pdb.status?.conditions, { type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message, observedGeneration: pdb.status?.observedGeneration }, nowText),
  };
}
