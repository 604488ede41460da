// The Deployment controller's arithmetic, as upstream's deployment/util and rolling.go: maxSurge/maxUnavailable
// resolution (surge rounds up, unavailable down, both 0 → 1 unavailable), the new ReplicaSet's next size, how
// far old ReplicaSets may be scaled down, and proportional scaling of all active ReplicaSets. Pure functions
// over plain numbers and ReplicaSet objects; they never mutate their inputs.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
export type IntOrString = number | string;

export const desiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
export const maxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';

/** intstr.GetScaledValueFromIntOrPercent: "25%" of total, rounded up or down; a bad string throws. */
export function scaledValue(v: IntOrString | undefined, total: number, roundUp: boolean, dflt: IntOrString = '25%'): number {
  const x = v ?? dflt;
  if (typeof x === 'number') return x;
  const m = /^(\d+)%$/.exec(x);
  if (!m) {
    if (/^\d+$/.test(x)) return Number(x);
    throw new TypeError(`invalid value for IntOrString: invalid value "${x}": must be an integer or percentage (e.g '5%')`);
  }
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** upstream ResolveFenceposts: [maxSurge, maxUnavailable]. */
export function resolveFenceposts(maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, desired: number): [number, number] {
  const surge = scaledValue(maxSurge, desired, true);
  let unavailable = scaledValue(maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

export const replicasOf = (o: { spec?: { replicas?: number } } | undefined): number => o?.spec?.replicas ?? 1;
const rsReplicas = (rs: ReplicaSet | undefined): number => rs?.spec?.replicas ?? 0;

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicasOf(d))[0];
}

export function maxUnavailable(d: Deployment): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  const u = resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicas)[1];
  return Math.min(u, replicas);
}

export const sumSpecReplicas = (rss: (ReplicaSet | undefined)[]): number => rss.reduce((n, rs) => n + rsReplicas(rs), 0);
export const sumStatusReplicas = (rss: (ReplicaSet | undefined)[]): number => rss.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
export const sumReadyReplicas = (rss: (ReplicaSet | undefined)[]): number => rss.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
export const sumAvailableReplicas = (rss: (ReplicaSet | undefined)[]): number => rss.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);

/** upstream NewRSNewReplicas: the size the new ReplicaSet may have now. */
export function newRSNewReplicas(d: Deployment, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const replicas = replicasOf(d);
  const current = sumSpecReplicas(allRSs);
  const maxTotal = replicas + maxSurge(d);
  if (current >= maxTotal) return rsReplicas(newRS);
  const up = Math.min(maxTotal - current, replicas - rsReplicas(newRS));
  return rsReplicas(newRS) + up;
}

/** upstream reconcileOldReplicaSets' budget: how many old replicas may go (≤ 0: none). */
export function maxScaledDown(d: Deployment, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): number {
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = rsReplicas(newRS) - (newRS?.status?.availableReplicas ?? 0);
  return sumSpecReplicas(allRSs) - minAvailable - newUnavailable;
}

export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** A planned size change for one ReplicaSet (by name). */
export interface ScaleStep {
  name: string;
  from: number;
  to: number;
}

/** upstream cleanupUnhealthyReplicas: old RSs (oldest first) lose their unavailable replicas, up to budget. */
export function cleanupUnhealthy(oldRSs: ReplicaSet[], budget: number): ScaleStep[] {
  const steps: ScaleStep[] = [];
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= budget) break;
    const spec = rsReplicas(rs);
    const avail = rs.status?.availableReplicas ?? 0;
    if (spec === 0 || spec === avail) continue;
    const n = Math.min(budget - total, spec - avail);
    steps.push({ name: rs.metadata!.name!, from: spec, to: spec - n });
    total += n;
  }
  return steps;
}

