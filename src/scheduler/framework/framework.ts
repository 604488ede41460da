// One profile's plugins, instantiated and sorted by extension point, and the runners for each point:
// preFilter (narrowing and rejections), filter (first rejection wins), preScore/score/normalize with
// weights, reserve/unreserve, permit, preBind, bind, postBind. The scheduling algorithm that calls
// these lives in schedule-one.ts; this module knows no queue and no API.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { NodeInfo, PodInfo } from './node-info.js';
import {
  isRejection,
  type BindPlugin,
  type ClusterEvent,
  type CycleState,
  type FilterPlugin,
  type NodeScore,
  type NodeToStatus,
  type PermitPlugin,
  type Plugin,
  type PostBindPlugin,
  type PostFilterPlugin,
  type PostFilterResult,
  type PreBindPlugin,
  type PreFilterPlugin,
  type PreScorePlugin,
  type QueueSortPlugin,
  type ReservePlugin,
  type ScorePlugin,
  type Status,
} from './types.js';

export interface WeightedScorePlugin {
  plugin: ScorePlugin;
  weight: number;
}

export class Framework {
  readonly queueSort: QueueSortPlugin | undefined;
  readonly preFilters: PreFilterPlugin[] = [];
  readonly filters: FilterPlugin[] = [];
  readonly postFilters: PostFilterPlugin[] = [];
  readonly preScores: PreScorePlugin[] = [];
  readonly scores: WeightedScorePlugin[] = [];
  readonly reserves: ReservePlugin[] = [];
  readonly permits: PermitPlugin[] = [];
  readonly preBinds: PreBindPlugin[] = [];
  readonly binds: BindPlugin[] = [];
  readonly postBinds: PostBindPlugin[] = [];
  readonly eventPlugins = new Map<ClusterEvent, Set<string>>();

  constructor(
    readonly schedulerName: string,
    plugins: { plugin: Plugin; weight: number }[],
    readonly percentageOfNodesToScore: number | undefined,
  ) {
    for (const { plugin: p, weight } of plugins) {
      if (p.less) this.queueSort ??= p as QueueSortPlugin;
      if (p.preFilter) this.preFilters.push(p as PreFilterPlugin);
      if (p.filter) this.filters.push(p as FilterPlugin);
      if (p.postFilter) this.postFilters.push(p as PostFilterPlugin);
      if (p.preScore) this.preScores.push(p as PreScorePlugin);
      if (p.score && weight > 0) this.scores.push({ plugin: p as ScorePlugin, weight });
      if (p.reserve) this.reserves.push(p as ReservePlugin);
      if (p.permit) this.permits.push(p as PermitPlugin);
      if (p.preBind) this.preBinds.push(p as PreBindPlugin);
      if (p.bind) this.binds.push(p as BindPlugin);
      if (p.postBind) this.postBinds.push(p as PostBindPlugin);
      for (const e of p.events?.() ?? []) {
        let s = this.eventPlugins.get(e);
        if (!s) this.eventPlugins.set(e, (s = new Set()));
        s.add(p.name);
      }
    }
  }

  /** Rejection status (with plugin) or the nodes preFilter narrowed to (undefined = all). */
  runPreFilter(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): { status: Status | null; nodeNames?: Set<string> } {
    let names: Set<string> | undefined;
    for (const p of this.preFilters) {
      const r = p.preFilter(state, pod, nodes);
      if (!r) continue;
      if ('code' in r) {
        if (r.code === 'Skip') {
          state.skipFilter.add(p.name);
          continue;
        }
        return { status: { ...r, plugin: p.name } };
      }
      if (r.nodeNames) names = names ? new Set([...names].filter((n) => r.nodeNames!.has(n))) : r.nodeNames;
    }
    return { status: null, nodeNames: names };
  }

  /** The filters to run in a cycle (those whose preFilter did not say Skip), worked out once per cycle. */
  private active(state: CycleState): FilterPlugin[] {
    const a = state.activeFilters;
    if (a && a.framework === this && a.skipped === state.skipFilter.size) return a.list;
    return this.workOutActive(state);
  }

  // Apart from active(), which runs once per node: a closure over `state` there would make every call allocate
  // a context for it, taken or not.
  private workOutActive(state: CycleState): FilterPlugin[] {
    const skip = state.skipFilter;
    const list = this.filters.filter((p) => !skip.has(p.name));
    state.activeFilters = { framework: this, skipped: skip.size, list };
    return list;
  }

