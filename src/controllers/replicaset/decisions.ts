// The ReplicaSet controller's pure decisions, as upstream's replica_set.go and controller_utils.go: which pods
// to delete first when scaling down (ActivePodsWithRanks with logarithmic scale-down), the slow-start
// creation batches, the status computed from the owned pods, and the ReplicaFailure condition. No I/O.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import { isPodAvailable, isPodReady } from './pod-util.js';
import { rfc3339 } from '../../util/wire-time.js';

/** Upstream BurstReplicas: at most this many creations/deletions per sync. */
export const burstReplicas = 500;
/** Upstream SlowStartInitialBatchSize. */
export const slowStartInitialBatchSize = 1;
export const podDeletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost';

/** Batch sizes for creating `count` objects: 1, 2, 4, ... (upstream slowStartBatch); stop at the first failing batch. */
export function slowStartBatches(count: number, initial = slowStartInitialBatchSize): number[] {
  const out: number[] = [];
  let remaining = count;
  let size = Math.min(remaining, initial);
  while (size > 0) {
    out.push(size);
    remaining -= size;
    size = Math.min(2 * size, remaining);
  }
  return out;
}

const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(p: Pod): number {
  const v = p.metadata?.annotations?.[podDeletionCostAnnotation];
  if (v === undefined) return 0;
  const n = Number(v);
  return Number.isInteger(n) ? n : 0;
}

function readyTime(p: Pod): number | undefined {
  const c = p.status?.conditions?.find((x) => x.type === 'Ready' && x.status === 'True');
  return c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : undefined;
}

function maxRestarts(p: Pod): number {
  let m = 0;
  for (const s of p.status?.containerStatuses ?? []) m = Math.max(m, s.restartCount ?? 0);
  return m;
}

function creationTime(p: Pod): number | undefined {
  return p.metadata?.creationTimestamp ? Date.parse(p.metadata.creationTimestamp) : undefined;
}

/** floor(log2(age in ns)), or -1 for no/future time: pods of similar age compare equal (LogarithmicScaleDown). */
function logBucket(t: number | undefined, nowMs: number): number {
  if (t === undefined) return -1;
  const d = (nowMs - t) * 1e6;
  return d <= 0 ? -1 : Math.floor(Math.log2(d));
}

export interface RankedPod {
  pod: Pod;
  /** How many related pods share this pod's node (doubled-up pods go first). */
  rank: number;
}

/**
 * Negative when a should be deleted before b (upstream ActivePodsWithRanks.Less): unassigned first;
 * Pending < Unknown < Running; not ready < ready; lower deletion cost; higher rank (more pods on the same
 * node); ready for less time; more restarts; newer. Ties by name for determinism.
 */
export function compareForDeletion(a: RankedPod, b: RankedPod, nowMs: number): number {
  const pa = a.pod;
  const pb = b.pod;
  const na = pa.spec?.nodeName ?? '';
  const nb = pb.spec?.nodeName ?? '';
  if ((na === '') !== (nb === '')) return na === '' ? -1 : 1;
  const ra = phaseRank[pa.status?.phase ?? 'Pending'] ?? 0;
  const rb = phaseRank[pb.status?.phase ?? 'Pending'] ?? 0;
  if (ra !== rb) return ra - rb;
  const readyA = isPodReady(pa);
  const readyB = isPodReady(pb);
  if (readyA !== readyB) return readyA ? 1 : -1;
  const ca = deletionCost(pa);
  const cb = deletionCost(pb);
  if (ca !== cb) return ca - cb;
  if (a.rank !== b.rank) return b.rank - a.rank;
  if (readyA && readyB) {
    const la = logBucket(readyTime(pa), nowMs);
    const lb = logBucket(readyTime(pb), nowMs);
    if (la !== lb) return la - lb; // newer (smaller bucket) first
  }
  const rsA = maxRestarts(pa);
  const rsB = maxRestarts(pb);
  if (rsA !== rsB) return rsB - rsA;
  const ta = logBucket(creationTime(pa), nowMs);
  const tb = logBucket(creationTime(pb), nowMs);
  if (ta !== tb) return ta - tb;
  const an = pa.metadata?.name ?? '';
  const bn = pb.metadata?.name ?? '';
  return an < bn ? 1 : an > bn ? -1 : 0;
}

/**
 * The `diff` pods to delete out of `filtered` (upstream getPodsToDelete): ranked by how many of the related
 * pods (pods of every ReplicaSet of the same owner) run on the same node, then by compareForDeletion.
 */
export function podsToDelete(filtered: Pod[], related: Pod[], diff: number, nowMs: number): Pod[] {
  if (diff >= filtered.length) return filtered.slice();
  const onNode = new Map<string, number>();
  for (const p of related) {
    const n = p.spec?.nodeName;
    if (!n || p.metadata?.deletionTimestamp || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    onNode.set(n, (onNode.get(n) ?? 0) + 1);
  }
  const ranked = filtered.map((pod) => ({ pod, rank: pod.spec?.nodeName ? (onNode.get(pod.spec.nodeName) ?? 0) : 0 }));
  ranked.sort((a, b) => compareForDeletion(a, b, nowMs));
  return ranked.slice(0, diff).map((r) => r.pod);
}

function labelsMatch(template: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(template ?? {})) if (labels?.[k] !== v) return false;
  return true;
}

export const replicaFailure = 'ReplicaFailure';

export interface ManageError {
  reason: 'FailedCreate' | 'FailedDelete';
  message: string;
}

/** Status from the active owned pods (upstream calculateStatus); the ReplicaFailure condition follows manageError. */
export function calculateStatus(rs: ReplicaSet, activePods: Pod[], manageError: ManageError | undefined, nowMs: number): ReplicaSetStatus {
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const tmplLabels = rs.spec?.template?.metadata?.labels;
  let fully = 0;
  let ready = 0;
  let available = 0;
  for (const p of activePods) {
    if (labelsMatch(tmplLabels, p.metadata?.labels)) fully++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, nowMs)) available++;
    }
  }
  const prev = rs.status?.conditions ?? [];
  let conditions: ReplicaSetCondition[] = prev.filter((c) => c.type !== replicaFailure);
  const existing = prev.find((c) => c.type === replicaFailure);
  if (manageError) {
    conditions = [
      ...conditions,
      existing && existing.status === 'True'
        ? existing
        : { type: replicaFailure, status: 'True', reason: manageError.reason, message: manageError.message, lastTransitionTime: rfc3339(nowMs) },
    ];
  }
  const status: ReplicaSetStatus = {
    replicas: activePods.length,
    fullyLabeledReplicas: fully,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata?.generation ?? rs.status?.observedGeneration,
  };
  if (conditions.length > 0) status.conditions = conditions;
  return status;
}

export function statusEqual(a: ReplicaSetStatus | undefined, b: ReplicaSetStatus): boolean {
  const norm = (s: ReplicaSetStatus | undefined) =>
    JSON.stringify([s?.replicas ?? 0, s?.fullyLabeledReplicas ?? 0, s?.readyReplicas ?? 0, s?.availableReplicas ?? 0, s?.observedGeneration ?? 0, s?.conditions ?? []]);
  return norm(a) === norm(b);
}
