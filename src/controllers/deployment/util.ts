// Deployment helpers as upstream's deployment/util: the pod-template-hash (FNV-1a over the canonical template
// plus collisionCount, safe-encoded so it is a valid label value), template equality ignoring that label,
// revision and revision-history annotations, replica annotations, and the Deployment conditions
// (Available, Progressing, ReplicaFailure) with upstream's reasons and transition rules. Pure.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { desiredReplicasAnnotation, maxReplicasAnnotation, maxSurge, maxUnavailable, replicasOf, sumAvailableReplicas, sumReadyReplicas, sumSpecReplicas, sumStatusReplicas } from './rolling.js';
import { rfc3339 } from '../../util/wire-time.js';

export const podTemplateHashLabel = 'pod-template-hash';
export const revisionAnnotation = 'deployment.kubernetes.io/revision';
export const revisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const maxRevisionHistoryLengthInChars = 2000;

export const reasons = {
  newRSCreated: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  rsUpdated: 'ReplicaSetUpdated',
  newRSAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  failedRSCreate: 'ReplicaSetCreateError',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minAvailable: 'MinimumReplicasAvailable',
  minUnavailable: 'MinimumReplicasUnavailable',
} as const;

const skipCopy = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  revisionAnnotation,
  revisionHistoryAnnotation,
  desiredReplicasAnnotation,
  maxReplicasAnnotation,
  'deprecated.deployment.rollback.to',
]);

/**
 * Sorted keys; null, undefined, {} and [] fields dropped, so a template written by a Go client
 * (`creationTimestamp: null`, `resources: {}`) compares equal to the same template without them, as upstream's
 * semantic equality on Go structs does.
 */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined || x === null) continue;
      const c = canonical(x);
      if (c && typeof c === 'object' && (Array.isArray(c) ? c.length === 0 : Object.keys(c).length === 0)) continue;
      out[k] = c;
    }
    return out;
  }
  return v;
}

const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** upstream rand.SafeEncodeString: each character mapped into an alphabet without vowels (no words, valid label). */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += safeAlphabet[s.charCodeAt(i) % safeAlphabet.length];
  return out;
}

