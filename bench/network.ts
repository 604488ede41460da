// Service networking benchmark: `npm run bench -- network [--services 1000] [--endpoints 10] [--changes 50]
// [--dns-qps 5000] [--dns-seconds 10] [--dns-warmup 3] [--dns-churn 5] [--dns-settle-ms 2000] [--seconds 5] [--connections 16] [--only kernel,userspace,dns]`.
// One process runs an in-process API server and the service proxy; traffic flows only inside network
// namespaces this benchmark creates (test/network/proxy/netns-lab.ts) and on loopback.
//   - ClusterIP vs pod IP throughput with wrk (same backend, same connections; keep-alive on and off), at 10
//     Services and again at --services Services (per-connection cost as the rule set grows); each figure is
//     the median of 3 runs, interleaved
//   - userspace fallback vs direct throughput on loopback
//   - nftables programming: first full sync of --services × --endpoints, and endpoint change → rules
//     updated latency (EndpointSlice write → sync done), p50/p99
//   - cluster DNS latency at a fixed query rate, p50/p99/max: the DNS server (informers + server, as in an
//     agent) and the open-loop load generator each in their own process; a realistic query mix (search-path
//     expansion under ndots:5, headless, PTR, external names answered by a loopback upstream); a warm-up at
//     the same rate first, as DNS benchmarks (dnsperf) are run against a warmed server; --dns-churn
//     EndpointSlice changes per second during the load (rollouts elsewhere in the cluster)
// Root and wrk are needed for the kernel parts (skipped with a note otherwise). Prints figures, then one
// JSON line.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as dnsPacket from 'dns-packet';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ApiClient, resources } from '../src/client/index.js';
import { snapshotCatalog, type DnsCatalog } from '../src/network/dns/catalog.js';
import { podDnsConfig, searchCandidates, startClusterDns } from '../src/network/dns/index.js';
import { resolve } from '../src/network/dns/resolver.js';
import { runHostCommand } from '../src/network/proxy/host-command.js';
import { startServiceProxy, type ServiceProxy } from '../src/network/proxy/index.js';
import { startTestServer } from '../test/apiserver/harness.js';
import { labSkipReason, NetnsLab } from '../test/network/proxy/netns-lab.js';
import { benchArgs } from './_args.js';

const args = benchArgs();
const serviceCount = Number(args.get('services') ?? 1000);
const endpointsPer = Number(args.get('endpoints') ?? 10);
const changes = Number(args.get('changes') ?? 50);
const dnsQps = Number(args.get('dns-qps') ?? 5000);
const dnsSeconds = Number(args.get('dns-seconds') ?? 10);
const dnsWarmup = Number(args.get('dns-warmup') ?? 3);
const dnsChurn = Number(args.get('dns-churn') ?? 5);
const settleMs = Number(args.get('dns-settle-ms') ?? 2000);
const seconds = Number(args.get('seconds') ?? 5);
const connections = Number(args.get('connections') ?? 16);
const only = new Set((args.get('only') ?? 'kernel,userspace,dns').split(','));

const results: Record<string, number | string | boolean> = { services: serviceCount, endpointsPerService: endpointsPer };
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const ms = (x: number) => +x.toFixed(2);

async function wrk(url: string, netns: string | undefined, keepAlive: boolean): Promise<number> {
  const a = ['-t2', `-c${connections}`, `-d${seconds}s`, ...(keepAlive ? [] : ['-H', 'Connection: close']), url];
  const out = await runHostCommand('wrk', a, { netns, timeoutMs: (seconds + 30) * 1000 });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const errors = /Non-2xx|Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (errors && errors[0].startsWith('Socket') && Number(errors[1]) + Number(errors[4]) > 0) console.log(`  (wrk ${url}: ${errors[0]})`);
  return m ? Number(m[1]) : NaN;
}

/** Medians of `rounds` runs of each measurement, interleaved so that background load hits all alike. */
async function alternate(...fns: Array<() => Promise<number>>): Promise<number[]> {
  const runs = fns.map(() => [] as number[]);
  for (let r = 0; r < 3; r++) for (let i = 0; i < fns.length; i++) runs[i]!.push(await fns[i]!());
  return runs.map((xs) => pct(xs, 50));
}

