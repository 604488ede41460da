// containerd runtime benchmark:
// `npm run bench -- containerd [--pods 30] [--sequential 20] [--rounds 2] [--parallel N] [--no-perf]`.
// Starts a managed containerd in a temp directory (pod network on its own bridge), imports a locally built
// busybox image, then measures pod start latency the way the agent starts a pod: RunPodSandbox (netns + CNI
// + pause) → CreateContainer → StartContainer, until the container is running. Scenarios: pods one at a
// time (`--sequential`), and `--pods` requested at once (repeated `--rounds` times; latency counts from the
// request, so with `--parallel N` — the runtime's limit on pod starts in flight — the wait for a slot counts).
// One at a time also gives the p50 of each step (sandbox, create container, start container).
// CPU per pod started and removed, split by program (containerd itself, shims, runc, CNI plugins, the
// containers' own processes) from a system-wide `perf record` restricted to containerd's process tree
// (_perf-cpu.ts; without perf: containerd's own CPU only), and this process's CPU (Skiff's runtime client).
// RSS of the daemon and the shims.
// Needs root, containerd, runc, CNI plugins, umoci, skopeo. Prints figures; the last line is one JSON object.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerConfig, PodSandboxConfig } from '../src/runtime/runtime.js';
import { ContainerdRuntime } from '../src/runtime/containerd/containerd-runtime.js';
import { importArchive } from '../src/runtime/containerd/image-build.js';
import { removeCgroup, taskProcesses } from '../src/runtime/containerd/leftovers.js';
import { buildTestImage, containerdSkipReason, unusedPodCidr } from '../test/support/images.js';
import { benchArgs } from './_args.js';
import { startPerf, type PerfSession, type Window } from './_perf-cpu.js';

const args = benchArgs();
const concurrent = Number(args.get('pods') ?? 30);
const sequential = Number(args.get('sequential') ?? 20);
const rounds = Number(args.get('rounds') ?? 2);
const parallel = args.has('parallel') ? Number(args.get('parallel')) : undefined;
const usePerf = !args.has('no-perf');
const image = 'skiff.bench/busybox:1';
const suffix = randomBytes(3).toString('hex');
const cgroupTop = `skiff-bench${suffix}`;

const clkTck = 100;
const pageSize = 4096;

/** A process's own CPU time (its threads; not its children). */
function procSelfCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / clkTck;
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

