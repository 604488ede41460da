// Pure decisions of the Job controller, as upstream's pkg/controller/job: which pods count as active /
// succeeded / failed, pod failure policy matching, the pod-creation back-off, Indexed-mode bookkeeping
// (completion indexes, the compressed completedIndexes string, which indexes still need a pod), how many
// pods should run, which pods to delete first, and the Job conditions. No I/O, no clock reads: "now" is
// always a parameter.
import type { Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { Job, JobCondition, PodFailurePolicyRule } from 'kubernetes-types/batch/v1.js';
import { rfc3339 } from '../../util/wire-time.js';

export const jobTrackingFinalizer = 'batch.kubernetes.io/job-tracking';
export const completionIndexAnnotation = 'batch.kubernetes.io/job-completion-index';
export const jobIndexEnv = 'JOB_COMPLETION_INDEX';

export const defaultBackoffMs = 10_000;
export const maxBackoffMs = 6 * 60_000;

export type Reason = 'BackoffLimitExceeded' | 'DeadlineExceeded' | 'PodFailurePolicy' | 'CompletionsReached';

export const messages = {
  BackoffLimitExceeded: 'Job has reached the specified backoff limit',
  DeadlineExceeded: 'Job was active longer than specified deadline',
  CompletionsReached: 'Reached expected number of succeeded pods',
} as const;

export function isTerminal(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

export function hasFinalizer(p: Pod): boolean {
  return (p.metadata?.finalizers ?? []).includes(jobTrackingFinalizer);
}

/** Active: neither terminal nor being deleted. */
export function isActive(p: Pod): boolean {
  return !isTerminal(p) && !p.metadata?.deletionTimestamp;
}

export function isReady(p: Pod): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Upstream isPodFailed: phase Failed; or, without a podFailurePolicy, a pod being deleted before it
 * succeeded (its replacement is counted as a retry).
 */
export function isPodFailed(p: Pod, job: Job): boolean {
  if (p.status?.phase === 'Failed') return true;
  if (job.spec?.podFailurePolicy) return false;
  return !!p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded';
}

/** Finished = a Complete or Failed condition with status True. */
export function finishedCondition(job: Job): JobCondition | undefined {
  return (job.status?.conditions ?? []).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

export function hasCondition(job: Job, type: string): JobCondition | undefined {
  return (job.status?.conditions ?? []).find((c) => c.type === type && c.status === 'True');
}

// ---- pod failure policy ----

export type FailurePolicyAction = 'FailJob' | 'Ignore' | 'Count' | 'FailIndex';

export interface FailurePolicyMatch {
  action: FailurePolicyAction;
  message: string;
}

function matchExitCodes(p: Pod, rule: PodFailurePolicyRule): { container: string; code: number } | undefined {
  const req = rule.onExitCodes;
  if (!req) return undefined;
  const statuses = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
  for (const cs of statuses) {
    if (req.containerName && req.containerName !== cs.name) continue;
    const code = cs.state?.terminated?.exitCode;
    if (code === undefined || code === 0) continue;
    const inSet = req.values.includes(code);
    if ((req.operator === 'In' && inSet) || (req.operator === 'NotIn' && !inSet)) return { container: cs.name, code };
  }
  return undefined;
}

function matchConditions(p: Pod, rule: PodFailurePolicyRule): PodCondition | undefined {
  for (const pat of rule.onPodConditions ?? []) {
    const c = (p.status?.conditions ?? []).find((x) => x.type === pat.type && x.status === (pat.status ?? 'True'));
    if (c) return c;
  }
  return undefined;
}

/** The first rule of the job's podFailurePolicy matching a failed pod, with upstream's message. */
export function matchPodFailurePolicy(job: Job, p: Pod): FailurePolicyMatch | undefined {
  const rules = job.spec?.podFailurePolicy?.rules ?? [];
  const podName = `${p.metadata?.namespace}/${p.metadata?.name}`;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const action = rule.action as FailurePolicyAction;
    const ec = matchExitCodes(p, rule);
    if (ec) {
      return { action, message: `Container ${ec.container} for pod ${podName} failed with exit code ${ec.code} matching ${action} rule at index ${i}` };
    }
    const c = matchConditions(p, rule);
    if (c) return { action, message: `Pod ${podName} has condition ${c.type} matching ${action} rule at index ${i}` };
  }
  return undefined;
}

// ---- back-off ----

/** Delay before the next pod may be created after `failures` consecutive failures (10 s doubling, capped). */
export function backoffDelayMs(failures: number, baseMs = defaultBackoffMs, maxMs = maxBackoffMs): number {
  if (failures <= 0) return 0;
  let d = baseMs;
  for (let i = 1; i < failures && d < maxMs; i++) d *= 2;
  return Math.min(d, maxMs);
}

/** Milliseconds to wait before creating pods again (0 = now). */
export function remainingBackoffMs(failures: number, lastFailureMs: number | undefined, nowMs: number, baseMs = defaultBackoffMs, maxMs = maxBackoffMs): number {
  if (failures <= 0 || lastFailureMs === undefined) return 0;
  return Math.max(0, lastFailureMs + backoffDelayMs(failures, baseMs, maxMs) - nowMs);
}

// ---- indexes ----

export function completionIndex(p: Pod): number | undefined {
  const raw = p.metadata?.annotations?.[completionIndexAnnotation] ?? p.metadata?.labels?.[completionIndexAnnotation];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/** "1,3-5,7" from a set of indexes (upstream's compressed interval form). */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Inverse of formatIndexes; indexes ≥ completions are dropped. */
export function parseIndexes(s: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-');
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) continue;
    for (let i = lo; i <= hi && i < completions; i++) out.add(i);
  }
  return out;
}

/** The lowest `count` indexes in [0, completions) neither completed nor held by an active pod. */
export function pendingIndexes(completions: number, completed: Set<number>, active: Set<number>, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++) if (!completed.has(i) && !active.has(i)) out.push(i);
  return out;
}