/** Services with endpoints that only exist in the rule set (10.200.x.y: never contacted). */
async function createDummyServices(client: ApiClient, from: number, to: number): Promise<void> {
  const work: Array<() => Promise<unknown>> = [];
  for (let i = from; i < to; i++) {
    const name = `dummy-${i}`;
    work.push(async () => {
      await client.create<Service>(resources.services, { metadata: { name }, spec: { ports: [{ name: 'http', port: 80 }] } });
      await client.create<EndpointSlice>(resources.endpointSlices, {
        metadata: { name: `${name}-1`, labels: { 'kubernetes.io/service-name': name } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        endpoints: Array.from({ length: endpointsPer }, (_, j) => ({ addresses: [`10.200.${i % 250}.${j + 1}`], nodeName: 'node-a', conditions: { ready: true } })),
      });
    });
  }
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < work.length) await work[next++]!();
  }));
}

async function syncedWith(proxy: { stats(): { syncs: number } }, before: number): Promise<void> {
  while (proxy.stats().syncs <= before) await new Promise((r) => setTimeout(r, 20));
}

// The DNS load generator, in its own process: an open loop at a fixed rate (a send is due every 1/qps s
// whatever the answers do), over 4 UDP sockets, cycling through the query list. Latency is taken from the
// actual send (the primary figure) and from the scheduled send time (which also counts the generator's own
// lag); queries sent during the warm-up are answered but not counted.
const dnsLoadScript = `
const dgram = require('dgram');
const { performance } = require('perf_hooks');
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => run(JSON.parse(input)));
function run(cfg) {
const dns = require(cfg.dnsPacket);
const templates = cfg.queries.map(([name, type]) => dns.encode({ type: 'query', id: 0, flags: dns.RECURSION_DESIRED, questions: [{ name, type }] }));
const nsock = 4;
const socks = Array.from({ length: nsock }, () => dgram.createSocket('udp4'));
const sentAt = socks.map(() => new Float64Array(65536).fill(-1));
const seqOf = socks.map(() => new Int32Array(65536));
const nextId = socks.map(() => 0);
const total = Math.round(cfg.qps * (cfg.warmupSeconds + cfg.seconds));
const warm = Math.round(cfg.qps * cfg.warmupSeconds);
const send = [], sched = [], at = [], warmSend = [];
const rcodes = {};
let n = 0;
const start = performance.now();
socks.forEach((s, k) => s.on('message', (m) => {
  const now = performance.now();
  const id = m.readUInt16BE(0);
  const t = sentAt[k][id];
  if (t < 0) return;
  sentAt[k][id] = -1;
  const seq = seqOf[k][id];
  if (seq < warm) { warmSend.push(+(now - t).toFixed(3)); return; }
  const due = start + (seq * 1000) / cfg.qps;
  send.push(+(now - t).toFixed(3)); sched.push(+(now - due).toFixed(3)); at.push(+(due - start).toFixed(1));
  const rc = m[3] & 0x0f; rcodes[rc] = (rcodes[rc] || 0) + 1;
}));
function tick() {
  const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * cfg.qps) + 1);
  while (n < due) {
    const k = n % nsock;
    const id = (nextId[k] = (nextId[k] + 1) & 0xffff);
    const q = Buffer.from(templates[n % templates.length]);
    q.writeUInt16BE(id, 0);
    seqOf[k][id] = n;
    sentAt[k][id] = performance.now();
    socks[k].send(q, cfg.port, '127.0.0.1');
    n++;
  }
  if (n < total) setTimeout(tick, 1);
  else setTimeout(() => {
    let unanswered = 0;
    sentAt.forEach((a, k) => a.forEach((t, id) => { if (t >= 0 && seqOf[k][id] >= warm) unanswered++; }));
    for (const s of socks) s.close();
    console.log(JSON.stringify({ send, sched, at, warmSend, unanswered, rcodes, sent: total - warm }));
  }, 1000);
}
tick();
}
`;

