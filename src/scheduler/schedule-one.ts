// The scheduling algorithm for one pod against the cache, as upstream's schedulePod: preFilter; the
// nominated node first; filter from a rotating start until enough feasible nodes are found
// (percentageOfNodesToScore, adaptive by default); score and pick the best, ties broken uniformly at random.
// Synchronous and free of I/O: the cache cannot change while it runs.
import type { Framework } from './framework/framework.js';
import type { NodeInfo, PodInfo } from './framework/node-info.js';
import type { CycleState, Handle, NodeToStatus, Status } from './framework/types.js';

export type ScheduleResult =
  | { kind: 'fit'; nodeName: string; evaluated: number; feasible: number }
  | { kind: 'fitError'; numAllNodes: number; statuses: NodeToStatus; preFilterMsg?: string }
  | { kind: 'error'; message: string };

const minFeasibleNodesToFind = 100;
const minFeasibleNodesPercentageToFind = 5;

/** Upstream's numFeasibleNodesToFind. */
export function numFeasibleNodesToFind(numAllNodes: number, percentage: number | undefined): number {
  if (numAllNodes < minFeasibleNodesToFind) return numAllNodes;
  let pct = percentage ?? 0;
  if (pct <= 0) pct = Math.max(minFeasibleNodesPercentageToFind, 50 - Math.floor(numAllNodes / 125));
  if (pct >= 100) return numAllNodes;
  return Math.max(minFeasibleNodesToFind, Math.floor((numAllNodes * pct) / 100));
}

export class Scheduling {
  private nextStartNodeIndex = 0;
  /**
   * The feasible nodes of a decision, reused by the next one when it is filled (every node wanted was found,
   * the common case: 500 of 5,000 nodes, a 4 KB array per pod otherwise). No plugin keeps the list it is
   * given past schedulePod, which is synchronous.
   */
  private feasibleScratch: NodeInfo[] = [];

  constructor(
    private readonly handle: Handle,
    private readonly random: () => number = Math.random,
  ) {}

  schedulePod(fwk: Framework, state: CycleState, pod: PodInfo): ScheduleResult {
    const all = this.handle.nodeInfos();
    if (all.length === 0) return { kind: 'error', message: 'no nodes available to schedule pods' };
    const pre = fwk.runPreFilter(state, pod, all);
    if (pre.status) {
      if (pre.status.code === 'Error') return { kind: 'error', message: pre.status.reasons.join(', ') };
      const statuses: NodeToStatus = new Map();
      for (const ni of all) statuses.set(ni.name, pre.status);
      return { kind: 'fitError', numAllNodes: all.length, statuses, preFilterMsg: pre.status.reasons.join(', ') };
    }
    // A pod that preempted others tries its nominated node first.
    const nominated = pod.pod.status?.nominatedNodeName;
    if (nominated) {
      const ni = this.handle.nodeInfo(nominated);
      if (ni && (!pre.nodeNames || pre.nodeNames.has(nominated)) && !fwk.runFilters(state, pod, ni)) {
        return { kind: 'fit', nodeName: nominated, evaluated: 1, feasible: 1 };
      }
    }
    let candidates: NodeInfo[] = all;
    if (pre.nodeNames) {
      candidates = [];
      for (const n of pre.nodeNames) {
        const ni = this.handle.nodeInfo(n);
        if (ni) candidates.push(ni);
      }
    }
    const n = candidates.length;
    const want = numFeasibleNodesToFind(n, fwk.percentageOfNodesToScore);
    // Room for every feasible node up front (it is filled by index, then copied if not filled): no regrowth.
    const size = Math.min(want, n);
    let feasible = this.feasibleScratch;
    if (feasible.length !== size) this.feasibleScratch = feasible = new Array<NodeInfo>(size);
    let found = 0;
    // Rejections are only needed when nothing fits: kept in arrays, made into statuses then.
    const rejected: NodeInfo[] = [];
    const why: Status[] = [];
    const start = n > 0 ? this.nextStartNodeIndex % n : 0;
    let processed = 0;
    for (let at = start; processed < n && found < want; processed++) {
      const ni = candidates[at]!;
      if (++at === n) at = 0;
      const s: Status | null = fwk.runFilters(state, pod, ni);
      if (s) {
        rejected.push(ni);
        why.push(s);
      } else feasible[found++] = ni;
    }
    if (found < size) feasible = feasible.slice(0, found);
    if (n > 0) this.nextStartNodeIndex = (start + processed) % n;
    if (found === 0) {
      const statuses: NodeToStatus = new Map();
      const names = pre.nodeNames;
      if (names) {
        for (const ni of all) if (!names.has(ni.name)) statuses.set(ni.name, { code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match Pod's node affinity/selector"], plugin: 'NodeAffinity' });
      }
      for (let i = 0; i < rejected.length; i++) statuses.set(rejected[i]!.name, why[i]!);
      return { kind: 'fitError', numAllNodes: all.length, statuses };
    }
    if (found === 1) return { kind: 'fit', nodeName: feasible[0]!.name, evaluated: processed, feasible: 1 };
    const scores = fwk.runScores(state, pod, feasible);
    return { kind: 'fit', nodeName: scores[pickBest(scores, this.random)]!.name, evaluated: processed, feasible: feasible.length };
  }
}

/**
 * The index of a highest score, uniformly at random among equal ones (as upstream's selectHost, whose reservoir
 * sampling draws once per tie). One draw per decision: on a fleet of identical nodes hundreds tie, and a draw
 * through a function value allocates its number each time (~8 KB per pod on 500 feasible nodes).
 */
export function pickBest(scores: readonly { score: number }[], random: () => number): number {
  let max = scores[0]!.score;
  let ties = 1;
  for (let i = 1; i < scores.length; i++) {
    const s = scores[i]!.score;
    if (s > max) {
      max = s;
      ties = 1;
    } else if (s === max) ties++;
  }
  let k = ties === 1 ? 0 : Math.min(ties - 1, Math.floor(random() * ties));
  for (let i = 0; i < scores.length; i++) if (scores[i]!.score === max && k-- === 0) return i;
  return 0; // not reached: the k-th of `ties` equal scores exists
}
