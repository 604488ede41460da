// HPA and metrics API benchmark: `node --import tsx bench/hpa.ts [--hpas 1000] [--pods 5000] [--nodes 50]
// [--workers 5] [--requests 300] [--profile PREFIX [--profile-phase hpa,metrics]]` (or `npm run bench -- hpa`). In one process: a real API server (SQLite)
// serving the metrics APIs, a simulated fleet serving /stats/summary over HTTPS, Deployments with pods bound
// to the simulated nodes (created directly: no workload controllers run, so only the HPA writes), then:
//   1. one collector scrape of every node (HTTPS, client certificates);
//   2. metrics API latency (over the control plane's local socket): an HPA-style PodMetrics list (one Deployment's pods by label
//      selector), a whole-namespace PodMetrics list (all pods: what `kubectl top pods -A` asks), a single
//      PodMetrics get, and NodeMetrics list (issue target: p99 < 50 ms with 5,000 pods);
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
import { benchArgs } from './_args.js';
import os from 'node:os';

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

async function latency(label: string, n: number, call: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number; max: number; cpuMs: number }> {
  const times: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call(i);
    times.push(performance.now() - t);
  }
  const used = process.cpuUsage(cpu);
  times.sort((a, b) => a - b);
  // cpuMs: this process's CPU per request (server and client together).
  const r = { p50: +percentile(times, 50).toFixed(2), p99: +percentile(times, 99).toFixed(2), max: +times[times.length - 1]!.toFixed(2), cpuMs: +((used.user + used.system) / 1000 / n).toFixed(2) };
  console.log(`  ${label.padEnd(46)} p50 ${r.p50} ms  p99 ${r.p99} ms  max ${r.max} ms  CPU ${r.cpuMs} ms/request  (${n} requests)`);
  return r;
}

// The client is the control plane's own (plain HTTP over the server's unix socket), as in `skiff up`.
const env = await startMetricsEnv({ nodes: nodeCount, localSocket: true });
try {
  const client = env.client;
  console.log(`HPA benchmark: ${hpaCount} HPAs over ${hpaCount} Deployments × ${perDeployment} pods on ${nodeCount} simulated nodes`);
  await client.create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const names = Array.from({ length: hpaCount }, (_, i) => `app-${i}`);
  let t = performance.now();
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

  t = performance.now();
  await env.server.metrics!.scrapeNow();
  const firstScrapeMs = performance.now() - t;
  t = performance.now();
  await env.server.metrics!.scrapeNow();
  const scrapeMs = performance.now() - t;
  const sampled = env.server.metrics!.snapshot.podCount;
  console.log(`collector: one scrape of ${nodeCount} nodes (${sampled} pods) in ${scrapeMs.toFixed(0)} ms (${firstScrapeMs.toFixed(0)} ms the first time, with TLS handshakes)`);

  console.log('metrics API latency (local socket, JSON):');
  const base = `/apis/metrics.k8s.io/v1beta1`;
  const { bySelector, wholeNamespace, single, nodesList } = await profiled('metrics', async () => ({
    bySelector: await latency('PodMetrics list by label selector', requests, (i) => client.call('GET', `${base}/namespaces/${ns}/pods`, { query: { labelSelector: `app=${names[i % names.length]}` } })),
    wholeNamespace: await latency(`PodMetrics list, whole namespace (${sampled} pods)`, Math.min(requests, 100), () => client.call('GET', `${base}/namespaces/${ns}/pods`)),
    single: await latency('PodMetrics get', requests, (i) => client.call('GET', `${base}/namespaces/${ns}/pods/${names[i % names.length]}-0`)),
    nodesList: await latency(`NodeMetrics list (${nodeCount} nodes)`, requests, () => client.call('GET', `${base}/nodes`)),
  }));

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
      firstScrapeMs: Math.round(firstScrapeMs),
      metricsApiMs: { bySelector, wholeNamespace, single, nodesList },
      hpaSyncPassSeconds: { first: +first.toFixed(3), steady: +steady.toFixed(3), firstCpu: +firstCpu.toFixed(3), steadyCpu: +steadyCpu.toFixed(3) },
      loadAverage: +os.loadavg()[0]!.toFixed(2),
      rescaled: scaled,
    }),
  );
} finally {
  await env.close();
}
