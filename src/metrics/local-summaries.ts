// Nodes whose /stats/summary is served inside this very process (a `skiff up --runtime sim` fleet's stats
// server, on the server's thread or in a worker thread of its process): the collector reads their summaries
// directly instead of over an HTTPS round trip to itself. At 5,000 simulated nodes and the default 15 s
// resolution the loopback scrapes were ~333 TLS requests a second, about a third of an idle server's CPU. A
// source answers a batch of nodes at once (a fleet in a worker thread: one message per batch rather than one
// per node). The documents and their numbers are the same either way; nodes of other endpoints (real agents,
// another process's fleet) are scraped over the network as before.
import type { Summary } from './summary.js';

/**
 * The summaries of a batch of nodes by name, in the same order; null/undefined for a node that source does
 * not (or no longer) serve. Rejects when the source cannot answer at all.
 */
export type SummarySource = (nodeNames: string[]) => (Summary | null | undefined)[] | Promise<(Summary | null | undefined)[]>;

/** What a local lookup found: the node's summary, or that its source does not know it (the HTTP 404 case). */
export type LocalSummary = { summary: Summary } | { notFound: string };

export class LocalSummaries {
  /** Endpoint prefix (`https://host:port/nodes/`) → source of the nodes below it. */
  private readonly sources = new Map<string, SummarySource>();

  /** Serves the nodes whose endpoint is `<prefix><url-encoded node name>`; returns the undo. */
  add(prefix: string, source: SummarySource): () => void {
    this.sources.set(prefix, source);
    return () => {
      if (this.sources.get(prefix) === source) this.sources.delete(prefix);
    };
  }

  /** Whether a local source serves the node behind this endpoint URL. */
  serves(endpoint: string): boolean {
    return this.route(endpoint) !== undefined;
  }

  /**
   * The summaries behind node endpoint URLs that local sources serve (one call per source); endpoints no local
   * source serves are left out. Rejects when a source fails.
   */
  async lookup(endpoints: string[]): Promise<Map<string, LocalSummary>> {
    const bySource = new Map<SummarySource, { endpoints: string[]; names: string[] }>();
    for (const endpoint of endpoints) {
      const r = this.route(endpoint);
      if (!r) continue;
      let batch = bySource.get(r.source);
      if (!batch) bySource.set(r.source, (batch = { endpoints: [], names: [] }));
      batch.endpoints.push(endpoint);
      batch.names.push(r.name);
    }
    const out = new Map<string, LocalSummary>();
    await Promise.all(
      [...bySource].map(async ([source, batch]) => {
        const summaries = await source(batch.names);
        batch.endpoints.forEach((endpoint, i) => {
          const summary = summaries[i];
          out.set(endpoint, summary ? { summary } : { notFound: `node "${batch.names[i]}" not found` });
        });
      }),
    );
    return out;
  }

  private route(endpoint: string): { source: SummarySource; name: string } | undefined {
    for (const [prefix, source] of this.sources) {
      if (!endpoint.startsWith(prefix)) continue;
      const rest = endpoint.slice(prefix.length);
      if (rest === '' || rest.includes('/')) continue;
      return { source, name: decodeURIComponent(rest) };
    }
    return undefined;
  }
}