/** upstream scaleDownOldReplicaSetsForRollingUpdate: scale old RSs (oldest first) down to keep minAvailable. */
export function scaleDownOld(d: Deployment, allRSs: (ReplicaSet | undefined)[], oldRSs: ReplicaSet[]): ScaleStep[] {
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const available = sumAvailableReplicas(allRSs);
  if (available <= minAvailable) return [];
  const budget = available - minAvailable;
  const steps: ScaleStep[] = [];
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= budget) break;
    const spec = rsReplicas(rs);
    if (spec === 0) continue;
    const n = Math.min(spec, budget - total);
    steps.push({ name: rs.metadata!.name!, from: spec, to: spec - n });
    total += n;
  }
  return steps;
}

/** One rolling-update step for the old ReplicaSets (cleanup of unhealthy, then scale-down), applied in order. */
export function planOldScaleDown(d: Deployment, oldRSs: ReplicaSet[], newRS: ReplicaSet | undefined): ScaleStep[] {
  const active = oldRSs.filter((rs) => rsReplicas(rs) > 0);
  const all = [...oldRSs, newRS];
  if (sumSpecReplicas(oldRSs) === 0) return [];
  const budget = maxScaledDown(d, all, newRS);
  if (budget <= 0) return [];
  const cleanup = cleanupUnhealthy(active, budget);
  const after = (rs: ReplicaSet): ReplicaSet => {
    const s = cleanup.find((c) => c.name === rs.metadata?.name);
    return s ? { ...rs, spec: { ...rs.spec!, replicas: s.to } } : rs;
  };
  const olds = active.map(after);
  const down = scaleDownOld(d, [...olds, newRS], olds);
  const merged = new Map<string, ScaleStep>();
  for (const s of [...cleanup, ...down]) {
    const prev = merged.get(s.name);
    merged.set(s.name, prev ? { name: s.name, from: prev.from, to: s.to } : s);
  }
  return [...merged.values()];
}

function annotationInt(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata?.annotations?.[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}

export const desiredReplicasOf = (rs: ReplicaSet) => annotationInt(rs, desiredReplicasAnnotation);

/** upstream getReplicaSetFraction. */
export function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  const replicas = replicasOf(d);
  if (replicas === 0) return -rsReplicas(rs);
  const deploymentReplicas = replicas + maxSurge(d);
  const annotated = annotationInt(rs, maxReplicasAnnotation) ?? d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  return Math.round((rsReplicas(rs) * deploymentReplicas) / annotated) - rsReplicas(rs);
}

/** upstream GetProportion. */
export function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (rsReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const f = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(f, allowed) : Math.max(f, allowed);
}

/**
 * upstream scale() for a rolling Deployment with several active ReplicaSets: the new sizes, distributing
 * the difference to replicas+maxSurge proportionally (largest first; ties: newer first when scaling up,
 * older first when scaling down), leftovers to the first.
 */
export function proportionalScale(d: Deployment, activeRSs: ReplicaSet[]): ScaleStep[] {
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - sumSpecReplicas(activeRSs);
  const sorted = [...activeRSs];
  if (toAdd > 0) sorted.sort((a, b) => rsReplicas(b) - rsReplicas(a) || -byCreation(a, b));
  else if (toAdd < 0) sorted.sort((a, b) => rsReplicas(b) - rsReplicas(a) || byCreation(a, b));
  const sizes = new Map<string, number>();
  let added = 0;
  for (const rs of sorted) {
    if (toAdd !== 0) {
      const p = proportion(rs, d, toAdd, added);
      sizes.set(rs.metadata!.name!, rsReplicas(rs) + p);
      added += p;
    } else sizes.set(rs.metadata!.name!, rsReplicas(rs));
  }
  return sorted.map((rs, i) => {
    let to = sizes.get(rs.metadata!.name!)!;
    if (i === 0 && toAdd !== 0) to = Math.max(0, to + toAdd - added);
    return { name: rs.metadata!.name!, from: rsReplicas(rs), to };
  });
}
