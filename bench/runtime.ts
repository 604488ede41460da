// Benchmark of the process runtime's pod start: runPodSandbox + createContainer + startContainer (until the
// process runs), and the teardown, one pod at a time; host network (no isolation) and, as root, with a network
// namespace from the CNI bridge, a mount namespace and cgroups. Also the exec round trip. Prints the
// conditions and figures, then one JSON line. Also `burst` pods started at once (the issue's "50 pods at
// once"). Run: npm run bench -- runtime [--pods N] [--burst N]
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ProcessRuntime } from '../src/runtime/process/index.js';
import type { ContainerConfig, PodSandboxConfig } from '../src/runtime/runtime.js';
import { benchArgs } from './_args.js';

const args = benchArgs();
const pods = Number(args.get('pods') ?? 30);
const burst = Number(args.get('burst') ?? 50);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function sandbox(dir: string, i: number, cgroupRoot: string): PodSandboxConfig {
  return {
    uid: `bench-${i}`, name: `bench-${i}`, namespace: 'default', attempt: 0, hostname: `bench-${i}`, portMappings: [], hostNetwork: false,
    dns: { servers: ['10.43.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] },
    logDirectory: join(dir, 'logs', `bench-${i}`), cgroupParent: `${cgroupRoot}/kubepods/besteffort/podbench-${i}`, labels: {}, annotations: {},
  };
}

const container: ContainerConfig = {
  name: 'app', attempt: 0, image: 'sleep', command: ['sleep', '3600'], args: [], env: [{ name: 'A', value: 'b' }], mounts: [],
  logPath: 'app/0.log', tty: false, stdin: false, stdinOnce: false, resources: { cpuRequestMillis: 100, memoryLimitBytes: 128 << 20 },
  security: {}, labels: {}, annotations: {},
};

interface Figures {
  mode: string;
  startP50Ms: number;
  startP99Ms: number;
  sandboxP50Ms: number;
  containerP50Ms: number;
  teardownP50Ms: number;
  execP50Ms: number;
}

/** A runtime in its own directory, with a bridge, pod CIDR and cgroup root no concurrent run shares. */
async function openRuntime(mode: 'host' | 'isolated'): Promise<{ dir: string; tag: string; rt: ProcessRuntime }> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-rt-'));
  const tag = Math.random().toString(16).slice(2, 8);
  const rt = await ProcessRuntime.open({
    stateDir: join(dir, 'state'),
    isolation: mode === 'host' ? 'none' : 'auto',
    bridge: `skb${tag}`,
    podCIDR: `10.${200 + (parseInt(tag, 16) % 50)}.${parseInt(tag.slice(0, 2), 16)}.0/24`,
    cgroupRoot: `skiff-b${tag}`,
  });
  return { dir, tag, rt };
}

async function measure(mode: 'host' | 'isolated'): Promise<Figures> {
  const { dir, tag, rt } = await openRuntime(mode);
  const start: number[] = [], sandboxMs: number[] = [], containerMs: number[] = [], teardown: number[] = [], execMs: number[] = [];
  try {
    for (let i = 0; i < pods; i++) {
      const t0 = performance.now();
      const cfg = sandbox(dir, i, `skiff-b${tag}`);
      const sb = await rt.runPodSandbox(cfg);
      const t1 = performance.now();
      const id = await rt.createContainer(sb, container, cfg);
      await rt.startContainer(id);
      const t2 = performance.now();
      start.push(t2 - t0);
      sandboxMs.push(t1 - t0);
      containerMs.push(t2 - t1);
      if (i % 3 === 0) {
        const e0 = performance.now();
        await rt.execSync(id, ['true'], 5000);
        execMs.push(performance.now() - e0);
      }
      const t3 = performance.now();
      await rt.stopContainer(id, 0);
      await rt.removePodSandbox(sb);
      teardown.push(performance.now() - t3);
    }
  } finally {
    await rt.cleanupAll();
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const p50 = (a: number[]) => Math.round(percentile([...a].sort((x, y) => x - y), 50) * 10) / 10;
  const p99 = (a: number[]) => Math.round(percentile([...a].sort((x, y) => x - y), 99) * 10) / 10;
  return { mode, startP50Ms: p50(start), startP99Ms: p99(start), sandboxP50Ms: p50(sandboxMs), containerP50Ms: p50(containerMs), teardownP50Ms: p50(teardown), execP50Ms: p50(execMs) };
}

/** `burst` pods started at once: time until every container runs, and distinct pod IPs. */
async function measureBurst(mode: 'host' | 'isolated', n: number): Promise<{ mode: string; pods: number; allRunningMs: number; distinctIPs: number }> {
  const { dir, tag, rt } = await openRuntime(mode);
  try {
    const t0 = performance.now();
    const ids = await Promise.all(Array.from({ length: n }, async (_, i) => {
      const cfg = sandbox(dir, i, `skiff-b${tag}`);
      const sb = await rt.runPodSandbox(cfg);
      const id = await rt.createContainer(sb, container, cfg);
      await rt.startContainer(id);
      return sb;
    }));
    const allRunningMs = Math.round(performance.now() - t0);
    const ips = new Set((await rt.listPodSandboxes()).filter((s) => ids.includes(s.id)).map((s) => s.ips[0]));
    return { mode, pods: n, allRunningMs, distinctIPs: ips.size };
  } finally {
    await rt.cleanupAll();
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`process runtime pod start, ${pods} pods one at a time; ${cpus().length} CPUs, Node ${process.version}, uid ${process.getuid?.()}`);
  const results: Figures[] = [await measure('host')];
  if (process.getuid?.() === 0) results.push(await measure('isolated'));
  else console.log('isolated mode skipped: needs root');
  const bursts = [await measureBurst('host', burst)];
  if (process.getuid?.() === 0) bursts.push(await measureBurst('isolated', burst));
  for (const r of results) {
    console.log(`${r.mode.padEnd(9)} start (sandbox+create+start) p50 ${r.startP50Ms} ms, p99 ${r.startP99Ms} ms; sandbox p50 ${r.sandboxP50Ms} ms; container p50 ${r.containerP50Ms} ms; stop+remove p50 ${r.teardownP50Ms} ms; exec round trip p50 ${r.execP50Ms} ms`);
  }
  for (const b of bursts) console.log(`${b.mode.padEnd(9)} ${b.pods} pods at once: all running after ${b.allRunningMs} ms (${b.distinctIPs} distinct IPs)`);
  console.log(JSON.stringify({ benchmark: 'runtime', pods, results, bursts }));
}

await main();
