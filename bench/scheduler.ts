// Scheduler benchmark (`npm run bench -- scheduler`), as the issue and upstream's scheduler_perf measure it:
// `skiff up --runtime sim --sim-nodes N` (the built CLI) runs in its own process, and this process is the load
// generator: it creates pods over 64 connections (with wrk, a C load generator, when installed; `--load node`
// for this process's own HTTPS client) and watches them, and the figure is creation-to-binding
// throughput, bound pods per second from the first create to the last binding. For each node count in
// `--nodes` (default 1000,5000): idle CPU of the server with N simulated nodes (their Lease heartbeats, node
// status, the metrics collector scraping them), then the scenarios basic (SchedulingBasic, `--pods`, default
// 10,000), required pod anti-affinity on hostname (`--affinity-pods`, 2,000) and topology spread over zones,
// DoNotSchedule (`--spread-pods`, 2,000), each with the server's CPU per pod until the simulated kubelet
// reports every pod Running (also less the idle rate over that time: at 5,000 nodes the heartbeats dominate
// short scenarios), this process's own CPU per pod over the same span (the load generator shares the 2 cores)
// and FailedScheduling occurrences; then the server's RSS. Before the scenarios it prints a machine speed probe
// (bench/_speed-probe.ts: fixed single-threaded work, in ms), since this VM's speed drifts between runs. `--fill P` keeps creating pods
// (bound at creation) until P exist (or `--max-seconds`, default 300) and samples RSS (memory per pod).
// The controller manager is disabled (`--controllers` keeps it), as scheduler_perf runs without one.
// `--server-node-options="--cpu-prof --cpu-prof-dir=D"` passes node options to the server (profiling);
// `--server-log F` appends all the server prints to F (e.g. with --server-node-options=--trace-gc).
// `--in-process` runs the older single-process variant (server, simulated nodes, scheduler and load in this
// process; one node count), handy for --cpu-prof; `--transport in-process|socket|https` (default in-process)
// is how the simulated nodes and the scheduler reach the server there (as `skiff up`'s components do: in
// process with watches on the unix socket; all over the unix socket; HTTPS with a token), the load generator
// always over HTTPS, so the idle figure (heartbeats alone: no metrics scrapes in this mode) compares them.
// `--transports` measures one request's CPU end to end (client and server, one process) through each
// transport: Lease PUTs as the heartbeats send them, 8 at a time (`--puts`, default 3,000 per transport, two
// rounds). `--algorithm` runs only the scheduling algorithm
// (framework and plugins against a scheduler cache, no API server, no I/O) and reports CPU per decision.
// Prints human-readable figures; the last line is one JSON object with them.
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { ApiClient, resources } from '../src/client/index.js';
import { simNodeSpecs, startSimNodes } from '../src/runtime/sim/index.js';
import { buildLease, buildNode, microTime } from '../src/runtime/sim/node-object.js';
import { startScheduler } from '../src/scheduler/index.js';
import { SchedulerCache } from '../src/scheduler/cache.js';
import { PodInfo } from '../src/scheduler/framework/node-info.js';
import { CycleState } from '../src/scheduler/framework/types.js';
import { buildFramework, defaultProfile } from '../src/scheduler/profile.js';
import { Scheduling } from '../src/scheduler/schedule-one.js';
import { startTestServer } from '../test/apiserver/harness.js';
import { HttpsTransport } from '../src/client/transport.js';
import { InProcessTransport } from '../src/client/in-process-transport.js';
import { loadKubeconfig } from '../src/client/config.js';
import { freePort } from '../test/e2e/harness.js';
import { benchArgs } from './_args.js';
import { cpuSeconds, memoryMiB, onStopSignal, startSkiffUp, stopProcess, type SkiffProcess } from './_skiff-process.js';
import { speedProbeMs } from './_speed-probe.js';
import { wrkCreates, wrkInstalled } from './_wrk-creates.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = benchArgs();
const nodeCounts = (args.get('nodes') ?? (args.has('in-process') || args.has('algorithm') ? '5000' : '1000,5000')).split(',').map(Number);
const nodeCount = nodeCounts[nodeCounts.length - 1]!;
const podCount = Number(args.get('pods') ?? 10_000);
const affinityPods = Number(args.get('affinity-pods') ?? 2000);
const spreadPods = Number(args.get('spread-pods') ?? 2000);
const kubelet = args.get('no-kubelet') !== 'true';
/**
 * What creates the pods: wrk (a C load generator; default when installed) or this Node process's HTTPS client
 * (`--load node`). Either way this process watches the pods to see them bound and Running.
 */
