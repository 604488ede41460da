// Scheduler benchmark: `node --import tsx bench/scheduler.ts [--nodes 5000] [--pods 10000] [--affinity-pods 2000]
// [--spread-pods 2000] [--no-kubelet] [--algorithm]`. One process runs an in-process API server, simulated nodes and the
// scheduler; pods are created with 32 concurrent clients and creation-to-binding throughput is measured
// (first create → last bind). Scenarios: basic (SchedulingBasic), required pod anti-affinity on hostname,
// topology spread over zones (DoNotSchedule). Also reports node-heartbeat CPU while idle and RSS.
// `--algorithm` runs only the scheduling algorithm (framework and plugins against a scheduler cache, no API
// server, no I/O) on the same scenarios and reports the time per pod decision.
// Prints human-readable figures; the last line is one JSON object with them.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ApiClient, resources } from '../src/client/index.js';
import { simNodeSpecs, startSimNodes } from '../src/runtime/sim/index.js';
import { buildNode } from '../src/runtime/sim/node-object.js';
import { startScheduler } from '../src/scheduler/index.js';
import { SchedulerCache } from '../src/scheduler/cache.js';
import { PodInfo } from '../src/scheduler/framework/node-info.js';
import { CycleState } from '../src/scheduler/framework/types.js';
import { buildFramework, defaultProfile } from '../src/scheduler/profile.js';
import { Scheduling } from '../src/scheduler/schedule-one.js';
import { startTestServer } from '../test/apiserver/harness.js';
import { benchArgs } from './_args.js';

const args = benchArgs();
const nodeCount = Number(args.get('nodes') ?? 5000);
const podCount = Number(args.get('pods') ?? 10_000);
const affinityPods = Number(args.get('affinity-pods') ?? 2000);
const spreadPods = Number(args.get('spread-pods') ?? 2000);
const kubelet = args.get('no-kubelet') !== 'true';

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

async function main(): Promise<void> {
  if (args.get('algorithm') === 'true') return algorithmOnly();
  const server = await startTestServer();
  const client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' }, { timeoutMs: 60_000, maxSockets: 64 });
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

  // Heartbeat cost: process CPU over 10 s with nothing else happening (server included).
  const c0 = process.cpuUsage();
  const r0 = sim.stats().leaseRenewals;
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, 10_000));
  const cpu = process.cpuUsage(c0);
  const idleMs = performance.now() - w0;
  const heartbeatCpuPct = ((cpu.user + cpu.system) / 1000 / idleMs) * 100;
  const renewalsPerSec = ((sim.stats().leaseRenewals - r0) * 1000) / idleMs;
  console.log(`idle with ${nodeCount} nodes: ${renewalsPerSec.toFixed(0)} lease renewals/s, process CPU ${heartbeatCpuPct.toFixed(1)}% of one core (API server included)`);

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
        await client.create(resources.pods, make(i));
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
  client.close();
  await server.close();
  console.log(
    JSON.stringify({
      nodes: nodeCount,
      pods: podCount,
      registerSeconds: +(registerMs / 1000).toFixed(1),
      heartbeatCpuPercent: +heartbeatCpuPct.toFixed(1),
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

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
