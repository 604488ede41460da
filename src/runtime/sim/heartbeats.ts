// Lease heartbeats for thousands of simulated nodes from one timer: a ring of time slots (one per tick),
// each node placed in a random slot so renewals spread evenly over the renew interval (jitter), and each
// tick renews only the nodes of its slot. A renewal is one PUT of the cached Lease (its resourceVersion
// makes it conditional), sent without managedFields (the server keeps the stored ones, so the request is
// half the size and the server has nothing to compare); a conflict re-reads it, a missing Lease is re-created. It decides nothing about
// node health: a stopped node is simply taken out of the ring.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { isConflict, isNotFound, resources, stripManagedFields, type ApiClient } from '../../client/index.js';
import type { Limiter } from './limiter.js';
import { microTime, nodeLeaseNamespace } from './node-object.js';

export interface HeartbeatOptions {
  client: ApiClient;
  limiter: Limiter;
  renewIntervalMs: number;
  /** Slot length. Default 250 ms. */
  tickMs?: number;
  log: (line: string) => void;
  /** Called after each renewal with its duration, for statistics. */
  onRenew?: (nodeName: string) => void;
}

interface Entry {
  lease: Lease;
  slot: number;
  busy: boolean;
}

export class Heartbeats {
  private readonly entries = new Map<string, Entry>();
  private readonly slots: Set<string>[];
  private readonly tickMs: number;
  private slot = 0;
  private timer: NodeJS.Timeout | undefined;
  renewals = 0;
  failures = 0;

  constructor(private readonly opts: HeartbeatOptions) {
    this.tickMs = opts.tickMs ?? 250;
    const n = Math.max(1, Math.round(opts.renewIntervalMs / this.tickMs));
    this.slots = Array.from({ length: n }, () => new Set<string>());
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Starts renewing lease (as created or read from the server). */
  add(lease: Lease): void {
    const name = lease.metadata!.name!;
    this.remove(name);
    const slot = Math.floor(Math.random() * this.slots.length);
    this.entries.set(name, { lease: stripManagedFields(lease), slot, busy: false });
    this.slots[slot]!.add(name);
  }

  remove(name: string): void {
    const e = this.entries.get(name);
    if (!e) return;
    this.slots[e.slot]!.delete(name);
    this.entries.delete(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  get size(): number {
    return this.entries.size;
  }

  private tick(): void {
    this.slot = (this.slot + 1) % this.slots.length;
    for (const name of this.slots[this.slot]!) {
      const e = this.entries.get(name);
      if (!e || e.busy) continue;
      e.busy = true;
      void this.opts.limiter
        .run(() => this.renew(name, e))
        .catch((err: unknown) => {
          this.failures++;
          this.opts.log(`sim: renewing lease of node ${name} failed: ${(err as Error)?.message ?? String(err)}`);
        })
        .finally(() => {
          e.busy = false;
        });
    }
  }

  private async renew(name: string, e: Entry): Promise<void> {
    const client = this.opts.client;
    const now = Date.now();
    const next: Lease = { ...e.lease, spec: { ...e.lease.spec, holderIdentity: name, renewTime: microTime(now) } };
    try {
      e.lease = stripManagedFields(await client.update(resources.leases, next, { namespace: nodeLeaseNamespace }));
    } catch (err) {
      if (isConflict(err)) {
        const cur = stripManagedFields(await client.get<Lease>(resources.leases, name, { namespace: nodeLeaseNamespace }));
        e.lease = stripManagedFields(await client.update(resources.leases, { ...cur, spec: { ...cur.spec, holderIdentity: name, renewTime: microTime(now) } }, { namespace: nodeLeaseNamespace }));
      } else if (isNotFound(err)) {
        const { resourceVersion: _rv, uid: _uid, ...meta } = next.metadata ?? {};
        e.lease = stripManagedFields(await client.create(resources.leases, { ...next, metadata: meta }, { namespace: nodeLeaseNamespace }));
      } else {
        throw err;
      }
    }
    if (!this.entries.has(name)) return;
    this.renewals++;
    this.opts.onRenew?.(name);
  }
}