// ---- how many pods ----

export interface ActiveCounts {
  active: number;
  succeeded: number;
  /** Indexed mode: completed indexes. */
  completedIndexes?: number;
}

/** How many pods should be active now (upstream manageJob's wantActive). */
export function wantActive(job: Job, c: ActiveCounts): number {
  const parallelism = job.spec?.parallelism ?? 1;
  if (job.spec?.suspend) return 0;
  const completions = job.spec?.completions;
  if (completions === undefined || completions === null) {
    // Work-queue mode: once any pod succeeded no new pods are started.
    return c.succeeded > 0 ? Math.min(c.active, parallelism) : parallelism;
  }
  const done = job.spec?.completionMode === 'Indexed' ? (c.completedIndexes ?? 0) : c.succeeded;
  return Math.max(0, Math.min(parallelism, completions - done));
}

/** Whether the job has succeeded (upstream's completion rule per mode). */
export function jobSucceeded(job: Job, c: ActiveCounts): boolean {
  const completions = job.spec?.completions;
  if (completions === undefined || completions === null) return c.succeeded > 0 && c.active === 0;
  if (job.spec?.completionMode === 'Indexed') return (c.completedIndexes ?? 0) >= completions;
  return c.succeeded >= completions;
}

/** Pods in the order they should be deleted: unscheduled, pending, not ready, then newest first (upstream ActivePods ordering). */
export function deletionOrder(pods: Pod[]): Pod[] {
  const rank = (p: Pod) => (!p.spec?.nodeName ? 0 : p.status?.phase === 'Pending' ? 1 : !isReady(p) ? 2 : 3);
  const created = (p: Pod) => Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
  return [...pods].sort((a, b) => rank(a) - rank(b) || created(b) - created(a) || (b.metadata?.name ?? '').localeCompare(a.metadata?.name ?? ''));
}

/** Indexed mode: pods to delete because another active pod already holds the same index (keep the ready/oldest), or the index is invalid or completed. */
export function duplicateIndexPods(pods: Pod[], completions: number, completed: Set<number>): Pod[] {
  const byIndex = new Map<number, Pod[]>();
  const out: Pod[] = [];
  for (const p of pods) {
    const i = completionIndex(p);
    if (i === undefined || i >= completions || completed.has(i)) {
      out.push(p);
      continue;
    }
    const list = byIndex.get(i) ?? [];
    list.push(p);
    byIndex.set(i, list);
  }
  for (const list of byIndex.values()) if (list.length > 1) out.push(...deletionOrder(list).slice(0, list.length - 1));
  return out;
}

// ---- conditions ----

export { rfc3339 };

/** Sets (or replaces, keeping lastTransitionTime when the status does not change) a condition. */
export function setCondition(conds: JobCondition[], type: string, status: 'True' | 'False', reason: string, message: string, nowMs: number): JobCondition[] {
  const now = rfc3339(nowMs);
  const i = conds.findIndex((c) => c.type === type);
  if (i < 0) return [...conds, { type, status, reason, message, lastProbeTime: now, lastTransitionTime: now }];
  const old = conds[i]!;
  if (old.status === status && old.reason === reason && old.message === message) return conds;
  const next = [...conds];
  next[i] = { type, status, reason, message, lastProbeTime: now, lastTransitionTime: old.status === status ? old.lastTransitionTime : now };
  return next;
}

/** When activeDeadlineSeconds runs out (ms since epoch), or undefined. */
export function deadlineAt(job: Job): number | undefined {
  const ads = job.spec?.activeDeadlineSeconds;
  const start = job.status?.startTime;
  if (ads === undefined || ads === null || !start) return undefined;
  return Date.parse(start) + ads * 1000;
}

/** When a finished job may be deleted by ttlSecondsAfterFinished (ms), or undefined (upstream TTL-after-finished controller). */
export function ttlExpiresAt(job: Job): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || ttl === null) return undefined;
  const fin = finishedCondition(job);
  if (!fin) return undefined;
  const at = job.status?.completionTime ?? fin.lastTransitionTime;
  if (!at) return undefined;
  return Date.parse(at) + ttl * 1000;
}

/** Time a failed pod finished: the latest container finishedAt, else undefined (a deletionTimestamp lies in the future by the grace period, so it is not used). */
export function podFinishedAt(p: Pod): number | undefined {
  let best: number | undefined;
  for (const cs of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) {
    const t = Date.parse(cs.state?.terminated?.finishedAt ?? '');
    if (Number.isFinite(t) && (best === undefined || t > best)) best = t;
  }
  return best;
}
