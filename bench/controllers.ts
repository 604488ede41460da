// Controller benchmark: `node --import tsx bench/controllers.ts [--nodes 100] [--replicas 1000]
// [--max-seconds 180]` (or `npm run bench -- controllers`). Starts `skiff up --runtime sim --sim-nodes N` as a
// separate process, exactly as users run it (controllers and scheduler inside the server), then measures:
//   1. a Deployment of R replicas from create to all Available (issue target for 1,000: < 10 s);
//   2. a rolling update of it (maxSurge 25%, maxUnavailable 25%) from the template change to complete
//      (updated = available = replicas, no old pods left; target < 30 s).
// The simulator's ContainerCreating → Ready delay is its default (500 ms; `skiff up` has no flag for it).
// Reports the server's CPU time per phase and RSS/peak RSS at the end from /proc/PID/stat and /proc/PID/status.
// Prints human-readable figures; the last line is one JSON object with them. Stops the server it started and
// removes its temp data dir, also on failure.
//
// With `--scale-pods P [--deployments D] [--nodes N] [--node-pods K]` it measures the controller manager alone
// while P pods exist (issue 4: 50,000): the server runs with --disable-controller-manager and the controller
// manager runs in its own process (the built dist/controllers/manager.js, as the server would start it), so
// its CPU and memory are its own. D Deployments of P/D replicas (no resource requests) are created at once;
// the figures are the controller manager's CPU until all P pods exist (`--until available`: are Available),
// then its CPU per second and RSS over the next 30 s. Progress lines show how far it got if --max-seconds ends it.
// `--bypass-scheduler` pins Deployment i's pod template to simulated node i mod N (spec.nodeName, as a user
// may), so the pods go to the simulated kubelets without the scheduler: the figure is the controller manager's
// at 50,000 pods in minutes rather than the scheduler's throughput. At most 250 pods per node (a /24 pod
// CIDR): 50,000 pods take `--deployments 200 --nodes 200`. The server's RSS is sampled alongside.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { ApiClient } from '../src/client/client.js';
import { loadKubeconfig } from '../src/client/config.js';
import * as resources from '../src/client/resources.js';
import { freePort, repoRoot } from '../test/e2e/harness.js';
import { benchArgs } from './_args.js';
import { cpuSeconds, memoryMiB, onStopSignal, stopProcess } from './_skiff-process.js';

const args = benchArgs();
const nodeCount = Number(args.get('nodes') ?? 100);
const replicas = Number(args.get('replicas') ?? 1000);
const maxSeconds = Number(args.get('max-seconds') ?? 180);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startServer(dataDir: string, port: number, extra: string[] = []): Promise<{ proc: ChildProcess; log: () => string }> {
  const proc = spawn(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), 'up', '--data-dir', dataDir, '--api-port', String(port), '--runtime', 'sim', '--sim-nodes', String(nodeCount), ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`skiff up not ready within 60 s:\n${output}`)), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      if (/\bready\b/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`skiff up exited with ${code}:\n${output}`));
    });
  });
  proc.removeAllListeners('exit');
  return { proc, log: () => output };
}

interface Progress {
  seconds: number;
  done: boolean;
  status: Deployment['status'];
}

/** Polls the Deployment every 100 ms until done(d) or maxSeconds; reports elapsed time from `start`. */
async function waitFor(client: ApiClient, start: number, done: (d: Deployment) => boolean, label: string): Promise<Progress> {
  let last: Deployment | undefined;
  let lastPrint = 0;
  for (;;) {
    last = await client.get<Deployment>(resources.deployments, 'bench', { namespace: 'default' }).catch(() => last);
    const seconds = (performance.now() - start) / 1000;
    if (last && done(last)) return { seconds, done: true, status: last.status };
    if (seconds > maxSeconds) return { seconds, done: false, status: last?.status };
    if (seconds - lastPrint >= 5) {
      lastPrint = seconds;
      const s = last?.status;
      console.log(`  ${label} ${seconds.toFixed(0)} s: replicas=${s?.replicas ?? 0} updated=${s?.updatedReplicas ?? 0} ready=${s?.readyReplicas ?? 0} available=${s?.availableReplicas ?? 0}`);
    }
    await sleep(100);
  }
}