const load = args.get('load') ?? (wrkInstalled() ? 'wrk' : 'node');
if (load !== 'wrk' && load !== 'node') throw new Error(`--load must be wrk or node, not ${load}`);

const mb = (n: number) => Math.round(n / 1024 / 1024);

const container = { name: 'c', image: 'pause', resources: { requests: { cpu: '100m', memory: '64Mi' } } };
const groups = Math.max(1, Math.floor(affinityPods / 50));
const basicPod = (i: number): Pod => ({ metadata: { name: `basic-${i}`, namespace: 'default' }, spec: { containers: [container] } });
const antiPod = (i: number): Pod => ({
  metadata: { name: `anti-${i}`, namespace: 'default', labels: { group: `g${i % groups}` } },
  spec: {
    containers: [container],
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { group: `g${i % groups}` } }, topologyKey: 'kubernetes.io/hostname' }],
      },
    },
  },
});
const spreadPod = (i: number): Pod => ({
  metadata: { name: `spread-${i}`, namespace: 'default', labels: { app: `s${i % 10}` } },
  spec: {
    containers: [container],
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: `s${i % 10}` } } }],
  },
});

/** The scheduling algorithm alone: decisions per second against a cache of nodeCount nodes. */
function algorithmOnly(): void {
  const cache = new SchedulerCache();
  const handle = cache.handle();
  // The binder and preemption are never reached: every pod fits.
  const client = ApiClient.fromConfig({ servers: ['https://127.0.0.1:1'], namespace: 'default' });
  const fwk = buildFramework(defaultProfile(), { client, handle, preemption: { pdbs: () => [], evict: async () => {} } });
  const scheduling = new Scheduling(handle);
  const now = Date.now();
  simNodeSpecs({ count: nodeCount, cpu: '32', memory: '256Gi', pods: 110 }).forEach((spec, i) => cache.addNode(buildNode(spec, i, now)));
  const out: Record<string, number> = {};
  const scenario = (label: string, n: number, make: (i: number) => Pod) => {
    // CPU time, not wall time: the loop is synchronous, and CPU time is steadier on a shared machine.
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const p = make(i);
      const pod: Pod = { ...p, metadata: { ...p.metadata, uid: `${label}-${i}`, creationTimestamp: new Date(now).toISOString() } };
      const pi = new PodInfo(pod);
      const res = scheduling.schedulePod(fwk, new CycleState(), pi);
      if (res.kind !== 'fit') throw new Error(`${label}: pod ${i} did not fit: ${res.kind}`);
      cache.assumePod(pi, res.nodeName);
    }
    const cpu = process.cpuUsage(cpu0);
    const usPerPod = (cpu.user + cpu.system) / n;
    out[label] = +usPerPod.toFixed(0);
    console.log(`algorithm only, ${label}: ${n} pods on ${nodeCount} nodes, ${usPerPod.toFixed(0)} µs CPU per decision → ${(1e6 / usPerPod).toFixed(0)} pods/s on one core`);
  };
  scenario('basic', podCount, basicPod);
  if (affinityPods > 0) scenario('anti-affinity', affinityPods, antiPod);
  if (spreadPods > 0) scenario('spread', spreadPods, spreadPod);
  client.close();
  console.log(JSON.stringify({ nodes: nodeCount, pods: podCount, algorithmMicrosecondsPerPod: out }));
}

