// The status conditions the namespace controller keeps on a terminating namespace, exactly as upstream's
// namespace deleter (pkg/controller/namespace/deletion/status_condition_utils.go): five condition types,
// each either a failure (True, with the reason and message of what went wrong) or its "ok" variant (False).
// Pure: it computes new condition lists and never touches the cached Namespace it is given.
import type { NamespaceCondition } from 'kubernetes-types/core/v1.js';
import { rfc3339 } from '../../util/wire-time.js';

export const conditionTypes = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;
export type NamespaceConditionType = (typeof conditionTypes)[number];

const okMessages: Record<NamespaceConditionType, string> = {
  NamespaceDeletionDiscoveryFailure: 'All resources successfully discovered',
  NamespaceDeletionGroupVersionParsingFailure: 'All legacy kube types successfully parsed',
  NamespaceDeletionContentFailure: 'All content successfully deleted, may be waiting on finalization',
  NamespaceContentRemaining: 'All content successfully removed',
  NamespaceFinalizersRemaining: 'All content successfully removed',
};

const okReasons: Record<NamespaceConditionType, string> = {
  NamespaceDeletionDiscoveryFailure: 'ResourcesDiscovered',
  NamespaceDeletionGroupVersionParsingFailure: 'ParsedGroupVersions',
  NamespaceDeletionContentFailure: 'ContentDeleted',
  NamespaceContentRemaining: 'ContentRemoved',
  NamespaceFinalizersRemaining: 'ContentRemoved',
};

/** What one pass of content deletion found. */
export interface DeletionOutcome {
  /** Discovery failed (wholly or for some groups); failedGroups is set for the partial case. */
  discoveryError?: { message: string; failedGroups?: number };
  groupVersionError?: string;
  /** "<resource>.<group>" → objects still present (e.g. "configmaps." for core, as upstream prints it). */
  remainingByResource: Map<string, number>;
  /** finalizer → objects still carrying it. */
  remainingByFinalizer: Map<string, number>;
  /** Messages of the per-resource deletion failures. */
  deleteContentErrors: string[];
}

export function emptyOutcome(): DeletionOutcome {
  return { remainingByResource: new Map(), remainingByFinalizer: new Map(), deleteContentErrors: [] };
}

/** RFC 3339 with seconds, as metav1.Time serialises. */
export function timestamp(now: Date): string {
  return rfc3339(now.getTime());
}

/** The failure conditions an outcome calls for (types without a failure are absent). */
export function failureConditions(o: DeletionOutcome, now: Date): NamespaceCondition[] {
  const t = timestamp(now);
  const out: NamespaceCondition[] = [];
  const add = (type: NamespaceConditionType, reason: string, message: string) =>
    out.push({ type, status: 'True', lastTransitionTime: t, reason, message });
  if (o.discoveryError) {
    const { message, failedGroups } = o.discoveryError;
    add(
      'NamespaceDeletionDiscoveryFailure',
      'DiscoveryFailed',
      failedGroups !== undefined ? `Discovery failed for some groups, ${failedGroups} failing: ${message}` : message,
    );
  }
  if (o.groupVersionError) add('NamespaceDeletionGroupVersionParsingFailure', 'GroupVersionParsingFailed', o.groupVersionError);
  const resources = [...o.remainingByResource].filter(([, n]) => n > 0).map(([r, n]) => `${r} has ${n} resource instances`).sort();
  if (o.remainingByResource.size > 0) {
    add('NamespaceContentRemaining', 'SomeResourcesRemain', `Some resources are remaining: ${resources.join(', ')}`);
  }
  const finalizers = [...o.remainingByFinalizer].filter(([, n]) => n > 0).map(([f, n]) => `${f} in ${n} resource instances`).sort();
  if (o.remainingByFinalizer.size > 0) {
    add('NamespaceFinalizersRemaining', 'SomeFinalizerRemain', `Some finalizers are remaining: ${finalizers.join(', ')}`);
  }
  if (o.deleteContentErrors.length > 0) {
    const msgs = [...o.deleteContentErrors].sort();
    add(
      'NamespaceDeletionContentFailure',
      'ContentDeletionFailed',
      `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}`,
    );
  }
  return out;
}

/**
 * The namespace's conditions after a pass: every managed type set to its failure or ok variant; an
 * unchanged condition keeps its lastTransitionTime, which moves only when the status flips. Conditions of
 * other types are kept. `changed` says whether a status update is needed.
 */
export function updateConditions(
  existing: readonly NamespaceCondition[] | undefined,
  failures: readonly NamespaceCondition[],
  now: Date,
): { conditions: NamespaceCondition[]; changed: boolean } {
  const conditions = (existing ?? []).map((c) => ({ ...c }));
  let changed = false;
  const t = timestamp(now);
  for (const type of conditionTypes) {
    const next = failures.find((c) => c.type === type) ?? {
      type,
      status: 'False',
      lastTransitionTime: t,
      reason: okReasons[type],
      message: okMessages[type],
    };
    const old = conditions.find((c) => c.type === type);
    if (!old) {
      conditions.push({ ...next });
      changed = true;
    } else if (old.status !== next.status || old.message !== next.message || old.reason !== next.reason) {
      if (old.status !== next.status) old.lastTransitionTime = t;
      old.status = next.status;
      old.reason = next.reason;
      old.message = next.message;
      changed = true;
    }
  }
  return { conditions, changed };
}