function deployment(): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'bench', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'bench' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'bench' } },
        spec: { containers: [{ name: 'c', image: 'pause:1', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
      },
    },
  };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-controllers-'));
  let server: { proc: ChildProcess; log: () => string } | undefined;
  let client: ApiClient | undefined;
  const cleanup = async () => {
    client?.close();
    await stopProcess(server?.proc);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const unregister = onStopSignal(cleanup);
  try {
    const t0 = performance.now();
    server = await startServer(dataDir, await freePort());
    const pid = server.proc.pid!;
    client = ApiClient.fromConfig(loadKubeconfig(join(dataDir, 'kubeconfig.yaml')), { timeoutMs: 30_000 });
    for (;;) {
      const nodes = await client.list(resources.nodes);
      if (nodes.items.length >= nodeCount) break;
      if (performance.now() - t0 > 120_000) throw new Error(`only ${nodes.items.length}/${nodeCount} nodes registered`);
      await sleep(200);
    }
    const bootSeconds = (performance.now() - t0) / 1000;
    console.log(`skiff up --runtime sim --sim-nodes ${nodeCount}: ${nodeCount} nodes registered ${bootSeconds.toFixed(1)} s after start (server pid ${pid})`);
    await sleep(2000); // let startup work settle so phase CPU figures are about the workload
    const idleMem = memoryMiB(pid);

    // 1. Create → all Available.
    const cpu0 = cpuSeconds(pid);
    const s1 = performance.now();
    await client.create(resources.deployments, deployment(), { namespace: 'default' });
    const create = await waitFor(
      client,
      s1,
      (d) => d.status?.availableReplicas === replicas && d.status.updatedReplicas === replicas && d.status.replicas === replicas,
      'create',
    );
    const cpu1 = cpuSeconds(pid);
    console.log(
      `create ${replicas}-replica Deployment → all Available: ${create.done ? `${create.seconds.toFixed(1)} s` : `NOT DONE after ${create.seconds.toFixed(0)} s (available ${create.status?.availableReplicas ?? 0})`} (target < 10 s); server CPU ${(cpu1 - cpu0).toFixed(1)} s`,
    );

    // 2. Rolling update with maxSurge 25%.
    let update: Progress | undefined;
    let cpu2 = cpu1;
    if (create.done) {
      const s2 = performance.now();
      const patched = await client.patch<Deployment>(
        resources.deployments,
        'bench',
        { spec: { template: { spec: { containers: [{ name: 'c', image: 'pause:2' }] } } } },
        'strategic',
        { namespace: 'default' },
      );
      const gen = patched.metadata!.generation!;
      update = await waitFor(
        client,
        s2,
        (d) =>
          (d.status?.observedGeneration ?? 0) >= gen &&
          d.status?.updatedReplicas === replicas &&
          d.status.availableReplicas === replicas &&
          d.status.replicas === replicas,
        'update',
      );
      cpu2 = cpuSeconds(pid);
      console.log(
        `rolling update of ${replicas} replicas (maxSurge 25%): ${update.done ? `${update.seconds.toFixed(1)} s` : `NOT DONE after ${update.seconds.toFixed(0)} s (updated ${update.status?.updatedReplicas ?? 0}, available ${update.status?.availableReplicas ?? 0})`} (target < 30 s); server CPU ${(cpu2 - cpu1).toFixed(1)} s`,
      );
    }
    const pods = await client.list(resources.pods, { namespace: 'default', labelSelector: 'app=bench' });
    const terminating = pods.items.filter((p) => p.metadata?.deletionTimestamp).length;
    const mem = memoryMiB(pid);
    console.log(`server process at the end (${pods.items.length} pods of which ${terminating} terminating, ${nodeCount} nodes): RSS ${mem.rss} MiB, peak RSS ${mem.peak} MiB (idle before the Deployment: ${idleMem.rss} MiB), total CPU ${cpuSeconds(pid).toFixed(1)} s`);
    const errors = server.log().split('\n').filter((l) => /error|fail/i.test(l));
    if (errors.length > 0) console.log(`server log has ${errors.length} error/failure lines, e.g.: ${errors.slice(0, 3).join(' | ')}`);
    console.log(
      JSON.stringify({
        nodes: nodeCount,
        replicas,
        bootSeconds: +bootSeconds.toFixed(1),
        createToAvailableSeconds: create.done ? +create.seconds.toFixed(2) : null,
        createCpuSeconds: +(cpu1 - cpu0).toFixed(1),
        rollingUpdateSeconds: update?.done ? +update.seconds.toFixed(2) : null,
        rollingUpdateCpuSeconds: +(cpu2 - cpu1).toFixed(1),
        podsAtEnd: pods.items.length,
        terminatingPodsAtEnd: terminating,
        serverRssMiB: mem.rss,
        serverPeakRssMiB: mem.peak,
        serverCpuSeconds: +cpuSeconds(pid).toFixed(1),
        simStartDelayMs: 500,
      }),
    );
  } finally {
    unregister();
    await cleanup();
  }
}