/** An API server in this process with its local socket; the components' client per `--transport`. */
async function startLocalServer(): Promise<{ client: ApiClient; load: ApiClient; transport: string; close(): Promise<void> }> {
  const server = await startTestServer({ localSocket: true });
  const https = { servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' };
  const socket = { servers: ['http://localhost'], socketPath: server.socketPath!, namespace: 'default', userAgent: 'skiff-control-plane' };
  const transport = args.get('transport') ?? 'in-process';
  const opts = { timeoutMs: 60_000, maxSockets: 64 };
  let client: ApiClient;
  if (transport === 'https') client = ApiClient.fromConfig(https, opts);
  else if (transport === 'socket') client = ApiClient.fromConfig(socket, opts);
  else if (transport === 'in-process') client = new ApiClient(new InProcessTransport(server.server.inProcess!, new HttpsTransport(socket, opts), { userAgent: 'skiff-control-plane' }));
  else throw new Error(`--transport ${transport}: in-process, socket or https`);
  const load = ApiClient.fromConfig(https, opts);
  return {
    client,
    load,
    transport,
    close: async () => {
      client.close();
      load.close();
      await server.close();
    },
  };
}

/** CPU per Lease PUT (client + server) through each transport, two rounds back to back. */
async function transports(): Promise<void> {
  const server = await startTestServer({ localSocket: true });
  const socket = { servers: ['http://localhost'], socketPath: server.socketPath!, namespace: 'default', userAgent: 'skiff-control-plane' };
  const clients: Record<string, ApiClient> = {
    'in-process': new ApiClient(new InProcessTransport(server.server.inProcess!, new HttpsTransport(socket), { userAgent: 'skiff-control-plane' })),
    socket: ApiClient.fromConfig(socket),
    https: ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' }),
  };
  const n = Number(args.get('puts') ?? 3000);
  const out: Record<string, number[]> = {};
  for (let round = 0; round < 2; round++) {
    for (const [name, c] of Object.entries(clients)) {
      const leases: Lease[] = [];
      for (let i = 0; i < 8; i++) leases.push(await c.create(resources.leases, buildLease(`${name}-${round}-${i}`, undefined, 40, Date.now()), { namespace: 'kube-node-lease' }));
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(
        leases.map(async (l) => {
          for (let k = 0; k < n / 8; k++) l = await c.update(resources.leases, { ...l, spec: { ...l.spec, renewTime: microTime(Date.now()) } }, { namespace: 'kube-node-lease' });
        }),
      );
      const cpu = process.cpuUsage(c0);
      const msEach = (cpu.user + cpu.system) / 1000 / n;
      (out[name] ??= []).push(+msEach.toFixed(3));
      console.log(`${name}, round ${round + 1}: ${n} Lease PUTs, ${msEach.toFixed(3)} ms CPU each (client + server), ${((n * 1000) / (performance.now() - t0)).toFixed(0)}/s; load average ${readLoadavg()}`);
    }
  }
  for (const c of Object.values(clients)) c.close();
  await server.close();
  console.log(JSON.stringify({ leasePutCpuMs: out }));
}

async function inProcess(): Promise<void> {
  const server = await startLocalServer();
  const { client, load } = server;
  console.log(`simulated nodes and scheduler reach the server: ${server.transport}; load generator: HTTPS; load average ${readLoadavg()}`);
  const log = (l: string) => {
    if (!/lease|status/.test(l)) process.stderr.write(`${l}\n`);
  };
  const t0 = performance.now();
  const sim = await startSimNodes({
    client,
    nodes: simNodeSpecs({ count: nodeCount, cpu: '32', memory: '256Gi', pods: 110 }),
    startDelayMs: 1000,
    playKubelet: kubelet,
    maxInFlight: 32,
    log,
  });
  const registerMs = performance.now() - t0;
  console.log(`registered ${nodeCount} simulated nodes in ${(registerMs / 1000).toFixed(1)} s`);

  // Heartbeat cost: process CPU over --idle-seconds (default 10) with nothing else happening (server included),
  // after the registration's writes have settled (3 s).
  await new Promise((r) => setTimeout(r, 3000));
  const c0 = process.cpuUsage();
  const r0 = sim.stats().leaseRenewals;
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, Number(args.get('idle-seconds') ?? 10) * 1000));
  const cpu = process.cpuUsage(c0);
  const idleMs = performance.now() - w0;
  const heartbeatCpuPct = ((cpu.user + cpu.system) / 1000 / idleMs) * 100;
  const renewalsPerSec = ((sim.stats().leaseRenewals - r0) * 1000) / idleMs;
  const cpuMsPerRenewal = renewalsPerSec > 0 ? (heartbeatCpuPct * 10) / renewalsPerSec : 0;
  console.log(`idle with ${nodeCount} nodes: ${renewalsPerSec.toFixed(0)} lease renewals/s, process CPU ${heartbeatCpuPct.toFixed(1)}% of one core (API server included; ${cpuMsPerRenewal.toFixed(3)} ms per renewal); load average ${readLoadavg()}`);

  const sched = await startScheduler({ client, log, recordScheduledEvents: true });
  let created = 0;

  const cpuMsPerPod: Record<string, number> = {};
  async function run(label: string, n: number, make: (i: number) => Pod): Promise<number> {
    const before = sched.stats().scheduled;
    const failed0 = sched.stats().failedAttempts;
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        await load.create(resources.pods, make(i));
        created++;
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    const createdMs = performance.now() - start;
    for (;;) {
      if (sched.stats().scheduled - before >= n) break;
      if (performance.now() - start > 600_000) throw new Error(`${label}: timed out with ${sched.stats().scheduled - before}/${n} bound`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const ms = performance.now() - start;
    const rate = (n * 1000) / ms;
    // CPU is counted until the simulated kubelet has every pod running, so that a scenario's status writes
    // are not billed to the next one.
    while (kubelet && sim.stats().runningPods < created) {
      if (performance.now() - start > 600_000) throw new Error(`${label}: timed out with ${sim.stats().runningPods}/${created} running`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const cpu = process.cpuUsage(cpu0);
    const perPod = (cpu.user + cpu.system) / 1000 / n;
    cpuMsPerPod[label.split(' ')[0]!] = +perPod.toFixed(2);
    // Process CPU per pod (everything in this process: server, sim, scheduler, load) is steadier than the
    // rate on a shared machine.
    console.log(`${label}: ${n} pods bound in ${(ms / 1000).toFixed(2)} s → ${rate.toFixed(0)} pods/s (creation took ${(createdMs / 1000).toFixed(2)} s; process CPU ${perPod.toFixed(2)} ms/pod until running; ${sched.stats().failedAttempts - failed0} failed attempts)`);
    return rate;
  }

  const basic = await run(`basic (${nodeCount} nodes)`, podCount, basicPod);
  const anti = affinityPods > 0 ? await run(`required anti-affinity (${groups} groups)`, affinityPods, antiPod) : 0;
  const spread = spreadPods > 0 ? await run('topology spread (zone, DoNotSchedule)', spreadPods, spreadPod) : 0;
  const rss = process.memoryUsage().rss;
  console.log(`RSS after ${created} pods on ${nodeCount} nodes (server + sim + scheduler in one process): ${mb(rss)} MiB`);
  const st = sim.stats();
  console.log(`sim: ${st.runningPods} running pods, ${st.statusWrites} status writes (${st.coalescedWrites} ContainerCreating coalesced), ${st.leaseFailures} lease failures`);
  await sched.stop();
  await sim.stop();
  await server.close();
  console.log(
    JSON.stringify({
      transport: server.transport,
      nodes: nodeCount,
      pods: podCount,
      registerSeconds: +(registerMs / 1000).toFixed(1),
      heartbeatCpuPercent: +heartbeatCpuPct.toFixed(1),
      heartbeatCpuMsPerRenewal: +cpuMsPerRenewal.toFixed(3),
      leaseRenewalsPerSecond: +renewalsPerSec.toFixed(0),
      basicPodsPerSecond: +basic.toFixed(0),
      antiAffinityPodsPerSecond: +anti.toFixed(0),
      topologySpreadPodsPerSecond: +spread.toFixed(0),
      cpuMsPerPod,
      rssMiB: mb(rss),
      kubelet,
    }),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const loadavg = () => readLoadavg();

function readLoadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

interface Scenario {
  label: string;
  key: 'basic' | 'antiAffinity' | 'spread';
  n: number;
  make: (i: number) => Pod;
}

interface ScenarioResult {
  podsPerSecond: number;
  createsPerSecond: number;
  serverCpuMsPerPod: number;
  /** The same less what the idle server spends over the scenario's duration (heartbeats, node status, metrics). */
  aboveIdleCpuMsPerPod: number;
  /** The load generator's CPU per pod, the same span: the creates (wrk's, or this process's) and this process's pod watch. */
  clientCpuMsPerPod: number;
  runningSeconds: number;
}

/** Pods in the cluster whose watch we hold: bound and running counts per scenario label. */
class PodWatch {
  readonly bound = new Map<string, number>();
  readonly running = new Map<string, number>();
  lastBoundMs = 0;
  private readonly seenBound = new Set<string>();
  private readonly seenRunning = new Set<string>();
  private stopped = false;
  private done: Promise<void> | undefined;

  constructor(private readonly client: ApiClient) {}

  async start(): Promise<void> {
    const page = await this.client.listPage(resources.pods, { namespace: 'default', limit: 1 });
    this.done = this.loop(page.resourceVersion);
  }

  private async loop(rv: string): Promise<void> {
    while (!this.stopped) {
      try {
        const w = await this.client.watch<Pod>(resources.pods, { namespace: 'default', labelSelector: 'bench', resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 600 });
        for await (const ev of w) {
          if (this.stopped) {
            w.close();
            break;
          }
          if (ev.type === 'ERROR') throw new Error(`watch error: ${JSON.stringify(ev.object)}`);
          const p = ev.object as Pod;
          if (p.metadata?.resourceVersion) rv = p.metadata.resourceVersion;
          if (ev.type === 'BOOKMARK' || ev.type === 'DELETED') continue;
          const key = p.metadata!.name!;
          const label = p.metadata?.labels?.['bench'] ?? '';
          if (p.spec?.nodeName && !this.seenBound.has(key)) {
            this.seenBound.add(key);
            this.bound.set(label, (this.bound.get(label) ?? 0) + 1);
            this.lastBoundMs = performance.now();
          }
          if (p.status?.phase === 'Running' && !this.seenRunning.has(key)) {
            this.seenRunning.add(key);
            this.running.set(label, (this.running.get(label) ?? 0) + 1);
          }
        }
      } catch (err) {
        if (this.stopped) break;
        process.stderr.write(`bench: pod watch: ${(err as Error).message}; re-watching\n`);
        await sleep(200);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}

/** FailedScheduling occurrences so far in the namespace (the events' counts summed). */
async function failedSchedulingCount(client: ApiClient): Promise<number> {
  const list = await client.list<Event>(resources.events, { namespace: 'default', fieldSelector: 'reason=FailedScheduling' });
  return list.items.reduce((a, e) => a + (e.count ?? 1), 0);
}

/**
 * Creates n pods with wrk (bench/_wrk-creates.ts), `concurrency` connections: the bodies are built first, the
 * returned function runs wrk and resolves with the time creation took and wrk's CPU. wrk may create up to
 * `concurrency` pods more than n (requests in flight when the n-th create is answered); the scenario's figures
 * stay those of its first n pods bound and Running.
 */
function wrkPodCreates(o: { dataDir: string; port: number; n: number; make: (i: number) => Pod; label: string; concurrency: number }): () => Promise<{ ms: number; cpuSeconds: number }> {
  const bodies = Array.from({ length: o.n }, (_, i) => {
    const p = o.make(i);
    p.metadata = { ...p.metadata, name: '__NAME__', labels: { ...p.metadata!.labels, bench: o.label } };
    return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', ...p });
  });
  return async () => {
    const start = performance.now();
    const r = await wrkCreates({ dataDir: o.dataDir, port: o.port, path: '/api/v1/namespaces/default/pods', bodies, namePrefix: `${o.label}-w`, concurrency: o.concurrency, name: `creates-${o.label}` });
    return { ms: performance.now() - start, cpuSeconds: r.cpuSeconds };
  };
}

/** Creates n pods with `concurrency` clients; resolves with the time creation took. */
async function createPods(client: ApiClient, n: number, make: (i: number) => Pod, label: string, concurrency: number): Promise<number> {
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const p = make(i);
      p.metadata!.labels = { ...p.metadata!.labels, bench: label };
      for (let attempt = 0; ; attempt++) {
        try {
          await client.createOnly(resources.pods, p);
          break;
        } catch (err) {
          if (attempt >= 5) throw err;
          await sleep(100 * (attempt + 1));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return performance.now() - start;
}

async function clusterRun(nodes: number, concurrency: number): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-scheduler-'));
  let server: SkiffProcess | undefined;
  let client: ApiClient | undefined;
  let watch: PodWatch | undefined;
  let unregister: (() => void) | undefined;
  try {
    const t0 = performance.now();
    const extra = ['--runtime', 'sim', '--sim-nodes', String(nodes), '--sim-node-cpu', '32', '--sim-node-memory', '256Gi', '--sim-node-pods', '110'];
    if (args.get('controllers') !== 'true') extra.push('--disable-controller-manager');
    const port = await freePort();
    server = await startSkiffUp(dataDir, port, extra, 120_000, args.get('server-node-options')?.split(' ') ?? [], args.get('server-log'));
    const started = server;
    unregister = onStopSignal(async () => {
      await stopProcess(started.proc);
      rmSync(dataDir, { recursive: true, force: true });
    });
    const pid = server.pid;
    client = ApiClient.fromConfig(loadKubeconfig(join(dataDir, 'kubeconfig.yaml')), { timeoutMs: 60_000, maxSockets: concurrency + 8 });
    for (;;) {
      const page = await client.listPage(resources.nodes, { limit: 1 });
      if (page.items.length + (page.remainingItemCount ?? 0) >= nodes) break;
      if (performance.now() - t0 > 300_000) throw new Error(`nodes did not register:\n${server.output()}`);
      await sleep(250);
    }
    const registerSeconds = (performance.now() - t0) / 1000;
    console.log(`skiff up --runtime sim --sim-nodes ${nodes} (server pid ${pid}): nodes registered ${registerSeconds.toFixed(1)} s after start; load average ${loadavg()}`);
    await sleep(3000);
    // Heartbeat cost: the server's CPU over 10 s with nothing else happening (all of it: Leases, node status).
    const idle0 = cpuSeconds(pid);
    const w0 = performance.now();
    const wallStart = Date.now();
    await sleep(10_000);
    const idleMs = performance.now() - w0;
    const idleCpuPct = ((cpuSeconds(pid) - idle0) * 1000 * 100) / idleMs;
    const idleMem = memoryMiB(pid);
    // Do the renewals keep up? Every Lease should have been renewed within the last 10 s (plus a slot).
    const leases = await client.list<Lease>(resources.leases, { namespace: 'kube-node-lease' });
    const ages = leases.items.map((l) => (Date.now() - Date.parse(l.spec?.renewTime ?? '')) / 1000).filter((a) => Number.isFinite(a));
    const staleLeases = ages.filter((a) => a > 15).length;
    const oldestLeaseSeconds = ages.reduce((a, b) => Math.max(a, b), 0);
    // Each Lease is renewed at most once in a 10 s window: those renewed since it began are its renewals.
    const renewedInWindow = leases.items.filter((l) => Date.parse(l.spec?.renewTime ?? '') >= wallStart).length;
    const renewalsPerSecond = (renewedInWindow * 1000) / idleMs;
    // An upper bound: the idle CPU also pays for node status updates and metrics scrapes.
    const idleCpuMsPerRenewal = renewalsPerSecond > 0 ? (idleCpuPct * 10) / renewalsPerSecond : 0;
    console.log(`  idle with ${nodes} nodes: server CPU ${idleCpuPct.toFixed(1)}% of one core (Lease renewals every 10 s per node, node status, metrics scrapes), RSS ${idleMem.rss} MiB; ${renewalsPerSecond.toFixed(0)} Lease renewals/s (${idleCpuMsPerRenewal.toFixed(2)} ms idle CPU per renewal); ${staleLeases}/${ages.length} Leases older than 15 s (oldest ${oldestLeaseSeconds.toFixed(1)} s)`);

    // How fast the machine runs right now (fixed single-threaded work; the same build's figures drift with it).
    const speedProbe = speedProbeMs();
    console.log(`  machine speed probe: ${speedProbe} ms (fixed single-threaded JSON work, fastest of 5; lower is faster)`);

    watch = new PodWatch(client);
    await watch.start();
    const scenarios: Scenario[] = [
      { label: 'basic', key: 'basic', n: podCount, make: basicPod },
      { label: 'anti', key: 'antiAffinity', n: affinityPods, make: antiPod },
      { label: 'spread', key: 'spread', n: spreadPods, make: spreadPod },
    ];
    const results: Partial<Record<Scenario['key'], ScenarioResult>> = {};
    let total = 0;
    let failedBefore = 0;
    for (const sc of scenarios) {
      if (sc.n <= 0) continue;
      const create =
        load === 'wrk'
          ? wrkPodCreates({ dataDir, port, n: sc.n, make: sc.make, label: sc.label, concurrency })
          : async () => ({ ms: await createPods(client!, sc.n, sc.make, sc.label, concurrency), cpuSeconds: 0 });
      const cpu0 = cpuSeconds(pid);
      const client0 = process.cpuUsage();
      const start = performance.now();
      const created = await create();
      const createdMs = created.ms;
      total += sc.n;
      for (;;) {
        if ((watch.bound.get(sc.label) ?? 0) >= sc.n) break;
        if (performance.now() - start > 600_000) throw new Error(`${sc.label}: timed out with ${watch.bound.get(sc.label) ?? 0}/${sc.n} bound`);
        await sleep(20);
      }
      const boundMs = watch.lastBoundMs - start;
      // The server's CPU is counted until every pod is Running, so that a scenario's status writes are not
      // billed to the next one.
      for (;;) {
        if ((watch.running.get(sc.label) ?? 0) >= sc.n) break;
        if (performance.now() - start > 600_000) throw new Error(`${sc.label}: timed out with ${watch.running.get(sc.label) ?? 0}/${sc.n} running`);
        await sleep(50);
      }
      const runningMs = performance.now() - start;
      const cpuMs = (cpuSeconds(pid) - cpu0) * 1000;
      const clientCpu = process.cpuUsage(client0);
      const failed = await failedSchedulingCount(client);
      const failedAttempts = failed - failedBefore;
      failedBefore = failed;
      const r: ScenarioResult = {
        podsPerSecond: +((sc.n * 1000) / boundMs).toFixed(0),
        createsPerSecond: +((sc.n * 1000) / createdMs).toFixed(0),
        serverCpuMsPerPod: +(cpuMs / sc.n).toFixed(2),
        aboveIdleCpuMsPerPod: +((cpuMs - (idleCpuPct / 100) * runningMs) / sc.n).toFixed(2),
        clientCpuMsPerPod: +(((clientCpu.user + clientCpu.system) / 1000 + created.cpuSeconds * 1000) / sc.n).toFixed(2),
        runningSeconds: +(runningMs / 1000).toFixed(1),
      };
      results[sc.key] = r;
      console.log(
        `  ${sc.key} (${nodes} nodes): ${sc.n} pods bound in ${(boundMs / 1000).toFixed(2)} s → ${r.podsPerSecond} pods/s (created at ${r.createsPerSecond}/s; all Running after ${r.runningSeconds} s; server CPU ${r.serverCpuMsPerPod} ms/pod, ${r.aboveIdleCpuMsPerPod} above idle; load generator CPU ${r.clientCpuMsPerPod} ms/pod (${load === 'wrk' ? 'wrk and the pod watch' : 'Node creates and the pod watch'}); ${failedAttempts} FailedScheduling; load average ${loadavg()})`,
      );
    }
    const mem = memoryMiB(pid);
    console.log(`  server RSS after ${total} pods on ${nodes} nodes: ${mem.rss} MiB (peak ${mem.peak} MiB)`);
    const out: Record<string, unknown> = {
      nodes,
      registerSeconds: +registerSeconds.toFixed(1),
      idleServerCpuPercent: +idleCpuPct.toFixed(1),
      idleRssMiB: idleMem.rss,
      idleRenewalsPerSecond: +renewalsPerSecond.toFixed(0),
      idleCpuMsPerRenewal: +idleCpuMsPerRenewal.toFixed(2),
      staleLeases,
      oldestLeaseSeconds: +oldestLeaseSeconds.toFixed(1),
      speedProbeMs: speedProbe,
      ...Object.fromEntries(Object.entries(results).map(([k, v]) => [`${k}PodsPerSecond`, v.podsPerSecond])),
      serverCpuMsPerPod: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.serverCpuMsPerPod])),
      aboveIdleCpuMsPerPod: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.aboveIdleCpuMsPerPod])),
      clientCpuMsPerPod: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.clientCpuMsPerPod])),
      pods: total,
      rssMiB: mem.rss,
    };
    const fill = Number(args.get('fill') ?? 0);
    if (fill > total) out['fill'] = await fillTo(client, watch, pid, nodes, fill, total, concurrency, mem.rss);
    out['loadAverage'] = loadavg();
    return out;
  } catch (err) {
    if (server) process.stderr.write(`server output (tail):\n${server.output().slice(-5000)}\n`);
    throw err;
  } finally {
    await watch?.stop();
    client?.close();
    await stopProcess(server?.proc);
    rmSync(dataDir, { recursive: true, force: true });
    unregister?.();
  }
}

