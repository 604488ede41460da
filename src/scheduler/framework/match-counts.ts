// How many pods on a node match a selector, remembered per selector for each node until the node's pods
// change (NodeInfo.generation). Spreading and pod (anti-)affinity count matching pods on every node for
// every pod they schedule; consecutive pods of one workload share their selector, so a cycle only walks
// the pods of nodes that changed since the last pod with the same selector. No I/O.
import type { LabelSelector } from '../../util/label-selector.js';
import type { NodeInfo, PodInfo } from './node-info.js';

export class MatchCounts {
  private readonly bySelector = new Map<string, WeakMap<NodeInfo, { generation: number; count: number }>>();

  /** Cleared when it holds more selectors than this (old workloads' selectors are not tracked). */
  constructor(private readonly maxSelectors = 512) {}

  /** The pods of ni that match (recounted only when ni changed since the last call with this key). */
  count(key: string, ni: NodeInfo, matches: (p: PodInfo) => boolean): number {
    let m = this.bySelector.get(key);
    if (!m) {
      if (this.bySelector.size >= this.maxSelectors) this.bySelector.clear();
      this.bySelector.set(key, (m = new WeakMap()));
    }
    const e = m.get(ni);
    if (e && e.generation === ni.generation) return e.count;
    let count = 0;
    for (const p of ni.pods.values()) if (matches(p)) count++;
    m.set(ni, { generation: ni.generation, count });
    return count;
  }
}

/** A key naming what a selector selects. "everything" and "nothing" both print as "": {} tells them apart. */
export function selectorKey(selector: LabelSelector, namespaces: Iterable<string> | undefined): string {
  const ns = namespaces ? [...namespaces].sort().join(',') : '*';
  return `${ns}\u0000${selector.matches({}) ? 1 : 0}\u0000${selector.toString()}`;
}
