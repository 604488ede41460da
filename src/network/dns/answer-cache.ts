// Encoded cluster-zone answers, reused for identical queries until the catalog changes: the key is the query
// without its ID (flags, question as asked, EDNS) plus the transport, so a hit only needs the ID patched.
// Bounded; cleared whole when full or when the catalog's generation moves. No I/O.
export class AnswerCache {
  private readonly entries = new Map<string, Buffer>();
  private generation = -1;

  constructor(private readonly maxEntries = 10_000) {}

  static key(query: Buffer, overTcp: boolean): string {
    return (overTcp ? 't' : 'u') + query.toString('latin1', 2);
  }

  /** A copy of the cached answer carrying the query's ID, or undefined. */
  get(key: string, generation: number, query: Buffer): Buffer | undefined {
    if (generation !== this.generation) return undefined;
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    const out = Buffer.from(hit);
    query.copy(out, 0, 0, 2);
    return out;
  }

  set(key: string, generation: number, answer: Buffer): void {
    if (generation !== this.generation || this.entries.size >= this.maxEntries) {
      this.entries.clear();
      this.generation = generation;
    }
    this.entries.set(key, answer);
  }

  get size(): number {
    return this.entries.size;
  }
}
