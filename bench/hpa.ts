// HPA and metrics API benchmark: `node --import tsx bench/hpa.ts [--hpas 1000] [--pods 5000] [--nodes 50]
// [--workers 5] [--requests 300] [--kubectl-runs 10] [--scrape-concurrency N] [--profile PREFIX [--profile-phase hpa,metrics]]` (or `npm run bench -- hpa`). In one process: a real API server (SQLite)
// serving the metrics APIs, a simulated fleet serving /stats/summary over HTTPS, Deployments with pods bound
// to the simulated nodes (created directly: no workload controllers run, so only the HPA writes), then:
//   1. one collector scrape of every node (HTTPS, client certificates);
//   2. metrics API latency, measured by a separate client process (this same file with --load-client, so the
//      server's event loop does not also parse the answers) over the control plane's local socket: an
//      HPA-style PodMetrics list (one Deployment's pods by label selector), a whole-namespace PodMetrics
//      list (all pods: what `kubectl top pods -A` asks), a single PodMetrics get, and NodeMetrics list
//      (issue target: p99 < 50 ms with 5,000 pods), with the server's CPU per request and its garbage
//      collections; then, as a sanity figure, real kubectl's `get --raw` of all PodMetrics over HTTPS
//      (`--kubectl-runs N`, default 10, 0 to skip);
//   3. one sync pass of the HPA controller over every HPA (issue target: < 1 s for 1,000), first pass
//      (every HPA writes its first status; a tenth rescale) and a second pass (only the rescaled tenth
//      writes again: without a Deployment controller their new pods never come), with the controller's
//      default 5 workers.
// Prints human-readable figures; the last line is one JSON object with them.
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import { resources } from '../src/client/index.js';
import { InformerFactory } from '../src/client/informer-factory.js';
import { HpaController } from '../src/controllers/podautoscaler/hpa-controller.js';
import { cpuUsageAnnotation } from '../src/runtime/sim/index.js';
import { startMetricsEnv } from '../test/metrics/env.js';
import { ApiClient } from '../src/client/client.js';
import { benchArgs } from './_args.js';
import os from 'node:os';
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { promisify } from 'node:util';

const args = benchArgs();
const hpaCount = Number(args.get('hpas') ?? 1000);
const podCount = Number(args.get('pods') ?? 5000);
const nodeCount = Number(args.get('nodes') ?? 50);
const workers = Number(args.get('workers') ?? 5);
const requests = Number(args.get('requests') ?? 300);
const ns = 'bench';
const perDeployment = Math.max(1, Math.floor(podCount / hpaCount));

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Runs fn under the inspector's CPU profiler (into PREFIX.<phase>.cpuprofile) when --profile-phase lists the phase. */
async function profiled<T>(phase: 'hpa' | 'metrics', fn: () => Promise<T>): Promise<T> {
  const prefix = args.get('profile');
  if (!prefix || !(args.get('profile-phase') ?? 'hpa').split(',').includes(phase)) return fn();
  const file = `${prefix}.${phase}.cpuprofile`;
  const session = new (await import('node:inspector/promises')).Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    (await import('node:fs')).writeFileSync(file, JSON.stringify(profile));
    console.log(`CPU profile of the ${phase} phase written to ${file}`);
    session.disconnect();
  }
}

/** One latency phase for the load client: requests[i % length] is the i-th request. */
interface LoadPhase {
  label: string;
  n: number;
  requests: { path: string; query?: Record<string, string> }[];
  /** Items each answer must list (a check that the answers are whole lists, not errors). */
  expectItems?: number;
}

interface LoadResult {
  times: number[];
  /** The client's JSON.parse of each answer (after the timed request), median ms. */
  parseMs: number;
  bytes: number;
}

interface LatencyFigures {
  p50: number;
  p99: number;
  max: number;
  /** The server process's CPU per request (the client runs in its own process). */
  cpuMs: number;
  /** Garbage collections in the server process during the phase, and the longest pause. */
  gcs: number;
  majorGcs: number;
  gcMaxMs: number;
  /** The server's longest event-loop stall during the phase (GC, scrapes, other work), as monitorEventLoopDelay sees it. */
  loopDelayMaxMs: number;
}

/**
 * The load client: a separate process that receives phases over IPC, issues each phase's requests one after
 * another over the control plane's local socket and reports the wall time of each (request sent → whole body
 * received), as a user's client would see it.
 */
