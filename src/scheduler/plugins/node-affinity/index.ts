// NodeAffinity: spec.nodeSelector and required node affinity must match (filter; a metadata.name field
// requirement narrows the nodes in preFilter); preferred terms add their weights (score, normalised).
import { termMatchesNode } from '../../framework/node-selector.js';
import { podMatchesNodeRequirements } from '../../framework/node-selector.js';
import { skip, unresolvable, type FilterPlugin, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin } from '../../framework/types.js';
import { defaultNormalize } from '../taint-toleration/index.js';

export const name = 'NodeAffinity';
export const reason = "node(s) didn't match Pod's node affinity/selector";
const rejected = unresolvable(reason); // shared by every node it rejects (statuses are read-only)

export function nodeAffinity(): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  return {
    name,
    events: () => ['NodeAdd', 'NodeLabel'],
    preFilter: (state, pod) => {
      const spec = pod.pod.spec;
      const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
      if (!spec?.nodeSelector && !terms) state.skipFilter.add(name);
      // Every term naming nodes by metadata.name In [...]: only those nodes can fit.
      if (terms && terms.length > 0) {
        const names = new Set<string>();
        for (const t of terms) {
          const f = (t.matchFields ?? []).find((m) => m.key === 'metadata.name' && m.operator === 'In');
          if (!f) return null;
          for (const v of f.values ?? []) names.add(v);
        }
        return { nodeNames: names };
      }
      return null;
    },
    filter: (_s, pod, ni) => (ni.node && podMatchesNodeRequirements(pod.pod, ni.node) ? null : rejected),
    // No preferred terms: every node would score 0 (as upstream, the score is skipped).
    preScore: (_s, pod) => (pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ? null : skip),
    score: (_s, pod, ni) => {
      let sum = 0;
      for (const t of pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
        if (t.weight !== 0 && termMatchesNode(t.preference, ni.labels, ni.name)) sum += t.weight;
      }
      return sum;
    },
    normalizeScore: (_s, _p, scores) => defaultNormalize(scores, false),
  };
}
