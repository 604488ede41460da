// Upstream's UIDTrackingControllerExpectations: per controller key, how many pod creations and which pod
// deletions it has asked for but not yet seen in its informer. While they are outstanding the controller does
// not act on its (stale) cache, so it never over-creates or over-deletes. Records expire after 5 minutes (a
// lost watch event must not wedge the controller). Pure in-memory bookkeeping.
export const expectationsTimeoutMs = 5 * 60 * 1000;

interface Record_ {
  add: number;
  deletes: Set<string>;
  at: number;
}

export class Expectations {
  private readonly records = new Map<string, Record_>();

  constructor(private readonly now: () => number = Date.now) {}

  /** True when nothing is outstanding (or the record expired / never existed): the controller may sync. */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.deletes.size === 0) return true;
    return this.now() - r.at > expectationsTimeoutMs;
  }

  expectCreations(key: string, n: number): void {
    this.records.set(key, { add: n, deletes: new Set(), at: this.now() });
  }

  expectDeletions(key: string, podKeys: string[]): void {
    this.records.set(key, { add: 0, deletes: new Set(podKeys), at: this.now() });
  }

  creationObserved(key: string): void {
    const r = this.records.get(key);
    if (r) r.add--;
  }

  deletionObserved(key: string, podKey: string): void {
    this.records.get(key)?.deletes.delete(podKey);
  }

  delete(key: string): void {
    this.records.delete(key);
  }

  pending(key: string): { add: number; del: number } {
    const r = this.records.get(key);
    return { add: r?.add ?? 0, del: r?.deletes.size ?? 0 };
  }
}
