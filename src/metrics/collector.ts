// The resource metrics collector (metrics-server's role, inside the API server): every resolution (default
// 15 s) it scrapes GET <agent>/stats/summary of every node through nodeAgentUrl(node) over HTTPS with a
// client certificate signed by the cluster CA, verifying the agent's serving certificate against that CA,
// and replaces each node's entry in the MetricsSnapshot. Scrapes run with bounded concurrency over one
// keep-alive agent, so thousands of (simulated) nodes cost little. As metrics-server does, the periodic scrape
// staggers its node requests at random over min(8 ms × nodes, 4 s), so answers arrive spread out rather than
// all at once (the API server keeps serving in between). A node that fails to answer keeps no stale numbers:
// its samples are dropped and the failure is logged once per change of error. Nodes served inside this
// process (local-summaries.ts: a simulated fleet, possibly in a worker thread) are read in batches, without
// staggering: there is no request to spread, and one message per batch costs the server's thread far less
// than one per node.
import { Agent, request } from 'node:https';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import type { Node } from 'kubernetes-types/core/v1.js';
import { nodeAgentUrl } from '../agent/endpoint.js';
import { MetricsSnapshot } from './snapshot.js';
import type { LocalSummaries, LocalSummary } from './local-summaries.js';
import { samplesFromSummary, type CpuCounters, type PodSample, type Summary } from './summary.js';

export interface CollectorOptions {
  /** Current nodes (the API server's watch cache). */
  listNodes(): Node[];
  /** Cluster CA and the client certificate presented to agents. */
  tls: { ca: string; cert: string; key: string };
  /** Scrape interval (metrics-server --metric-resolution), default 15 s. */
  resolutionMs?: number;
  /** Parallel scrapes, default 64. */
  concurrency?: number;
  /** Per-scrape timeout, default 10 s. */
  timeoutMs?: number;
  log: (line: string) => void;
  snapshot?: MetricsSnapshot;
  /** Nodes served inside this process (a simulated fleet): their summaries are read directly, not over HTTPS. */
  local?: LocalSummaries;
  /** Called with a node's fresh samples as they arrive, before the scrape is stored (e.g. to render them ahead of requests). */
  onNodeScraped?(pods: PodSample[]): void;
}

export interface Collector {
  readonly snapshot: MetricsSnapshot;
  /**
   * One scrape of every node now; `stagger` spreads the node requests as the periodic scrape does (default:
   * all at once, for tests and benchmarks). Joins a scrape already running.
   */
  scrapeOnce(opts?: { stagger?: boolean }): Promise<void>;
  stop(): void;
}

/** metrics-server's staggering: each node's request starts at random within min(8 ms × nodes, 4 s). */
export const staggerPerNodeMs = 8;
export const staggerMaxMs = 4000;
/** Nodes served in this process read per batch. */
const localBatch = 250;

/** When each node's request starts (ms after the scrape begins), earliest first; random() as Math.random. */
export function scrapeSchedule<T>(nodes: T[], stagger: boolean, random: () => number = Math.random): { node: T; atMs: number }[] {
  const spread = stagger ? Math.min(staggerPerNodeMs * nodes.length, staggerMaxMs) : 0;
  return nodes.map((node) => ({ node, atMs: Math.floor(random() * spread) })).sort((a, b) => a.atMs - b.atMs);
}

