// The encoded body of a selector-less PodMetrics list (`kubectl top pods [-A]`), kept per namespace until the
// snapshot or a pod object changes. A list's only per-request part is every item's creationTimestamp (the
// time of the answer, at second precision, as metrics-server sets it): the body is kept as bytes with the
// byte offsets of those stamps, so a new second costs one copy and a patch of fixed-width stamps, and further
// lists within that second send the same bytes. Holds no I/O; what goes in the body is the caller's.

/** What a cached body was built from: bump either and the body is rebuilt. */
export interface BodyVersion {
  /** The snapshot's generation (each scrape of a node, each node forgotten). */
  snapshot: number;
  /** The last change to a pod object the list covers (labels, a new pod under the same name, deletion). */
  pods: number;
}

/** A list body whose creationTimestamps sit at known byte offsets, all `stampLength` bytes long. */
export interface StampedBody {
  bytes: Buffer;
  stampAt: number[];
  stampLength: number;
}

export type BodyDecision = 'reuse' | 'restamp' | 'rebuild';

/**
 * What a request needs done to the cached body: nothing (same versions, same second), a new stamp (same
 * versions, another second, and the stamp still fits the bytes it replaces), or a full rebuild.
 */
export function decideBody(
  cached: { version: BodyVersion; stamp: string; stampLength: number } | undefined,
  version: BodyVersion,
  stamp: string,
): BodyDecision {
  if (!cached || cached.version.snapshot !== version.snapshot || cached.version.pods !== version.pods) return 'rebuild';
  if (cached.stamp === stamp) return 'reuse';
  return Buffer.byteLength(stamp) === cached.stampLength ? 'restamp' : 'rebuild';
}

/** A copy of the template with every creationTimestamp replaced (the template is never written to). */
export function restamp(template: StampedBody, stamp: string): Buffer {
  const out = Buffer.allocUnsafe(template.bytes.length);
  template.bytes.copy(out);
  const bytes = Buffer.from(stamp);
  for (const at of template.stampAt) bytes.copy(out, at, 0, template.stampLength);
  return out;
}

interface Entry {
  usedMs: number;
  version: BodyVersion;
  stamp: string;
  stampLength: number;
  template: StampedBody;
  body: Buffer;
}

/**
 * Bodies by key (a namespace, "" for all), at most `maxEntries` (least recently used go first). Bodies handed
 * out are never modified afterwards, so one still being written to a slow socket stays intact.
 */
export class ListBodyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 16) {}

  body(key: string, version: BodyVersion, stamp: string, build: (stamp: string) => StampedBody, nowMs = Date.now()): Buffer {
    const e = this.entries.get(key);
    const decision = decideBody(e, version, stamp);
    let next: Entry;
    if (decision === 'reuse') next = e!;
    else if (decision === 'restamp') next = { ...e!, stamp, body: restamp(e!.template, stamp) };
    else {
      const template = build(stamp);
      next = { usedMs: nowMs, version: { ...version }, stamp, stampLength: template.stampLength, template, body: template.bytes };
    }
    next.usedMs = nowMs;
    this.entries.delete(key);
    this.entries.set(key, next);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return next.body;
  }

  /** Forgets bodies nobody asked for within idleMs (their memory, and the rendering kept up for them). */
  dropIdle(nowMs: number, idleMs: number): void {
    for (const [key, e] of this.entries) if (nowMs - e.usedMs > idleMs) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
