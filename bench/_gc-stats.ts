// The server isolate's garbage collections over a benchmark's measured span, per pod (V8's GCProfiler: the heap
// spaces before and after each collection): young-generation allocation, the bytes that survived scavenges
// (copied within the young generation or promoted: objects kept past a collection cost that copy each time),
// and the collector's time on the isolate's thread. For the watch benchmarks (watch-path, watch-transport).
import { GCProfiler } from 'node:v8';

export { GCProfiler };

/** The server isolate's collections during a round, per pod (V8's GCProfiler: heap spaces before and after each). */
export interface GcPerPod {
  /** Bytes allocated in the young generation (including what the young-generation collector copies). */
  youngBytes: number;
  /** Bytes that survived a scavenge (copied within the young generation, or promoted to the old one). */
  survivedBytes: number;
  /** Collector time on the server's thread (ms; its helper threads are in "rest"). */
  gcMs: number;
  scavenges: number;
  markCompacts: number;
}

type GcStats = ReturnType<GCProfiler['stop']>;
export function gcPerPod(stats: GcStats | undefined, pods: number): GcPerPod {
  const used = (h: { heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[] }, space: string) => h.heapSpaceStatistics.find((x) => x.spaceName === space)?.spaceUsedSize ?? 0;
  let young = 0;
  let survived = 0;
  let gcUs = 0;
  let scavenges = 0;
  let markCompacts = 0;
  let youngAfter: number | undefined;
  for (const g of stats?.statistics ?? []) {
    const before = used(g.beforeGC, 'new_space') + used(g.beforeGC, 'new_large_object_space');
    const after = used(g.afterGC, 'new_space') + used(g.afterGC, 'new_large_object_space');
    if (youngAfter !== undefined) young += Math.max(0, before - youngAfter);
    youngAfter = after;
    gcUs += g.cost;
    if (g.gcType === 'Scavenge') {
      scavenges++;
      survived += after + Math.max(0, used(g.afterGC, 'old_space') - used(g.beforeGC, 'old_space'));
    } else if (g.gcType === 'MarkSweepCompact') markCompacts++;
  }
  return { youngBytes: Math.round(young / pods), survivedBytes: Math.round(survived / pods), gcMs: +(gcUs / 1000 / pods).toFixed(4), scavenges, markCompacts };
}

export const gcText = (g: GcPerPod): string =>
  `server isolate per pod: ${g.youngBytes} B young allocation, ${g.survivedBytes} B survived scavenges, GC ${g.gcMs.toFixed(3)} ms (${g.scavenges} scavenges, ${g.markCompacts} mark-compacts)`;