async function main(): Promise<void> {
  const server = await startTestServer();
  const client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' }, { timeoutMs: 60_000, maxSockets: 32 });
  const children: ChildProcess[] = [];
  let lab: NetnsLab | undefined;
  const proxies: ServiceProxy[] = [];
  try {
    const skip = labSkipReason() ?? (existsSync('/usr/bin/wrk') ? undefined : 'wrk not installed (apt-get install wrk)');
    if (skip) console.log(`kernel data path figures skipped: ${skip}`);
    else if (only.has('kernel')) {
      lab = new NetnsLab('10.99.0');
      // Direct and ClusterIP traffic come from different client namespaces: both end at the same server
      // socket, and short connections from one address would collide with 4-tuples in TIME_WAIT there.
      await lab.create(1, 3);
      const vipClient = lab.extraClients[0]!.netns;
      const bigClient = lab.extraClients[1]!.netns;
      await lab.startServers(8080);
      const pod = lab.pods[0]!;
      const svc = await client.create<Service>(resources.services, { metadata: { name: 'bench' }, spec: { ports: [{ name: 'http', port: 80 }] } });
      await client.create<EndpointSlice>(resources.endpointSlices, {
        metadata: { name: 'bench-1', labels: { 'kubernetes.io/service-name': 'bench' } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        endpoints: [{ addresses: [pod.ip], nodeName: 'node-a', conditions: { ready: true } }],
      });
      await createDummyServices(client, 0, 9);
      const proxy = await startServiceProxy({ client, nodeName: 'node-a', nodeIPs: [lab.gateway], mode: 'nftables', tableSuffix: `b${lab.tag}`, clusterCIDR: lab.cidr, netns: lab.node, log: () => {} });
      proxies.push(proxy);
      await proxy.synced();
      const vip = `http://${svc.spec!.clusterIP}/`;
      const direct = `http://${pod.ip}:8080/`;
      console.log(`throughput (wrk, ${connections} connections, ${seconds} s, 1 backend pod, client in its own namespace):`);
      await wrk(direct, lab.client, true); // warm-up
      for (const ka of [true, false]) {
        const [d, v] = await alternate(() => wrk(direct, lab!.client, ka), () => wrk(vip, vipClient, ka));
        const key = ka ? 'KeepAlive' : 'NoKeepAlive';
        results[`direct${key}Rps`] = Math.round(d);
        results[`clusterIP${key}Rps`] = Math.round(v);
        results[`clusterIP${key}Ratio`] = +(v / d).toFixed(3);
        console.log(`  keep-alive ${ka ? 'on ' : 'off'}: pod IP ${d.toFixed(0)} req/s, ClusterIP ${v.toFixed(0)} req/s (${((v / d) * 100).toFixed(1)}%) at 10 Services`);
      }
      const s0 = proxy.stats().syncs;
      await createDummyServices(client, 9, serviceCount - 1);
      await syncedWith(proxy, s0);
      await new Promise((r) => setTimeout(r, 1000));
      const [big] = await alternate(() => wrk(vip, bigClient, false));
      const small = Number(results.clusterIPNoKeepAliveRps);
      results[`clusterIPNoKeepAliveRpsAt${serviceCount}Services`] = Math.round(big);
      results.perConnectionCostRatio = +(small / big).toFixed(3);
      console.log(`  keep-alive off: ClusterIP ${big.toFixed(0)} req/s at ${serviceCount} Services (${((big / small) * 100).toFixed(1)}% of the figure at 10 Services)`);
      await proxy.stop();
      proxies.pop();

      // A fresh proxy programs everything at once.
      let firstSyncMs = 0;
      let lastSyncEnd = 0;
      const fresh = await startServiceProxy({
        client,
        nodeName: 'node-a',
        nodeIPs: [lab.gateway],
        mode: 'nftables',
        tableSuffix: `c${lab.tag}`,
        clusterCIDR: lab.cidr,
        netns: lab.node,
        log: () => {},
        onSync: (i) => {
          if (!firstSyncMs) firstSyncMs = i.durationMs;
          lastSyncEnd = performance.now();
        },
      });
      proxies.push(fresh);
      await fresh.synced();
      const chains = (await runHostCommand('nft', ['list', 'table', 'ip', `skiff-c${lab.tag}`], { netns: lab.node })).split('\n').filter((l) => /^\s*chain /.test(l)).length;
      results.fullSyncMs = ms(firstSyncMs);
      console.log(`nftables: ${serviceCount} Services × ${endpointsPer} endpoints programmed in ${firstSyncMs.toFixed(0)} ms (first sync: routes + one nft transaction, ${chains} chains)`);

      const lat: number[] = [];
      for (let i = 0; i < changes; i++) {
        const name = `dummy-${i % (serviceCount - 1)}`;
        const cur = await client.get<EndpointSlice>(resources.endpointSlices, `${name}-1`);
        cur.endpoints![0]!.conditions = { ready: !(cur.endpoints![0]!.conditions?.ready ?? true) };
        const before = fresh.stats().syncs;
        const t0 = performance.now();
        await client.update(resources.endpointSlices, cur);
        await syncedWith(fresh, before);
        lat.push(lastSyncEnd - t0);
      }
      results.endpointChangeP50Ms = ms(pct(lat, 50));
      results.endpointChangeP99Ms = ms(pct(lat, 99));
      console.log(`endpoint change → rules updated (${changes} changes among ${serviceCount} Services): p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms`);
      await fresh.stop();
      proxies.pop();
    }

    // Userspace fallback on loopback: a backend in its own process, wrk direct vs through the relay.
    if (existsSync('/usr/bin/wrk') && only.has('userspace')) {
      const port = 18000 + Math.floor(Math.random() * 2000);
      const backend = spawn(process.execPath, ['-e', `require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.3', () => console.log('ready'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(backend);
      await new Promise<void>((r) => backend.stdout!.once('data', () => r()));
      await client.create<Service>(resources.services, { metadata: { name: 'us' }, spec: { ports: [{ name: 'http', port: 80 }] } });
      await client.create<EndpointSlice>(resources.endpointSlices, {
        metadata: { name: 'us-1', labels: { 'kubernetes.io/service-name': 'us' } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port, protocol: 'TCP' }],
        endpoints: [{ addresses: ['127.0.0.3'], conditions: { ready: true } }],
      });
      const us = await startServiceProxy({ client, nodeName: 'node-a', nodeIPs: ['127.0.0.1'], mode: 'userspace', tableSuffix: 'us', log: () => {} });
      proxies.push(us);
      await us.synced();
      const l = us.userspaceListeners().find((x) => x.name === 'us')!;
      // wrk runs as a child process so the relay (this process) and the backend each have their own loop.
      const d = await wrk(`http://127.0.0.3:${port}/`, undefined, true);
      const u = await wrk(`http://${l.host}:${l.listenPort}/`, undefined, true);
      results.userspaceRatio = +(u / d).toFixed(3);
      console.log(`userspace fallback (loopback, keep-alive): direct ${d.toFixed(0)} req/s, through the relay ${u.toFixed(0)} req/s (${((u / d) * 100).toFixed(1)}%)`);
      await us.stop();
      proxies.pop();
    }

    // DNS at a fixed rate.
    if (only.has('dns')) await dnsFigures(client, server);
  } finally {
    for (const p of proxies) await p.stop().catch(() => {});
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await lab?.destroy();
    client.close();
    await server.close();
  }
  console.log(JSON.stringify(results));
}

/** The queries a pod in namespace default sends for a mix of lookups (see dnsQueryMix), then the load. */
async function dnsFigures(client: ApiClient, server: { url: string; ca: string; token: string }): Promise<void> {
  if (!only.has('kernel')) await createDummyServices(client, 0, serviceCount - 1);
  await client.create<Service>(resources.services, { metadata: { name: 'hl' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] } });
  await client.create<EndpointSlice>(resources.endpointSlices, {
    metadata: { name: 'hl-1', labels: { 'kubernetes.io/service-name': 'hl' } },
    addressType: 'IPv4',
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    endpoints: [0, 1, 2].map((k) => ({ addresses: [`10.201.0.${k + 1}`], hostname: `hl-${k}`, conditions: { ready: true } })),
  });
  const upstream = await startTestUpstream();
  const dnsChild = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--dns-server-child'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, SKIFF_BENCH_DNS: JSON.stringify({ url: server.url, ca: server.ca, token: server.token, upstreamPort: upstream.port }) },
  });
  const lines = createInterface({ input: dnsChild.stdout! })[Symbol.asyncIterator]();
  const nextLine = async () => JSON.parse(((await lines.next()).value as string | undefined) ?? 'null') as Record<string, number>;
  try {
    const { port } = (await nextLine()) as { port: number };
    const services = (await client.list<Service>(resources.services)).items;
    const slices = (await client.list<EndpointSlice>(resources.endpointSlices)).items;
    const mix = dnsQueryMix(snapshotCatalog({ services, endpointSlices: slices, namespaces: ['default'] }), services);
    console.log(`DNS query mix (${mix.lookups} lookups by a glibc stub resolver in a pod of namespace default, ndots:5, A+AAAA): ${mix.summary}`);
    // Let the writes above settle (watch fan-out, garbage collection) so the figures are the DNS server's own.
    await new Promise((r) => setTimeout(r, settleMs));
    const load = spawn(process.execPath, ['-e', dnsLoadScript], { stdio: ['pipe', 'pipe', 'inherit'] });
    load.stdin!.end(JSON.stringify({ dnsPacket: resolvePackage('dns-packet'), port, qps: dnsQps, warmupSeconds: dnsWarmup, seconds: dnsSeconds, queries: mix.queries }));
    let out = '';
    load.stdout!.on('data', (d) => (out += d));
    const warmTimer = setTimeout(() => dnsChild.stdin!.write('start\n'), dnsWarmup * 1000);
    // Endpoint churn during the load, as a cluster with rollouts has: one Service's EndpointSlice changes at a time.
    let churned = 0;
    let churning = Promise.resolve();
    const churnTimer = dnsChurn > 0 ? setInterval(() => {
      churning = churning.then(async () => {
        const name = `dummy-${(churned++ * 7) % Math.max(1, serviceCount - 1)}-1`;
        const cur = await client.get<EndpointSlice>(resources.endpointSlices, name);
        cur.endpoints![0]!.conditions = { ready: !(cur.endpoints![0]!.conditions?.ready ?? true) };
        await client.update(resources.endpointSlices, cur);
      }).catch(() => {});
    }, 1000 / dnsChurn) : undefined;
    await new Promise((r) => load.once('exit', r));
    clearTimeout(warmTimer);
    clearInterval(churnTimer);
    await churning;
    dnsChild.stdin!.write('stop\n');
    const srv = await nextLine();
    const res = JSON.parse(out.trim()) as { send: number[]; sched: number[]; at: number[]; warmSend: number[]; unanswered: number; rcodes: Record<string, number>; sent: number };
    const la = loadavg().map((l) => l.toFixed(2)).join(' ');
    results.loadAverage1m = Number(loadavg()[0]!.toFixed(2));
    // Where the slow answers are: windows of 250 ms (by scheduled send time) whose slowest answer took over 10 ms.
    const windows = new Map<number, number>();
    res.at.forEach((t, i) => windows.set(Math.floor(t / 250), Math.max(windows.get(Math.floor(t / 250)) ?? 0, res.send[i]!)));
    const slow = [...windows].filter(([, m]) => m > 10).map(([w, m]) => `${(w * 0.25).toFixed(2)} s: ${ms(m)} ms`);
    results.dnsQps = dnsQps;
    results.dnsSeconds = dnsSeconds;
    results.dnsWarmupSeconds = dnsWarmup;
    results.dnsP50Ms = ms(pct(res.send, 50));
    results.dnsP99Ms = ms(pct(res.send, 99));
    results.dnsMaxMs = ms(Math.max(...res.send));
    results.dnsP99FromScheduledMs = ms(pct(res.sched, 99));
    results.dnsWarmupP99Ms = ms(pct(res.warmSend, 99));
    results.dnsWarmupMaxMs = ms(Math.max(...res.warmSend));
    results.dnsUnanswered = res.unanswered;
    results.dnsChurnPerSecond = dnsChurn;
    results.dnsServerCpuUsPerQuery = +((srv.cpuMs! * 1000) / Math.max(1, srv.queries!)).toFixed(1);
    results.dnsServerCpuPercent = +((srv.cpuMs! / (srv.wallMs! || 1)) * 100).toFixed(1);
    results.dnsServerLoopDelayP99Ms = ms(srv.loopP99Ms!);
    results.dnsServerLoopDelayMaxMs = ms(srv.loopMaxMs!);
    const rc = (c: number) => res.rcodes[c] ?? 0;
    console.log(`answers: ${rc(0)} NOERROR, ${rc(3)} NXDOMAIN, ${rc(2)} SERVFAIL, ${res.unanswered} unanswered; slow windows (slowest answer > 10 ms): ${slow.length ? slow.join(', ') : 'none'}`);
    console.log(`DNS server process (informers + server, its own process) while measured: ${results.dnsServerCpuUsPerQuery} µs CPU per query (${results.dnsServerCpuPercent}% of a core), event-loop delay p99 ${results.dnsServerLoopDelayP99Ms} ms, max ${results.dnsServerLoopDelayMaxMs} ms; ${srv.cacheHits} of ${srv.queries} answered from the answer cache, ${srv.forwarded} forwarded`);
    console.log(`warm-up (${dnsWarmup} s at the same rate, not counted below): p99 ${results.dnsWarmupP99Ms} ms, max ${results.dnsWarmupMaxMs} ms`);
    console.log(`cluster DNS at ${dnsQps} queries/s for ${dnsSeconds} s after the warm-up (${res.sent} queries, ${serviceCount} Services, ${churned} EndpointSlice changes during the load; latency from the actual send): p50 ${results.dnsP50Ms} ms, p99 ${results.dnsP99Ms} ms, max ${results.dnsMaxMs} ms; p99 from the scheduled send time ${results.dnsP99FromScheduledMs} ms; load average ${la}`);
  } finally {
    if (dnsChild.exitCode === null) {
      dnsChild.stdin!.write('exit\n');
      const killTimer = setTimeout(() => dnsChild.kill('SIGKILL'), 10_000);
      await new Promise((r) => dnsChild.once('exit', r));
      clearTimeout(killTimer);
    }
    upstream.close();
  }
}

