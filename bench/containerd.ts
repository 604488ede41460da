// containerd runtime benchmark: `npm run bench -- containerd [--pods 30] [--sequential 10] [--rounds 2]`.
// Starts a managed containerd in a temp directory (pod network on its own bridge), imports a locally built
// busybox image, then measures pod start latency the way the agent starts a pod: RunPodSandbox (netns + CNI
// + pause) → CreateContainer → StartContainer, until the container is running. Scenarios: pods one at a
// time (`--sequential`), and `--pods` at once (repeated `--rounds` times). Also containerd's CPU time and
// RSS (daemon with the CNI plugins it runs; shims with runc) over the run, and this process's CPU (the runtime
// client's own overhead).
// Needs root, containerd, runc, CNI plugins, umoci, skopeo. Prints figures; the last line is one JSON object.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerConfig, PodSandboxConfig } from '../src/runtime/runtime.js';
import { ContainerdRuntime } from '../src/runtime/containerd/containerd-runtime.js';
import { importArchive } from '../src/runtime/containerd/image-build.js';
import { removeCgroup, taskProcesses } from '../src/runtime/containerd/leftovers.js';
import { buildTestImage, containerdSkipReason, unusedPodCidr } from '../test/support/images.js';
import { benchArgs } from './_args.js';

const args = benchArgs();
const concurrent = Number(args.get('pods') ?? 30);
const sequential = Number(args.get('sequential') ?? 10);
const rounds = Number(args.get('rounds') ?? 2);
const image = 'skiff.bench/busybox:1';
const suffix = randomBytes(3).toString('hex');
const cgroupTop = `skiff-bench${suffix}`;

const clkTck = 100;
const pageSize = 4096;

/** CPU time of a process, with that of its waited-for children (CNI plugins for containerd, runc for shims). */
function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / clkTck;
  } catch {
    return 0;
  }
}

function procRssBytes(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * pageSize;
  } catch {
    return 0;
  }
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: Math.round(percentile(s, 50)), p90: Math.round(percentile(s, 90)), p99: Math.round(percentile(s, 99)), max: Math.round(s[s.length - 1] ?? NaN) };
}

