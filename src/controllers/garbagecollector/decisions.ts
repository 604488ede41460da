// The garbage collector's decisions as pure functions (upstream pkg/controller/garbagecollector,
// attemptToDeleteItem / processDeletingDependentsItem / isDangling): given what is known about an object
// and the live state of its owners, what should happen to it. No I/O; the controller does the lookups and
// carries out the returned action.
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';

export const foregroundFinalizer = 'foregroundDeletion';
export const orphanFinalizer = 'orphan';

/** The metadata the decisions look at. */
export interface MetaState {
  deletionTimestamp?: string;
  finalizers?: readonly string[];
}

export function isBeingDeleted(m: MetaState): boolean {
  return !!m.deletionTimestamp;
}

/** Deleted with propagationPolicy Foreground and waiting for its dependents to go. */
export function isDeletingDependents(m: MetaState): boolean {
  return !!m.deletionTimestamp && (m.finalizers ?? []).includes(foregroundFinalizer);
}

/** Deleted with propagationPolicy Orphan and waiting for its dependents to be released. */
export function isOrphaningDependents(m: MetaState): boolean {
  return !!m.deletionTimestamp && (m.finalizers ?? []).includes(orphanFinalizer);
}

/** What a live lookup of one owner reference found. */
export type OwnerState =
  /** 404, or an object of that name with another uid: the owner is gone. */
  | { kind: 'absent' }
  | { kind: 'present'; deletingDependents: boolean };

export interface ClassifiedOwners {
  /** Owners that exist and are not waiting for their dependents. */
  solid: OwnerReference[];
  dangling: OwnerReference[];
  /** Owners being deleted in the foreground: they wait for this object. */
  waiting: OwnerReference[];
}

export function classifyOwners(refs: readonly OwnerReference[], stateOf: (ref: OwnerReference) => OwnerState): ClassifiedOwners {
  const out: ClassifiedOwners = { solid: [], dangling: [], waiting: [] };
  for (const ref of refs) {
    const s = stateOf(ref);
    if (s.kind === 'absent') out.dangling.push(ref);
    else if (s.deletingDependents) out.waiting.push(ref);
    else out.solid.push(ref);
  }
  return out;
}

/**
 * Where to look up an owner: namespaced owners only in the dependent's own namespace; cluster-scoped owners
 * anywhere. A cluster-scoped dependent cannot have a namespaced owner — that reference is invalid and
 * retrying will not fix it.
 */
export type OwnerLookup = { kind: 'lookup'; namespace?: string } | { kind: 'invalid'; reason: string };

export function ownerLookup(dependentNamespace: string | undefined, ownerNamespaced: boolean): OwnerLookup {
  if (!ownerNamespaced) return { kind: 'lookup' };
  if (!dependentNamespace) return { kind: 'invalid', reason: 'cluster-scoped object refers to a namespaced owner' };
  return { kind: 'lookup', namespace: dependentNamespace };
}

export type DeletePolicy = 'Background' | 'Foreground' | 'Orphan';

export type DependentAction =
  | { kind: 'none'; reason: string }
  /** Keep the object: drop the references to owners that are gone or waiting for it. */
  | { kind: 'removeOwnerReferences'; uids: string[] }
  /**
   * Delete the object. unblockOwnerReferences: first set blockOwnerDeletion=false on its references (a
   * dependent of it is itself waiting in the foreground: break the possible cycle).
   */
  | { kind: 'delete'; policy: DeletePolicy; unblockOwnerReferences: boolean };

export interface DependentInput {
  owners: ClassifiedOwners;
  /** The object's own finalizers (an existing orphan/foreground finalizer is honoured). */
  finalizers: readonly string[];
  /** The graph knows dependents of this object. */
  hasDependents: boolean;
  /** One of those dependents is itself deleting its dependents in the foreground. */
  dependentDeletingDependents: boolean;
}

/** attemptToDeleteItem for an object that exists and has owner references. */
export function decideDependent(input: DependentInput): DependentAction {
  const { solid, dangling, waiting } = input.owners;
  if (solid.length > 0) {
    if (dangling.length === 0 && waiting.length === 0) return { kind: 'none', reason: 'owners exist' };
    return { kind: 'removeOwnerReferences', uids: [...dangling, ...waiting].map((r) => r.uid) };
  }
  if (waiting.length > 0 && input.hasDependents) {
    // Our owner waits for us and we have dependents: delete in the foreground so they go first.
    return { kind: 'delete', policy: 'Foreground', unblockOwnerReferences: input.dependentDeletingDependents };
  }
  if (dangling.length === 0 && waiting.length === 0) return { kind: 'none', reason: 'no owner references' };
  const policy: DeletePolicy = input.finalizers.includes(orphanFinalizer)
    ? 'Orphan'
    : input.finalizers.includes(foregroundFinalizer)
      ? 'Foreground'
      : 'Background';
  return { kind: 'delete', policy, unblockOwnerReferences: false };
}

/** A dependent as the owner's foreground deletion sees it. */
export interface DependentSummary<K> {
  id: K;
  /** Its reference to the owner has blockOwnerDeletion=true. */
  blocking: boolean;
  deletingDependents: boolean;
}

export type DeletingOwnerAction<K> = { kind: 'removeFinalizer' } | { kind: 'wait'; attemptToDelete: K[] };

/**
 * processDeletingDependentsItem: an owner deleted in the foreground loses its foregroundDeletion finalizer
 * once no blocking dependent is left; until then its blocking dependents are (re)tried, except those busy
 * deleting their own dependents.
 */
export function decideDeletingOwner<K>(dependents: readonly DependentSummary<K>[]): DeletingOwnerAction<K> {
  const blocking = dependents.filter((d) => d.blocking);
  if (blocking.length === 0) return { kind: 'removeFinalizer' };
  return { kind: 'wait', attemptToDelete: blocking.filter((d) => !d.deletingDependents).map((d) => d.id) };
}

/** The owner references left after removing some uids; undefined when nothing changes. */
export function withoutOwnerReferences(refs: readonly OwnerReference[], uids: readonly string[]): OwnerReference[] | undefined {
  const drop = new Set(uids);
  const kept = refs.filter((r) => !drop.has(r.uid));
  return kept.length === refs.length ? undefined : kept;
}

/** The owner references with blockOwnerDeletion cleared; undefined when none was set. */
export function unblockedOwnerReferences(refs: readonly OwnerReference[]): OwnerReference[] | undefined {
  if (!refs.some((r) => r.blockOwnerDeletion)) return undefined;
  return refs.map((r) => (r.blockOwnerDeletion ? { ...r, blockOwnerDeletion: false } : r));
}

/** The finalizers without f; undefined when f is not there. */
export function withoutFinalizer(finalizers: readonly string[] | undefined, f: string): string[] | undefined {
  const fs = finalizers ?? [];
  return fs.includes(f) ? fs.filter((x) => x !== f) : undefined;
}
