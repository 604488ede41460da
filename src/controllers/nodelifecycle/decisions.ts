// Pure decisions of the node lifecycle controller (upstream pkg/controller/nodelifecycle and the NoExecute
// taint manager): when a node's health was last observed (Lease renewals and Ready heartbeats, timed on the
// controller's own clock), when its conditions become Unknown, which not-ready / unreachable /
// unschedulable taints it should carry, and when a pod on a NoExecute-tainted node is evicted. No I/O.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { tolerates } from '../../scheduler/framework/taints.js';

export const notReadyTaintKey = 'node.kubernetes.io/not-ready';
export const unreachableTaintKey = 'node.kubernetes.io/unreachable';
export const unschedulableTaintKey = 'node.kubernetes.io/unschedulable';

export interface HealthData {
  /** Controller-clock time (ms) of the last observed sign of life. */
  probeTimestamp: number;
  heartbeat?: string;
  leaseRenewTime?: string;
}

const readyOf = (node: Node): NodeCondition | undefined => node.status?.conditions?.find((c) => c.type === 'Ready');

/** Upstream tryUpdateNodeHealth's bookkeeping: a new heartbeat or Lease renewal moves probeTimestamp to now. */
export function observeHealth(prev: HealthData | undefined, node: Node, lease: Lease | undefined, now: number): HealthData {
  const heartbeat = readyOf(node)?.lastHeartbeatTime;
  const renew = lease?.spec?.renewTime;
  if (!prev) return { probeTimestamp: now, heartbeat, leaseRenewTime: renew };
  const next = { ...prev };
  if (heartbeat !== prev.heartbeat) {
    next.heartbeat = heartbeat;
    next.probeTimestamp = now;
  }
  if (renew && renew !== prev.leaseRenewTime && (!prev.leaseRenewTime || renew > prev.leaseRenewTime)) {
    next.leaseRenewTime = renew;
    next.probeTimestamp = now;
  }
  return next;
}

export interface GracePeriods {
  /** node-monitor-grace-period (50 s). */
  monitorGraceMs: number;
  /** node-startup-grace-period (60 s): for nodes that never posted a Ready condition. */
  startupGraceMs: number;
}

const podConditionTypes = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/**
 * The conditions a node should have now: unchanged while it is heard from within its grace period, else
 * Ready (and the pressure conditions) Unknown as upstream ("Kubelet stopped posting node status.").
 * Returns undefined when nothing changes.
 */
export function staleConditions(node: Node, health: HealthData, now: number, grace: GracePeriods, nowText: string): NodeCondition[] | undefined {
  const ready = readyOf(node);
  const period = ready ? grace.monitorGraceMs : grace.startupGraceMs;
  if (now <= health.probeTimestamp + period) return undefined;
  const conds = (node.status?.conditions ?? []).map((c) => ({ ...c }));
  let changed = false;
  for (const type of podConditionTypes) {
    const c = conds.find((x) => x.type === type);
    if (!c) {
      conds.push({ type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: node.metadata?.creationTimestamp, lastTransitionTime: nowText });
      changed = true;
    } else if (c.status !== 'Unknown') {
      c.status = 'Unknown';
      c.reason = 'NodeStatusUnknown';
      c.message = 'Kubelet stopped posting node status.';
      c.lastTransitionTime = nowText;
      changed = true;
    }
  }
  return changed ? conds : undefined;
}

/** Taints the node should carry for its Ready condition and spec.unschedulable (others are kept). */
export function desiredTaints(node: Node, nowText: string): Taint[] {
  const managed = new Set([notReadyTaintKey, unreachableTaintKey, unschedulableTaintKey]);
  const current = node.spec?.taints ?? [];
  const keep = current.filter((t) => !managed.has(t.key));
  const want: Taint[] = [];
  const status = readyOf(node)?.status;
  const add = (key: string, effect: string) => {
    const existing = current.find((t) => t.key === key && t.effect === effect);
    want.push(existing ?? (effect === 'NoExecute' ? { key, effect, timeAdded: nowText } : { key, effect }));
  };
  if (status === 'False') {
    add(notReadyTaintKey, 'NoSchedule');
    add(notReadyTaintKey, 'NoExecute');
  } else if (status === 'Unknown') {
    add(unreachableTaintKey, 'NoSchedule');
    add(unreachableTaintKey, 'NoExecute');
  }
  if (node.spec?.unschedulable) add(unschedulableTaintKey, 'NoSchedule');
  return [...keep, ...want];
}

export function sameTaints(a: Taint[] | undefined, b: Taint[] | undefined): boolean {
  const key = (t: Taint) => `${t.key}=${t.value ?? ''}:${t.effect}`;
  const x = (a ?? []).map(key).sort();
  const y = (b ?? []).map(key).sort();
  return x.length === y.length && x.every((k, i) => k === y[i]);
}

/**
 * When a pod on a node with these taints must go (upstream NoExecuteTaintManager.processPodOnNode):
 * 'never' if no NoExecute taint applies or every matching toleration is unlimited; 'now' if some NoExecute
 * taint is not tolerated; else the time (ms) = latest timeAdded of the NoExecute taints (or firstSeen) +
 * the smallest tolerationSeconds among the tolerations used.
 */
export function evictionTime(pod: Pod, taints: Taint[] | undefined, firstSeenMs: number): 'never' | 'now' | number {
  const noExecute = (taints ?? []).filter((t) => t.effect === 'NoExecute');
  if (noExecute.length === 0) return 'never';
  const tolerations = pod.spec?.tolerations ?? [];
  let minSeconds: number | undefined;
  let start = 0;
  for (const taint of noExecute) {
    const used = tolerations.filter((t) => tolerates(t, taint));
    if (used.length === 0) return 'now';
    for (const t of used) {
      if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
      minSeconds = Math.min(minSeconds ?? Infinity, t.tolerationSeconds);
    }
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : NaN;
    start = Math.max(start, Number.isFinite(added) ? added : firstSeenMs);
  }
  if (minSeconds === undefined) return 'never';
  if (minSeconds <= 0) return 'now';
  return start + minSeconds * 1000;
}
