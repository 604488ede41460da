// How components in worker threads receive their watches: `npm run bench -- watch-transport [--pods 2000]
// [--watchers 2] [--inflight 32] [--rounds 2] [--modes socket,port]`. Starts an API server in this process (SQLite, its local unix
// socket; test/apiserver/harness.ts) and `watchers` worker threads, each with one pod watch iterated as an
// informer does (bench/_watch-transport-worker.ts), either over the server's unix socket (as before) or
// across the worker's MessagePort into the server's in-process endpoint (port-endpoint.ts). Each pod takes
// the writes a scheduled pod costs (create, binding, two status PATCHes) through the REST path in process,
// `inflight` at a time; a round ends once every watcher counted every event. Per pod it reports the CPU of
// the server's thread (/proc/thread-self/stat), of the watcher threads, and of the rest of the process (V8's
// GC and compiler threads, libuv). Modes alternate round by round (socket, port, socket, port, ...) so both
// see the same machine; the least of each mode's rounds counts. With `--in-thread`, the watchers run on the
// server's thread instead (as the controller manager's informers do): over the unix socket, or in process
// into a LineQueue; their CPU is then the server thread's. Each round also reports the server isolate's young
// allocation, the bytes that survived its scavenges and its collector time per pod (V8's GCProfiler);
// `--heap-sample <file>` writes a sampling allocation profile of the server's thread over the last round
// (with `--heap-sample-promoted`, of what outlived the young generation only).
// The last line is one JSON object.
import { Worker, MessageChannel } from 'node:worker_threads';
import { loadavg } from 'node:os';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { startTestServer } from '../test/apiserver/harness.js';
import { create } from '../src/apiserver/rest/create.js';
import { bind } from '../src/apiserver/rest/subresources.js';
import { patch } from '../src/apiserver/rest/patch.js';
import { systemRequest } from '../src/apiserver/rest/system-request.js';
import { servePort } from '../src/client/port-endpoint.js';
import { componentClient } from '../src/cli/component-client.js';
import { resources } from '../src/client/index.js';
import { benchArgs } from './_args.js';
import { threadCpuMs } from './_thread-cpu.js';
import { gcPerPod, gcText, GCProfiler, type GcPerPod } from './_gc-stats.js';
import { podWritesWith } from './_pod-writes.js';

const podWrites = podWritesWith({ create, bind, patch, systemRequest });

const args = benchArgs();
const pods = Number(args.get('pods') ?? 2000);
const watchers = Number(args.get('watchers') ?? 2);
const inflight = Number(args.get('inflight') ?? 32);
const rounds = Number(args.get('rounds') ?? 2);
const inThread = args.get('in-thread') === 'true';
/** Writes a sampling allocation profile of the server's thread over the last round (collected objects included). */
const heapSample = args.get('heap-sample');
/** `--heap-sample-promoted`: only objects that outlived the young generation (promoted, or alive at the end). */
const promotedOnly = args.has('heap-sample-promoted');
/** Which transports alternate (`--modes port` measures the MessagePort alone). */
const modes = (args.get('modes') ?? 'socket,port').split(',') as Mode[];
/** "port": in process (across a MessagePort from worker threads; with --in-thread, straight into a LineQueue). */
type Mode = 'socket' | 'port';
const label = (mode: Mode) => (mode === 'port' && inThread ? 'in process' : mode);

function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const entry = new URL('./_watch-transport-worker.ts', import.meta.url);
/** A watcher thread (tsx's hooks registered first: on Node 20 a worker does not inherit them). */
function startWatcher(workerData: Record<string, unknown>, transferList: MessageChannel['port2'][]): Worker {
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true, workerData, transferList });
}

interface Watcher {
  /** Events seen, and the watcher thread's CPU (0 on the server's thread: counted there). */
  count(): Promise<{ events: number; cpuMs: number }>;
  stop(): Promise<void>;
}

function threadWatcher(w: Worker, served?: { close(): void }): Watcher {
  return {
    count: () =>
      new Promise((resolve) => {
        w.once('message', resolve);
        w.postMessage('count');
      }),
    stop: async () => {
      w.postMessage('stop');
      await new Promise((r) => w.once('exit', r));
      served?.close();
    },
  };
}

async function startWatcherHere(mode: Mode, namespace: string): Promise<Watcher> {
  const client = componentClient({ url: 'http://localhost', socketPath: s.socketPath, ca: '', cert: '', key: '' }, mode === 'port' ? s.server.inProcess : undefined);
  const watch = await client.watch(resources.pods, { namespace, resourceVersion: '0', timeoutSeconds: 3600 });
  let events = 0;
  const done = (async () => {
    for await (const ev of watch) if (ev.type !== 'BOOKMARK') events++;
  })().catch(() => undefined);
  return {
    count: () => Promise.resolve({ events, cpuMs: 0 }),
    stop: async () => {
      watch.close();
      client.close();
      await done;
    },
  };
}

