// Which HPAs select which pods (upstream's hpaSelectors bimultimap, for the AmbiguousSelector condition):
// every HPA is registered when it is first seen with a selector that matches nothing, and its scale's
// selector replaces that at each sync; a sync then asks which HPAs select the pods its selector lists. HPAs
// whose selector pins a label (app=web) are indexed by that pair, so a pod is checked only against the HPAs
// that can match it plus those with unpinned selectors in its namespace. Pure, in memory.
import type { LabelSelector } from '../../util/label-selector.js';
import { labelPairs, pinnedPair } from '../../util/label-pairs.js';

interface Entry {
  namespace: string;
  /** Absent until the HPA's first sync (it selects nothing). */
  selector?: LabelSelector;
  /** The index value it is filed under: a pinned pair, or "<namespace>/" for a scan within the namespace. */
  slot: string;
}

export class HpaSelectors {
  private readonly entries = new Map<string, Entry>();
  private readonly bySlot = new Map<string, Set<string>>();

  has(hpaKey: string): boolean {
    return this.entries.has(hpaKey);
  }

  /** Registers (or updates) an HPA's selector; undefined = not synced yet: it selects nothing. */
  put(hpaKey: string, namespace: string, selector: LabelSelector | undefined): void {
    this.delete(hpaKey);
    if (!selector || selector.matchesNothing) {
      this.entries.set(hpaKey, { namespace, slot: '' });
      return;
    }
    const slot = pinnedPair(selector, namespace) ?? `${namespace}/`;
    this.entries.set(hpaKey, { namespace, selector, slot });
    let keys = this.bySlot.get(slot);
    if (!keys) this.bySlot.set(slot, (keys = new Set()));
    keys.add(hpaKey);
  }

  delete(hpaKey: string): void {
    const e = this.entries.get(hpaKey);
    if (!e) return;
    this.entries.delete(hpaKey);
    const keys = this.bySlot.get(e.slot);
    keys?.delete(hpaKey);
    if (keys?.size === 0) this.bySlot.delete(e.slot);
  }

  /** Keys ("ns/name", sorted) of the HPAs whose selector matches at least one of the pods. */
  selecting(namespace: string, pods: { labels: Record<string, string> | undefined }[]): string[] {
    const found = new Set<string>();
    const scan = this.bySlot.get(`${namespace}/`);
    for (const pod of pods) {
      const labels = pod.labels ?? {};
      const candidates = [...(scan ?? [])];
      for (const pair of labelPairs(labels, namespace)) for (const k of this.bySlot.get(pair) ?? []) candidates.push(k);
      for (const k of candidates) {
        if (found.has(k)) continue;
        const e = this.entries.get(k)!;
        if (e.namespace === namespace && e.selector?.matches(labels)) found.add(k);
      }
    }
    return [...found].sort();
  }
}
