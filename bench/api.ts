// API server benchmark: `npm run bench -- api [--datastore sqlite|etcd]`.
// Starts the real `skiff up` (built CLI) in its own process, then from this process measures:
//   start-up to "ready", idle RSS, creates/s and latency at 16 concurrent clients, gets/s, watch event
//   fan-out latency to 1,000 concurrent watchers, and RSS growth per 10,000 stored ConfigMaps.
//   With --datastore etcd, the same run then measures creates/s, latency and CPU per create (Skiff, etcd, load
//   generator, each its own process) at 16 clients against `skiff up` on SQLite, on a local single-member etcd
//   and on a 3-member etcd, side by side (sqlite_*, etcd1_* and etcd3_* keys), and the watch fan-out on each etcd
//   (etcd1_watch_*, etcd3_watch_*; --watchers 0 skips it). --datastores-only runs just that. Each datastore run
//   also reports where its tail comes from (the server's GC pauses and event-loop delay from a preloaded
//   monitor, bench/_tail-monitor.mjs; etcd's WAL fsync and backend commit histograms) and, with wrk installed,
//   the same creates from wrk (*_wrk keys), a C load generator that leaves more of the 2 cores to Skiff and etcd.
//   The comparison ends with the etcd store's client alone (EtcdStore in this process: CPU per create, creates/s;
//   --etcd-client false skips it). --cpu-split samples the server's main thread over each datastore's creates and prints its time per create
//   by component (etcd HTTP/2 client, protobuf codec, store, watch cache, API handlers, socket writes, GC...).
// Prints human-readable figures; the last line is one JSON object with all of them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { freePort, repoRoot } from '../test/e2e/harness.js';
import { benchArgs } from './_args.js';
import { adminToken, wrkInstalled } from './_wrk-creates.js';
import { bucketQuantileMs, countAboveMs, histogramDelta, scrapeEtcd, type Histogram } from './_etcd-metrics.js';

const args = benchArgs();
const createCount = Number(args.get('creates') ?? 10_000);
const getCount = Number(args.get('gets') ?? 20_000);
const watchers = Number(args.get('watchers') ?? 1000);
const watchEvents = Number(args.get('watch-events') ?? 100);
const concurrency = 16;
/** Extra `skiff up` arguments, e.g. --skiff-args="--disable-controller-manager --disable-scheduler" for the API alone. */
const skiffArgs = (args.get('skiff-args') ?? '').split(' ').filter(Boolean);
const datastore = args.get('datastore') ?? 'sqlite';
/** Node flags for the `skiff up` process, e.g. --skiff-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const skiffNodeArgs = (args.get('skiff-node-args') ?? '').split(' ').filter(Boolean);
/** Another build's CLI (e.g. of the previous commit) for before/after runs back to back; default this tree's dist. */
const skiffCli = args.get('skiff-cli') ?? join(repoRoot, 'dist', 'cli', 'main.js');
/** Creates per datastore in the side-by-side comparison. */
const etcdCreateCount = Number(args.get('etcd-creates') ?? 5000);
/** Only the datastore comparison (SQLite, etcd 1 member, etcd 3 members), skipping the SQLite API figures. */
const datastoresOnly = args.get('datastores-only') === 'true';
/** Which datastores the comparison runs (default all three), e.g. --datastores etcd1 for profiling one. */
/**
 * The etcd endpoints in an order whose first member is a follower (the leader last), as a server configured
 * without regard to who leads would see them; for before/after runs of the leader preference.
 */
const followerFirst = args.get('etcd-follower-first') === 'true';
/**
 * Samples the server's main thread with V8's profiler over each datastore's creates and prints where its time
 * goes by component (bench/_tail-monitor.mjs, cpuSplit). The profiler costs CPU itself: runs with it are for
 * the split, not for creates/s.
 */
const cpuSplitWanted = args.get('cpu-split') === 'true';
/**
 * The etcd store's client alone (EtcdStore in this process, no API server): CPU per create at 16 in flight with
 * a watch open, against 1 and 3 members. Part of the datastore comparison; --etcd-client false skips it.
 */
const etcdClientWanted = args.get('etcd-client') !== 'false';
const datastoreKinds = (args.get('datastores') ?? 'sqlite,etcd1,etcd3').split(',').filter((k): k is 'sqlite' | 'etcd1' | 'etcd3' => ['sqlite', 'etcd1', 'etcd3'].includes(k));