/**
 * A weighted, deterministic mix of lookups as programs in a pod make them (getaddrinfo: A and AAAA per
 * candidate name, search list first under ndots:5, stopping at the first candidate with an address;
 * getnameinfo: one PTR), expanded to the queries the stub resolver sends. Outcomes come from the resolver
 * itself over a snapshot of the same objects; names outside the cluster are answered by the test upstream.
 */
function dnsQueryMix(catalog: DnsCatalog, services: Service[]): { queries: Array<[string, string]>; lookups: number; summary: string } {
  const zone = { zone: 'cluster.local', ttl: 5 };
  const conf = podDnsConfig({ metadata: { name: 'client', namespace: 'default' }, spec: { containers: [] } }, ['10.43.0.10'], 'cluster.local', { nameservers: [], searches: [], options: [] });
  const dummies = services.filter((s) => s.metadata!.name!.startsWith('dummy-'));
  let seed = 12345;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const kinds: Array<[number, string, () => { name: string; types: string[] }]> = [
    [40, 'short name', () => ({ name: dummies[rand(dummies.length)]!.metadata!.name!, types: ['A', 'AAAA'] })],
    [15, 'name.namespace', () => ({ name: `${dummies[rand(dummies.length)]!.metadata!.name!}.default`, types: ['A', 'AAAA'] })],
    [15, 'absolute FQDN', () => ({ name: `${dummies[rand(dummies.length)]!.metadata!.name!}.default.svc.cluster.local.`, types: ['A', 'AAAA'] })],
    [5, 'headless', () => ({ name: 'hl', types: ['A', 'AAAA'] })],
    [5, 'StatefulSet pod', () => ({ name: `hl-${rand(3)}.hl`, types: ['A', 'AAAA'] })],
    [15, 'external', () => ({ name: `host-${rand(50)}.example.com`, types: ['A', 'AAAA'] })],
    [5, 'PTR', () => ({ name: `${dummies[rand(dummies.length)]!.spec!.clusterIP!.split('.').reverse().join('.')}.in-addr.arpa.`, types: ['PTR'] })],
  ];
  const weightSum = kinds.reduce((a, k) => a + k[0], 0);
  const queries: Array<[string, string]> = [];
  const count = { answer: 0, nodata: 0, nxdomain: 0, forward: 0 };
  const lookups = 4000;
  for (let i = 0; i < lookups; i++) {
    let w = rand(weightSum);
    const kind = kinds.find((k) => (w -= k[0]) < 0)!;
    const { name, types } = kind[2]();
    for (const cand of searchCandidates(name, conf)) {
      let found = false;
      for (const t of types) {
        queries.push([cand, t]);
        const r = resolve(catalog, zone, cand, t);
        if (r.kind === 'forward') count.forward++;
        else if (r.rcode === 'NXDOMAIN') count.nxdomain++;
        else if (r.answers.length === 0) count.nodata++;
        else count.answer++;
        if (r.kind === 'forward' || r.answers.length > 0) found = true;
      }
      if (found) break;
    }
  }
  const share = (x: number) => `${((x / queries.length) * 100).toFixed(0)}%`;
  const summary = `${queries.length} queries cycled: ${share(count.answer)} answered, ${share(count.nodata)} NODATA, ${share(count.nxdomain)} NXDOMAIN (search-path misses), ${share(count.forward)} outside the cluster (forwarded upstream, then cached for their TTL)`;
  return { queries, lookups, summary };
}