async function loadClient(): Promise<void> {
  let client: ApiClient | undefined;
  // The benchmark ended (or failed): nothing more to do.
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (m: { socketPath: string } | { phase: LoadPhase } | { done: true }) => {
    if ('socketPath' in m) {
      client = ApiClient.fromConfig({ servers: ['http://localhost'], socketPath: m.socketPath, namespace: 'default' }, { timeoutMs: 30_000 });
      process.send!({ ready: true });
    } else if ('phase' in m) {
      const { n, requests: reqs, expectItems } = m.phase;
      const times: number[] = [];
      const parses: number[] = [];
      let bytes = 0;
      for (let i = 0; i < n; i++) {
        const r = reqs[i % reqs.length]!;
        const t = performance.now();
        const res = await client!.transport.request('GET', r.path, { query: r.query });
        times.push(performance.now() - t);
        if (res.status !== 200) throw new Error(`GET ${r.path}: ${res.status} ${res.body.slice(0, 200)}`);
        const p = performance.now();
        const body = JSON.parse(res.body) as { items?: unknown[] };
        parses.push(performance.now() - p);
        bytes = Buffer.byteLength(res.body);
        if (expectItems !== undefined && body.items?.length !== expectItems) throw new Error(`GET ${r.path}: ${body.items?.length} items, expected ${expectItems}`);
      }
      parses.sort((a, b) => a - b);
      process.send!({ times, parseMs: percentile(parses, 50), bytes } satisfies LoadResult);
    } else {
      client?.close();
      process.disconnect();
    }
  });
}

/** Starts the load client process and connects it to the server's local socket. */
async function startLoadClient(socketPath: string): Promise<{ run(phase: LoadPhase): Promise<LatencyFigures & { parseMs: number; bytes: number }>; stop(): void }> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--load-client'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const reply = <T>() =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`load client exited (${code})`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        resolve(m as T);
      });
    });
  const ready = reply<{ ready: true }>();
  child.send({ socketPath });
  await ready;
  return {
    async run(phase) {
      const gcs: number[] = [];
      let majorGcs = 0;
      const obs = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          gcs.push(e.duration);
          if ((e as { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++;
        }
      });
      obs.observe({ entryTypes: ['gc'] });
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      const cpu = process.cpuUsage();
      const answer = reply<LoadResult>();
      child.send({ phase });
      const r = await answer;
      const used = process.cpuUsage(cpu);
      delay.disable();
      // Entries are delivered asynchronously: let the last ones arrive.
      await new Promise((res) => setImmediate(res));
      obs.disconnect();
      const times = [...r.times].sort((a, b) => a - b);
      const f = {
        p50: +percentile(times, 50).toFixed(2),
        p99: +percentile(times, 99).toFixed(2),
        max: +times[times.length - 1]!.toFixed(2),
        cpuMs: +((used.user + used.system) / 1000 / phase.n).toFixed(2),
        gcs: gcs.length,
        majorGcs,
        gcMaxMs: +Math.max(0, ...gcs).toFixed(2),
        loopDelayMaxMs: +(delay.max / 1e6).toFixed(1),
        parseMs: +r.parseMs.toFixed(2),
        bytes: r.bytes,
      };
      console.log(
        `  ${phase.label.padEnd(46)} p50 ${f.p50} ms  p99 ${f.p99} ms  max ${f.max} ms  server CPU ${f.cpuMs} ms/request  server GCs ${f.gcs} (${f.majorGcs} major, longest ${f.gcMaxMs} ms)  server event loop delay max ${f.loopDelayMaxMs} ms  (${phase.n} requests, ${(f.bytes / 1024).toFixed(0)} KiB; client parse ${f.parseMs} ms)`,
      );
      return f;
    },
    stop() {
      if (child.connected) child.send({ done: true });
    },
  };
}

/** Real kubectl's `get --raw PATH -v=6`: the request latency it logs (to the response headers) and its own wall time. */
async function kubectlRaw(kubeconfig: string, path: string, runs: number): Promise<{ p50: number; max: number; processP50: number } | undefined> {
  if (!runs) return undefined;
  if (!existsSync('/usr/bin/kubectl')) {
    console.log('  kubectl get --raw: skipped (/usr/bin/kubectl not installed)');
    return undefined;
  }
  const logged: number[] = [];
  const walls: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const { stdout, stderr } = await promisify(execFile)('kubectl', ['--kubeconfig', kubeconfig, 'get', '--raw', path, '-v=6'], { maxBuffer: 64 << 20 });
    walls.push(performance.now() - t);
    const m = /200 OK in (\d+) milliseconds/.exec(stderr);
    if (!m || !stdout.startsWith('{"kind":"PodMetricsList"')) throw new Error(`kubectl get --raw ${path}: unexpected answer: ${stderr.slice(0, 300)}`);
    logged.push(Number(m[1]));
  }
  logged.sort((a, b) => a - b);
  walls.sort((a, b) => a - b);
  const r = { p50: percentile(logged, 50), max: logged[logged.length - 1]!, processP50: +percentile(walls, 50).toFixed(0) };
  console.log(`  kubectl get --raw ${path} (HTTPS) ×${runs}: request p50 ${r.p50} ms, max ${r.max} ms (as kubectl -v=6 logs it); whole kubectl process p50 ${r.processP50} ms`);
  return r;
}

