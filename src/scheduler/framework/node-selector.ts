// Node selector terms as upstream's nodeaffinity helpers: matchExpressions on labels (In, NotIn, Exists,
// DoesNotExist, Gt, Lt) and matchFields on metadata.name; terms are ORed, requirements within a term ANDed;
// a term with no requirements matches nothing. Pure.
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod } from 'kubernetes-types/core/v1.js';

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false;
      const a = Number.parseInt(value, 10);
      const b = Number.parseInt(values[0]!, 10);
      if (!Number.isInteger(a) || !Number.isInteger(b) || String(a) !== value.trim()) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

export function termMatchesNode(term: NodeSelectorTerm, labels: Record<string, string>, nodeName: string): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  for (const e of exprs) if (!requirementMatches(e, labels[e.key])) return false;
  for (const f of fields) {
    if (f.key !== 'metadata.name') return false;
    if (!requirementMatches(f, nodeName)) return false;
  }
  return true;
}

export function termsMatchNode(terms: readonly NodeSelectorTerm[], labels: Record<string, string>, nodeName: string): boolean {
  for (const t of terms) if (termMatchesNode(t, labels, nodeName)) return true;
  return false;
}

/** Whether the pod has a nodeSelector or required node affinity (else it matches every node). */
export function hasNodeRequirements(pod: Pod): boolean {
  const sel = pod.spec?.nodeSelector;
  if (sel) for (const _ in sel) return true;
  return !!pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
}

/** spec.nodeSelector and required node affinity (upstream's GetRequiredNodeAffinity().Match). */
export function podMatchesNodeRequirements(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  const sel = pod.spec?.nodeSelector;
  if (sel) for (const k in sel) if (labels[k] !== sel[k]) return false;
  const req = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (req && !termsMatchNode(req.nodeSelectorTerms ?? [], labels, node.metadata?.name ?? '')) return false;
  return true;
}
