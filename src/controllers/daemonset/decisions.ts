// Pure decisions of the DaemonSet controller, as upstream's pkg/controller/daemon: which nodes should run
// (and may keep running) a daemon pod given nodeSelector, required node affinity and taints (with the
// tolerations upstream adds to every daemon pod), the pod built for a node (bound through node affinity on
// metadata.name, then placed by the scheduler), revision hashes, and the rolling-update step with
// maxUnavailable / maxSurge. No I/O.
import type { Node, NodeSelectorTerm, Pod, PodTemplateSpec, Toleration } from 'kubernetes-types/core/v1.js';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import { podMatchesNodeRequirements } from '../../scheduler/framework/node-selector.js';
import { findUntoleratedTaint } from '../../scheduler/framework/taints.js';

export const revisionHashLabel = 'controller-revision-hash';
export const templateGenerationLabel = 'pod-template-generation';

/** Tolerations upstream's AddOrUpdateDaemonPodTolerations adds to every daemon pod. */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const t = (key: string, effect: string): Toleration => ({ key: `node.kubernetes.io/${key}`, operator: 'Exists', effect });
  return [
    t('not-ready', 'NoExecute'),
    t('unreachable', 'NoExecute'),
    t('disk-pressure', 'NoSchedule'),
    t('memory-pressure', 'NoSchedule'),
    t('pid-pressure', 'NoSchedule'),
    t('unschedulable', 'NoSchedule'),
    ...(hostNetwork ? [t('network-unavailable', 'NoSchedule')] : []),
  ];
}

function withTolerations(existing: Toleration[] | undefined, add: Toleration[]): Toleration[] {
  const out = [...(existing ?? [])];
  for (const t of add) if (!out.some((x) => x.key === t.key && x.effect === t.effect && x.operator === t.operator)) out.push(t);
  return out;
}

/** Upstream ReplaceDaemonSetPodNodeNameNodeAffinity: every required term pinned to the node by metadata.name. */
export function pinToNode(terms: NodeSelectorTerm[] | undefined, nodeName: string): NodeSelectorTerm[] {
  const field = [{ key: 'metadata.name', operator: 'In', values: [nodeName] }];
  if (!terms || terms.length === 0) return [{ matchFields: field }];
  return terms.map((t) => ({ ...t, matchFields: field }));
}

/** The daemon pod for a node (the controller adds ownerReferences and labels). */
export function podForNode(ds: DaemonSet, nodeName: string, hash: string): Pod {
  const tpl: PodTemplateSpec = ds.spec?.template ?? {};
  const spec = structuredClone(tpl.spec ?? { containers: [] });
  spec.tolerations = withTolerations(spec.tolerations, daemonTolerations(!!spec.hostNetwork));
  const affinity = spec.affinity ?? {};
  const na = affinity.nodeAffinity ?? {};
  spec.affinity = {
    ...affinity,
    nodeAffinity: {
      ...na,
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: pinToNode(na.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, nodeName) },
    },
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ds.metadata?.name}-`,
      namespace: ds.metadata?.namespace,
      labels: { ...(tpl.metadata?.labels ?? {}), [revisionHashLabel]: hash, [templateGenerationLabel]: String(ds.metadata?.generation ?? 1) },
      annotations: { ...(tpl.metadata?.annotations ?? {}) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata?.name ?? '', uid: ds.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec,
  };
}

export interface Eligibility {
  shouldRun: boolean;
  /** A pod already there may stay (untolerated NoSchedule taints do not evict; NoExecute does). */
  shouldContinueRunning: boolean;
}

/** Upstream NodeShouldRunDaemonPod. */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): Eligibility {
  const name = node.metadata?.name ?? '';
  const pod = podForNode(ds, name, '');
  if (!podMatchesNodeRequirements(pod, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints ?? [];
  const tol = pod.spec?.tolerations ?? [];
  if (findUntoleratedTaint(taints, tol, (t) => t.effect === 'NoExecute')) return { shouldRun: false, shouldContinueRunning: false };
  if (findUntoleratedTaint(taints, tol, (t) => t.effect === 'NoSchedule')) return { shouldRun: false, shouldContinueRunning: true };
  return { shouldRun: true, shouldContinueRunning: true };
}

/** The node a daemon pod belongs to: spec.nodeName, else the metadata.name it is pinned to. */
export function nodeOfPod(p: Pod): string | undefined {
  if (p.spec?.nodeName) return p.spec.nodeName;
  for (const t of p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of t.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}

export function isPodReady(p: Pod): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Ready for at least minReadySeconds. */
export function isPodAvailable(p: Pod, minReadySeconds: number, nowMs: number): boolean {
  const c = (p.status?.conditions ?? []).find((x) => x.type === 'Ready' && x.status === 'True');
  if (!c) return false;
  if (minReadySeconds <= 0) return true;
  const t = Date.parse(c.lastTransitionTime ?? '');
  return Number.isFinite(t) && t + minReadySeconds * 1000 <= nowMs;
}

/** An int or a percentage of total (percentages rounded up, as upstream does for DaemonSets). */
export function scaledValue(v: number | string | undefined, total: number, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (m) return Math.ceil((Number(m[1]) * total) / 100);
  const n = Number(v);
  return Number.isInteger(n) ? n : dflt;
}

/** maxSurge and maxUnavailable for desired nodes (both zero → maxUnavailable 1). */
export function rollingLimits(ds: DaemonSet, desired: number): { maxSurge: number; maxUnavailable: number } {
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  const maxSurge = scaledValue(ru?.maxSurge, desired, 0);
  let maxUnavailable = scaledValue(ru?.maxUnavailable, desired, 1);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

export interface NodeState {
  node: string;
  /** The pod of the current revision, if any. */
  newPod?: Pod;
  newAvailable: boolean;
  oldPods: Pod[];
  oldAvailable: boolean;
}

/**
 * One rolling-update step (upstream rollingUpdate): which old pods to delete and on which nodes to start
 * a new pod ahead of deleting the old (surge).
 */
export function rollingUpdateStep(states: NodeState[], maxSurge: number, maxUnavailable: number): { deletePods: Pod[]; surgeNodes: string[] } {
  const deletePods: Pod[] = [];
  const surgeNodes: string[] = [];
  if (maxSurge === 0) {
    let unavailable = states.filter((s) => !s.newAvailable && !s.oldAvailable).length;
    const candidates: NodeState[] = [];
    for (const s of states) {
      if (s.oldPods.length === 0) continue;
      if (!s.oldAvailable) deletePods.push(...s.oldPods); // already unavailable: replacing costs nothing
      else candidates.push(s);
    }
    for (const s of candidates) {
      if (unavailable >= maxUnavailable) break;
      deletePods.push(...s.oldPods);
      unavailable++;
    }
    return { deletePods, surgeNodes };
  }
  let surging = states.filter((s) => s.oldPods.length > 0 && s.newPod && !s.newAvailable).length;
  for (const s of states) {
    if (s.oldPods.length === 0) continue;
    if (s.newPod) {
      if (s.newAvailable) deletePods.push(...s.oldPods);
      continue;
    }
    if (!s.oldAvailable) {
      surgeNodes.push(s.node);
      continue;
    }
    if (surging < maxSurge) {
      surgeNodes.push(s.node);
      surging++;
    }
  }
  return { deletePods, surgeNodes };
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
