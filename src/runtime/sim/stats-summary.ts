// The Summary API document (/stats/summary) of one simulated node: each running pod's simulated usage
// (sim.skiff.dev/cpu-usage / memory-usage annotations) split evenly over its containers, the node's usage as
// the sum of its pods. Cumulative CPU grows as if the current rate had held since the pod started. Pure.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Summary } from '../../agent/server/stats-summary.js';
import type { PodUsage } from './pod-status.js';
import { rfc3339 } from '../../util/wire-time.js';

export interface SimPodStats {
  pod: Pod;
  usage: PodUsage;
  startedMs: number;
}

export function simNodeSummary(nodeName: string, nodeStartMs: number, pods: SimPodStats[], nowMs: number): Summary {
  const time = rfc3339(nowMs);
  let nodeNano = 0;
  let nodeMem = 0;
  const out: Summary['pods'] = [];
  for (const { pod, usage, startedMs } of pods) {
    const containers = pod.spec?.containers ?? [];
    const n = Math.max(1, containers.length);
    const nano = Math.round((usage.cpuMilli * 1e6) / n);
    const mem = Math.round(usage.memoryBytes / n);
    const up = Math.max(0, (nowMs - startedMs) / 1000);
    const started = rfc3339(startedMs);
    const cpu = { time, usageNanoCores: nano, usageCoreNanoSeconds: Math.round(nano * up) };
    const memory = { time, workingSetBytes: mem, usageBytes: mem, rssBytes: mem };
    nodeNano += nano * n;
    nodeMem += mem * n;
    out.push({
      podRef: { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '', uid: pod.metadata?.uid ?? '' },
      startTime: started,
      containers: containers.map((c) => ({ name: c.name, startTime: started, cpu, memory })),
      cpu: { time, usageNanoCores: nano * n, usageCoreNanoSeconds: Math.round(nano * n * up) },
      memory: { time, workingSetBytes: mem * n },
    });
  }
  const nodeUp = Math.max(0, (nowMs - nodeStartMs) / 1000);
  return {
    node: {
      nodeName,
      startTime: rfc3339(nodeStartMs),
      cpu: { time, usageNanoCores: nodeNano, usageCoreNanoSeconds: Math.round(nodeNano * nodeUp) },
      memory: { time, workingSetBytes: nodeMem, usageBytes: nodeMem },
    },
    pods: out,
  };
}
