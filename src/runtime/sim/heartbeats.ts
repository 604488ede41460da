// Lease heartbeats for thousands of simulated nodes from one timer: a ring of time slots (one per tick),
// each node placed in a random slot so renewals spread evenly over the renew interval (jitter), and each
// tick renews only the nodes of its slot. A renewal is one PUT of the cached Lease (its resourceVersion
// makes it conditional), sent without managedFields (the server keeps the stored ones, so the request is
// half the size and the server has nothing to compare); a conflict re-reads it, a missing Lease is re-created. It decides nothing about
// node health: a stopped node is simply taken out of the ring. Thousands of renewals a minute: each Lease's
// body is encoded once into a template with two holes (resourceVersion, renewTime), so a renewal builds
// no object and runs no JSON.stringify; only the response's resourceVersion is kept, read from the response
// text without parsing it. Renewals are batched in time: each tick takes its slot's Leases as one batch, renewed
// by a few workers (each one task of the limiter) with the tick's renewal time, so a renewal allocates no
// closures or limiter promises of its own.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { apiErrorFromResponse, isConflict, isNotFound, resourcePath, resources, stripManagedFields, type ApiClient } from '../../client/index.js';
import type { Limiter } from '../../util/limiter.js';
import { microTime, nodeLeaseNamespace } from './node-object.js';

export interface HeartbeatOptions {
  client: ApiClient;
  limiter: Limiter;
  renewIntervalMs: number;
  /** Slot length. Default 250 ms. */
  tickMs?: number;
  /** Workers renewing one tick's batch (each a task of the limiter). Default 8. */
  workersPerTick?: number;
  log: (line: string) => void;
  /** Called after each renewal with its duration, for statistics. */
  onRenew?: (nodeName: string) => void;
}

interface Entry {
  name: string;
  lease: Lease;
  /** The Lease's JSON split at its resourceVersion and renewTime: [before rv, between, after renewTime]. */
  template: [string, string, string];
  path: string;
  slot: number;
  busy: boolean;
}

const rvHole = '\u0000rv\u0000';
const renewHole = '\u0000renew\u0000';

/** The renewal body of lease with both holes (holderIdentity = the node). */
export function leaseTemplate(lease: Lease, holder: string): [string, string, string] {
  const body = JSON.stringify({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    ...lease,
    metadata: { ...lease.metadata, resourceVersion: rvHole },
    spec: { ...lease.spec, holderIdentity: holder, renewTime: renewHole },
  });
  const [a, rest] = body.split(JSON.stringify(rvHole)) as [string, string];
  const [b, c] = rest.split(JSON.stringify(renewHole)) as [string, string];
  return [a, b, c];
}

/**
 * metadata.resourceVersion of a Lease as the server encodes it (metadata first; nothing before it in metadata
 * has that key), read from the text without parsing it; undefined if it is not there.
 */
export function leaseResourceVersion(json: string): string | undefined {
  const key = '"resourceVersion":"';
  const at = json.indexOf(key);
  if (at < 0) return undefined;
  const start = at + key.length;
  const end = json.indexOf('"', start);
  return end < 0 ? undefined : json.slice(start, end);
}

/** The body of one renewal: the template with the resourceVersion and renewal time filled in. */
export function renewalBody(t: [string, string, string], resourceVersion: string, renewTime: string): string {
  return `${t[0]}"${resourceVersion}"${t[1]}"${renewTime}"${t[2]}`;
}

export class Heartbeats {
  private readonly entries = new Map<string, Entry>();
  private readonly slots: Set<string>[];
  private readonly tickMs: number;
  private readonly workersPerTick: number;
  private lastTimeMs = -Infinity;
  private lastTime = '';
  private slot = 0;
  private timer: NodeJS.Timeout | undefined;
  renewals = 0;
  failures = 0;

  constructor(private readonly opts: HeartbeatOptions) {
    this.tickMs = opts.tickMs ?? 250;
    this.workersPerTick = Math.max(1, opts.workersPerTick ?? 8);
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
    const l = stripManagedFields(lease);
    const path = resourcePath(resources.leases, lease.metadata?.namespace ?? nodeLeaseNamespace, name);
    this.entries.set(name, { name, lease: l, template: leaseTemplate(l, name), path, slot, busy: false });
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
    const batch: Entry[] = [];
    for (const name of this.slots[this.slot]!) {
      const e = this.entries.get(name);
      if (!e || e.busy) continue;
      e.busy = true;
      batch.push(e);
    }
    if (batch.length === 0) return;
    let next = 0;
    const work = async (): Promise<void> => {
      while (next < batch.length) {
        const e = batch[next++]!;
        try {
          await this.renew(e, this.renewTimeNow());
        } catch (err) {
          this.failures++;
          this.opts.log(`sim: renewing lease of node ${e.name} failed: ${(err as Error)?.message ?? String(err)}`);
        }
        e.busy = false;
      }
    };
    const workers = Math.min(batch.length, this.workersPerTick);
    for (let i = 0; i < workers; i++) void this.opts.limiter.run(work);
  }

  /** The current time in the Lease's format, formatted at most once per 5 ms (a batch shares it). */
  private renewTimeNow(): string {
    const now = Date.now();
    if (now - this.lastTimeMs >= 5) {
      this.lastTimeMs = now;
      this.lastTime = microTime(now);
    }
    return this.lastTime;
  }

  private async renew(e: Entry, renewTime: string): Promise<void> {
    const { client } = this.opts;
    const { name } = e;
    const rv = e.lease.metadata?.resourceVersion ?? '';
    try {
      const res = await client.transport.request('PUT', e.path, { body: renewalBody(e.template, rv, renewTime) });
      if (res.status < 200 || res.status >= 300) throw apiErrorFromResponse(res.status, res.body);
      // Only the resourceVersion changes (the body was the whole Lease); the spec is kept for a re-create.
      (e.lease.metadata as { resourceVersion?: string }).resourceVersion = leaseResourceVersion(res.body) ?? (JSON.parse(res.body) as Lease).metadata?.resourceVersion;
      const spec = (e.lease.spec ??= {});
      spec.holderIdentity = name;
      spec.renewTime = renewTime;
    } catch (err) {
      let lease: Lease;
      if (isConflict(err)) {
        const cur = await client.get<Lease>(resources.leases, name, { namespace: nodeLeaseNamespace });
        lease = await client.update(resources.leases, stripManagedFields({ ...cur, spec: { ...cur.spec, holderIdentity: name, renewTime } }), { namespace: nodeLeaseNamespace });
      } else if (isNotFound(err)) {
        const { resourceVersion: _rv, uid: _uid, ...meta } = e.lease.metadata ?? {};
        lease = await client.create(resources.leases, { ...e.lease, metadata: meta, spec: { ...e.lease.spec, holderIdentity: name, renewTime } }, { namespace: nodeLeaseNamespace });
      } else {
        throw err;
      }
      e.lease = stripManagedFields(lease);
      e.template = leaseTemplate(e.lease, name);
    }
    if (!this.entries.has(name)) return;
    this.renewals++;
    this.opts.onRenew?.(name);
  }
}

