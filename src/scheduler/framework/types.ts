// The scheduling framework's contract, after kube-scheduler's: plugin statuses, cycle state, the extension
// points a plugin may implement (queue sort, preFilter, filter, postFilter, preScore, score + normalize,
// reserve, permit, bind) and the cluster events that make an unschedulable pod worth retrying. Types only,
// plus the tiny Status helpers; no scheduling logic.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { NodeInfo, PodInfo } from './node-info.js';
import type { TopologyIndex } from './topology-index.js';

export const maxNodeScore = 100;

export type Code = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Wait' | 'Skip';

/**
 * A plugin's verdict. Filters return null for success (the hot path allocates nothing), and may return one
 * shared Status for a fixed rejection (the framework only sets its plugin, always the same): read-only.
 */
export interface Status {
  code: Code;
  reasons: string[];
  /** The plugin that produced it (filled in by the framework). */
  plugin?: string;
}

export const unschedulable = (...reasons: string[]): Status => ({ code: 'Unschedulable', reasons });
export const unresolvable = (...reasons: string[]): Status => ({ code: 'UnschedulableAndUnresolvable', reasons });
export const errorStatus = (reason: string): Status => ({ code: 'Error', reasons: [reason] });
export const skip: Status = { code: 'Skip', reasons: [] };
export const isRejection = (s: Status | null | undefined): boolean =>
  !!s && (s.code === 'Unschedulable' || s.code === 'UnschedulableAndUnresolvable');

/** Per-cycle scratch space plugins share between their extension points (preFilter → filter, etc.). */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** Plugins whose preFilter said Skip: their filter is not run. */
  readonly skipFilter = new Set<string>();
  readonly skipScore = new Set<string>();
  /** The framework's filters less the skipped ones, worked out on the cycle's first filter call. */
  activeFilters: { framework: object; skipped: number; list: FilterPlugin[] } | undefined;
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, v: unknown): void {
    this.data.set(key, v);
  }
  /** For preemption's what-if runs; values with a clone() method are deep-copied. */
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) {
      const cl = (v as { clone?: () => unknown } | null)?.clone;
      c.data.set(k, typeof cl === 'function' ? cl.call(v) : v);
    }
    for (const s of this.skipFilter) c.skipFilter.add(s);
    for (const s of this.skipScore) c.skipScore.add(s);
    return c;
  }
}

/** Cluster changes a plugin's rejection may be cured by (upstream's ClusterEvent with ActionType). */
export type ClusterEvent =
  | 'NodeAdd'
  | 'NodeDelete'
  | 'NodeAllocatable'
  | 'NodeLabel'
  | 'NodeTaint'
  | 'NodeCondition'
  | 'AssignedPodAdd'
  | 'AssignedPodUpdate'
  | 'AssignedPodDelete'
  | 'PvcChange'
  | 'PvChange';

export interface QueuedPodInfo {
  key: string;
  podInfo: PodInfo;
  /** When it entered the queue (or was last re-added after an update): the queue's age order. */
  timestamp: number;
  initialAttemptTimestamp?: number;
  attempts: number;
  /** Plugins that rejected it in its last attempt (an event one of them cares about retries it). */
  unschedulablePlugins: Set<string>;
  backoffExpiry: number;
}

/** What plugins may see of the scheduler. */
export interface Handle {
  /** All nodes with a Node object, in the scheduler's stable order. */
  nodeInfos(): NodeInfo[];
  nodeInfo(name: string): NodeInfo | undefined;
  /**
   * Whether any pod in the cluster has pod affinity terms that can score other pods (required affinity,
   * preferred affinity or anti-affinity), so plugins can skip work.
   */
  havePodsWithAffinity(): boolean;
  havePodsWithRequiredAntiAffinity(): boolean;
  /**
   * Matching pods per topology domain, maintained by the scheduler cache (plugins read, never change it).
   * Absent (e.g. a hand-built handle): plugins count by walking the nodes.
   */
  readonly topology?: TopologyIndex;
}

export interface PluginBase {
  readonly name: string;
  /** Events that may make a pod this plugin rejected schedulable. */
  events?(): ClusterEvent[];
}

export interface QueueSortPlugin extends PluginBase {
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

/** Lets preemption ask "what if this pod were (not) on the node" without recomputing preFilter state. */
export interface PreFilterExtensions {
  addPod(state: CycleState, pod: PodInfo, podToAdd: PodInfo, nodeInfo: NodeInfo): void;
  removePod(state: CycleState, pod: PodInfo, podToRemove: PodInfo, nodeInfo: NodeInfo): void;
}

export interface PreFilterResult {
  /** Only these nodes can fit (e.g. NodeAffinity with metadata.name fields); undefined = all. */
  nodeNames?: Set<string>;
}

export interface PreFilterPlugin extends PluginBase {
  preFilter(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): Status | null | PreFilterResult;
  preFilterExtensions?: PreFilterExtensions;
}

export interface FilterPlugin extends PluginBase {
  filter(state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): Status | null;
}

/** Why each node was rejected, for postFilter (preemption) and the FailedScheduling message. */
export type NodeToStatus = Map<string, Status>;

export interface PostFilterResult {
  nominatedNodeName?: string;
  status: Status;
}

export interface PostFilterPlugin extends PluginBase {
  postFilter(state: CycleState, pod: PodInfo, filtered: NodeToStatus): Promise<PostFilterResult>;
}

export interface PreScorePlugin extends PluginBase {
  preScore(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): Status | null;
}

export interface NodeScore {
  name: string;
  score: number;
}

export interface ScorePlugin extends PluginBase {
  score(state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): number;
  /**
   * Optional: score(state, pod, nodes[i]) into out[i].score for every node, in one call (the framework's loop
   * over hundreds of nodes then calls one plugin's code, which the engine can inline, instead of every plugin's
   * score through one call site). Must give exactly what score gives.
   */
  scoreAll?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], out: NodeScore[]): void;
  /** Scales the plugin's raw scores into [0, maxNodeScore] in place. */
  normalizeScore?(state: CycleState, pod: PodInfo, scores: NodeScore[]): void;
}

export interface ReservePlugin extends PluginBase {
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status | null;
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export interface PermitResult {
  status: Status | null;
  /** With code Wait: how long the pod may wait for allow/reject. */
  timeoutMs?: number;
}

export interface PermitPlugin extends PluginBase {
  permit(state: CycleState, pod: PodInfo, nodeName: string): PermitResult;
}

export interface PreBindPlugin extends PluginBase {
  preBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | null>;
}

export interface BindPlugin extends PluginBase {
  /** Skip = let the next bind plugin do it. */
  bind(state: CycleState, pod: Pod, nodeName: string): Promise<Status | null>;
}

export interface PostBindPlugin extends PluginBase {
  postBind(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export type Plugin = PluginBase &
  Partial<
    Pick<QueueSortPlugin, 'less'> &
      Pick<PreFilterPlugin, 'preFilter' | 'preFilterExtensions'> &
      Pick<FilterPlugin, 'filter'> &
      Pick<PostFilterPlugin, 'postFilter'> &
      Pick<PreScorePlugin, 'preScore'> &
      Pick<ScorePlugin, 'score' | 'normalizeScore'> &
      Pick<ReservePlugin, 'reserve' | 'unreserve'> &
      Pick<PermitPlugin, 'permit'> &
      Pick<PreBindPlugin, 'preBind'> &
      Pick<BindPlugin, 'bind'> &
      Pick<PostBindPlugin, 'postBind'>
  >;
