// Benchmark of the SQLite store and the watch cache on top of it: single-key creates/s one by one (each
// awaited before the next: one write per group commit), creates/s and updates/s with 16 in flight (as the API
// server issues them under load: writes of one event-loop turn share a commit), with the store's CPU time per
// write, gets/s, a namespace list from the watch cache, and watch fan-out latency to 1,000 cache watchers.
// Prints the conditions, the figures, and as its last line one JSON object with them.
// Run: node --import tsx bench/store.ts [count]
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { KubeObject } from '../src/api/types.js';
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { WatchCache } from '../src/storage/watch-cache.js';

const N = Number(process.argv[2] ?? 20_000);
const FANOUT_WATCHERS = 1_000;
/** Writes in flight in the concurrent phases (the API bench's client count). */
const IN_FLIGHT = 16;
const FANOUT_WRITES = 200;

function podJson(ns: string, name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, uid: `uid-${name}`, labels: { app: 'bench', tier: 'web' } },
    spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '10m' } } }] },
    status: { phase: 'Pending' },
  });
}

function rate(n: number, ms: number): number {
  return Math.round((n / ms) * 1000);
}

function cpuUsSince(start: NodeJS.CpuUsage, n: number): number {
  const used = process.cpuUsage(start);
  return Number(((used.user + used.system) / n).toFixed(1));
}

/** Runs `op(i)` for i in [0, n) with `inFlight` calls outstanding at a time. */
async function inFlight(n: number, width: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await op(next++);
    }),
  );
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-store-'));
  const store = await openSqliteStore(join(dir, 'state.db'));
  try {
    const keys: string[] = [];
    for (let i = 0; i < N; i++) keys.push(`/registry/pods/ns-${i % 50}/pod-${i}`);
    const values = keys.map((k) => podJson(k.split('/')[3]!, k.split('/')[4]!));

    const half = Math.floor(N / 2);
    let cpu = process.cpuUsage();
    let t = performance.now();
    for (let i = 0; i < half; i++) await store.create(keys[i]!, values[i]!);
    const createMs = performance.now() - t;
    const createCpuUs = cpuUsSince(cpu, half);

    cpu = process.cpuUsage();
    t = performance.now();
    await inFlight(N - half, IN_FLIGHT, (i) => store.create(keys[half + i]!, values[half + i]!));
    const concurrentCreateMs = performance.now() - t;
    const concurrentCreateCpuUs = cpuUsSince(cpu, N - half);

    t = performance.now();
    for (let i = 0; i < N; i++) await store.get(keys[(i * 7919) % N]!);
    const getMs = performance.now() - t;

    t = performance.now();
    for (let i = 0; i < N; i++) {
      const kv = (await store.get(keys[i]!))!;
      await store.update(kv.key, kv.value, kv.modRevision);
    }
    const updateMs = performance.now() - t;

    // Updates with 16 in flight, each from the revision its previous update returned (no reads between).
    const revs = new Map<string, number>();
    for (const kv of (await store.list('/registry/pods/')).items) revs.set(kv.key, kv.modRevision);
    cpu = process.cpuUsage();
    t = performance.now();
    await inFlight(N, IN_FLIGHT, async (i) => {
      const key = keys[i]!;
      const kv = await store.update(key, values[i]!, revs.get(key)!);
      revs.set(key, kv.modRevision);
    });
    const concurrentUpdateMs = performance.now() - t;
    const concurrentUpdateCpuUs = cpuUsSince(cpu, N);

    const cache = new WatchCache(store, {
      prefix: '/registry/pods/',
      decode: (kv) => {
        const o = JSON.parse(kv.value) as KubeObject;
        return { ...o, metadata: { ...o.metadata, resourceVersion: String(kv.modRevision) } };
      },
    });
    t = performance.now();
    await cache.start();
    const cacheStartMs = performance.now() - t;

    const LISTS = 2_000;
    t = performance.now();
    let listed = 0;
    for (let i = 0; i < LISTS; i++) listed += cache.list(`/registry/pods/ns-${i % 50}/`).items.length;
    const nsListMs = (performance.now() - t) / LISTS;

    // Fan-out: one write at a time, latency from before the write to each watcher's receipt.
    const latencies: number[] = [];
    let writeStart = 0;
    let received = 0;
    let done: (() => void) | undefined;
    for (let w = 0; w < FANOUT_WATCHERS; w++) {
      cache.watch('/registry/pods/fanout/', 0, undefined, {
        onEvent: () => {
          latencies.push(performance.now() - writeStart);
          if (++received === FANOUT_WATCHERS) done?.();
        },
        onClose: () => undefined,
      });
    }
    for (let i = 0; i < FANOUT_WRITES; i++) {
      received = 0;
      const delivered = new Promise<void>((resolve) => (done = resolve));
      writeStart = performance.now();
      await store.create(`/registry/pods/fanout/p-${i}`, podJson('fanout', `p-${i}`));
      await delivered;
    }
    latencies.sort((a, b) => a - b);
    cache.stop();

    const figures = {
      keys: N,
      createsPerSec: rate(half, createMs),
      createCpuUs,
      concurrentCreatesPerSec: rate(N - half, concurrentCreateMs),
      concurrentCreateCpuUs,
      concurrentUpdatesPerSec: rate(N, concurrentUpdateMs),
      concurrentUpdateCpuUs,
      getsPerSec: rate(N, getMs),
      updatesPerSec: rate(N, updateMs),
      cacheStartMs: Math.round(cacheStartMs),
      cacheNamespaceListMs: Number(nsListMs.toFixed(3)),
      namespaceSize: listed / LISTS,
      fanoutWatchers: FANOUT_WATCHERS,
      fanoutP50Ms: Number(percentile(latencies, 50).toFixed(2)),
      fanoutP99Ms: Number(percentile(latencies, 99).toFixed(2)),
    };
    console.log(`conditions: node ${process.version}, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown'}), temp-file database, ~${values[0]!.length}-byte values`);
    console.log(`creates/s ${figures.createsPerSec} one by one (${createCpuUs} µs CPU each)  gets/s ${figures.getsPerSec}  updates/s ${figures.updatesPerSec}  (${N} keys)`);
    console.log(
      `${IN_FLIGHT} in flight: creates/s ${figures.concurrentCreatesPerSec} (${concurrentCreateCpuUs} µs CPU each)  updates/s ${figures.concurrentUpdatesPerSec} (${concurrentUpdateCpuUs} µs CPU each)`,
    );
    console.log(`watch cache: start ${figures.cacheStartMs} ms, namespace list (${figures.namespaceSize} of ${N}) ${figures.cacheNamespaceListMs} ms`);
    console.log(`fan-out to ${FANOUT_WATCHERS} watchers: p50 ${figures.fanoutP50Ms} ms, p99 ${figures.fanoutP99Ms} ms`);
    console.log(JSON.stringify(figures));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
