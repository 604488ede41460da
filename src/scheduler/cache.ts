// The scheduler cache: a NodeInfo per node, fed by the node and pod informers, plus assumed pods — a pod
// counts on its node from the moment the scheduler decides, before the binding is confirmed by a watch
// event, so the next decisions see it. Nodes are listed zone by zone in turn (as upstream's node tree) so
// that stopping early at percentageOfNodesToScore still samples every zone. The topology index (matching
// pods per domain for spreading and pod affinity) follows every change here. No I/O.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { NodeInfo, PodInfo, sameLabels, samePlacementInputs, sumSlots } from './framework/node-info.js';
import { TopologyIndex } from './framework/topology-index.js';
import type { Handle } from './framework/types.js';

const zoneLabel = 'topology.kubernetes.io/zone';

interface PodState {
  info: PodInfo;
  node: string;
  assumed: boolean;
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, PodState>();
  private list: NodeInfo[] | undefined;
  private affinityPods = 0;
  private antiAffinityPods = 0;
  readonly topology: TopologyIndex;

  /** index: the topology index's limits (tests; defaults otherwise). */
  constructor(index: { maxQueries?: number; idleAsks?: number; maxLabelKeys?: number } = {}) {
    this.topology = new TopologyIndex(() => this.nodes.values(), index.maxQueries, index.idleAsks, index.maxLabelKeys);
  }

  /** The plugins' read-only view of this cache. */
  handle(): Handle {
    return {
      nodeInfos: () => this.nodeInfos(),
      nodeInfo: (n) => this.nodeInfo(n),
      havePodsWithAffinity: () => this.havePodsWithAffinity(),
      havePodsWithRequiredAntiAffinity: () => this.havePodsWithRequiredAntiAffinity(),
      topology: this.topology,
    };
  }

  nodeInfo(name: string): NodeInfo | undefined {
    const ni = this.nodes.get(name);
    return ni?.node ? ni : undefined;
  }

  /** Nodes with a Node object, zones interleaved. The array is shared: don't change it. */
  nodeInfos(): NodeInfo[] {
    if (!this.list) {
      const byZone = new Map<string, NodeInfo[]>();
      for (const ni of this.nodes.values()) {
        if (!ni.node) continue;
        const z = ni.labels[zoneLabel] ?? '';
        let l = byZone.get(z);
        if (!l) byZone.set(z, (l = []));
        l.push(ni);
      }
      const zones = [...byZone.values()];
      const out: NodeInfo[] = [];
      const total = zones.reduce((a, z) => a + z.length, 0);
      for (let i = 0; out.length < total; i++) for (const z of zones) if (i < z.length) out.push(z[i]!);
      // The nodes' sums side by side in this order: the filter loop walks a run of consecutive nodes.
      const table = new Float64Array(out.length * sumSlots);
      out.forEach((ni, i) => ni.moveSums(table, i * sumSlots));
      this.list = out;
    }
    return this.list;
  }

  get nodeCount(): number {
    return this.nodeInfos().length;
  }

  havePodsWithAffinity(): boolean {
    return this.affinityPods > 0;
  }

  havePodsWithRequiredAntiAffinity(): boolean {
    return this.antiAffinityPods > 0;
  }

  addNode(node: Node): void {
    const name = node.metadata!.name!;
    let ni = this.nodes.get(name);
    if (!ni) this.nodes.set(name, (ni = new NodeInfo(name)));
    const zoneChanged = ni.node?.metadata?.labels?.[zoneLabel] !== node.metadata?.labels?.[zoneLabel];
    if (!ni.node || zoneChanged) this.list = undefined;
    // Heartbeats and status updates keep the labels: the index is only touched when they change.
    const relabel = !ni.node || !sameLabels(ni.labels, node.metadata?.labels ?? {});
    if (relabel) this.topology.nodeChanging(ni);
    ni.setNode(node);
    if (relabel) this.topology.nodeChanged(ni);
  }

  removeNode(name: string): void {
    const ni = this.nodes.get(name);
    if (!ni) return;
    this.topology.nodeChanging(ni);
    ni.clearNode();
    // Off the shared table: a node-less NodeInfo that keeps pods must not keep a whole old table alive.
    ni.moveSums(new Float64Array(sumSlots), 0);
    if (ni.pods.size === 0) this.nodes.delete(name);
    this.list = undefined;
  }

  /** A pod bound to a node, seen by the informer (confirms an assumed pod). Terminal pods are dropped. */
  addOrUpdatePod(pod: Pod): void {
    const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    const nodeName = pod.spec?.nodeName;
    const phase = pod.status?.phase;
    if (!nodeName || phase === 'Succeeded' || phase === 'Failed') {
      this.removePod(key);
      return;
    }
    const cur = this.pods.get(key);
    if (cur && cur.info.pod === pod) return;
    // What a status update or a binding leaves as it was is taken over from the PodInfo in the cache.
    const info = cur ? PodInfo.next(cur.info, pod) : new PodInfo(pod);
    // A status update (or the confirmation of an assumed pod) on the same node: swap, nothing to recount.
    const ni = cur?.node === nodeName ? this.nodes.get(nodeName) : undefined;
    if (cur && ni && samePlacementInputs(cur.info, info)) {
      ni.replacePod(info);
      this.topology.podReplaced(ni, cur.info, info);
      cur.info = info;
      cur.assumed = false;
      return;
    }
    this.removePod(key);
    this.place(key, info, nodeName, false);
  }

  removePod(key: string): void {
    const st = this.pods.get(key);
    if (!st) return;
    this.pods.delete(key);
    const ni = this.nodes.get(st.node);
    if (ni) {
      ni.removePod(key);
      this.topology.podRemoved(ni, st.info);
      if (!ni.node && ni.pods.size === 0) this.nodes.delete(st.node);
    }
    if (st.info.hasScoringAffinity) this.affinityPods--;
    if (st.info.requiredAntiAffinity.length) this.antiAffinityPods--;
  }

  /** The scheduler decided: the pod counts on nodeName now. */
  assumePod(info: PodInfo, nodeName: string): void {
    this.removePod(info.key);
    this.place(info.key, info, nodeName, true);
  }

  /** The binding failed: take back an assumed pod (a confirmed one stays). */
  forgetPod(key: string): void {
    if (this.pods.get(key)?.assumed) this.removePod(key);
  }

  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed ?? false;
  }

  podNode(key: string): string | undefined {
    return this.pods.get(key)?.node;
  }

  get podCount(): number {
    return this.pods.size;
  }

  private place(key: string, info: PodInfo, nodeName: string, assumed: boolean): void {
    let ni = this.nodes.get(nodeName);
    if (!ni) this.nodes.set(nodeName, (ni = new NodeInfo(nodeName)));
    ni.addPod(info);
    this.topology.podAdded(ni, info);
    this.pods.set(key, { info, node: nodeName, assumed });
    if (info.hasScoringAffinity) this.affinityPods++;
    if (info.requiredAntiAffinity.length) this.antiAffinityPods++;
  }
}
