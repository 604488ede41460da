// Service networking benchmark: `npm run bench -- network [--services 1000] [--endpoints 10] [--changes 50]
// [--dns-qps 5000] [--dns-seconds 5] [--dns-settle-ms 2000] [--seconds 5] [--connections 16] [--only kernel,userspace,dns]`.
// One process runs an in-process API server and the service proxy; traffic flows only inside network
// namespaces this benchmark creates (test/network/proxy/netns-lab.ts) and on loopback.
//   - ClusterIP vs pod IP throughput with wrk (same backend, same connections; keep-alive on and off), at 10
//     Services and again at --services Services (per-connection cost as the rule set grows); each figure is
//     the median of 3 runs, interleaved
//   - userspace fallback vs direct throughput on loopback
//   - nftables programming: first full sync of --services × --endpoints, and endpoint change → rules
//     updated latency (EndpointSlice write → sync done), p50/p99
//   - cluster DNS latency at a fixed query rate (load generator in its own process), p50/p99/max
// Root and wrk are needed for the kernel parts (skipped with a note otherwise). Prints figures, then one
// JSON line.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ApiClient, resources } from '../src/client/index.js';
import { startClusterDns } from '../src/network/dns/index.js';
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
const dnsSeconds = Number(args.get('dns-seconds') ?? 5);
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

const dnsLoadScript = `
const dgram = require('dgram');
const dns = require(process.argv[1]);
const [port, qps, seconds, names] = [Number(process.argv[2]), Number(process.argv[3]), Number(process.argv[4]), JSON.parse(process.argv[5])];
const socks = Array.from({ length: 4 }, () => dgram.createSocket('udp4'));
const sent = new Map(); const lat = []; let id = 0; let timeouts = 0;
const at = [];
for (const s of socks) s.on('message', (m) => { const i = m.readUInt16BE(0); const t = sent.get(i); if (t !== undefined) { lat.push(Number(process.hrtime.bigint() - t) / 1e6); at.push(Number(t - start) / 1e6); sent.delete(i); } });
const total = qps * seconds; let n = 0; const start = process.hrtime.bigint();
function tick() {
  const due = Math.min(total, Math.floor(Number(process.hrtime.bigint() - start) / 1e9 * qps));
  while (n < due) {
    id = (id % 65535) + 1;
    const q = dns.encode({ type: 'query', id, flags: dns.RECURSION_DESIRED, questions: [{ type: 'A', name: names[n % names.length] }] });
    sent.set(id, process.hrtime.bigint());
    socks[n % socks.length].send(q, port, '127.0.0.1');
    n++;
  }
  if (n < total) setTimeout(tick, 1); else setTimeout(() => { timeouts = sent.size; for (const s of socks) s.close(); console.log(JSON.stringify({ lat, at, timeouts, sent: total })); }, 1000);
}
tick();
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
    if (only.has('dns')) await dnsFigures(client);
  } finally {
    for (const p of proxies) await p.stop().catch(() => {});
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await lab?.destroy();
    client.close();
    await server.close();
  }
  console.log(JSON.stringify(results));
}

async function dnsFigures(client: ApiClient): Promise<void> {
  if (!only.has('kernel')) await createDummyServices(client, 0, serviceCount - 1);
  const dnsServer = await startClusterDns({ client, host: '127.0.0.1', port: 0, upstreams: [], log: () => {} });
  const names = Array.from({ length: 200 }, (_, i) => `dummy-${i % Math.max(1, serviceCount - 1)}.default.svc.cluster.local`);
  // Let the writes above settle (watch fan-out, garbage collection) so the figures are the DNS server's own.
  await new Promise((r) => setTimeout(r, settleMs));
  // This process's event-loop delay during the load: tells a busy server from a busy machine.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const load = spawn(process.execPath, ['-e', dnsLoadScript, resolvePackage('dns-packet'), String(dnsServer.port), String(dnsQps), String(dnsSeconds), JSON.stringify(names)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  load.stdout!.on('data', (d) => (out += d));
  await new Promise((r) => load.once('exit', r));
  loopDelay.disable();
  const res = JSON.parse(out.trim()) as { lat: number[]; at: number[]; timeouts: number; sent: number };
  console.log(`event-loop delay of the DNS server's process during the load: p99 ${ms(loopDelay.percentile(99) / 1e6)} ms, max ${ms(loopDelay.max / 1e6)} ms; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  results.dnsLoopDelayMaxMs = ms(loopDelay.max / 1e6);
  results.loadAverage1m = Number(loadavg()[0]!.toFixed(2));
  // Where the slow answers are: windows of 250 ms (by send time) whose slowest answer took over 10 ms.
  const windows = new Map<number, number>();
  res.at.forEach((t, i) => windows.set(Math.floor(t / 250), Math.max(windows.get(Math.floor(t / 250)) ?? 0, res.lat[i]!)));
  const slow = [...windows].filter(([, m]) => m > 10).map(([w, m]) => `${(w * 0.25).toFixed(2)} s: ${ms(m)} ms`);
  console.log(`slow windows (slowest answer > 10 ms): ${slow.length ? slow.join(', ') : 'none'}`);
  const steady = res.lat.filter((_, i) => res.at[i]! >= 1000);
  await dnsServer.stop();
  results.dnsQps = dnsQps;
  results.dnsP50Ms = ms(pct(res.lat, 50));
  results.dnsP99Ms = ms(pct(res.lat, 99));
  results.dnsMaxMs = ms(Math.max(...res.lat));
  results.dnsP99AfterFirstSecondMs = ms(pct(steady, 99));
  results.dnsUnanswered = res.timeouts;
  console.log(`cluster DNS at ${dnsQps} queries/s for ${dnsSeconds} s (${res.sent} queries over ${names.length} names, ${serviceCount} Services): p50 ${results.dnsP50Ms} ms, p99 ${results.dnsP99Ms} ms, max ${results.dnsMaxMs} ms, unanswered ${res.timeouts}; p99 after the first second ${results.dnsP99AfterFirstSecondMs} ms`);
}

function resolvePackage(name: string): string {
  return new URL(import.meta.resolve(name)).pathname;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
