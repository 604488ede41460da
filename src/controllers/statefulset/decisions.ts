// Pure decisions of the StatefulSet controller, as upstream's pkg/controller/statefulset: ordinal names
// and identities, the pod for an ordinal (hostname/subdomain, claim volumes, labels), PVCs from
// volumeClaimTemplates (<claim>-<set>-<ordinal>) with the retention policy's owner references, which
// revision an ordinal gets (partition), and one sync step for OrderedReady / Parallel pod management and
// RollingUpdate (reverse ordinal order, maxUnavailable). No I/O.
import type { PersistentVolumeClaim, Pod, PodTemplateSpec, Volume } from 'kubernetes-types/core/v1.js';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';

export const revisionHashLabel = 'controller-revision-hash';
export const podNameLabel = 'statefulset.kubernetes.io/pod-name';
export const podIndexLabel = 'apps.kubernetes.io/pod-index';

export function startOrdinal(set: StatefulSet): number {
  return set.spec?.ordinals?.start ?? 0;
}

/** The ordinal of a pod named <set>-<n>, or undefined. */
export function ordinalOf(set: StatefulSet, p: Pod): number | undefined {
  const name = p.metadata?.name ?? '';
  const prefix = `${set.metadata?.name}-`;
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

export function podName(set: StatefulSet, ord: number): string {
  return `${set.metadata?.name}-${ord}`;
}

export function claimName(set: StatefulSet, claim: string, ord: number): string {
  return `${claim}-${set.metadata?.name}-${ord}`;
}

export function setOwnerRef(set: StatefulSet): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata?.name ?? '', uid: set.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** The pod of ordinal ord from a template of the given revision. */
export function podFor(set: StatefulSet, template: PodTemplateSpec, ord: number, revision: string): Pod {
  const name = podName(set, ord);
  const spec = structuredClone(template.spec ?? { containers: [] });
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  const claims = (set.spec?.volumeClaimTemplates ?? []).map((c) => c.metadata?.name ?? '');
  const volumes: Volume[] = (spec.volumes ?? []).filter((v) => !claims.includes(v.name));
  for (const c of claims) volumes.push({ name: c, persistentVolumeClaim: { claimName: claimName(set, c, ord) } });
  if (volumes.length) spec.volumes = volumes;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata?.namespace,
      labels: { ...(template.metadata?.labels ?? {}), [revisionHashLabel]: revision, [podNameLabel]: name, [podIndexLabel]: String(ord) },
      annotations: { ...(template.metadata?.annotations ?? {}) },
      ownerReferences: [setOwnerRef(set)],
    },
    spec,
  };
}

/** The PVCs of ordinal ord; with whenDeleted: Delete they are owned by the set (upstream retention policy). */
export function claimsFor(set: StatefulSet, ord: number): PersistentVolumeClaim[] {
  const selectorLabels = set.spec?.selector?.matchLabels ?? {};
  const ownedBySet = set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete';
  return (set.spec?.volumeClaimTemplates ?? []).map((t) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(set, t.metadata?.name ?? '', ord),
      namespace: set.metadata?.namespace,
      labels: { ...(t.metadata?.labels ?? {}), ...selectorLabels },
      annotations: t.metadata?.annotations,
      ...(ownedBySet ? { ownerReferences: [{ ...setOwnerRef(set), controller: undefined }] } : {}),
    },
    spec: structuredClone(t.spec ?? {}),
  }));
}

/** Ordinals below the partition keep the current revision under RollingUpdate (upstream newVersionedStatefulSetPod). */
export function revisionFor(set: StatefulSet, ord: number, currentRevision: string, updateRevision: string): 'current' | 'update' {
  const us = set.spec?.updateStrategy;
  if ((us?.type ?? 'RollingUpdate') === 'RollingUpdate') {
    const partition = us?.rollingUpdate?.partition ?? 0;
    if (ord < startOrdinal(set) + partition) return currentRevision === updateRevision ? 'update' : 'current';
  }
  return 'update';
}

