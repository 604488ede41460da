// Preloaded into the `skiff up` process of a benchmark (`node --import ./bench/_tail-monitor.mjs ...`) to tell
// where a latency tail comes from on the server side: garbage-collection pauses (perf_hooks 'gc' entries) and
// event-loop stalls (monitorEventLoopDelay). The benchmark sends SIGUSR2 once to start a measuring window and
// again to end it; at the end the window's figures are written as JSON to $SKIFF_TAIL_MONITOR_OUT. With
// SKIFF_TAIL_MONITOR_PROFILE=1 it also samples the main thread with V8's profiler over the window and splits
// the samples by component (cpuSplit below). Benchmark tooling only: nothing in src/ loads it.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay, PerformanceObserver, constants } from 'node:perf_hooks';

/**
 * Where a sample's time goes, by the frame nearest the leaf that belongs to a component (so the protobuf codec
 * called by the gRPC channel counts as codec, the watch cache called from the etcd watch as watch cache).
 * Native leaves that are socket writes (the write syscall and, on loopback, the peer's receive path) are their
 * own row; idle samples are left out.
 */
const COMPONENTS = [
  ['etcd HTTP/2 + gRPC client', /storage\/etcd\/(h2-connection|hpack|grpc-channel)\.js|node:internal\/http2\//],
  ['etcd protobuf codec', /storage\/etcd\/kv-codec\.js/],
  ['etcd store + watch', /storage\/etcd\//],
  ['SQLite store', /storage\/sqlite\//],
  ['watch cache', /storage\/(watch-cache|value-interner)\.js|util\/value-interner\.js/],
  ['watch responses', /apiserver\/rest\/watch\.js/],
  ['API server handlers', /\/(apiserver|api)\//],
  ['node HTTP/TLS server', /^node:(_http_|_tls_|https|http$|tls$|internal\/tls)/],
];
const SOCKET_WRITES = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString']);

/** A V8 CPU profile → sampled milliseconds per component (rounded to 0.1 ms), idle excluded. */
export function cpuSplit(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const micros = new Map();
  profile.samples.forEach((id, i) => micros.set(id, (micros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const split = {};
  for (const [id, us] of micros) {
    const leaf = byId.get(id).callFrame;
    let name;
    if (leaf.functionName === '(idle)') continue;
    if (leaf.functionName === '(garbage collector)') name = 'garbage collector';
    else if (leaf.functionName === '(program)') name = 'native (unattributed)';
    else if (leaf.url === '' && SOCKET_WRITES.has(leaf.functionName)) name = 'socket writes';
    for (let cur = id; name === undefined && cur !== undefined; cur = parent.get(cur)) {
      const url = byId.get(cur).callFrame.url;
      name = COMPONENTS.find(([, re]) => re.test(url))?.[0];
    }
    name ??= 'other';
    split[name] = (split[name] ?? 0) + us / 1000;
  }
  for (const k of Object.keys(split)) split[k] = +split[k].toFixed(1);
  return split;
}

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
  const profiler = process.env.SKIFF_TAIL_MONITOR_PROFILE === '1' ? new Session() : undefined;
  profiler?.connect();
  process.on('SIGUSR2', () => {
    if (!open) {
      open = true;
      if (profiler) {
        profiler.post('Profiler.enable');
        profiler.post('Profiler.setSamplingInterval', { interval: 250 });
        profiler.post('Profiler.start');
      }
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
    const figures = {
      windowMs: +(performance.now() - windowStart).toFixed(0),
      gc: {
        count: pauses.length,
        totalMs: +sorted.reduce((s, x) => s + x, 0).toFixed(2),
        maxMs: +(sorted[sorted.length - 1] ?? 0).toFixed(2),
        over10ms: sorted.filter((x) => x > 10).length,
        byKind,
      },
      eventLoopDelay: { p50Ms: ms(loop.percentile(50)), p99Ms: ms(loop.percentile(99)), maxMs: ms(loop.max), meanMs: ms(loop.mean) },
    };
    if (!profiler) return writeFileSync(out, JSON.stringify(figures));
    profiler.post('Profiler.stop', (err, res) => {
      const split = err ? { cpuSplitError: err.message } : { cpuSplit: cpuSplit(res.profile) };
      writeFileSync(out, JSON.stringify({ ...figures, ...split }));
    });
  });
}