async function main(): Promise<void> {
  const skip = containerdSkipReason();
  if (skip) {
    console.log(`containerd benchmark skipped: ${skip}`);
    console.log(JSON.stringify({ bench: 'containerd', skipped: skip }));
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-ctd-'));
  const podCidr = unusedPodCidr();
  const rt = await ContainerdRuntime.start({ dir: join(dir, 'runtime'), podCidr, bridge: `sk7b${suffix}` });
  const daemon = rt.daemon!;
  try {
    const img = await buildTestImage(join(dir, 'image'), image);
    await importArchive(rt.socket, img.archive);
    // The CNI config is loaded asynchronously after start.
    for (let i = 0; i < 200 && !(await rt.status()).networkReady; i++) await new Promise((r) => setTimeout(r, 50));

    const pods: string[] = [];
    const startPod = async (name: string): Promise<number> => {
      const uid = randomUUID();
      const logDirectory = join(dir, 'logs', `bench_${name}_${uid}`);
      mkdirSync(logDirectory, { recursive: true });
      const sb: PodSandboxConfig = {
        uid, name, namespace: 'bench', attempt: 0, hostname: name, portMappings: [], hostNetwork: false, logDirectory,
        dns: { servers: ['10.43.0.10'], searches: ['bench.svc.cluster.local'], options: ['ndots:5'] },
        cgroupParent: `${cgroupTop}/kubepods/besteffort/pod${uid}`, labels: { 'io.kubernetes.pod.name': name }, annotations: {},
      };
      const c: ContainerConfig = {
        name: 'main', attempt: 0, image, command: [], args: ['sleep', '3600'], env: [], mounts: [], logPath: 'main/0.log',
        tty: false, stdin: false, stdinOnce: false, resources: { cpuRequestMillis: 10 }, security: {}, labels: {}, annotations: {},
      };
      const t0 = performance.now();
      const sandboxId = await rt.runPodSandbox(sb);
      pods.push(sandboxId);
      const id = await rt.createContainer(sandboxId, c, sb);
      await rt.startContainer(id);
      const st = await rt.containerStatus(id);
      if (st?.state !== 'running') throw new Error(`pod ${name}: container is ${st?.state}`);
      return performance.now() - t0;
    };
    const removeAll = async () => {
      for (const id of pods.splice(0)) {
        await rt.stopPodSandbox(id);
        await rt.removePodSandbox(id);
      }
    };

    // Warm-up: first sandbox loads the image into the page cache and the CNI plugins.
    await startPod('warmup');
    await removeAll();

    const cpu0 = procCpuMs(daemon.pid);
    const self0 = process.cpuUsage();
    const wall0 = performance.now();

    const seq: number[] = [];
    for (let i = 0; i < sequential; i++) seq.push(await startPod(`seq-${i}`));
    const seqSummary = summary(seq);
    console.log(`one at a time: ${sequential} pods: p50 ${seqSummary.p50} ms, p90 ${seqSummary.p90} ms, max ${seqSummary.max} ms (create sandbox → container running)`);
    await removeAll();

    const burst: number[] = [];
    let peakDaemonRss = 0;
    let peakShimRss = 0;
    let shimCount = 0;
    let shimCpuMs = 0;
    const burstWall: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      const times = await Promise.all(Array.from({ length: concurrent }, (_, i) => startPod(`burst-${r}-${i}`)));
      burstWall.push(performance.now() - t0);
      burst.push(...times);
      peakDaemonRss = Math.max(peakDaemonRss, procRssBytes(daemon.pid));
      const shims = [...new Set(taskProcesses(daemon.paths).flatMap((t) => (t.shim ? [t.shim] : [])))];
      shimCount = shims.length;
      shimCpuMs += shims.reduce((a, p) => a + procCpuMs(p), 0);
      peakShimRss = Math.max(peakShimRss, shims.reduce((a, p) => a + procRssBytes(p), 0));
      await removeAll();
    }
    const burstSummary = summary(burst);
    console.log(
      `${concurrent} at once (${rounds} rounds): p50 ${burstSummary.p50} ms, p90 ${burstSummary.p90} ms, p99 ${burstSummary.p99} ms, max ${burstSummary.max} ms; ` +
        `all ${concurrent} running after ${burstWall.map((w) => Math.round(w)).join(' / ')} ms`,
    );
    const wallMs = performance.now() - wall0;
    const daemonCpuMs = procCpuMs(daemon.pid) - cpu0;
    const self = process.cpuUsage(self0);
    const selfCpuMs = (self.user + self.system) / 1000;
    console.log(
      `containerd: ${Math.round(daemonCpuMs)} ms CPU over ${Math.round(wallMs)} ms (${((daemonCpuMs / wallMs) * 100).toFixed(0)}% of a core), ` +
        `RSS peak ${(peakDaemonRss / 1048576).toFixed(0)} MiB (CPU includes the CNI plugins it runs); ${shimCount} shims, ${(peakShimRss / 1048576).toFixed(0)} MiB RSS together`,
    );
    const burstPods = concurrent * rounds;
    console.log(`shims of the ${burstPods} concurrent pods (with the runc they run): ${Math.round(shimCpuMs)} ms CPU, ${Math.round(shimCpuMs / burstPods)} ms per pod`);
    console.log(`runtime client (this process): ${Math.round(selfCpuMs)} ms CPU, RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
    console.log('targets: p50 ≤ 600 ms, p99 ≤ 1.5 s with a local image');
    console.log(
      JSON.stringify({
        bench: 'containerd',
        sequential: seqSummary,
        concurrent: { pods: concurrent, rounds, ...burstSummary, wallMs: burstWall.map(Math.round) },
        containerd: { cpuMs: Math.round(daemonCpuMs), wallMs: Math.round(wallMs), rssPeakMiB: Math.round(peakDaemonRss / 1048576), shims: shimCount, shimRssMiB: Math.round(peakShimRss / 1048576), shimCpuMsPerPod: Math.round(shimCpuMs / (concurrent * rounds)) },
        client: { cpuMs: Math.round(selfCpuMs), rssMiB: Math.round(process.memoryUsage().rss / 1048576) },
      }),
    );
  } finally {
    await rt.cleanupAll();
    removeCgroup(cgroupTop);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