export function isRunningAndReady(p: Pod): boolean {
  return p.status?.phase === 'Running' && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function isTerminating(p: Pod): boolean {
  return !!p.metadata?.deletionTimestamp;
}

export function isFailedOrSucceeded(p: Pod): boolean {
  return p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
}

export interface StepInput {
  set: StatefulSet;
  /** Pods by ordinal (only this set's). */
  pods: Map<number, Pod>;
  updateRevision: string;
}

export interface StepResult {
  /** Ordinals to create (PVCs first, then the pod). */
  create: number[];
  /** Pods to delete (failed ones, condemned ones, rolling-update victims). */
  delete: Pod[];
}

/**
 * One sync step (upstream StatefulSetControl.UpdateStatefulSet, simplified): replace failed pods, create
 * missing ordinals (OrderedReady: one at a time, each waiting for its predecessors to be Running and
 * Ready), delete condemned ordinals from the highest down, then roll pods not at updateRevision from the
 * highest ordinal down to the partition, never exceeding maxUnavailable (default 1) unavailable pods.
 */
export function syncStep({ set, pods, updateRevision }: StepInput): StepResult {
  const ordered = (set.spec?.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
  const start = startOrdinal(set);
  const end = start + (set.spec?.replicas ?? 1);
  const create: number[] = [];
  const del: Pod[] = [];
  const condemned = [...pods.entries()].filter(([o]) => o < start || o >= end).sort((a, b) => b[0] - a[0]);

  // Replicas in order.
  let blocked = false;
  for (let o = start; o < end; o++) {
    const p = pods.get(o);
    if (!p) {
      if (!blocked) create.push(o);
      if (ordered) blocked = true;
      continue;
    }
    if (isFailedOrSucceeded(p) && !isTerminating(p)) {
      if (!blocked) del.push(p);
      if (ordered) blocked = true;
      continue;
    }
    if (ordered && (isTerminating(p) || !isRunningAndReady(p))) blocked = true;
  }
  if (ordered && (blocked || create.length || del.length)) return { create, delete: del };

  // Scale down: highest ordinal first; OrderedReady one at a time.
  for (const [, p] of condemned) {
    if (isTerminating(p)) {
      if (ordered) return { create, delete: del };
      continue;
    }
    del.push(p);
    if (ordered) return { create, delete: del };
  }
  if (condemned.length && ordered) return { create, delete: del };

  // Rolling update.
  const us = set.spec?.updateStrategy;
  if ((us?.type ?? 'RollingUpdate') !== 'RollingUpdate') return { create, delete: del };
  const partition = us?.rollingUpdate?.partition ?? 0;
  const maxUnavailable = scaled(us?.rollingUpdate?.maxUnavailable, set.spec?.replicas ?? 1);
  let unavailable = 0;
  for (let o = start; o < end; o++) {
    const p = pods.get(o);
    if (!p || isTerminating(p) || !isRunningAndReady(p) || del.includes(p) || create.includes(o)) unavailable++;
  }
  for (let o = end - 1; o >= start + partition; o--) {
    const p = pods.get(o);
    if (!p || isTerminating(p) || del.includes(p)) continue;
    if (p.metadata?.labels?.[revisionHashLabel] === updateRevision) continue;
    if (unavailable >= maxUnavailable) {
      // A pod already unavailable may be replaced without spending budget.
      if (isRunningAndReady(p)) break;
      del.push(p);
      continue;
    }
    del.push(p);
    if (isRunningAndReady(p)) unavailable++;
  }
  return { create, delete: del };
}

function scaled(v: number | string | undefined, total: number): number {
  if (v === undefined || v === null) return 1;
  if (typeof v === 'number') return Math.max(1, v);
  const m = /^(\d+)%$/.exec(v);
  return Math.max(1, m ? Math.floor((Number(m[1]) * total) / 100) : Number(v) || 1);
}

// ---- revisions ----

const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a 32-bit over the template JSON and collision count, rendered as upstream's SafeEncodeString. */
export function templateHash(tpl: PodTemplateSpec | undefined, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const s = JSON.stringify(tpl ?? {}) + (collisionCount ? String(collisionCount) : '');
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i) & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [...String(h)].map((c) => safeAlphabet[c.charCodeAt(0) % safeAlphabet.length]).join('');
}
