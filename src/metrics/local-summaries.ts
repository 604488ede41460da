// Nodes whose /stats/summary is served inside this very process (a `skiff up --runtime sim` fleet's stats
// server): the collector reads their summaries directly instead of over an HTTPS round trip to itself. At
// 5,000 simulated nodes and the default 15 s resolution the loopback scrapes were ~333 TLS requests a second,
// about a third of an idle server's CPU. The documents and their numbers are the same either way; nodes of
// other endpoints (real agents, another process's fleet) are scraped over the network as before.
import type { Summary } from './summary.js';

/** A node's summary by name; undefined when that source does not (or no longer) serve the node. */
export type SummarySource = (nodeName: string) => Summary | undefined;

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

  /** The summary behind a node's endpoint URL when a local source serves it; undefined = not local. */
  lookup(endpoint: string): LocalSummary | undefined {
    for (const [prefix, source] of this.sources) {
      if (!endpoint.startsWith(prefix)) continue;
      const rest = endpoint.slice(prefix.length);
      if (rest === '' || rest.includes('/')) continue;
      const name = decodeURIComponent(rest);
      const summary = source(name);
      return summary ? { summary } : { notFound: `node "${name}" not found` };
    }
    return undefined;
  }
}