  runFilters(state: CycleState, pod: PodInfo, ni: NodeInfo): Status | null {
    const list = this.active(state);
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      const s = p.filter(state, pod, ni);
      if (s && s.code !== 'Success') {
        s.plugin = p.name;
        return s;
      }
    }
    return null;
  }

  async runPostFilter(state: CycleState, pod: PodInfo, filtered: NodeToStatus): Promise<PostFilterResult | undefined> {
    let last: PostFilterResult | undefined;
    for (const p of this.postFilters) {
      const r = await p.postFilter(state, pod, filtered);
      if (r.status.code === 'Success') return r;
      last = r;
    }
    return last;
  }

  /** NodeScore objects reused by every cycle (hundreds per pod would otherwise be garbage each time). */
  private readonly scorePool: NodeScore[] = [];
  /** runScores' result (the pooled objects of this cycle's nodes) and its running totals, reused likewise. */
  private readonly scoreList: NodeScore[] = [];
  private totals = new Float64Array(0);

  /** Weighted sum of normalised scores per feasible node. The result (array and objects) is valid until the next call. */
  runScores(state: CycleState, pod: PodInfo, feasible: NodeInfo[]): NodeScore[] {
    for (const p of this.preScores) {
      const s = p.preScore(state, pod, feasible);
      if (s && s.code === 'Skip') state.skipScore.add(p.name);
    }
    // One array of scores reused by every plugin and every cycle (hundreds of nodes per pod: no garbage).
    const n = feasible.length;
    if (this.totals.length < n) this.totals = new Float64Array(Math.max(n, this.totals.length * 2));
    const totals = this.totals;
    totals.fill(0, 0, n);
    const scores = this.scoreList;
    if (scores.length !== n) scores.length = n;
    const pool = this.scorePool;
    while (pool.length < n) pool.push({ name: '', score: 0 });
    for (let i = 0; i < n; i++) {
      const s = pool[i]!;
      s.name = feasible[i]!.name;
      s.score = 0;
      scores[i] = s;
    }
    for (const { plugin, weight } of this.scores) {
      if (state.skipScore.has(plugin.name)) continue;
      if (plugin.scoreAll) plugin.scoreAll(state, pod, feasible, scores);
      else for (let i = 0; i < n; i++) scores[i]!.score = plugin.score(state, pod, feasible[i]!);
      plugin.normalizeScore?.(state, pod, scores);
      for (let i = 0; i < n; i++) totals[i] += scores[i]!.score * weight;
    }
    for (let i = 0; i < n; i++) scores[i]!.score = totals[i]!;
    return scores;
  }

  runReserve(state: CycleState, pod: PodInfo, nodeName: string): Status | null {
    for (let i = 0; i < this.reserves.length; i++) {
      const s = this.reserves[i]!.reserve(state, pod, nodeName);
      if (s && s.code !== 'Success') {
        for (let j = i; j >= 0; j--) this.reserves[j]!.unreserve(state, pod, nodeName);
        return { ...s, plugin: this.reserves[i]!.name };
      }
    }
    return null;
  }

  runUnreserve(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (let j = this.reserves.length - 1; j >= 0; j--) this.reserves[j]!.unreserve(state, pod, nodeName);
  }

  /** Permit: a rejection, or the longest wait asked for (0 = go). */
  runPermit(state: CycleState, pod: PodInfo, nodeName: string): { status: Status | null; waitMs: number } {
    let waitMs = 0;
    for (const p of this.permits) {
      const r = p.permit(state, pod, nodeName);
      if (!r.status || r.status.code === 'Success') continue;
      if (r.status.code === 'Wait') {
        waitMs = Math.max(waitMs, r.timeoutMs ?? 0);
        continue;
      }
      return { status: { ...r.status, plugin: p.name }, waitMs: 0 };
    }
    return { status: null, waitMs };
  }

  async runPreBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | null> {
    for (const p of this.preBinds) {
      const s = await p.preBind(state, pod, nodeName);
      if (s && s.code !== 'Success') return { ...s, plugin: p.name };
    }
    return null;
  }

  async runBind(state: CycleState, pod: Pod, nodeName: string): Promise<Status | null> {
    for (const p of this.binds) {
      const s = await p.bind(state, pod, nodeName);
      if (s && s.code === 'Skip') continue;
      return s ? { ...s, plugin: p.name } : null;
    }
    return { code: 'Error', reasons: ['no bind plugin bound the pod'] };
  }

  runPostBind(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (const p of this.postBinds) p.postBind(state, pod, nodeName);
  }
}

export { isRejection };