export function startCollector(o: CollectorOptions): Collector {
  const snapshot = o.snapshot ?? new MetricsSnapshot();
  const resolution = o.resolutionMs ?? 15_000;
  const concurrency = o.concurrency ?? 64;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const agent = new Agent({ ca: o.tls.ca, cert: o.tls.cert, key: o.tls.key, keepAlive: true, maxSockets: concurrency });
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: concurrency });
  const counters = new Map<string, CpuCounters>();
  const lastError = new Map<string, string>();
  let running: Promise<void> | undefined;
  let stopped = false;

  // A node's result, applied to the snapshot with every other node's when the scrape ends (metrics-server
  // stores one batch per scrape): lists answered meanwhile see one consistent scrape, and cached renderings of
  // the whole snapshot are rebuilt once per scrape rather than once per node.
  type Change = () => void;
  const scraped = (name: string, summary: Summary): Change => {
    const next: CpuCounters = new Map();
    const { node: ns, pods } = samplesFromSummary(summary, counters.get(name) ?? new Map(), next, resolution);
    counters.set(name, next);
    o.onNodeScraped?.(pods);
    if (lastError.delete(name)) o.log(`metrics: scraping node ${name} works again`);
    return () => snapshot.replaceNode(name, ns, pods);
  };
  const failed = (name: string, err: unknown): Change => {
    const msg = err instanceof Error ? err.message : String(err);
    if (lastError.get(name) !== msg) o.log(`metrics: unable to fetch metrics from node ${name}: ${msg}`);
    lastError.set(name, msg);
    return () => snapshot.removeNode(name);
  };
  const scrapeNode = async (node: Node): Promise<Change> => {
    const name = node.metadata?.name ?? '';
    const base = nodeAgentUrl(node);
    if (!base) return () => snapshot.removeNode(name);
    try {
      return scraped(name, await fetchJson<Summary>(`${base}/stats/summary`, agent, httpAgent, timeoutMs));
    } catch (err) {
      return failed(name, err);
    }
  };
  /** Nodes served in this process, a batch at a time (bounded, so a large fleet's documents never pile up). */
  const scrapeLocal = async (local: LocalSummaries, nodes: { node: Node; base: string }[], changes: Change[]): Promise<void> => {
    for (let i = 0; i < nodes.length && !stopped; i += localBatch) {
      const batch = nodes.slice(i, i + localBatch);
      let found: Map<string, LocalSummary>;
      try {
        found = await local.lookup(batch.map((b) => b.base));
      } catch (err) {
        // The source cannot answer at all (a fleet's worker thread restarting): one line for the batch.
        o.log(`metrics: unable to fetch metrics from ${batch.length} nodes served in this process: ${err instanceof Error ? err.message : String(err)}`);
        for (const { node } of batch) changes.push(() => snapshot.removeNode(node.metadata?.name ?? ''));
        continue;
      }
      for (const { node, base } of batch) {
        const name = node.metadata?.name ?? '';
        const r = found.get(base);
        if (r && 'summary' in r) changes.push(scraped(name, r.summary));
        // A node its source does not know fails as the HTTP 404 would.
        else changes.push(failed(name, new Error(`request failed - "404 Not Found", response: "${r?.notFound ?? `node "${name}" not found`}"`)));
      }
    }
  };

  const scrapeAll = async (stagger: boolean): Promise<void> => {
    const started = performance.now();
    const nodes = o.listNodes();
    const names = new Set(nodes.map((n) => n.metadata?.name ?? ''));
    for (const n of snapshot.nodeNames()) {
      if (!names.has(n)) {
        snapshot.removeNode(n);
        counters.delete(n);
        lastError.delete(n);
      }
    }
    const local: { node: Node; base: string }[] = [];
    const remote: Node[] = [];
    for (const node of nodes) {
      const base = o.local ? nodeAgentUrl(node) : undefined;
      if (base && o.local!.serves(base)) local.push({ node, base });
      else remote.push(node);
    }
    const schedule = scrapeSchedule(remote, stagger);
    const changes: Change[] = [];
    let next = 0;
    const worker = async () => {
      while (!stopped && next < schedule.length) {
        const { node, atMs } = schedule[next++]!;
        const wait = started + atMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait).unref());
        if (!stopped) changes.push(await scrapeNode(node));
      }
    };
    await Promise.all([...Array.from({ length: Math.min(concurrency, remote.length) }, worker), ...(o.local && local.length > 0 ? [scrapeLocal(o.local, local, changes)] : [])]);
    if (!stopped) for (const apply of changes) apply();
  };

  const scrapeOnce = (opts: { stagger?: boolean } = {}): Promise<void> => (running ??= scrapeAll(opts.stagger ?? false).finally(() => (running = undefined)));
  // The first scrape at once (metrics right after start), later ones staggered.
  void scrapeOnce();
  const timer = setInterval(() => void scrapeOnce({ stagger: true }), resolution);
  timer.unref();
  return {
    snapshot,
    scrapeOnce,
    stop() {
      stopped = true;
      clearInterval(timer);
      agent.destroy();
      httpAgent.destroy();
    },
  };
}

function fetchJson<T>(url: string, agent: Agent, httpAgent: HttpAgent, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const done = (res: import('node:http').IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) return reject(new Error(`request failed - "${res.statusCode} ${res.statusMessage ?? ''}", response: "${body.slice(0, 200)}"`));
        try {
          resolve(JSON.parse(body) as T);
        } catch (e) {
          reject(new Error(`decoding summary: ${(e as Error).message}`));
        }
      });
      res.on('error', reject);
    };
    // Plain http:// is accepted for agents that say so in their endpoint annotation (loopback test fleets).
    const req = u.protocol === 'http:' ? httpRequest(u, { agent: httpAgent, timeout: timeoutMs }, done) : request(u, { agent, timeout: timeoutMs }, done);
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
