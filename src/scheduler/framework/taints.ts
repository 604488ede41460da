// Toleration matching as upstream's v1helper (ToleratesTaint, FindMatchingUntoleratedTaint). Pure.
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== 'Exists') return false; // an empty key only works with Exists (tolerates all)
  switch (t.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

export function toleratesAny(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (const t of tolerations) if (tolerates(t, taint)) return true;
  return false;
}

/** The first taint (with an effect accepted by inclusion) that no toleration tolerates. */
export function findUntoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[], inclusion: (t: Taint) => boolean): Taint | undefined {
  for (const taint of taints) {
    if (!inclusion(taint)) continue;
    if (!toleratesAny(tolerations, taint)) return taint;
  }
  return undefined;
}