/** The pod-template-hash of a template and collisionCount: stable, a valid label value. */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = 0x811c9dc5;
  const feed = (s: string) => {
    const bytes = Buffer.from(s, 'utf8');
    for (const b of bytes) {
      h ^= b;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  };
  feed(JSON.stringify(canonical(template ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    const buf = Buffer.alloc(4);
    buf.writeUInt32LE(collisionCount >>> 0);
    for (const b of buf) {
      h ^= b;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return safeEncode(String(h >>> 0));
}

function withoutHash(t: PodTemplateSpec | undefined): unknown {
  const c = canonical(t ?? {}) as { metadata?: { labels?: Record<string, string> } };
  if (c.metadata?.labels) {
    delete c.metadata.labels[podTemplateHashLabel];
    if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
  }
  if (c.metadata && Object.keys(c.metadata).length === 0) delete c.metadata;
  return c;
}

/** upstream EqualIgnoreHash. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return JSON.stringify(withoutHash(a)) === JSON.stringify(withoutHash(b));
}

export function revisionOf(o: { metadata?: { annotations?: Record<string, string> } } | undefined): number {
  const v = o?.metadata?.annotations?.[revisionAnnotation];
  const n = v === undefined ? 0 : Number(v);
  return Number.isInteger(n) ? n : 0;
}

export function maxRevision(rss: ReplicaSet[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/**
 * upstream SetNewReplicaSetAnnotations on a copy's annotations: copy the Deployment's annotations, raise the
 * revision (keeping the old one in revision-history when this is a rollback), set replica annotations for a
 * new RS. Returns whether anything changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, annotations: Record<string, string>, newRevision: string, exists: boolean, maxHistory = maxRevisionHistoryLengthInChars): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (skipCopy.has(k)) continue;
    if (annotations[k] !== v) {
      annotations[k] = v;
      changed = true;
    }
  }
  const oldRevision = annotations[revisionAnnotation];
  const oldInt = oldRevision === undefined ? 0 : Number(oldRevision);
  if (oldRevision !== undefined && !Number.isInteger(oldInt)) return changed;
  const newInt = Number(newRevision);
  if (oldInt < newInt) {
    annotations[revisionAnnotation] = newRevision;
    changed = true;
    if (oldRevision !== undefined) {
      const hist = annotations[revisionHistoryAnnotation] ?? '';
      if (hist === '') annotations[revisionHistoryAnnotation] = oldRevision;
      else {
        let parts = hist.split(',');
        let total = hist.length + oldRevision.length + 1;
        let start = 0;
        while (total > maxHistory && start < parts.length) {
          total -= parts[start]!.length + 1;
          start++;
        }
        if (total <= maxHistory) {
          parts = [...parts.slice(start), oldRevision];
          annotations[revisionHistoryAnnotation] = parts.join(',');
        }
      }
    }
  }
  if (!exists && setReplicasAnnotations(annotations, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

export function setReplicasAnnotations(annotations: Record<string, string>, desired: number, max: number): boolean {
  let changed = false;
  if (annotations[desiredReplicasAnnotation] !== String(desired)) {
    annotations[desiredReplicasAnnotation] = String(desired);
    changed = true;
  }
  if (annotations[maxReplicasAnnotation] !== String(max)) {
    annotations[maxReplicasAnnotation] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations ?? {};
  return a[desiredReplicasAnnotation] !== String(desired) || a[maxReplicasAnnotation] !== String(max);
}

// ---- conditions ----

export const nowString = rfc3339;

export function newCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, nowMs: number): DeploymentCondition {
  const t = nowString(nowMs);
  return { type, status, reason, message, lastUpdateTime: t, lastTransitionTime: t };
}

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** upstream SetDeploymentCondition: same status and reason → unchanged; same status → keep transition time. */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const cur = getCondition(status, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  const c = cur && cur.status === cond.status ? { ...cond, lastTransitionTime: cur.lastTransitionTime } : cond;
  status.conditions = [...(status.conditions ?? []).filter((x) => x.type !== cond.type), c];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
  if (status.conditions.length === 0) delete status.conditions;
}

export function hasProgressDeadline(d: Deployment): boolean {
  const p = d.spec?.progressDeadlineSeconds;
  return p !== undefined && p !== null && p !== 2147483647;
}

/** upstream calculateStatus. */
export function calculateStatus(allRSs: ReplicaSet[], newRS: ReplicaSet | undefined, d: Deployment, nowMs: number): DeploymentStatus {
  const available = sumAvailableReplicas(allRSs);
  const unavailable = Math.max(0, sumSpecReplicas(allRSs) - available);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation,
    replicas: sumStatusReplicas(allRSs),
    updatedReplicas: sumStatusReplicas(newRS ? [newRS] : []),
    readyReplicas: sumReadyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: unavailable,
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions?.length) status.conditions = d.status.conditions.map((c) => ({ ...c }));
  if (available >= replicasOf(d) - maxUnavailable(d)) setCondition(status, newCondition('Available', 'True', reasons.minAvailable, 'Deployment has minimum availability.', nowMs));
  else setCondition(status, newCondition('Available', 'False', reasons.minUnavailable, 'Deployment does not have minimum availability.', nowMs));
  return status;
}

export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const r = replicasOf(d);
  return (s.updatedReplicas ?? 0) === r && (s.replicas ?? 0) === r && (s.availableReplicas ?? 0) === r && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld || (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, 'Progressing');
  if (!c) return false;
  if (c.reason === reasons.newRSAvailable) return false;
  if (c.reason === reasons.timedOut) return true;
  const from = c.lastUpdateTime ? Date.parse(c.lastUpdateTime) : NaN;
  return Number.isFinite(from) && from + (d.spec!.progressDeadlineSeconds ?? 600) * 1000 < nowMs;
}

/** upstream syncRolloutStatus' status: Progressing by the rules above, ReplicaFailure from the ReplicaSets. */
export function rolloutStatus(allRSs: ReplicaSet[], newRS: ReplicaSet | undefined, d: Deployment, nowMs: number): DeploymentStatus {
  const s = calculateStatus(allRSs, newRS, d, nowMs);
  if (!hasProgressDeadline(d)) removeCondition(s, 'Progressing');
  const cur = getCondition(d.status, 'Progressing');
  const complete = s.replicas === s.updatedReplicas && cur?.reason === reasons.newRSAvailable;
  if (hasProgressDeadline(d) && !complete) {
    const name = newRS?.metadata?.name;
    if (deploymentComplete(d, s)) {
      setCondition(s, newCondition('Progressing', 'True', reasons.newRSAvailable, `ReplicaSet "${name}" has successfully progressed.`, nowMs));
    } else if (deploymentProgressing(d, s)) {
      const c = newCondition('Progressing', 'True', reasons.rsUpdated, name ? `ReplicaSet "${name}" is progressing.` : `Deployment "${d.metadata?.name}" is progressing.`, nowMs);
      if (cur) {
        if (cur.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
        removeCondition(s, 'Progressing');
      }
      setCondition(s, c);
    } else if (deploymentTimedOut(d, s, nowMs)) {
      setCondition(s, newCondition('Progressing', 'False', reasons.timedOut, `ReplicaSet "${name}" has timed out progressing.`, nowMs));
    }
  }
  const failure = [newRS, ...allRSs].map((rs) => rs?.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True')).find((c) => c);
  if (failure) {
    setCondition(s, { type: 'ReplicaFailure', status: 'True', reason: failure.reason, message: failure.message, lastUpdateTime: failure.lastTransitionTime, lastTransitionTime: failure.lastTransitionTime });
  } else removeCondition(s, 'ReplicaFailure');
  return s;
}

export function statusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  return JSON.stringify(canonical(a ?? {})) === JSON.stringify(canonical(b));
}