const s = await startTestServer({ localSocket: true });
const deps = s.server.deps;
const nsType = deps.registry.lookup('', 'v1', 'namespaces')!;

interface Result {
  mode: Mode;
  mainMsPerPod: number;
  watchersMsPerPod: number;
  restMsPerPod: number;
  seconds: number;
  gc: GcPerPod;
}


async function round(index: number, mode: Mode): Promise<Result> {
  const ns = `round-${index}`;
  await create(deps, systemRequest(nsType, 'create', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } }));
  const threads: Watcher[] = [];
  for (let i = 0; i < watchers; i++) {
    if (inThread) {
      threads.push(await startWatcherHere(mode, ns));
      continue;
    }
    let served: { close(): void } | undefined;
    const data: Record<string, unknown> = { mode, socketPath: s.socketPath, namespace: ns };
    const transfer: MessageChannel['port2'][] = [];
    if (mode === 'port') {
      const { port1, port2 } = new MessageChannel();
      served = servePort(port1, s.server.inProcess!);
      data['port'] = port2;
      transfer.push(port2);
    }
    const w = startWatcher(data, transfer);
    await new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    threads.push(threadWatcher(w, served));
  }
  (globalThis as { gc?: () => void }).gc?.();
  const before = await Promise.all(threads.map((w) => w.count()));
  const main0 = threadCpuMs();
  const all0 = processCpuMs();
  const t0 = performance.now();
  const gcProfiler = new GCProfiler();
  gcProfiler.start();
  const sampler = heapSample !== undefined && index === modes.length * rounds - 1 ? new Session() : undefined;
  if (sampler) {
    sampler.connect();
    await sampler.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !promotedOnly });
  }
  let next = 0;
  await Promise.all(Array.from({ length: inflight }, async () => {
    while (next < pods) await podWrites(deps, ns, next++);
  }));
  let after: { events: number; cpuMs: number }[];
  for (;;) {
    after = await Promise.all(threads.map((w) => w.count()));
    if (after.every((a) => a.events >= 4 * pods)) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const main = threadCpuMs() - main0;
  const all = processCpuMs() - all0;
  const gc = gcPerPod(gcProfiler.stop(), pods);
  if (sampler) {
    const { profile } = await sampler.post('HeapProfiler.stopSampling');
    writeFileSync(heapSample!, JSON.stringify(profile));
    sampler.disconnect();
  }
  const seconds = (performance.now() - t0) / 1000;
  const watcherMs = after.reduce((sum, a, i) => sum + a.cpuMs - before[i]!.cpuMs, 0);
  await Promise.all(threads.map((w) => w.stop()));
  return { mode, mainMsPerPod: main / pods, watchersMsPerPod: watcherMs / pods, restMsPerPod: (all - main - watcherMs) / pods, seconds, gc };
}

console.log(
  `watch transport: ${pods} pods x 4 writes in process, ${inflight} at a time; ${watchers} pod watches ` +
    (inThread ? "on the server's thread, over the unix socket or in process" : 'in worker threads, over the unix socket or across a MessagePort'),
);
const results: Result[] = [];
try {
  for (let i = 0; i < modes.length * rounds; i++) {
    const r = await round(i, modes[i % modes.length]!);
    results.push(r);
    console.log(`round ${i + 1} (${label(r.mode)}): CPU per pod: server thread ${r.mainMsPerPod.toFixed(3)} ms, watcher threads ${r.watchersMsPerPod.toFixed(3)} ms, rest ${r.restMsPerPod.toFixed(3)} ms; ${r.seconds.toFixed(1)} s; ${gcText(r.gc)}`);
  }
} finally {
  await s.close();
}
const best = (mode: Mode) => results.filter((r) => r.mode === mode).reduce((a, b) => (b.mainMsPerPod + b.watchersMsPerPod + b.restMsPerPod < a.mainMsPerPod + a.watchersMsPerPod + a.restMsPerPod ? b : a));
const load = loadavg().map((l) => l.toFixed(2)).join(' ');
const fmt = (r: Result) => ({ mainMsPerPod: +r.mainMsPerPod.toFixed(3), watchersMsPerPod: +r.watchersMsPerPod.toFixed(3), restMsPerPod: +r.restMsPerPod.toFixed(3), gc: r.gc });
for (const m of modes) {
  const r = best(m);
  console.log(`least of ${rounds} (${label(m)}): server thread ${r.mainMsPerPod.toFixed(3)} ms, watcher threads ${r.watchersMsPerPod.toFixed(3)} ms, rest ${r.restMsPerPod.toFixed(3)} ms CPU per pod; ${gcText(r.gc)}`);
}
console.log(`load average ${load}`);
console.log(JSON.stringify({ pods, watchers, inflight, rounds, inThread, ...Object.fromEntries(modes.map((m) => [m, fmt(best(m))])), loadAverage: load }));
