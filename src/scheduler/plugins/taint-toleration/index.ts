// TaintToleration: a node's NoSchedule/NoExecute taints must all be tolerated (filter); fewer untolerated
// PreferNoSchedule taints score higher (score, normalised in reverse).
import type { Taint } from 'kubernetes-types/core/v1.js';
import { maxNodeScore, unresolvable, type FilterPlugin, type ScorePlugin } from '../../framework/types.js';
import { findUntoleratedTaint, toleratesAny } from '../../framework/taints.js';

export const name = 'TaintToleration';
const hard = (t: Taint) => t.effect === 'NoSchedule' || t.effect === 'NoExecute';

export function taintToleration(): FilterPlugin & ScorePlugin {
  return {
    name,
    events: () => ['NodeAdd', 'NodeTaint'],
    filter: (_s, pod, ni) => {
      const t = findUntoleratedTaint(ni.taints, pod.tolerations, hard);
      return t ? unresolvable(`node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`) : null;
    },
    score: (_s, pod, ni) => {
      const prefer = pod.tolerations.filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
      let n = 0;
      for (const t of ni.taints) if (t.effect === 'PreferNoSchedule' && !toleratesAny(prefer, t)) n++;
      return n;
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
