// Encoded cluster-zone answers, reused for identical queries until the part of the catalog each was read
// from changes (its scope's generation, see dnsScopes: one Service's change leaves every other name's
// answers cached). The key is the query
// without its ID (flags, question as asked, EDNS) plus the transport, so a hit only needs the ID patched: the
// server sends the query's 2 ID bytes followed by the cached answer's remaining bytes (no copy). Lookups hash
// the query bytes in place (FNV-1a) and compare them byte for byte, so a hit allocates nothing. Bounded: when
// full, the oldest entries go. No I/O.

interface Entry {
  /** The query from byte 2 on (its ID left out). */
  key: Buffer;
  answer: Buffer;
  scope: string;
  /** The scope's generation when the answer was read. */
  generation: number;
  /** Another entry with the same hash. */
  next: Entry | undefined;
}

export class AnswerCache {
  private readonly udp = new Map<number, Entry>();
  private readonly tcp = new Map<number, Entry>();
  private entries = 0;

  constructor(private readonly maxEntries = 10_000) {}

  /** FNV-1a over the query without its ID. */
  static hash(query: Buffer): number {
    let h = 0x811c9dc5;
    for (let i = 2; i < query.length; i++) h = Math.imul(h ^ query[i]!, 0x01000193);
    return h >>> 0;
  }

  /**
   * The cached answer to this query, still carrying the ID of the query that filled it: callers send
   * query[0..2] + answer[2..]. Never modify it.
   */
  lookup(query: Buffer, overTcp: boolean, generationOf: (scope: string) => number): Buffer | undefined {
    const e = this.find(this.table(overTcp).get(AnswerCache.hash(query)), query);
    return e && generationOf(e.scope) === e.generation ? e.answer : undefined;
  }

  /** Caches the answer read from `scope` at its `generation` (replacing an older answer to the same query). */
  set(query: Buffer, overTcp: boolean, scope: string, generation: number, answer: Buffer): void {
    const table = this.table(overTcp);
    const h = AnswerCache.hash(query);
    const existing = this.find(table.get(h), query);
    if (existing) {
      Object.assign(existing, { answer, scope, generation });
      return;
    }
    if (this.entries >= this.maxEntries) this.evictOldest();
    table.set(h, { key: Buffer.from(query.subarray(2)), answer, scope, generation, next: table.get(h) });
    this.entries++;
  }

  /** A copy of the cached answer with the query's ID (for callers that need one buffer), or undefined. */
  get(query: Buffer, overTcp: boolean, generationOf: (scope: string) => number): Buffer | undefined {
    const hit = this.lookup(query, overTcp, generationOf);
    if (!hit) return undefined;
    const out = Buffer.allocUnsafe(hit.length);
    hit.copy(out);
    out[0] = query[0]!;
    out[1] = query[1]!;
    return out;
  }

  get size(): number {
    return this.entries;
  }

  private table(overTcp: boolean): Map<number, Entry> {
    return overTcp ? this.tcp : this.udp;
  }

  private find(first: Entry | undefined, query: Buffer): Entry | undefined {
    for (let e = first; e; e = e.next) if (sameQuery(e.key, query)) return e;
    return undefined;
  }

  /** Drops the oldest hash bucket (a Map iterates in insertion order), from the larger table. */
  private evictOldest(): void {
    const table = this.udp.size >= this.tcp.size ? this.udp : this.tcp;
    const first = table.entries().next();
    if (first.done) return;
    table.delete(first.value[0]);
    for (let e: Entry | undefined = first.value[1]; e; e = e.next) this.entries--;
  }
}

function sameQuery(key: Buffer, query: Buffer): boolean {
  if (key.length !== query.length - 2) return false;
  for (let i = 0; i < key.length; i++) if (key[i] !== query[i + 2]) return false;
  return true;
}
