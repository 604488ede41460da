// Preemption's decisions, as upstream's DefaultPreemption: which pods on a node must go for the preemptor
// to fit (remove every lower-priority pod, then reprieve as many as possible, most important first, those
// whose eviction would violate a PodDisruptionBudget before the others), and which candidate node to
// pick (fewest PDB violations, lowest highest victim priority, lowest priority sum, fewest victims, latest
// start of the most important victims). Pure: runs the profile's filters on copies of the node.
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { labelSelectorFromObject } from '../../../util/label-selector.js';
import type { Framework } from '../../framework/framework.js';
import type { NodeInfo, PodInfo } from '../../framework/node-info.js';
import type { CycleState } from '../../framework/types.js';

export interface Candidate {
  nodeName: string;
  /** Most important first. */
  victims: PodInfo[];
  numPDBViolations: number;
}

/** Higher priority first, then the pod that started earlier. */
export function moreImportant(a: PodInfo, b: PodInfo): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  return a.startTime < b.startTime;
}

const byImportance = (a: PodInfo, b: PodInfo) => (moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0);

/** Splits pods (in order) into those whose eviction would violate a budget and the rest. */
export function splitByPDBViolation(pods: PodInfo[], pdbs: readonly PodDisruptionBudget[]): { violating: PodInfo[]; nonViolating: PodInfo[] } {
  const allowed = pdbs.map((p) => p.status?.disruptionsAllowed ?? 0);
  const selectors = pdbs.map((p) => labelSelectorFromObject(p.spec?.selector ?? null));
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const pod of pods) {
    let violated = false;
    pdbs.forEach((pdb, i) => {
      if (pdb.metadata?.namespace !== pod.namespace) return;
      const sel = selectors[i]!;
      if (sel.empty() || !sel.matches(pod.labels)) return; // an empty selector matches nothing here
      if (pdb.status?.disruptedPods && pod.name in pdb.status.disruptedPods) return;
      allowed[i]!--;
      if (allowed[i]! < 0) violated = true;
    });
    (violated ? violating : nonViolating).push(pod);
  }
  return { violating, nonViolating };
}

export function selectVictimsOnNode(
  fwk: Framework,
  state: CycleState,
  pod: PodInfo,
  nodeInfo: NodeInfo,
  pdbs: readonly PodDisruptionBudget[],
): Candidate | undefined {
  const ni = nodeInfo.clone();
  const st = state.clone();
  const exts = fwk.preFilters.filter((p) => p.preFilterExtensions);
  const remove = (p: PodInfo) => {
    ni.removePod(p.key);
    for (const e of exts) e.preFilterExtensions!.removePod(st, pod, p, ni);
  };
  const add = (p: PodInfo) => {
    ni.addPod(p);
    for (const e of exts) e.preFilterExtensions!.addPod(st, pod, p, ni);
  };
  const potential: PodInfo[] = [];
  for (const p of nodeInfo.pods.values()) if (p.priority < pod.priority && p.key !== pod.key) potential.push(p);
  if (potential.length === 0) return undefined;
  for (const p of potential) remove(p);
  if (fwk.runFilters(st, pod, ni)) return undefined;
  potential.sort(byImportance);
  const { violating, nonViolating } = splitByPDBViolation(potential, pdbs);
  const victims: PodInfo[] = [];
  let numPDBViolations = 0;
  const reprieve = (p: PodInfo): boolean => {
    add(p);
    if (!fwk.runFilters(st, pod, ni)) return false;
    remove(p);
    victims.push(p);
    return true;
  };
  for (const p of violating) if (reprieve(p)) numPDBViolations++;
  for (const p of nonViolating) reprieve(p);
  victims.sort(byImportance);
  return { nodeName: nodeInfo.name, victims, numPDBViolations };
}

/** Upstream's pickOneNodeForPreemption. */
export function pickOneNode(candidates: Candidate[]): Candidate | undefined {
  if (candidates.length === 0) return undefined;
  const offset = 2 ** 31 + 1; // keeps sums of negative priorities ordered
  const criteria: ((c: Candidate) => number)[] = [
    (c) => -c.numPDBViolations,
    (c) => -(c.victims[0]?.priority ?? -Infinity),
    (c) => -c.victims.reduce((a, v) => a + v.priority + offset, 0),
    (c) => -c.victims.length,
    (c) => {
      const top = c.victims[0]?.priority;
      let earliest = Infinity;
      for (const v of c.victims) if (v.priority === top && v.startTime < earliest) earliest = v.startTime;
      return earliest;
    },
  ];
  let best = candidates;
  for (const f of criteria) {
    if (best.length === 1) break;
    let max = -Infinity;
    for (const c of best) max = Math.max(max, f(c));
    best = best.filter((c) => f(c) === max);
  }
  return best[0];
}
