// Preloaded into the `skiff up` process of a benchmark (`node --import ./bench/_tail-monitor.mjs ...`) to tell
// where a latency tail comes from on the server side: garbage-collection pauses (perf_hooks 'gc' entries) and
// event-loop stalls (monitorEventLoopDelay). The benchmark sends SIGUSR2 once to start a measuring window and
// again to end it; at the end the window's figures are written as JSON to $SKIFF_TAIL_MONITOR_OUT. Benchmark
// tooling only: nothing in src/ loads it.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver, constants } from 'node:perf_hooks';

const out = process.env.SKIFF_TAIL_MONITOR_OUT;
if (out) {
  const kinds = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-sweep',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental-marking',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
  };
  let pauses = [];
  let windowStart = 0;
  let open = false;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const gc = new PerformanceObserver((list) => {
    if (!open) return;
    for (const e of list.getEntries()) pauses.push({ kind: kinds[e.detail?.kind ?? e.kind] ?? 'other', ms: e.duration, at: e.startTime });
  });
  gc.observe({ entryTypes: ['gc'] });
  process.on('SIGUSR2', () => {
    if (!open) {
      open = true;
      pauses = [];
      windowStart = performance.now();
      loop.reset();
      loop.enable();
      return;
    }
    open = false;
    loop.disable();
    const ms = (ns) => +(ns / 1e6).toFixed(2);
    const byKind = {};
    for (const p of pauses) {
      const k = (byKind[p.kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
      k.count++;
      k.totalMs = +(k.totalMs + p.ms).toFixed(2);
      k.maxMs = Math.max(k.maxMs, +p.ms.toFixed(2));
    }
    const sorted = pauses.map((p) => p.ms).sort((a, b) => a - b);
    writeFileSync(
      out,
      JSON.stringify({
        windowMs: +(performance.now() - windowStart).toFixed(0),
        gc: {
          count: pauses.length,
          totalMs: +sorted.reduce((s, x) => s + x, 0).toFixed(2),
          maxMs: +(sorted[sorted.length - 1] ?? 0).toFixed(2),
          over10ms: sorted.filter((x) => x > 10).length,
          byKind,
        },
        eventLoopDelay: { p50Ms: ms(loop.percentile(50)), p99Ms: ms(loop.percentile(99)), maxMs: ms(loop.max), meanMs: ms(loop.mean) },
      }),
    );
  });
}
