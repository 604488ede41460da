// Pod start-up through the node agent: create → Running (status written by the agent, seen through a
// watch) one pod at a time and 50 at once, then 100 pods running on one node, and the agent's idle RSS and CPU
// with them. The API server and node IPAM run in this process; the agent is a real `skiff agent` child process
// (joined with a token) so its RSS and CPU are its own. Pods are bound with spec.nodeName (no scheduler in the
// measured path) and run `sleep`. Prints the conditions and figures, then one JSON line.
// Run: npm run bench -- pods [--sequential N] [--burst N] [--pods N] [--idle-seconds N]
//      [--agent-node-options="--opt ..."] [--agent-cpu-prof DIR] [--perf]
// --perf (root): the burst's CPU per pod split by program (the agent, its set-up shells, ip, nsenter, unshare,
// busybox mount, the CNI plugins, the containers' own commands) from a system-wide `perf record` restricted to
// the agent's process tree and the burst's time window.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { ensurePki } from '../src/apiserver/auth/pki.js';
import { createAuthenticator } from '../src/apiserver/auth/authn.js';
import { ensureJoinSecret, formatJoinToken, nodeBootstrap } from '../src/apiserver/auth/node-bootstrap.js';
import { issueNodeCertificates } from '../src/apiserver/auth/pki.js';
import { startApiServer } from '../src/apiserver/server.js';
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { ApiClient, InformerFactory, resources } from '../src/client/index.js';
import { NodeIpamController } from '../src/controllers/nodeipam/nodeipam-controller.js';
import { benchArgs } from './_args.js';
import { startPerf, type PerfSession } from './_perf-cpu.js';

const args = benchArgs();
const sequential = Number(args.get('sequential') ?? 20);
const burst = Number(args.get('burst') ?? 50);
const total = Number(args.get('pods') ?? 100);
const idleSeconds = Number(args.get('idle-seconds') ?? 10);
// --agent-cpu-prof DIR: the agent writes a V8 CPU profile there when it exits (where its time goes).
const agentCpuProf = args.get('agent-cpu-prof');
// --agent-node-options="...": Node/V8 options for the agent process instead of the launcher's (e.g. to measure a
// V8 flag's effect on its RSS; node runs dist/cli/main.js directly with exactly these).
const agentNodeOptions = (args.get('agent-node-options') ?? '').split(' ').filter(Boolean);
const usePerf = args.has('perf');
const nodeName = 'bench-node';
const root = join(import.meta.dirname, '..');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const round = (n: number) => Math.round(n * 10) / 10;

/**
 * CPU (clock ticks) of the processes below `pid`: each live descendant's own time plus what its exited
 * children used (namespace and CNI set-up, the containers' wrappers and what they ran). Not `pid` itself.
 */
function descendantTicks(pid: number): number {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(d), Number(f[1]));
      ticks.set(Number(d), Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]));
    } catch {
      /* exited meanwhile */
    }
  }
  const below = (p: number): boolean => {
    for (let q = parent.get(p); q !== undefined && q > 1; q = parent.get(q)) if (q === pid) return true;
    return false;
  };
  let sum = 0;
  for (const [p, t] of ticks) if (below(p)) sum += t;
  return sum + (procStat(pid).childTicks);
}

function procStat(pid: number): { rssBytes: number; anonBytes: number; fileBytes: number; cpuTicks: number; childTicks: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  const rss = kb('VmRSS');
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rssBytes: rss, anonBytes: kb('RssAnon'), fileBytes: kb('RssFile'), cpuTicks: Number(fields[11]) + Number(fields[12]), childTicks: Number(fields[13]) + Number(fields[14]) };
}