interface Creds {
  port: number;
  ca: string;
  cert: string;
  key: string;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startSkiff(
  dataDir: string,
  port: number,
  extra: string[] = [],
  node: { args?: string[]; env?: Record<string, string> } = {},
): Promise<{ proc: ChildProcess; ms: number }> {
  const started = performance.now();
  const proc = spawn(process.execPath, [...skiffNodeArgs, ...(node.args ?? []), skiffCli, 'up', '--data-dir', dataDir, '--api-port', String(port), ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...node.env },
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/\bready\b/.test(out)) resolve();
    });
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('exit', (code) => reject(new Error(`skiff up exited ${code}: ${out}`)));
  });
  return { proc, ms: performance.now() - started };
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const done = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await done;
}

function credsFrom(dataDir: string, port: number): Creds {
  const kc = parseYaml(readFileSync(join(dataDir, 'kubeconfig.yaml'), 'utf8')) as {
    clusters: { cluster: { 'certificate-authority-data': string } }[];
    users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  };
  const b = (s: string) => Buffer.from(s, 'base64').toString();
  return {
    port,
    ca: b(kc.clusters[0].cluster['certificate-authority-data']),
    cert: b(kc.users[0].user['client-certificate-data']),
    key: b(kc.users[0].user['client-key-data']),
  };
}

function client(c: Creds, maxSockets: number) {
  const agent = new Agent({ ca: c.ca, cert: c.cert, key: c.key, keepAlive: true, maxSockets });
  const call = (method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string> = { Accept: 'application/json' };
      if (payload) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = String(payload.length);
      }
      const req = request({ host: '127.0.0.1', port: c.port, method, path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  return { agent, call };
}

/**
 * Throughput and latency measured with wrk (a C load generator, far cheaper than a Node client sharing the
 * same 2 cores), if installed. `lua` builds each request; the token is the admin's.
 */
function runWrk(dataDir: string, port: number, name: string, lua: (token: string) => string): { rps: number; p99: number; requests: number } | undefined {
  if (!wrkInstalled()) return undefined;
  const token = adminToken(dataDir);
  const script = join(dataDir, `${name}.lua`);
  writeFileSync(script, lua(token));
  const r = spawnSync('wrk', ['-t1', `-c${concurrency}`, '-d5s', '--latency', '-s', script, `https://127.0.0.1:${port}`], { encoding: 'utf8' });
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1];
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
  if (!rps || !p99 || non2xx) throw new Error(`wrk run failed:\n${r.stdout}${r.stderr}`);
  const unit = p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1;
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0);
  return { rps: Math.round(Number(rps)), p99: +(Number(p99[1]) * unit).toFixed(2), requests };
}

/** wrk's request script for ConfigMap creates in namespace `bench`, named wrk-1, wrk-2, ... */
function createsLua(token: string): string {
  // A Lua single-quoted string: escape backslashes, and splice a counter into the name.
  const body = JSON.stringify(configMap('bench', 'NAME')).replace(/\\/g, '\\\\').replace('"NAME"', `"wrk-' .. i .. '"`);
  return [
    'local i = 0',
    'request = function()',
    '  i = i + 1',
    `  return wrk.format("POST", "/api/v1/namespaces/bench/configmaps", { ["Authorization"] = "Bearer ${token}", ["Content-Type"] = "application/json" }, '${body}')`,
    'end',
  ].join('\n');
}

async function runConcurrent(n: number, conc: number, one: (i: number) => Promise<void>): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        await one(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { seconds: (performance.now() - start) / 1000, latencies };
}

function configMap(ns: string, name: string) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels: { app: 'bench', shard: String(name.length % 7) } }, data: { 'config.yaml': 'key: value\n'.repeat(8), mode: 'fast' } };
}

/** Live objects only: an in-process server, 10,000 ConfigMaps, heap measured after forced GCs. */
async function retainedHeapPer10k(): Promise<number | undefined> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  const { startTestServer } = await import('../test/apiserver/harness.js');
  const s = await startTestServer();
  try {
    await s.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'mem' } } });
    const settle = async () => {
      gc();
      await new Promise((r) => setTimeout(r, 300));
      gc();
    };
    await settle();
    const before = process.memoryUsage().heapUsed;
    await runConcurrent(10_000, concurrency, async (i) => {
      const r = await s.request('POST', '/api/v1/namespaces/mem/configmaps', { body: configMap('mem', `cm-${i}`) });
      if (r.status !== 201) throw new Error(`create failed: ${r.status}`);
    });
    await settle();
    return +((process.memoryUsage().heapUsed - before) / 2 ** 20).toFixed(1);
  } finally {
    await s.close();
  }
}

