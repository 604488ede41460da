// The FailedScheduling message, worded as upstream's FitError: "0/3 nodes are available: 1 node(s) had
// untolerated taint {a: b}, 2 Insufficient cpu." — reasons counted over nodes, "<count> <reason>" sorted
// as strings — followed by the postFilter (preemption) message when there is one. Pure.
import type { NodeToStatus } from './types.js';

export const noNodesMessage = 'no nodes available to schedule pods';

export function reasonHistogram(statuses: NodeToStatus): string[] {
  const counts = new Map<string, number>();
  for (const s of statuses.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, n]) => `${n} ${r}`).sort();
}

export function fitErrorMessage(numAllNodes: number, statuses: NodeToStatus, preFilterMsg?: string, postFilterMsg?: string): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (preFilterMsg) msg += ` ${preFilterMsg}.`;
  else msg += ` ${reasonHistogram(statuses).join(', ')}.`;
  if (postFilterMsg) msg += ` ${postFilterMsg}`;
  return msg;
}