/** The program a sampled command name belongs to. */
function programOf(comm: string): 'containerd' | 'shims' | 'runc' | 'cni' | 'containers' {
  if (comm === 'containerd') return 'containerd';
  if (comm.startsWith('containerd-shim')) return 'shims';
  // runc re-executes itself (/proc/self/exe → "exe") and names its init stages "runc:[N:...]".
  if (comm === 'runc' || comm === 'exe' || comm.startsWith('runc:')) return 'runc';
  if (['bridge', 'host-local', 'loopback', 'portmap'].includes(comm)) return 'cni';
  return 'containers';
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
  const rt = await ContainerdRuntime.start({ dir: join(dir, 'runtime'), podCidr, bridge: `sk7b${suffix}`, maxParallelSandboxStarts: parallel });
  const daemon = rt.daemon!;
  let perf: PerfSession | undefined;
  try {
    const img = await buildTestImage(join(dir, 'image'), image);
    await importArchive(rt.socket, img.archive);
    // The CNI config is loaded asynchronously after start.
    for (let i = 0; i < 200 && !(await rt.status()).networkReady; i++) await new Promise((r) => setTimeout(r, 50));

    const pods: string[] = [];
    /** Per step of a pod start (one at a time): RunPodSandbox (with its status), CreateContainer, StartContainer. */
    const steps = { sandbox: [] as number[], create: [] as number[], start: [] as number[] };
    /** Starts one pod; resolves with the time since `requestedAt` when its container runs. */
    const startPod = async (name: string, requestedAt = performance.now(), stepTimes?: typeof steps): Promise<number> => {
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
      const t1 = performance.now();
      const id = await rt.createContainer(sandboxId, c, sb);
      const t2 = performance.now();
      await rt.startContainer(id);
      const st = await rt.containerStatus(id);
      stepTimes?.sandbox.push(t1 - t0);
      stepTimes?.create.push(t2 - t1);
      stepTimes?.start.push(performance.now() - t2);
      if (st?.state !== 'running') throw new Error(`pod ${name}: container is ${st?.state}`);
      return performance.now() - requestedAt;
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

    perf = usePerf ? await startPerf(join(dir, 'perf.data')) : undefined;
    const cpu0 = procSelfCpuMs(daemon.pid);
    const self0 = process.cpuUsage();
    const wall0 = performance.now();

    // The phases where pods start and none is removed: CPU inside them is the pods' start alone.
    const startWindows: Window[] = [];
    const seq: number[] = [];
    const seqStart = process.hrtime.bigint();
    for (let i = 0; i < sequential; i++) seq.push(await startPod(`seq-${i}`, undefined, steps));
    startWindows.push([seqStart, process.hrtime.bigint()]);
    const seqSummary = summary(seq);
    console.log(`one at a time: ${sequential} pods: p50 ${seqSummary.p50} ms, p90 ${seqSummary.p90} ms, p99 ${seqSummary.p99} ms, max ${seqSummary.max} ms (create sandbox → container running)`);
    const stepP50 = { sandbox: summary(steps.sandbox).p50, create: summary(steps.create).p50, start: summary(steps.start).p50 };
    console.log(`  p50 per step: sandbox ${stepP50.sandbox} ms, create container ${stepP50.create} ms, start container ${stepP50.start} ms`);
    await removeAll();

    const burst: number[] = [];
    let peakDaemonRss = 0;
    let peakShimRss = 0;
    let shimCount = 0;
    const burstWall: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      const burstStart = process.hrtime.bigint();
      const times = await Promise.all(Array.from({ length: concurrent }, (_, i) => startPod(`burst-${r}-${i}`, t0)));
      startWindows.push([burstStart, process.hrtime.bigint()]);
      burstWall.push(performance.now() - t0);
      burst.push(...times);
      peakDaemonRss = Math.max(peakDaemonRss, procRssBytes(daemon.pid));
      const shims = [...new Set(taskProcesses(daemon.paths).flatMap((t) => (t.shim ? [t.shim] : [])))];
      shimCount = shims.length;
      peakShimRss = Math.max(peakShimRss, shims.reduce((a, p) => a + procRssBytes(p), 0));
      await removeAll();
    }
    const burstSummary = summary(burst);
    const limit = parallel ? `, at most ${parallel} sandbox starts in flight` : '';
    console.log(
      `${concurrent} at once (${rounds} rounds${limit}): p50 ${burstSummary.p50} ms, p90 ${burstSummary.p90} ms, p99 ${burstSummary.p99} ms, max ${burstSummary.max} ms; ` +
        `all ${concurrent} running after ${burstWall.map((w) => Math.round(w)).join(' / ')} ms`,
    );
    const wallMs = performance.now() - wall0;
    const daemonSelfMs = procSelfCpuMs(daemon.pid) - cpu0;
    const self = process.cpuUsage(self0);
    const selfCpuMs = (self.user + self.system) / 1000;
    const podCount = sequential + concurrent * rounds;
    const perPod = (ms: number) => Math.round(ms / podCount);

    const programs = ['containerd', 'shims', 'runc', 'cni', 'containers'] as const;
    const byProgram = (m: Map<string, number>) => {
      const out: Record<string, number> = {};
      for (const [comm, ms] of m) out[programOf(comm)] = (out[programOf(comm)] ?? 0) + ms;
      const total = Object.values(out).reduce((a, b) => a + b, 0);
      return { total: perPod(total), ...Object.fromEntries(programs.map((k) => [k, perPod(out[k] ?? 0)])) } as Record<'total' | (typeof programs)[number], number>;
    };
    const cpu = perf ? await perf.stop([daemon.pid], startWindows) : undefined;
    const startCpu = cpu && byProgram(cpu.windows);
    const allCpu = cpu && byProgram(cpu.all);
    const line = (c: Record<string, number>) => `${c.total} ms = ${programs.map((k) => `${k} ${c[k]}`).join(', ')}`;
    console.log(`CPU per pod (${podCount} pods over ${Math.round(wallMs)} ms)${cpu ? ", containerd's process tree (perf)" : ''}:`);
    if (startCpu && allCpu) {
      console.log(`  start (sandbox → container running): ${line(startCpu)}`);
      console.log(`  start and removal: ${line(allCpu)}`);
      // Starting pods is CPU-bound: the last of N pods started at once cannot run before N × CPU per start / cores.
      const cores = availableParallelism();
      console.log(`  CPU floor for the last of ${concurrent} pods started at once on ${cores} cores: ${Math.round((concurrent * startCpu.total) / cores)} ms (pods × start CPU ÷ cores)`);
    } else {
      console.log(`  containerd itself ${perPod(daemonSelfMs)} ms, start and removal (no perf: shims, runc and CNI plugins not measured)`);
    }
    console.log(`  Skiff's runtime client (this process), start and removal: ${perPod(selfCpuMs)} ms; RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
    console.log(`containerd RSS peak ${(peakDaemonRss / 1048576).toFixed(0)} MiB; ${shimCount} shims, ${(peakShimRss / 1048576).toFixed(0)} MiB RSS together`);
    console.log('targets: p50 ≤ 600 ms, p99 ≤ 1.5 s with a local image');
    const floorMs = startCpu ? Math.round((concurrent * startCpu.total) / availableParallelism()) : null;
    const cpuPerPodMs = { start: startCpu ?? null, startAndRemoval: allCpu ?? { containerd: perPod(daemonSelfMs) }, client: perPod(selfCpuMs) };
    console.log(
      JSON.stringify({
        bench: 'containerd',
        sequential: { ...seqSummary, stepP50 },
        concurrent: { pods: concurrent, rounds, parallel: parallel ?? null, ...burstSummary, wallMs: burstWall.map(Math.round), cpuFloorMs: floorMs },
        cpuPerPodMs,
        rss: { containerdMiB: Math.round(peakDaemonRss / 1048576), shims: shimCount, shimsMiB: Math.round(peakShimRss / 1048576), clientMiB: Math.round(process.memoryUsage().rss / 1048576) },
      }),
    );
  } finally {
    await perf?.cancel();
    await rt.cleanupAll();
    removeCgroup(cgroupTop);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