/** The controller manager in its own process, from the built code, as the server would start it. */
async function startControllerManager(dataDir: string): Promise<ChildProcess> {
  const url = (rel: string) => JSON.stringify(pathToFileURL(join(repoRoot, 'dist', rel)).href);
  const script = [
    `const { ApiClient } = await import(${url('client/client.js')});`,
    `const { loadKubeconfig } = await import(${url('client/config.js')});`,
    `const { startControllerManager } = await import(${url('controllers/manager.js')});`,
    `const client = ApiClient.fromConfig(loadKubeconfig(process.argv[1]), { maxSockets: 200 });`,
    `const cm = await startControllerManager({ client, log: (l) => process.stderr.write(l + '\\n') });`,
    `process.stdout.write('started ' + cm.controllers.length + '\\n');`,
    `process.once('SIGTERM', () => void cm.stop().then(() => { client.close(); process.exit(0); }));`,
  ].join('\n');
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script, join(dataDir, 'kubeconfig.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => /started/.test(d.toString()) && resolve());
    proc.once('exit', (code) => reject(new Error(`controller manager exited with ${code}:\n${output}`)));
  });
  proc.removeAllListeners('exit');
  return proc;
}

async function scale(): Promise<void> {
  const target = Number(args.get('scale-pods'));
  const deployments = Number(args.get('deployments') ?? 50);
  const bypass = args.has('bypass-scheduler');
  const per = Math.ceil(target / deployments);
  // Pinned pods land on node i mod N: a node holds the pods of every Deployment pinned to it.
  const pinnedPerNode = per * Math.ceil(deployments / nodeCount);
  const nodePods = Number(args.get('node-pods') ?? (bypass ? Math.ceil(pinnedPerNode * 1.1) : Math.ceil((target * 1.3) / nodeCount)));
  // A node's pod CIDR is a /24: more pods than its 254 addresses never get an IP (they stay unready).
  if (bypass && pinnedPerNode > 250) {
    throw new Error(`--bypass-scheduler puts ${pinnedPerNode} pods on a node (more than its /24 pod CIDR holds); use --deployments ${Math.ceil(target / 250)} --nodes ${Math.ceil(target / 250)} or more`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-controllers-'));
  let server: { proc: ChildProcess; log: () => string } | undefined;
  let cm: ChildProcess | undefined;
  let client: ApiClient | undefined;
  const cleanup = async () => {
    client?.close();
    await stopProcess(cm);
    await stopProcess(server?.proc);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const unregister = onStopSignal(cleanup);
  try {
    const t0 = performance.now();
    server = await startServer(dataDir, await freePort(), ['--sim-node-pods', String(nodePods), '--disable-controller-manager']);
    server.proc.once('exit', (code, signal) => console.log(`server exited (code ${code}, signal ${signal}); its last output:\n${server?.log().slice(-3000)}`));
    client = ApiClient.fromConfig(loadKubeconfig(join(dataDir, 'kubeconfig.yaml')), { timeoutMs: 60_000 });
    while ((await client.list(resources.nodes)).items.length < nodeCount) {
      if (performance.now() - t0 > 180_000) throw new Error('nodes did not register');
      await sleep(500);
    }
    cm = await startControllerManager(dataDir);
    const pid = cm.pid!;
    await sleep(3000);
    const idle = memoryMiB(pid);
    const serverPid = server.proc.pid!;
    console.log(`server: ${nodeCount} simulated nodes × ${nodePods} pods (RSS ${memoryMiB(serverPid).rss} MiB); controller manager pid ${pid}: idle RSS ${idle.rss} MiB${bypass ? '; pod templates pinned to nodes (scheduler bypassed)' : ''}`);

    const cpu0 = cpuSeconds(pid);
    const s0 = performance.now();
    await Promise.all(
      Array.from({ length: deployments }, (_, i) => {
        const d = deployment();
        d.metadata!.name = `scale-${i}`;
        d.spec!.replicas = per;
        d.spec!.selector = { matchLabels: { app: `scale-${i}` } };
        d.spec!.template!.metadata = { labels: { app: `scale-${i}` } };
        d.spec!.template!.spec!.containers[0]!.resources = {};
        if (bypass) d.spec!.template!.spec!.nodeName = `sim-node-${i % nodeCount}`;
        return client!.create(resources.deployments, d, { namespace: 'default' });
      }),
    );
    const want = per * deployments;
    const untilAvailable = args.get('until') === 'available';
    /** Pods in the namespace, from one short page's remainingItemCount. */
    const podTotal = async () => {
      const page = await client!.listPage(resources.pods, { namespace: 'default', limit: 1 }); // one page (list() would follow every continue token)
      return page.items.length + (page.remainingItemCount ?? 0);
    };
    let available = 0;
    let existing = 0;
    let lastPrint = 0;
    let reachedSeconds: number | null = null;
    for (;;) {
      const list = await client.list<Deployment>(resources.deployments, { namespace: 'default' });
      available = list.items.reduce((n, d) => n + (d.status?.availableReplicas ?? 0), 0);
      existing = await podTotal();
      const seconds = (performance.now() - s0) / 1000;
      if (untilAvailable ? available >= want : existing >= want) {
        reachedSeconds = seconds;
        break;
      }
      if (seconds > maxSeconds) break;
      if (seconds - lastPrint >= 15) {
        lastPrint = seconds;
        const m = memoryMiB(pid);
        const sm = memoryMiB(serverPid);
        console.log(`  ${seconds.toFixed(0)} s: ${existing}/${want} pods exist, ${available} Available; controller manager CPU ${(cpuSeconds(pid) - cpu0).toFixed(1)} s, RSS ${m.rss} MiB; server RSS ${sm.rss} MiB, CPU ${cpuSeconds(serverPid).toFixed(0)} s`);
      }
      await sleep(2000);
    }
    const cpu1 = cpuSeconds(pid);
    const createCpu = cpu1 - cpu0;
    const createSeconds = (performance.now() - s0) / 1000;
    console.log(
      `${deployments} Deployments × ${per} replicas: ${reachedSeconds !== null ? `all ${want} ${untilAvailable ? 'Available' : 'exist'} after ${reachedSeconds.toFixed(0)} s` : `NOT DONE after ${createSeconds.toFixed(0)} s (${existing} exist, ${available} Available)`}; controller manager CPU ${createCpu.toFixed(1)} s`,
    );
    await sleep(5000);
    const podCount = await podTotal();
    const c2 = cpuSeconds(pid);
    await sleep(30_000);
    const steadyCpu = (cpuSeconds(pid) - c2) / 30;
    const mem = memoryMiB(pid);
    const serverMem = memoryMiB(serverPid);
    const loadavg = (await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ');
    const serverCpu = cpuSeconds(serverPid);
    console.log(`steady state with ${podCount} pods: controller manager ${(steadyCpu * 100).toFixed(1)}% of one core, RSS ${mem.rss} MiB, peak RSS ${mem.peak} MiB; server RSS ${serverMem.rss} MiB, peak ${serverMem.peak} MiB, CPU ${serverCpu.toFixed(0)} s in all; load average ${loadavg}`);
    console.log(
      JSON.stringify({
        nodes: nodeCount,
        nodePods,
        deployments,
        targetPods: want,
        podsExisting: podCount,
        availableAtEnd: available,
        until: untilAvailable ? 'available' : 'exist',
        reachedSeconds: reachedSeconds === null ? null : +reachedSeconds.toFixed(1),
        createCpuSeconds: +createCpu.toFixed(1),
        steadyCpuFractionOfCore: +steadyCpu.toFixed(3),
        cmIdleRssMiB: idle.rss,
        cmRssMiB: mem.rss,
        cmPeakRssMiB: mem.peak,
        bypassScheduler: bypass,
        serverRssMiB: serverMem.rss,
        serverPeakRssMiB: serverMem.peak,
        serverCpuSeconds: +serverCpu.toFixed(1),
        loadAverage: loadavg,
      }),
    );
  } catch (err) {
    console.log(`server output (last 3,000 characters):\n${server?.log().slice(-3000) ?? ''}`);
    throw err;
  } finally {
    unregister();
    await cleanup();
  }
}

(args.has('scale-pods') ? scale() : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});