/** The host's resolver stand-in, on loopback in this process: A → 192.0.2.1, anything else NODATA (with an SOA, as real resolvers send). */
async function startTestUpstream(): Promise<{ port: number; close(): void }> {
  const sock = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    try {
      const q = dnsPacket.decode(msg);
      const question = q.questions![0]!;
      const answers = question.type === 'A' ? [{ type: 'A' as const, name: question.name, ttl: 60, data: '192.0.2.1' }] : [];
      const soa = { mname: 'ns.example.com', rname: 'hostmaster.example.com', serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 60 };
      const authorities = answers.length ? [] : [{ type: 'SOA' as const, name: 'example.com', ttl: 60, data: soa }];
      sock.send(dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers, authorities }), rinfo.port, rinfo.address);
    } catch {
      // not a query: ignore
    }
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { port: sock.address().port, close: () => sock.close() };
}

/** The DNS server in its own process, as in an agent: informers on the API server + the server. */
async function dnsServerChild(): Promise<void> {
  const cfg = JSON.parse(process.env.SKIFF_BENCH_DNS!) as { url: string; ca: string; token: string; upstreamPort: number };
  const client = ApiClient.fromConfig({ servers: [cfg.url], ca: cfg.ca, token: cfg.token, namespace: 'default' }, { timeoutMs: 60_000 });
  const dnsServer = await startClusterDns({ client, host: '127.0.0.1', port: 0, upstreams: [{ host: '127.0.0.1', port: cfg.upstreamPort }], log: () => {} });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  let s0 = dnsServer.stats();
  console.log(JSON.stringify({ port: dnsServer.port }));
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'start') {
      delay.reset();
      delay.enable();
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      s0 = dnsServer.stats();
    } else if (line === 'stop') {
      delay.disable();
      const cpu = process.cpuUsage(cpu0);
      const s = dnsServer.stats();
      console.log(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - t0, loopP99Ms: delay.percentile(99) / 1e6, loopMaxMs: delay.max / 1e6, queries: s.queries - s0.queries, cacheHits: s.cacheHits - s0.cacheHits, forwarded: s.forwarded - s0.forwarded }));
    } else if (line === 'exit') break;
  }
  await dnsServer.stop();
  client.close();
  process.exit(0);
}

function resolvePackage(name: string): string {
  return new URL(import.meta.resolve(name)).pathname;
}

(process.argv[2] === '--dns-server-child' ? dnsServerChild() : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});
