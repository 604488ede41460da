// The metrics API's in-memory state: the latest resource sample of every node and pod, replaced node by node
// as the collector scrapes, indexed by namespace so a namespaced PodMetrics list touches only its pods. It
// holds no history beyond the latest window and does no I/O.
import type { NodeSample, PodSample } from './summary.js';

export class MetricsSnapshot {
  private readonly nodes = new Map<string, NodeSample>();
  /** node → "ns/name" keys of the pods last reported by that node */
  private readonly podsByNode = new Map<string, Set<string>>();
  /** namespace → name → sample */
  private readonly pods = new Map<string, Map<string, PodSample>>();
  /** Sorted namespaces and, per namespace, sorted pod names: rebuilt only when a pod comes or goes. */
  private sortedNamespaces: string[] | undefined;
  private readonly sortedNames = new Map<string, string[]>();
  /** Bumped by every change (cached renderings of the snapshot compare it). */
  generation = 0;

  /** Replaces what one node reported (its pods that vanished are dropped). */
  replaceNode(nodeName: string, node: NodeSample | undefined, pods: PodSample[]): void {
    this.generation++;
    if (node) this.nodes.set(nodeName, node);
    else this.nodes.delete(nodeName);
    const before = this.podsByNode.get(nodeName);
    const now = new Set<string>();
    for (const p of pods) {
      const key = `${p.namespace}/${p.name}`;
      now.add(key);
      let ns = this.pods.get(p.namespace);
      if (!ns) {
        this.pods.set(p.namespace, (ns = new Map()));
        this.sortedNamespaces = undefined;
      }
      if (!ns.has(p.name)) this.sortedNames.delete(p.namespace);
      ns.set(p.name, p);
    }
    if (before) for (const key of before) if (!now.has(key)) this.deletePod(key);
    this.podsByNode.set(nodeName, now);
  }

  /** Forgets a node that no longer exists, with its pods. */
  removeNode(nodeName: string): void {
    this.generation++;
    this.nodes.delete(nodeName);
    for (const key of this.podsByNode.get(nodeName) ?? []) this.deletePod(key);
    this.podsByNode.delete(nodeName);
  }

  nodeNames(): string[] {
    return [...this.podsByNode.keys()];
  }

  node(name: string): NodeSample | undefined {
    return this.nodes.get(name);
  }

  pod(namespace: string, name: string): PodSample | undefined {
    return this.pods.get(namespace)?.get(name);
  }

  /** Pods of one namespace, or of all namespaces when namespace is "", in (namespace, name) order. */
  podsIn(namespace: string): PodSample[] {
    const out: PodSample[] = [];
    for (const n of namespace ? [namespace] : (this.sortedNamespaces ??= [...this.pods.keys()].sort())) {
      const ns = this.pods.get(n);
      if (!ns) continue;
      let names = this.sortedNames.get(n);
      if (!names) this.sortedNames.set(n, (names = [...ns.keys()].sort()));
      for (const name of names) out.push(ns.get(name)!);
    }
    return out;
  }

  get podCount(): number {
    let n = 0;
    for (const ns of this.pods.values()) n += ns.size;
    return n;
  }

  private deletePod(key: string): void {
    const i = key.indexOf('/');
    const namespace = key.slice(0, i);
    const ns = this.pods.get(namespace);
    if (!ns?.delete(key.slice(i + 1))) return;
    this.sortedNames.delete(namespace);
    if (ns.size === 0) {
      this.pods.delete(namespace);
      this.sortedNamespaces = undefined;
    }
  }
}