async function main() {
  const results: Record<string, number | string> = {};
  const log = (s: string) => console.log(s);
  if (datastoresOnly) {
    log(`machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; datastore comparison only`);
    await compareDatastores(results, log);
    console.log(JSON.stringify(results));
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-api-'));
  const port = await freePort();
  let proc: ChildProcess | undefined;
  try {
    log(`machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, datastore sqlite${datastore === 'etcd' ? ' (then etcd below)' : ''}${skiffArgs.length ? `, skiff up ${skiffArgs.join(' ')}` : ''}`);
    // First start creates certificates; the figure that matters is a start with an existing data dir.
    const first = await startSkiff(dataDir, port, skiffArgs);
    await stop(first.proc);
    const warm = await startSkiff(dataDir, port, skiffArgs);
    proc = warm.proc;
    results['startup_first_ms'] = Math.round(first.ms);
    results['startup_ms'] = Math.round(warm.ms);
    log(`skiff up → ready: ${results['startup_ms']} ms (first start with certificate creation ${results['startup_first_ms']} ms)`);
    await new Promise((r) => setTimeout(r, 3000));
    results['idle_rss_mb'] = Math.round(rssMb(proc.pid!));
    log(`idle RSS: ${results['idle_rss_mb']} MB`);

    const creds = credsFrom(dataDir, port);
    const c = client(creds, concurrency);
    await c.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    // Warm-up (JIT, caches)
    await runConcurrent(500, concurrency, async (i) => void (await c.call('POST', '/api/v1/namespaces/bench/configmaps', configMap('bench', `warm-${i}`))));

    const rssBefore = rssMb(proc.pid!);
    const creates = await runConcurrent(createCount, concurrency, async (i) => {
      const r = await c.call('POST', '/api/v1/namespaces/bench/configmaps', configMap('bench', `cm-${i}`));
      if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.body}`);
    });
    results['creates_per_s'] = Math.round(createCount / creates.seconds);
    results['create_p50_ms'] = +percentile(creates.latencies, 50).toFixed(2);
    results['create_p99_ms'] = +percentile(creates.latencies, 99).toFixed(2);
    log(`creates: ${results['creates_per_s']}/s at ${concurrency} clients, p50 ${results['create_p50_ms']} ms, p99 ${results['create_p99_ms']} ms (${createCount} ConfigMaps)`);

    const gets = await runConcurrent(getCount, concurrency, async (i) => {
      const r = await c.call('GET', `/api/v1/namespaces/bench/configmaps/cm-${i % createCount}`);
      if (r.status !== 200) throw new Error(`get failed: ${r.status}`);
    });
    results['gets_per_s'] = Math.round(getCount / gets.seconds);
    results['get_p99_ms'] = +percentile(gets.latencies, 99).toFixed(2);
    log(`gets: ${results['gets_per_s']}/s at ${concurrency} clients, p99 ${results['get_p99_ms']} ms`);

    const wrk = runWrk(dataDir, port, 'gets', (token) =>
      [
        'local i = 0',
        'request = function()',
        `  i = (i + 1) % ${createCount}`,
        `  return wrk.format("GET", "/api/v1/namespaces/bench/configmaps/cm-" .. i, { ["Authorization"] = "Bearer ${token}", ["Accept"] = "application/json" })`,
        'end',
      ].join('\n'),
    );
    if (wrk) {
      results['gets_per_s_wrk'] = wrk.rps;
      results['get_p99_ms_wrk'] = wrk.p99;
      log(`gets with wrk (C load generator, 1 thread, ${concurrency} connections, 5 s): ${wrk.rps}/s, p99 ${wrk.p99} ms`);
    } else {
      log('wrk not installed (apt-get install wrk): only the Node client figure above, which shares the 2 cores with the server');
    }

    const list = await runConcurrent(20, 1, async () => {
      const r = await c.call('GET', '/api/v1/namespaces/bench/configmaps');
      if (r.status !== 200) throw new Error(`list failed: ${r.status}`);
    });
    results['list_10k_p50_ms'] = +percentile(list.latencies, 50).toFixed(1);
    log(`list of ${createCount + 500} ConfigMaps: p50 ${results['list_10k_p50_ms']} ms`);

    await new Promise((r) => setTimeout(r, 2000));
    const rssAfter = rssMb(proc.pid!);
    results['rss_per_10k_configmaps_mb'] = Math.round(((rssAfter - rssBefore) * 10_000) / createCount);
    results['rss_with_10k_configmaps_mb'] = Math.round(rssAfter);
    log(`memory: RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MB for ${createCount} ConfigMaps (~${results['rss_per_10k_configmaps_mb']} MB per 10,000; ~${JSON.stringify(configMap('bench', 'cm-1000')).length} bytes each)`);

    const wrkCreate = runWrk(dataDir, port, 'creates', createsLua);
    if (wrkCreate) {
      results['creates_per_s_wrk'] = wrkCreate.rps;
      results['create_p99_ms_wrk'] = wrkCreate.p99;
      log(`creates with wrk (1 thread, ${concurrency} connections, 5 s): ${wrkCreate.rps}/s, p99 ${wrkCreate.p99} ms`);
    }

    const fan = await watchFanOut(creds, port);
    results['watchers'] = watchers;
    results['watch_events_delivered'] = fan.delivered;
    results['watch_p50_ms'] = fan.p50;
    results['watch_p99_ms'] = fan.p99;
    results['rss_with_watchers_mb'] = Math.round(rssMb(proc.pid!));
    log(`watch fan-out: ${fan.delivered}/${watchers * watchEvents} deliveries to ${watchers} watchers, write-sent → event received p50 ${fan.p50} ms, p99 ${fan.p99} ms (server RSS ${results['rss_with_watchers_mb']} MB)`);
    c.agent.destroy();
  } finally {
    if (proc) await stop(proc);
    rmSync(dataDir, { recursive: true, force: true });
  }
  const heap = await retainedHeapPer10k();
  if (heap !== undefined) {
    results['heap_per_10k_configmaps_mb'] = heap;
    log(`retained heap per 10,000 ConfigMaps (in-process server, after GC): ${heap} MB`);
  }
  if (datastore === 'etcd') await compareDatastores(results, log);
  console.log(JSON.stringify(results));
}

/** Watch fan-out: `watchers` watches on one namespace, then `watchEvents` writes 20 ms apart; latency from
 * the write's send to each watcher's arrival. */
async function watchFanOut(creds: Creds, port: number): Promise<{ delivered: number; p50: number; p99: number }> {
  // Watch fan-out: N watchers on one namespace, then writes; latency from send of the write to arrival.
  const c = client(creds, 1);
  await c.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fanout' } });
  c.agent.destroy();
  const wagent = new Agent({ ca: creds.ca, cert: creds.cert, key: creds.key, keepAlive: true, maxSockets: watchers + 10 });
  const sentAt = new Map<string, number>();
  const delays: number[] = [];
  let connected = 0;
  const reqs = await Promise.all(
    Array.from(
      { length: watchers },
      () =>
        new Promise<ReturnType<typeof request>>((resolve, reject) => {
          const req = request(
            { host: '127.0.0.1', port, method: 'GET', path: '/api/v1/namespaces/fanout/configmaps?watch=true&resourceVersion=0', headers: { Accept: 'application/json' }, agent: wagent },
            (res) => {
              connected++;
              let buf = '';
              res.setEncoding('utf8');
              res.on('data', (d: string) => {
                buf += d;
                let nl: number;
                while ((nl = buf.indexOf('\n')) >= 0) {
                  const line = buf.slice(0, nl);
                  buf = buf.slice(nl + 1);
                  const now = performance.now();
                  const name = /"name":"(fan-\d+)"/.exec(line)?.[1];
                  const t = name ? sentAt.get(name) : undefined;
                  if (t !== undefined) delays.push(now - t);
                }
              });
              resolve(req);
            },
          );
          req.on('error', reject);
          req.end();
        }),
    ),
  );
  if (connected < watchers) throw new Error(`only ${connected} of ${watchers} watchers connected`);
  const wc = client(creds, 1);
  for (let i = 0; i < watchEvents; i++) {
    const name = `fan-${i}`;
    sentAt.set(name, performance.now());
    await wc.call('POST', '/api/v1/namespaces/fanout/configmaps', configMap('fanout', name));
    await new Promise((r) => setTimeout(r, 20));
  }
  const expected = watchers * watchEvents;
  const deadline = Date.now() + 30_000;
  while (delays.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  delays.sort((a, b) => a - b);
  for (const r of reqs) r.destroy();
  wagent.destroy();
  wc.agent.destroy();
  return { delivered: delays.length, p50: +percentile(delays, 50).toFixed(2), p99: +percentile(delays, 99).toFixed(2) };
}

interface StoreRun {
  perSecond: number;
  p50: number;
  p99: number;
  /** CPU milliseconds per create: the Skiff server, the etcd members together, this load generator. */
  serverCpuMs: number;
  etcdCpuMs: number;
  clientCpuMs: number;
  /** Watch fan-out on this datastore (etcd runs only; SQLite's is the main run's). */
  fanOut?: { delivered: number; p50: number; p99: number };
  /** Where the tail comes from: creates over 30 ms, the server's GC and event-loop stalls, etcd's disk. */
  tail: TailBreakdown;
  /** The same creates from wrk (C, 1 thread, 16 connections, 5 s), which leaves more CPU to Skiff and etcd. */
  wrk?: { perSecond: number; p99: number; serverCpuMs: number; etcdCpuMs: number };
}

interface DiskFigures {
  count: number;
  meanMs: number;
  p99Ms: number;
  over16ms: number;
}

interface TailBreakdown {
  over30ms: number;
  maxMs: number;
  /** From bench/_tail-monitor.mjs in the server process, over the measured creates only. */
  server?: {
    gc: { count: number; totalMs: number; maxMs: number; over10ms: number; byKind: Record<string, { count: number; totalMs: number; maxMs: number }> };
    eventLoopDelay: { p50Ms: number; p99Ms: number; maxMs: number };
    /** With --cpu-split: sampled main-thread milliseconds by component over the window. */
    cpuSplit?: Record<string, number>;
  };
  /** Summed over members: WAL fsyncs and bbolt backend commits during the creates. */
  walFsync?: DiskFigures;
  backendCommit?: DiskFigures;
  /** Summed over members during the creates: leader changes, heartbeats sent late, applies over 100 ms. */
  leaderChanges?: number;
  heartbeatFailures?: number;
  slowApplies?: number;
  /** Unary etcd calls per create by method (Txn should be 1; anything else is extra traffic). */
  rpcsPerCreate?: Record<string, number>;
}

function diskFigures(before: Map<string, Histogram>, after: Map<string, Histogram>, name: string): DiskFigures | undefined {
  const a = after.get(name);
  if (!a) return undefined;
  const d = histogramDelta(before.get(name), a);
  return {
    count: d.count,
    meanMs: d.count > 0 ? +((d.sum / d.count) * 1000).toFixed(2) : 0,
    p99Ms: bucketQuantileMs(d, 0.99),
    over16ms: countAboveMs(d, 16),
  };
}

/** utime + stime of a process in ms (clock ticks of 10 ms on Linux). */
function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/**
 * Creates/s, latency and CPU per create of `skiff up` on each datastore, same workload and client: SQLite,
 * a local single-member etcd and a 3-member etcd. The load generator is this process; Skiff and etcd run in
 * their own processes, so each one's CPU is read separately from /proc.
 */
async function compareDatastores(results: Record<string, number | string>, log: (s: string) => void): Promise<void> {
  const runs: [string, StoreRun][] = [];
  for (const kind of datastoreKinds) {
    const r = await datastoreCreates(kind);
    runs.push([kind, r]);
    results[`${kind}_creates_per_s`] = r.perSecond;
    results[`${kind}_create_p50_ms`] = r.p50;
    results[`${kind}_create_p99_ms`] = r.p99;
    results[`${kind}_server_cpu_ms_per_create`] = r.serverCpuMs;
    results[`${kind}_etcd_cpu_ms_per_create`] = r.etcdCpuMs;
    results[`${kind}_client_cpu_ms_per_create`] = r.clientCpuMs;
    if (r.wrk) {
      results[`${kind}_creates_per_s_wrk`] = r.wrk.perSecond;
      results[`${kind}_create_p99_ms_wrk`] = r.wrk.p99;
      results[`${kind}_server_cpu_ms_per_create_wrk`] = r.wrk.serverCpuMs;
      results[`${kind}_etcd_cpu_ms_per_create_wrk`] = r.wrk.etcdCpuMs;
    }
    const t = r.tail;
    results[`${kind}_creates_over_30ms`] = t.over30ms;
    results[`${kind}_create_max_ms`] = t.maxMs;
    if (t.server) {
      results[`${kind}_server_gc_max_ms`] = t.server.gc.maxMs;
      results[`${kind}_server_gc_total_ms`] = t.server.gc.totalMs;
      results[`${kind}_server_gc_over_10ms`] = t.server.gc.over10ms;
      results[`${kind}_server_loop_delay_p99_ms`] = t.server.eventLoopDelay.p99Ms;
      results[`${kind}_server_loop_delay_max_ms`] = t.server.eventLoopDelay.maxMs;
      for (const [component, ms] of Object.entries(t.server.cpuSplit ?? {})) {
        results[`${kind}_split_${component.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '')}_ms_per_create`] = +(ms / etcdCreateCount).toFixed(3);
      }
    }
    for (const [label, d] of [['wal_fsync', t.walFsync], ['backend_commit', t.backendCommit]] as const) {
      if (!d) continue;
      results[`${kind}_etcd_${label}_count`] = d.count;
      results[`${kind}_etcd_${label}_mean_ms`] = d.meanMs;
      results[`${kind}_etcd_${label}_p99_ms`] = d.p99Ms;
      results[`${kind}_etcd_${label}_over_16ms`] = d.over16ms;
    }
    if (t.leaderChanges !== undefined) {
      results[`${kind}_etcd_leader_changes`] = t.leaderChanges;
      results[`${kind}_etcd_heartbeat_send_failures`] = t.heartbeatFailures ?? 0;
      results[`${kind}_etcd_slow_applies`] = t.slowApplies ?? 0;
    }
    for (const [method, n] of Object.entries(t.rpcsPerCreate ?? {})) results[`${kind}_etcd_${method.toLowerCase()}_per_create`] = n;
    if (r.fanOut) {
      results[`${kind}_watch_p50_ms`] = r.fanOut.p50;
      results[`${kind}_watch_p99_ms`] = r.fanOut.p99;
      results[`${kind}_watch_events_delivered`] = r.fanOut.delivered;
    }
  }
  log(`datastores side by side (skiff up, ${concurrency} clients, ${etcdCreateCount} ConfigMaps each; etcd fsyncs on the same disk):`);
  log('  datastore        creates/s   p50 ms   p99 ms   CPU ms per create: skiff  etcd  load generator');
  for (const [kind, r] of runs) {
    const name = kind === 'sqlite' ? 'SQLite' : kind === 'etcd1' ? 'etcd, 1 member' : 'etcd, 3 members';
    log(`  ${name.padEnd(16)} ${String(r.perSecond).padStart(9)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}   ${r.serverCpuMs.toFixed(3).padStart(24)} ${r.etcdCpuMs.toFixed(3).padStart(5)} ${r.clientCpuMs.toFixed(3).padStart(15)}`);
  }
  for (const [kind, r] of runs) {
    if (!r.wrk) continue;
    const name = kind === 'sqlite' ? 'SQLite' : kind === 'etcd1' ? 'etcd, 1 member' : 'etcd, 3 members';
    log(`  ${name}, creates from wrk (1 thread, ${concurrency} connections, 5 s): ${r.wrk.perSecond}/s, p99 ${r.wrk.p99} ms; CPU ms per create: skiff ${r.wrk.serverCpuMs}, etcd ${r.wrk.etcdCpuMs}`);
  }
  log('  where the tail comes from (during the creates from the Node client):');
  for (const [kind, r] of runs) {
    const t = r.tail;
    const name = kind === 'sqlite' ? 'SQLite' : kind === 'etcd1' ? 'etcd, 1 member' : 'etcd, 3 members';
    const parts = [`${t.over30ms} creates over 30 ms (max ${t.maxMs} ms)`];
    if (t.server) {
      const g = t.server.gc;
      const l = t.server.eventLoopDelay;
      const kinds = Object.entries(g.byKind).map(([k, v]) => `${k} ${v.count}× max ${v.maxMs} ms`).join(', ');
      parts.push(`server GC ${g.count} pauses, ${g.totalMs} ms total, max ${g.maxMs} ms, ${g.over10ms} over 10 ms (${kinds})`);
      parts.push(`server event-loop delay p99 ${l.p99Ms} ms, max ${l.maxMs} ms`);
    }
    const disk = (label: string, d: DiskFigures | undefined) =>
      d && parts.push(`etcd ${label} ${d.count}× mean ${d.meanMs} ms, p99 ≤ ${d.p99Ms} ms, ${d.over16ms} over 16 ms`);
    disk('WAL fsync', t.walFsync);
    disk('backend commit', t.backendCommit);
    if (t.leaderChanges !== undefined) {
      parts.push(`etcd leader changes ${t.leaderChanges}, heartbeats sent late ${t.heartbeatFailures}, applies over 100 ms ${t.slowApplies}`);
    }
    if (t.rpcsPerCreate) {
      parts.push(`etcd calls per create: ${Object.entries(t.rpcsPerCreate).map(([m, n]) => `${m} ${n}`).join(', ') || 'none'}`);
    }
    log(`    ${name}: ${parts.join('; ')}`);
    const split = t.server?.cpuSplit;
    if (split) {
      const rows = Object.entries(split).sort((a, b) => b[1] - a[1]);
      const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
      log(`    ${name}, server main thread sampled over the creates (ms per create, profiler on): ${(total / etcdCreateCount).toFixed(3)} = ${rows.map(([k, ms]) => `${k} ${(ms / etcdCreateCount).toFixed(3)}`).join(', ')}`);
    }
  }
  for (const [kind, r] of runs) {
    if (!r.fanOut) continue;
    const name = kind === 'etcd1' ? 'etcd, 1 member' : 'etcd, 3 members';
    log(`  watch fan-out on ${name}: ${r.fanOut.delivered}/${watchers * watchEvents} deliveries to ${watchers} watchers, write-sent → event received p50 ${r.fanOut.p50} ms, p99 ${r.fanOut.p99} ms`);
  }
  if (etcdClientWanted && datastoreKinds.some((k) => k !== 'sqlite')) {
    log(`  the etcd store's client alone (EtcdStore in the bench process, ${concurrency} creates in flight, a watch open, 3 × ${etcdCreateCount} creates):`);
    for (const kind of datastoreKinds) {
      if (kind === 'sqlite') continue;
      const r = await etcdClientAlone(kind === 'etcd1' ? 1 : 3);
      const name = kind === 'etcd1' ? 'etcd, 1 member' : 'etcd, 3 members';
      log(`    ${name}: client CPU per create ${r.cpuUs.map((u) => u.toFixed(1)).join(', ')} µs; ${r.perSecond.join(', ')} creates/s`);
      results[`${kind}_client_alone_cpu_us_per_create`] = Math.min(...r.cpuUs);
      results[`${kind}_client_alone_creates_per_s`] = Math.max(...r.perSecond);
    }
  }
  log(`  load average: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  results['datastores_loadavg_1m'] = +loadavg()[0]!.toFixed(2);
}

/**
 * CPU of the etcd store's client per create, without the API server: EtcdStore.create at `concurrency` in
 * flight, a watch on the prefix open (its events decoded as the server's would be), three rounds after a
 * warm-up. The figure the store's own gRPC/HTTP/2 client and codec decide.
 */
async function etcdClientAlone(members: 1 | 3): Promise<{ cpuUs: number[]; perSecond: number[] }> {
  const { startEtcd } = await import('../test/storage/etcd-harness.js');
  const { openEtcdStore } = await import('../src/storage/etcd/etcd-store.js');
  const etcd = await startEtcd({ members });
  try {
    const store = await openEtcdStore({ endpoints: etcd.endpoints });
    const watch = await store.watch('/registry/configmaps/', 0, { onEvent() {}, onError() {} });
    try {
      const value = JSON.stringify(configMap('bench', 'cm'));
      const round = async (prefix: string, n: number) => {
        let next = 0;
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (next < n) await store.create(`/registry/configmaps/bench/${prefix}-${next++}`, value);
          }),
        );
      };
      await round('warm', 1000);
      const cpuUs: number[] = [];
      const perSecond: number[] = [];
      for (let r = 0; r < 3; r++) {
        const cpu = process.cpuUsage();
        const t0 = performance.now();
        await round(`r${r}`, etcdCreateCount);
        const used = process.cpuUsage(cpu);
        perSecond.push(Math.round(etcdCreateCount / ((performance.now() - t0) / 1000)));
        cpuUs.push(+((used.user + used.system) / etcdCreateCount).toFixed(1));
      }
      return { cpuUs, perSecond };
    } finally {
      watch.close();
      await store.close();
    }
  } finally {
    await etcd.stop();
  }
}

/** The tail monitor's figures once it has written them (it does so on the second SIGUSR2). */
async function readMonitor(file: string): Promise<TailBreakdown['server']> {
  for (let i = 0; i < 50; i++) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as TailBreakdown['server'];
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return undefined;
}

/** Creates/s, latency and CPU of `skiff up` on SQLite or a fresh local etcd of 1 or 3 members. */
async function datastoreCreates(kind: 'sqlite' | 'etcd1' | 'etcd3'): Promise<StoreRun> {
  const { startEtcd } = await import('../test/storage/etcd-harness.js');
  // etcd's settings: its defaults, plus progress notifications (docs/operations.md asks for them). Left at the
  // defaults on purpose, each for a reason the run itself shows (the *_etcd_* figures): --heartbeat-interval
  // (100 ms) and --election-timeout (1 s) only matter when a leader goes quiet; upstream's tuning guide keeps
  // them for a local network, and raising them is its remedy for late heartbeats / leader changes, which the
  // runs count (0 so far). --snapshot-count (100,000 in 3.4) is above the writes of a run, so no snapshot falls
  // inside one. The guide's disk advice (ionice -c2 -n0) needs the BFQ/CFQ I/O scheduler, not this VM's
  // mq-deadline. Durability stays: never --unsafe-no-fsync.
  const etcd = kind === 'sqlite' ? undefined : await startEtcd({ members: kind === 'etcd1' ? 1 : 3, extraArgs: ['--experimental-watch-progress-notify-interval=5s'] });
  const dataDir = mkdtempSync(join(tmpdir(), `skiff-bench-api-${kind}-`));
  let proc: ChildProcess | undefined;
  try {
    const port = await freePort();
    let endpoints = etcd?.endpoints ?? [];
    if (etcd && etcd.endpoints.length > 1 && followerFirst) {
      const leader = await etcd.leaderIndex();
      endpoints = [...etcd.endpoints.filter((_, i) => i !== leader), etcd.endpoints[leader]!];
    }
    const storeArgs = etcd ? ['--datastore', 'etcd', '--etcd-endpoints', endpoints.join(',')] : [];
    const monitorOut = join(dataDir, 'tail-monitor.json');
    proc = (
      await startSkiff(dataDir, port, [...storeArgs, ...skiffArgs], {
        args: ['--import', join(repoRoot, 'bench', '_tail-monitor.mjs')],
        env: { SKIFF_TAIL_MONITOR_OUT: monitorOut, ...(cpuSplitWanted ? { SKIFF_TAIL_MONITOR_PROFILE: '1' } : {}) },
      })
    ).proc;
    const c = client(credsFrom(dataDir, port), concurrency);
    await c.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    await runConcurrent(500, concurrency, async (i) => void (await c.call('POST', '/api/v1/namespaces/bench/configmaps', configMap('bench', `warm-${i}`))));
    const etcdPids = () => etcd?.pids() ?? [];
    const serverBefore = cpuMsOf(proc.pid);
    const etcdBefore = etcdPids().reduce((sum: number, pid) => sum + cpuMsOf(pid), 0);
    const diskBefore = etcd ? await scrapeEtcd(etcd.endpoints) : undefined;
    proc.kill('SIGUSR2'); // the server's tail monitor starts its window
    const clientBefore = process.cpuUsage();
    const creates = await runConcurrent(etcdCreateCount, concurrency, async (i) => {
      const r = await c.call('POST', '/api/v1/namespaces/bench/configmaps', configMap('bench', `cm-${i}`));
      if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.body}`);
    });
    const clientUsage = process.cpuUsage(clientBefore);
    proc.kill('SIGUSR2');
    const diskAfter = etcd ? await scrapeEtcd(etcd.endpoints) : undefined;
    const tail: TailBreakdown = {
      over30ms: creates.latencies.filter((l) => l > 30).length,
      maxMs: +(creates.latencies[creates.latencies.length - 1] ?? 0).toFixed(2),
      server: await readMonitor(monitorOut),
    };
    if (diskBefore && diskAfter) {
      tail.walFsync = diskFigures(diskBefore.disk, diskAfter.disk, 'etcd_disk_wal_fsync_duration_seconds');
      tail.backendCommit = diskFigures(diskBefore.disk, diskAfter.disk, 'etcd_disk_backend_commit_duration_seconds');
      const delta = (name: string) => diskAfter.counters.get(name)! - diskBefore.counters.get(name)!;
      tail.leaderChanges = delta('etcd_server_leader_changes_seen_total');
      tail.heartbeatFailures = delta('etcd_server_heartbeat_send_failures_total');
      tail.slowApplies = delta('etcd_server_slow_apply_total');
      tail.rpcsPerCreate = {};
      for (const [method, n] of diskAfter.rpcs) {
        const d = n - (diskBefore.rpcs.get(method) ?? 0);
        if (d > 0) tail.rpcsPerCreate[method] = +(d / etcdCreateCount).toFixed(3);
      }
    }
    const per = (ms: number) => +(ms / etcdCreateCount).toFixed(3);
    const run: StoreRun = {
      perSecond: Math.round(etcdCreateCount / creates.seconds),
      p50: +percentile(creates.latencies, 50).toFixed(2),
      p99: +percentile(creates.latencies, 99).toFixed(2),
      serverCpuMs: per(cpuMsOf(proc.pid) - serverBefore),
      etcdCpuMs: per(etcdPids().reduce((sum: number, pid) => sum + cpuMsOf(pid), 0) - etcdBefore),
      clientCpuMs: per((clientUsage.user + clientUsage.system) / 1000),
      tail,
    };
    c.agent.destroy();
    const wrkServerBefore = cpuMsOf(proc.pid);
    const wrkEtcdBefore = etcdPids().reduce((sum: number, pid) => sum + cpuMsOf(pid), 0);
    const w = runWrk(dataDir, port, 'creates', createsLua);
    if (w && w.requests > 0) {
      run.wrk = {
        perSecond: w.rps,
        p99: w.p99,
        serverCpuMs: +((cpuMsOf(proc.pid) - wrkServerBefore) / w.requests).toFixed(3),
        etcdCpuMs: +((etcdPids().reduce((sum: number, pid) => sum + cpuMsOf(pid), 0) - wrkEtcdBefore) / w.requests).toFixed(3),
      };
    }
    if (etcd && watchers > 0) run.fanOut = await watchFanOut(credsFrom(dataDir, port), port);
    return run;
  } finally {
    if (proc) await stop(proc);
    await etcd?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
