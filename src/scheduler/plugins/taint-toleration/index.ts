// TaintToleration: a node's NoSchedule/NoExecute taints must all be tolerated (filter); fewer untolerated
// PreferNoSchedule taints score higher (score, normalised in reverse).
// The node's taints come split by effect (NodeInfo.hardTaints / preferTaints): most nodes have none, and
// then neither extension point looks further.
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { maxNodeScore, unresolvable, type FilterPlugin, type ScorePlugin } from '../../framework/types.js';
import { findUntoleratedTaint, tolerates } from '../../framework/taints.js';
import type { NodeInfo, PodInfo } from '../../framework/node-info.js';

export const name = 'TaintToleration';
const all = () => true;

/** Upstream's score counts taints no toleration with an empty or PreferNoSchedule effect tolerates. */
function toleratedWhenPreferred(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (const t of tolerations) if ((!t.effect || t.effect === 'PreferNoSchedule') && tolerates(t, taint)) return true;
  return false;
}

/** The score: how many of the node's PreferNoSchedule taints the pod does not tolerate. */
function untoleratedPreferred(pod: PodInfo, ni: NodeInfo): number {
  // Indexed: most nodes have none (a frozen empty array, whose for…of is not the fast path).
  const taints = ni.preferTaints;
  let n = 0;
  for (let i = 0; i < taints.length; i++) if (!toleratedWhenPreferred(pod.tolerations, taints[i]!)) n++;
  return n;
}

export function taintToleration(): FilterPlugin & ScorePlugin {
  return {
    name,
    events: () => ['NodeAdd', 'NodeTaint'],
    filter: (_s, pod, ni) => {
      if (ni.hardTaints.length === 0) return null;
      const t = findUntoleratedTaint(ni.hardTaints, pod.tolerations, all);
      return t ? unresolvable(`node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`) : null;
    },
    score: (_s, pod, ni) => untoleratedPreferred(pod, ni),
    scoreAll: (_s, pod, nodes, out) => {
      for (let i = 0; i < nodes.length; i++) out[i]!.score = untoleratedPreferred(pod, nodes[i]!);
    },
    normalizeScore: (_s, _p, scores) => defaultNormalize(scores, true),
  };
}

/** Upstream's helper.DefaultNormalizeScore: scale to [0, 100] by the maximum, optionally reversed. */
export function defaultNormalize(scores: { score: number }[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s.score > max) max = s.score;
  for (const s of scores) {
    if (max === 0) {
      s.score = reverse ? maxNodeScore : 0;
      continue;
    }
    const v = Math.floor((maxNodeScore * s.score) / max);
    s.score = reverse ? maxNodeScore - v : v;
  }
}