/**
 * Memory per pod: creates pods until `target` exist (or --max-seconds), bound at creation round-robin over the
 * simulated nodes (spec.nodeName set, as scheduler_perf's init pods are placed without being measured), so the
 * scheduler's cache and the simulated kubelet hold every one of them; samples the server's RSS every 10,000
 * pods and once more when the simulated kubelet has them all Running.
 */
async function fillTo(client: ApiClient, watch: PodWatch, pid: number, nodes: number, target: number, have: number, concurrency: number, rss0: number): Promise<Record<string, unknown>> {
  const maxMs = Number(args.get('max-seconds') ?? 300) * 1000;
  const start = performance.now();
  const cpu0 = cpuSeconds(pid);
  const step = 10_000;
  const samples: { pods: number; running: number; rssMiB: number }[] = [{ pods: have, running: have, rssMiB: rss0 }];
  const running = () => [...watch.running.values()].reduce((a, b) => a + b, 0);
  const sample = (made: number) => {
    const m = memoryMiB(pid);
    samples.push({ pods: made, running: running(), rssMiB: m.rss });
    console.log(`  fill: ${made} pods (${running()} Running), server RSS ${m.rss} MiB (peak ${m.peak}), ${((performance.now() - start) / 1000).toFixed(0)} s, load average ${loadavg()}`);
  };
  let made = have;
  while (made < target && performance.now() - start < maxMs) {
    const n = Math.min(step, target - made);
    const base = made;
    const fillPod = (i: number): Pod => ({
      metadata: { name: `fill-${base + i}`, namespace: 'default' },
      spec: { nodeName: `sim-node-${(base + i) % nodes}`, containers: [{ name: 'c', image: 'pause' }] },
    });
    await createPods(client, n, fillPod, 'fill', concurrency);
    made += n;
    sample(made);
  }
  while (running() < made && performance.now() - start < maxMs + 120_000) await sleep(500);
  await sleep(2000);
  sample(made);
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const kibPerPod = last.pods > first.pods ? ((last.rssMiB - first.rssMiB) * 1024) / (last.pods - first.pods) : 0;
  const seconds = (performance.now() - start) / 1000;
  const cpuMsPerPod = ((cpuSeconds(pid) - cpu0) * 1000) / Math.max(1, last.pods - first.pods);
  console.log(`  fill: ${last.pods} pods reached (target ${target}), ${last.running} Running after ${seconds.toFixed(0)} s; server CPU ${cpuMsPerPod.toFixed(2)} ms per pod; RSS slope ${kibPerPod.toFixed(1)} KiB per pod`);
  return { target, reached: last.pods, running: last.running, seconds: +seconds.toFixed(0), cpuMsPerPod: +cpuMsPerPod.toFixed(2), rssMiB: last.rssMiB, kibPerPod: +kibPerPod.toFixed(1), samples };
}

async function main(): Promise<void> {
  if (args.get('algorithm') === 'true') return algorithmOnly();
  if (args.get('in-process') === 'true') return inProcess();
  if (args.get('transports') === 'true') return transports();
  const concurrency = Number(args.get('concurrency') ?? 64);
  const runs: Record<string, unknown>[] = [];
  for (const n of nodeCounts) runs.push(await clusterRun(n, concurrency));
  console.log(JSON.stringify({ mode: 'skiff up in its own process', load, pods: podCount, affinityPods, spreadPods, concurrency, runs }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