async function main(): Promise<void> {
  // The client is the control plane's own (plain HTTP over the server's unix socket), as in `skiff up`.
  const env = await startMetricsEnv({ nodes: nodeCount, localSocket: true, scrapeConcurrency: args.has('scrape-concurrency') ? Number(args.get('scrape-concurrency')) : undefined });
  try {
    const client = env.client;
    console.log(`HPA benchmark: ${hpaCount} HPAs over ${hpaCount} Deployments × ${perDeployment} pods on ${nodeCount} simulated nodes`);
    await client.create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const names = Array.from({ length: hpaCount }, (_, i) => `app-${i}`);
    const t = performance.now();
    await pool(names, 32, (name) =>
      client.create(resources.deployments, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace: ns },
        spec: {
          replicas: perDeployment,
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '100m' } } }] } },
        },
      } as Deployment, { namespace: ns }),
    );
    const podSpecs = names.flatMap((name, i) => Array.from({ length: perDeployment }, (_, k) => ({ name, i, k })));
    await pool(podSpecs, 32, ({ name, i, k }) =>
      client.create(resources.pods, {
        apiVersion: 'v1',
        kind: 'Pod',
        // Of a 100m request with a 60% target: every tenth Deployment runs at 120% (it scales up), the others
        // within the 10% tolerance (55m..65m), so after the first pass only the scaled ones keep changing.
        metadata: { name: `${name}-${k}`, namespace: ns, labels: { app: name }, annotations: { [cpuUsageAnnotation]: `${i % 10 === 0 ? 120 : 55 + (i % 11)}m` } },
        spec: { nodeName: `sim-node-${(i * perDeployment + k) % nodeCount}`, containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '100m' } } }] },
      } as Pod, { namespace: ns }),
    );
    const setupSeconds = (performance.now() - t) / 1000;
    for (;;) {
      // A 5,000-pod list can outlast the client's timeout on a busy machine: that is just another poll.
      const l = await client.list<Pod>(resources.pods, { namespace: ns }).catch(() => ({ items: [] as Pod[] }));
      if (l.items.filter((p) => p.status?.phase === 'Running').length === podSpecs.length) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`setup: ${hpaCount} Deployments and ${podSpecs.length} pods created in ${setupSeconds.toFixed(1)} s, all Running`);

    /** One scrape of every node: its wall time and the server's longest event-loop stall meanwhile. */
    const timedScrape = async (stagger: boolean) => {
      const stall = monitorEventLoopDelay({ resolution: 1 });
      stall.enable();
      const start = performance.now();
      await env.server.metrics!.scrapeNow({ stagger });
      const ms = performance.now() - start;
      stall.disable();
      return { ms, stallMs: +(stall.max / 1e6).toFixed(1) };
    };
    const { ms: firstScrapeMs } = await timedScrape(false);
    const { ms: scrapeMs, stallMs: scrapeStallMs } = await timedScrape(false);
    const sampled = env.server.metrics!.snapshot.podCount;
    console.log(`collector: one scrape of ${nodeCount} nodes (${sampled} pods) in ${scrapeMs.toFixed(0)} ms (${firstScrapeMs.toFixed(0)} ms the first time, with TLS handshakes); longest event-loop stall ${scrapeStallMs} ms`);

    console.log('metrics API latency (a separate client process, local socket, JSON):');
    const base = `/apis/metrics.k8s.io/v1beta1`;
    const loader = await startLoadClient(env.socketPath!);
    const generationBefore = env.server.metrics!.snapshot.generation;
    const { bySelector, wholeNamespace, single, nodesList } = await profiled('metrics', async () => ({
      bySelector: await loader.run({ label: 'PodMetrics list by label selector', n: requests, requests: names.map((n) => ({ path: `${base}/namespaces/${ns}/pods`, query: { labelSelector: `app=${n}` } })), expectItems: perDeployment }),
      wholeNamespace: await loader.run({ label: `PodMetrics list, whole namespace (${sampled} pods)`, n: Math.min(requests, 200), requests: [{ path: `${base}/namespaces/${ns}/pods` }], expectItems: sampled }),
      single: await loader.run({ label: 'PodMetrics get', n: requests, requests: names.map((n) => ({ path: `${base}/namespaces/${ns}/pods/${n}-0` })) }),
      nodesList: await loader.run({ label: `NodeMetrics list (${nodeCount} nodes)`, n: requests, requests: [{ path: `${base}/nodes` }], expectItems: nodeCount }),
    })).finally(() => loader.stop());
    // The collector's periodic scrapes keep running during the phases above (they are part of what a user of
    // the API sees); how many fell into them, and one more scrape as the periodic ones run (staggered) now
    // that whole lists are cached (each node's pods are then rendered as they arrive).
    const scrapesDuring = (env.server.metrics!.snapshot.generation - generationBefore) / nodeCount;
    const { ms: scrapeCachedMs, stallMs: scrapeCachedStallMs } = await timedScrape(true);
    console.log(`  periodic scrapes during these phases: ${scrapesDuring.toFixed(1)}; one periodic (staggered) scrape with whole lists cached: ${scrapeCachedMs.toFixed(0)} ms, longest event-loop stall ${scrapeCachedStallMs} ms`);
    const kubectl = await kubectlRaw(env.kubeconfig, `${base}/pods`, Number(args.get('kubectl-runs') ?? 10));
    console.log(`  (load average ${os.loadavg()[0]!.toFixed(1)})`);

    await pool(names, 32, (name) =>
      client.create(resources.horizontalPodAutoscalers, {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name, namespace: ns },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          minReplicas: 1,
          maxReplicas: 20,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }],
        },
      } as HorizontalPodAutoscaler, { namespace: ns }),
    );
    const informers = new InformerFactory(client, { log: () => {} });
    // A sync period longer than the benchmark: the passes below are the only syncs.
    const hpa = new HpaController({ client, informers, syncPeriodMs: 3_600_000, calculator: { cpuInitializationPeriodMs: 0 }, log: () => {} });
    informers.start();
    await hpa.start();
    const keys = names.map((n) => `${ns}/${n}`);
    // Wall time, and this process's CPU time (server, controller and fleet share it): on a busy machine the
    // difference is time spent waiting for a core.
    let passCpuSeconds = 0;
    const pass = async () => {
      const start = performance.now();
      const cpu = process.cpuUsage();
      await pool(keys, workers, (k) => hpa.reconcile(k));
      const used = process.cpuUsage(cpu);
      passCpuSeconds = (used.user + used.system) / 1e6;
      return (performance.now() - start) / 1000;
    };
    const first = await pass();
    const firstCpu = passCpuSeconds;
    // Let the informer see the status writes of the first pass, so the steady pass compares like the controller.
    await new Promise((r) => setTimeout(r, 2000));
    const steady = await profiled('hpa', pass);
    const steadyCpu = passCpuSeconds;
    const scaled = (await client.list<Deployment>(resources.deployments, { namespace: ns })).items.filter((d) => (d.spec?.replicas ?? 0) > perDeployment).length;
    console.log(`HPA sync pass over ${hpaCount} HPAs (${workers} workers): first ${first.toFixed(2)} s (${scaled} rescaled, every status written; CPU ${firstCpu.toFixed(2)} s), steady ${steady.toFixed(2)} s (CPU ${steadyCpu.toFixed(2)} s); load average ${os.loadavg()[0]!.toFixed(1)}`);
    await hpa.stop();
    await informers.stop();
    console.log(
      JSON.stringify({
        bench: 'hpa',
        hpas: hpaCount,
        pods: podSpecs.length,
        nodes: nodeCount,
        workers,
        scrapeMs: Math.round(scrapeMs),
        scrapeStallMs,
        scrapeWithCachedListsMs: Math.round(scrapeCachedMs),
        scrapeWithCachedListsStallMs: scrapeCachedStallMs,
        scrapesDuringMetricsPhases: +scrapesDuring.toFixed(1),
        firstScrapeMs: Math.round(firstScrapeMs),
        metricsApiMs: { bySelector, wholeNamespace, single, nodesList },
        kubectlGetRawAllPodMetricsMs: kubectl ?? null,
        hpaSyncPassSeconds: { first: +first.toFixed(3), steady: +steady.toFixed(3), firstCpu: +firstCpu.toFixed(3), steadyCpu: +steadyCpu.toFixed(3) },
        loadAverage: +os.loadavg()[0]!.toFixed(2),
        rescaled: scaled,
      }),
    );
  } finally {
    await env.close();
  }
}

if (args.get('load-client') === 'true') await loadClient();
else await main();
