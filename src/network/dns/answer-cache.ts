// Encoded cluster-zone answers, reused for identical queries until the part of the catalog each was read
// from changes (its scope's generation, see dnsScopes: one Service's change leaves every other name's
// answers cached). The key is the query
// without its ID (flags, question as asked, EDNS) plus the transport, so a hit only needs the ID patched: the
// server sends the query's 2 ID bytes followed by the cached answer's remaining bytes (no copy). Lookups hash
// the query bytes in place (FNV-1a) and compare them byte for byte, so a hit allocates nothing. Bounded: when
// full, the oldest entries go. Forwarded answers (CoreDNS's `cache 30` in the default Corefile) are kept
// for their smallest record TTL, at most 30 s, and served with their TTLs counted down. No I/O.

interface Entry {
  /** The query from byte 2 on (its ID left out). */
  key: Buffer;
  answer: Buffer;
  scope: string;
  /** The scope's generation when the answer was read. */
  generation: number;
  /** Answers with a lifetime of their own (forwarded): when cached, until when, where their TTLs are. */
  timed: { storedAt: number; expiresAt: number; ttlOffsets: number[] } | undefined;
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
  lookup(query: Buffer, overTcp: boolean, generationOf: (scope: string) => number, now = Date.now()): Buffer | undefined {
    const e = this.find(this.table(overTcp).get(AnswerCache.hash(query)), query);
    if (!e || generationOf(e.scope) !== e.generation) return undefined;
    if (!e.timed) return e.answer;
    if (now >= e.timed.expiresAt) return undefined;
    // A copy with every TTL lowered by the whole seconds spent in the cache.
    const spent = Math.floor((now - e.timed.storedAt) / 1000);
    const out = Buffer.from(e.answer);
    for (const off of e.timed.ttlOffsets) out.writeUInt32BE(Math.max(0, out.readUInt32BE(off) - spent), off);
    return out;
  }

  /** Caches the answer read from `scope` at its `generation` (replacing an older answer to the same query). */
  set(query: Buffer, overTcp: boolean, scope: string, generation: number, answer: Buffer, lifetime?: { seconds: number; ttlOffsets: number[]; now?: number }): void {
    const table = this.table(overTcp);
    const h = AnswerCache.hash(query);
    const now = lifetime?.now ?? Date.now();
    const timed = lifetime ? { storedAt: now, expiresAt: now + lifetime.seconds * 1000, ttlOffsets: lifetime.ttlOffsets } : undefined;
    const existing = this.find(table.get(h), query);
    if (existing) {
      Object.assign(existing, { answer, scope, generation, timed });
      return;
    }
    if (this.entries >= this.maxEntries) this.evictOldest();
    table.set(h, { key: Buffer.from(query.subarray(2)), answer, scope, generation, timed, next: table.get(h) });
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

/**
 * Where the TTL of every resource record of a DNS message is (answer, authority and additional sections;
 * not the OPT pseudo-record, whose TTL field holds EDNS flags), and the smallest of them; undefined when the
 * message does not parse or has no such record.
 */
export function recordTtls(msg: Buffer): { ttlOffsets: number[]; minTtl: number } | undefined {
  if (msg.length < 12) return undefined;
  const qd = msg.readUInt16BE(4);
  const rr = msg.readUInt16BE(6) + msg.readUInt16BE(8) + msg.readUInt16BE(10);
  let i = 12;
  const skipName = (): boolean => {
    while (i < msg.length) {
      const len = msg[i]!;
      if (len === 0) {
        i += 1;
        return true;
      }
      if ((len & 0xc0) === 0xc0) {
        i += 2;
        return i <= msg.length;
      }
      if ((len & 0xc0) !== 0) return false;
      i += 1 + len;
    }
    return false;
  };
  for (let q = 0; q < qd; q++) {
    if (!skipName()) return undefined;
    i += 4;
  }
  const ttlOffsets: number[] = [];
  let minTtl = Infinity;
  for (let r = 0; r < rr; r++) {
    if (!skipName() || i + 10 > msg.length) return undefined;
    const type = msg.readUInt16BE(i);
    const rdlength = msg.readUInt16BE(i + 8);
    if (type !== 41) {
      ttlOffsets.push(i + 4);
      minTtl = Math.min(minTtl, msg.readUInt32BE(i + 4));
    }
    i += 10 + rdlength;
    if (i > msg.length) return undefined;
  }
  return ttlOffsets.length ? { ttlOffsets, minTtl } : undefined;
}