async function main(): Promise<void> {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/cli/main.js missing: run `npm run build`');
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-pods-'));
  const tag = process.pid % 4096;
  const pki = await ensurePki(join(dir, 'server'), { hostname: 'localhost', addresses: ['127.0.0.1'] });
  const secret = ensureJoinSecret(join(dir, 'server'));
  const store = await openSqliteStore(join(dir, 'server', 'state.db'));
  const server = await startApiServer({
    store,
    port: 0,
    host: '127.0.0.1',
    tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert },
    authenticator: createAuthenticator(pki.tokensFile),
    kubeletClient: { cert: pki.kubeletClientCert, key: pki.kubeletClientKey },
    nodeBootstrap: nodeBootstrap({ caCert: pki.caCert, secret, issue: (n, a) => issueNodeCertificates(join(dir, 'server'), n, a) }),
  });
  const client = ApiClient.fromConfig({ servers: [server.url], ca: pki.caCert, token: pki.adminToken, namespace: 'default' }, { maxSockets: 64 });
  const informers = new InformerFactory(client);
  const ipam = new NodeIpamController({ client, informers, clusterCidr: `10.${240 + (tag >> 8)}.${tag & 255}.0/24` });
  informers.start();
  await ipam.start();

  const agentArgs = ['agent', '--server', server.url, '--token', formatJoinToken(pki.caCert, secret), '--node-name', nodeName, '--data-dir', join(dir, 'agent'),
    '--kubelet-port', '0', '--node-ip', '127.0.0.1', '--cni-bridge', `skbp${tag}`, '--max-pods', String(Math.max(110, total + 10)), '--remove-pods-on-exit'];
  // As users start it: through ./skiff, which gives the agent its V8 options. With --agent-node-options or
  // --agent-cpu-prof, node runs it directly with exactly those options instead.
  const direct = agentNodeOptions.length > 0 || agentCpuProf !== undefined;
  const agent = direct
    ? spawn(process.execPath, [...agentNodeOptions, ...(agentCpuProf ? ['--cpu-prof', `--cpu-prof-dir=${agentCpuProf}`] : []), join(root, 'dist', 'cli', 'main.js'), ...agentArgs], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(join(root, 'skiff'), agentArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  let agentLog = '';
  agent.stderr!.on('data', (d: Buffer) => (agentLog += d.toString()));

  // Running times seen through one watch.
  const running = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  // Status writes the agent made per pod (each is one MODIFIED event: the pods are created bound, so nothing
  // else changes them), until Running and in all.
  const modified = new Map<string, number>();
  const modifiedUntilRunning: number[] = [];
  const list = await client.list<Pod>(resources.pods, { namespace: 'default' });
  const watch = await client.watch<Pod>(resources.pods, { namespace: 'default', resourceVersion: list.resourceVersion });
  void (async () => {
    for await (const ev of watch) {
      if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') continue;
      const p = ev.object as Pod;
      const name = p.metadata!.name!;
      if (ev.type === 'MODIFIED') modified.set(name, (modified.get(name) ?? 0) + 1);
      if (p.status?.phase === 'Running' && !running.has(name)) {
        modifiedUntilRunning.push(modified.get(name) ?? 0);
        running.set(name, performance.now());
        waiters.get(name)?.();
      }
    }
  })().catch(() => undefined);

  const podObj = (name: string): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName, automountServiceAccountToken: false, terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'sleep', command: ['sleep', '3600'] }] },
  });
  const startPod = async (name: string): Promise<number> => {
    const seen = new Promise<void>((r) => waiters.set(name, r));
    const t0 = performance.now();
    await client.create(resources.pods, podObj(name), { namespace: 'default' });
    await Promise.race([seen, new Promise((_r, rej) => setTimeout(() => rej(new Error(`${name} not Running within 60 s:\n${agentLog.slice(-2000)}`)), 60_000))]);
    return running.get(name)! - t0;
  };

  let perf: PerfSession | undefined;
  try {
    // Wait for the node to be Ready.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const n = await client.get<Node>(resources.nodes, nodeName).catch(() => undefined);
      if (n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`node did not become Ready:\n${agentLog}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const node = await client.get<Node>(resources.nodes, nodeName);
    const runtimeName = node.metadata?.labels?.['skiff.dev/runtime'];
    await startPod('warmup');

    const seq: number[] = [];
    for (let i = 0; i < sequential; i++) seq.push(await startPod(`seq-${i}`));
    seq.sort((a, b) => a - b);

    // CPU per pod during the burst: the agent itself, the processes below it (namespace and CNI set-up,
    // the containers' wrappers; the containers' own commands are `sleep`), and this process (API server, bench client).
    perf = usePerf ? await startPerf(join(dir, 'perf.data')) : undefined;
    const agentBefore = procStat(agent.pid!);
    const treeBefore = descendantTicks(agent.pid!);
    const selfBefore = process.cpuUsage();
    const burstFrom = process.hrtime.bigint();
    const burstTimes = (await Promise.all(Array.from({ length: burst }, (_, i) => startPod(`burst-${i}`)))).sort((a, b) => a - b);
    const burstTo = process.hrtime.bigint();
    const agentAfter = procStat(agent.pid!);
    const treeAfter = descendantTicks(agent.pid!);
    const selfCpu = process.cpuUsage(selfBefore);
    // Per program: samples in the burst's window, in the agent's tree (the agent's own threads are "node").
    const byProgram = perf ? (await perf.stop([agent.pid!], [[burstFrom, burstTo]])).windows : undefined;
    perf = undefined;
    const burstCpuByProgram = byProgram
      ? Object.fromEntries([...byProgram].sort((a, b) => b[1] - a[1]).map(([comm, ms]) => [comm, Math.round((ms / Math.max(1, burst)) * 100) / 100]))
      : undefined;
    const perPod = (ms: number) => round(ms / Math.max(1, burst));
    const burstCpu = {
      agentMsPerPod: perPod((agentAfter.cpuTicks - agentBefore.cpuTicks) * 10),
      agentProcessesMsPerPod: perPod((treeAfter - treeBefore) * 10),
      serverMsPerPod: perPod((selfCpu.user + selfCpu.system) / 1000),
    };

    const have = 1 + sequential + burst;
    const t100 = performance.now();
    await Promise.all(Array.from({ length: Math.max(0, total - have) }, (_, i) => startPod(`fill-${i}`)));
    const fillMs = performance.now() - t100;
    const pods = (await client.list<Pod>(resources.pods, { namespace: 'default' })).items;
    const runningPods = pods.filter((p) => p.status?.phase === 'Running').length;

    // Idle: nothing changes for idleSeconds; the agent relists, probes nothing, renews its lease.
    await new Promise((r) => setTimeout(r, 2000));
    const a = procStat(agent.pid!);
    const t = performance.now();
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const b = procStat(agent.pid!);
    const hz = 100;
    const idleCpuPercent = ((b.cpuTicks - a.cpuTicks) / hz / ((performance.now() - t) / 1000)) * 100;

    const isolated = !agentLog.includes('host network') && process.getuid?.() === 0;
    const figures = {
      runtime: runtimeName,
      isolated,
      sequentialP50Ms: round(percentile(seq, 50)),
      sequentialP99Ms: round(percentile(seq, 99)),
      burst,
      burstP50Ms: round(percentile(burstTimes, 50)),
      burstP99Ms: round(percentile(burstTimes, 99)),
      burstCpuMsPerPod: burstCpu,
      ...(burstCpuByProgram ? { burstCpuMsPerPodByProgram: burstCpuByProgram } : {}),
      podsRunning: runningPods,
      fillToTotalMs: Math.round(fillMs),
      agentIdleRssMB: round(b.rssBytes / 1024 / 1024),
      // RSS = private memory (anonymous) + pages of mapped files, mostly the node binary's code, shared with
      // every other Node process (a bare `node` has ~34 MB of it).
      agentIdleRssAnonMB: round(b.anonBytes / 1024 / 1024),
      agentIdleRssFileMB: round(b.fileBytes / 1024 / 1024),
      agentIdleCpuPercent: round(idleCpuPercent),
      statusWritesPerPodUntilRunning: round(modifiedUntilRunning.reduce((a, b) => a + b, 0) / Math.max(1, modifiedUntilRunning.length)),
      statusWritesPerPod: round([...modified.values()].reduce((a, b) => a + b, 0) / Math.max(1, running.size)),
    };
    console.log(`conditions: ${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, runtime ${runtimeName}${isolated ? ' (own network namespace per pod via CNI)' : ' (host network)'}; pods bound by spec.nodeName, command sleep; API server in this process, agent a separate process`);
    console.log(`create → Running, one at a time (${sequential}): p50 ${figures.sequentialP50Ms} ms, p99 ${figures.sequentialP99Ms} ms   [targets 150 / 300 ms]`);
    console.log(`create → Running, ${burst} at once: p50 ${figures.burstP50Ms} ms, p99 ${figures.burstP99Ms} ms   [targets 150 / 300 ms]`);
    console.log(`  CPU per pod in that burst: agent ${burstCpu.agentMsPerPod} ms, the processes it started ${burstCpu.agentProcessesMsPerPod} ms, API server + bench client ${burstCpu.serverMsPerPod} ms (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
    if (burstCpuByProgram) {
      const total = Object.values(burstCpuByProgram).reduce((a, b) => a + b, 0);
      console.log(`  CPU per pod in that burst by program (perf, agent's process tree): ${Object.entries(burstCpuByProgram).map(([c, ms]) => `${c} ${ms}`).join(', ')} ms; total ${round(total)} ms`);
    }
    console.log(`  status writes per pod: ${figures.statusWritesPerPodUntilRunning} until Running, ${figures.statusWritesPerPod} in all (pod MODIFIED events)`);
    console.log(`${runningPods} pods Running on one node (last ${Math.max(0, total - have)} started in ${figures.fillToTotalMs} ms)`);
    console.log(`agent idle with them: RSS ${figures.agentIdleRssMB} MB [target < 60] (private ${figures.agentIdleRssAnonMB} MB, mapped files ${figures.agentIdleRssFileMB} MB), CPU ${figures.agentIdleCpuPercent}% of a core over ${idleSeconds} s [target < 1%]`);
    console.log(JSON.stringify(figures));
  } finally {
    await perf?.cancel();
    // Pods go with the agent (--remove-pods-on-exit); then the rest.
    const exited = new Promise((r) => agent.once('exit', r));
    agent.kill('SIGTERM');
    const kill = setTimeout(() => agent.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(kill);
    watch.close();
    await ipam.stop();
    await informers.stop();
    client.close();
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
