// etcd's own latency histograms and counters (its Prometheus /metrics endpoint), read before and after a
// benchmark run so the run's disk figures can be set beside its request latencies: WAL fsync (every raft entry,
// on every member), backend commit (bbolt, every --backend-batch-interval), and leader changes / late
// heartbeats / slow applies. Pure parsing and arithmetic plus one fetch per member.

/** Cumulative bucket counts by upper bound (seconds; Infinity for +Inf), with the sum and count. */
export interface Histogram {
  buckets: Map<number, number>;
  sum: number;
  count: number;
}

/** The named histograms in Prometheus text format (series without labels other than `le`), summed over series. */
export function parseHistograms(text: string, names: readonly string[]): Map<string, Histogram> {
  const out = new Map<string, Histogram>();
  const of = (name: string): Histogram => {
    let h = out.get(name);
    if (!h) out.set(name, (h = { buckets: new Map(), sum: 0, count: 0 }));
    return h;
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const [, series, labels = '', raw] = m;
    const value = Number(raw);
    for (const name of names) {
      if (series === `${name}_bucket`) {
        const le = /le="([^"]+)"/.exec(labels)?.[1];
        if (le === undefined) continue;
        const bound = le === '+Inf' ? Infinity : Number(le);
        const h = of(name);
        h.buckets.set(bound, (h.buckets.get(bound) ?? 0) + value);
      } else if (series === `${name}_sum`) of(name).sum += value;
      else if (series === `${name}_count`) of(name).count += value;
    }
  }
  return out;
}

/** after − before, bucket by bucket (what happened during the run). */
export function histogramDelta(before: Histogram | undefined, after: Histogram): Histogram {
  const buckets = new Map<number, number>();
  for (const [le, n] of after.buckets) buckets.set(le, n - (before?.buckets.get(le) ?? 0));
  return { buckets, sum: after.sum - (before?.sum ?? 0), count: after.count - (before?.count ?? 0) };
}

/** The upper bound (ms) of the bucket holding quantile q: an upper estimate, as histogram_quantile's bucket. */
export function bucketQuantileMs(h: Histogram, q: number): number {
  if (h.count <= 0) return 0;
  const want = q * h.count;
  for (const le of [...h.buckets.keys()].sort((a, b) => a - b)) {
    if (h.buckets.get(le)! >= want) return le === Infinity ? Infinity : +(le * 1000).toFixed(3);
  }
  return Infinity;
}

/** Observations above `ms` (counted from the largest bucket bound at or below it). */
export function countAboveMs(h: Histogram, ms: number): number {
  let below = 0;
  for (const [le, n] of h.buckets) if (le * 1000 <= ms && n > below) below = n;
  return h.count - below;
}

/** The named counters/gauges (every series of each name summed), absent names as 0. */
export function parseCounters(text: string, names: readonly string[]): Map<string, number> {
  const out = new Map<string, number>(names.map((n) => [n, 0]));
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && out.has(m[1]!)) out.set(m[1]!, out.get(m[1]!)! + Number(m[2]));
  }
  return out;
}

/** Unary gRPC calls etcd handled, by method (grpc_server_handled_total summed over codes), e.g. Txn, Range. */
export function parseRpcCounts(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('grpc_server_handled_total{')) continue;
    const m = /grpc_method="([^"]+)".*grpc_type="unary"\}\s+(\S+)/.exec(line);
    if (m) out.set(m[1]!, (out.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return out;
}

/**
 * Signs of a cluster too starved to keep its leader (etcd's FAQ: CPU starvation or a slow disk delays
 * heartbeats): leader changes seen, heartbeats not sent on time, applies over 100 ms.
 */
export const ETCD_STARVATION_COUNTERS = [
  'etcd_server_leader_changes_seen_total',
  'etcd_server_heartbeat_send_failures_total',
  'etcd_server_slow_apply_total',
] as const;

export const ETCD_DISK_HISTOGRAMS = ['etcd_disk_wal_fsync_duration_seconds', 'etcd_disk_backend_commit_duration_seconds'] as const;

export interface EtcdScrape {
  disk: Map<string, Histogram>;
  counters: Map<string, number>;
  /** Unary calls handled by method, summed over members. */
  rpcs: Map<string, number>;
}

/** The disk histograms and starvation counters of every member (plain-HTTP client URLs), summed over members. */
export async function scrapeEtcd(endpoints: readonly string[]): Promise<EtcdScrape> {
  const total = new Map<string, Histogram>();
  const counters = new Map<string, number>(ETCD_STARVATION_COUNTERS.map((n) => [n, 0]));
  const rpcs = new Map<string, number>();
  for (const url of endpoints) {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    for (const [name, n] of parseCounters(text, ETCD_STARVATION_COUNTERS)) counters.set(name, counters.get(name)! + n);
    for (const [method, n] of parseRpcCounts(text)) rpcs.set(method, (rpcs.get(method) ?? 0) + n);
    for (const [name, h] of parseHistograms(text, ETCD_DISK_HISTOGRAMS)) {
      const t = total.get(name) ?? { buckets: new Map(), sum: 0, count: 0 };
      for (const [le, n] of h.buckets) t.buckets.set(le, (t.buckets.get(le) ?? 0) + n);
      t.sum += h.sum;
      t.count += h.count;
      total.set(name, t);
    }
  }
  return { disk: total, counters, rpcs };
}
