// DefaultPreemption (postFilter): when no node fits, find nodes where evicting lower-priority pods would
// make room, pick one (victims.ts), have the victims evicted and nominate the node for the pod. The
// evicting itself is the scheduler's I/O, passed in as `evict`.
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { Framework } from '../../framework/framework.js';
import { fitErrorMessage } from '../../framework/fit-error.js';
import type { PodInfo } from '../../framework/node-info.js';
import { unschedulable, type Handle, type NodeToStatus, type PostFilterPlugin, type Status } from '../../framework/types.js';
import { pickOneNode, selectVictimsOnNode, type Candidate } from './victims.js';

export const name = 'DefaultPreemption';
export const notHelpful = 'Preemption is not helpful for scheduling';
export const noVictims = 'No preemption victims found for incoming pod';

export interface PreemptionDeps {
  handle: Handle;
  framework: () => Framework;
  pdbs: () => readonly PodDisruptionBudget[];
  evict: (victims: PodInfo[], preemptor: PodInfo, nodeName: string) => Promise<void>;
  random?: () => number;
}

export interface PreemptionArgs {
  minCandidateNodesPercentage?: number;
  minCandidateNodesAbsolute?: number;
}

export function defaultPreemption(args: PreemptionArgs, deps: PreemptionDeps): PostFilterPlugin {
  const minPct = args.minCandidateNodesPercentage ?? 10;
  const minAbs = args.minCandidateNodesAbsolute ?? 100;
  return {
    name,
    async postFilter(state, pod, filtered: NodeToStatus) {
      const spec = pod.pod.spec;
      if (spec?.preemptionPolicy === 'Never') return { status: unschedulable('preemption: not eligible due to preemptionPolicy=Never.') };
      const nominated = pod.pod.status?.nominatedNodeName;
      if (nominated) {
        const ni = deps.handle.nodeInfo(nominated);
        if (ni && [...ni.pods.values()].some((p) => p.terminating && p.priority < pod.priority)) {
          return { status: unschedulable('preemption: not eligible due to a terminating pod on the nominated node.') };
        }
      }
      const all = deps.handle.nodeInfos();
      const fwk = deps.framework();
      const pdbs = deps.pdbs();
      const potential = all.filter((ni) => filtered.get(ni.name)?.code === 'Unschedulable');
      const result: NodeToStatus = new Map();
      for (const ni of all) if (!potential.includes(ni)) result.set(ni.name, unschedulable(notHelpful));
      const want = Math.max(minAbs, Math.floor((potential.length * minPct) / 100));
      const offset = potential.length ? Math.floor((deps.random ?? Math.random)() * potential.length) : 0;
      const candidates: Candidate[] = [];
      for (let i = 0; i < potential.length && candidates.length < want; i++) {
        const ni = potential[(offset + i) % potential.length]!;
        const c = selectVictimsOnNode(fwk, state, pod, ni, pdbs);
        if (c && c.victims.length > 0) candidates.push(c);
        else result.set(ni.name, unschedulable(noVictims));
      }
      const best = pickOneNode(candidates);
      if (!best) return { status: unschedulable(`preemption: ${fitErrorMessage(all.length, result)}`) };
      await deps.evict(best.victims, pod, best.nodeName);
      const ok: Status = { code: 'Success', reasons: [] };
      return { nominatedNodeName: best.nodeName, status: ok };
    },
  };
}
