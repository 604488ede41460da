// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics and defaults: a
// candidate takes the lease when it is unheld or has not been renewed for leaseDuration (measured on the
// candidate's own clock from when it last saw the record change, so clock skew does not matter); the
// leader renews every retryPeriod and gives up when it could not renew for renewDeadline; writes are
// conditional on resourceVersion. On stop the leader releases the lease (holder "" and a 1 s duration) so
// a successor need not wait. It decides only who leads; what a leader does is the caller's callback.
import type { Lease, LeaseSpec } from 'kubernetes-types/coordination/v1.js';
import { realClock, sleep, type Clock } from './clock.js';
import type { ApiClient } from './client.js';
import { isNotFound } from './errors.js';
import { leases } from './resources.js';

export interface LeaderCallbacks {
  /** Called when this candidate becomes leader; signal aborts when leadership ends. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called when run() ends (as upstream: also when this candidate never led). */
  onStoppedLeading(): void;
  /** Called when the observed leader changes (including to this candidate). */
  onNewLeader?(identity: string): void;
}

export interface LeaderElectionConfig {
  client: ApiClient;
  namespace: string;
  name: string;
  identity: string;
  /** Default 15 s. */
  leaseDurationMs?: number;
  /** Default 10 s. */
  renewDeadlineMs?: number;
  /** Default 2 s. */
  retryPeriodMs?: number;
  /** Release the lease when run() is stopped. Default true. */
  releaseOnCancel?: boolean;
  callbacks: LeaderCallbacks;
  clock?: Clock;
  log?: (line: string) => void;
}

/** client-go's JitterFactor for the acquire loop. */
const jitterFactor = 1.2;

interface ElectionRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
}

/** metav1.MicroTime's JSON form: RFC 3339 with exactly six fractional digits, UTC. */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function recordOf(spec: LeaseSpec | undefined): ElectionRecord {
  return {
    holderIdentity: spec?.holderIdentity ?? '',
    leaseDurationSeconds: spec?.leaseDurationSeconds ?? 0,
    acquireTime: spec?.acquireTime ?? '',
    renewTime: spec?.renewTime ?? '',
    leaseTransitions: spec?.leaseTransitions ?? 0,
  };
}

export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private lease: Lease | undefined;
  private observed: ElectionRecord | undefined;
  private observedRaw = '';
  private observedTime = 0;
  private reportedLeader = '';

  constructor(private readonly cfg: LeaderElectionConfig) {
    this.leaseDurationMs = cfg.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = cfg.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = cfg.retryPeriodMs ?? 2_000;
    this.clock = cfg.clock ?? realClock;
    this.log = cfg.log ?? ((l) => process.stderr.write(`${l}\n`));
    if (this.leaseDurationMs <= this.renewDeadlineMs) throw new RangeError('leaseDuration must be greater than renewDeadline');
    if (this.renewDeadlineMs <= jitterFactor * this.retryPeriodMs) throw new RangeError('renewDeadline must be greater than retryPeriod*1.2');
    if (this.retryPeriodMs < 1) throw new RangeError('retryPeriod must be positive');
    if (!cfg.identity) throw new RangeError('identity may not be empty');
  }

  isLeader(): boolean {
    return this.observed?.holderIdentity === this.cfg.identity;
  }

  /** The holder this candidate last observed ("" when none). */
  getLeader(): string {
    return this.observed?.holderIdentity ?? '';
  }

  /**
   * Campaigns until leading, leads until the lease cannot be renewed or signal aborts, then returns.
   * As upstream, a candidate that lost leadership should not campaign again in the same process.
   */
  async run(signal: AbortSignal): Promise<void> {
    try {
      if (!(await this.acquire(signal))) return;
      const leading = new AbortController();
      const onAbort = () => leading.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        Promise.resolve()
          .then(() => this.cfg.callbacks.onStartedLeading(leading.signal))
          .catch((e) => this.log(`leader election ${this.desc()}: onStartedLeading failed: ${(e as Error)?.message ?? e}`));
        await this.renew(leading.signal);
      } finally {
        signal.removeEventListener('abort', onAbort);
        leading.abort(new Error('leadership lost'));
      }
      if (signal.aborted && this.cfg.releaseOnCancel !== false) await this.release();
    } finally {
      this.cfg.callbacks.onStoppedLeading();
    }
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    this.log(`leader election ${this.desc()}: attempting to acquire lease`);
    while (!signal.aborted) {
      const ok = await this.tryAcquireOrRenew(this.renewDeadlineMs);
      this.maybeReportTransition();
      if (ok) {
        this.log(`leader election ${this.desc()}: acquired lease`);
        return true;
      }
      const wait = this.retryPeriodMs + Math.random() * jitterFactor * this.retryPeriodMs;
      try {
        await sleep(this.clock, wait, signal);
      } catch {
        return false;
      }
    }
    return false;
  }

  /** Renews every retryPeriod; returns when renewal failed for renewDeadline or signal aborted. */
  private async renew(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const deadline = this.clock.now() + this.renewDeadlineMs;
      let renewed = false;
      while (!signal.aborted && this.clock.now() < deadline) {
        renewed = await this.tryAcquireOrRenew(Math.max(1, deadline - this.clock.now()));
        if (renewed) break;
        try {
          await sleep(this.clock, Math.min(this.retryPeriodMs, Math.max(0, deadline - this.clock.now())), signal);
        } catch {
          return;
        }
      }
      this.maybeReportTransition();
      if (signal.aborted) return;
      if (!renewed) {
        this.log(`leader election ${this.desc()}: failed to renew lease within ${this.renewDeadlineMs} ms`);
        return;
      }
      try {
        await sleep(this.clock, this.retryPeriodMs, signal);
      } catch {
        return;
      }
    }
  }

  private async tryAcquireOrRenew(timeoutMs: number): Promise<boolean> {
    const now = this.clock.now();
    const desired: ElectionRecord = {
      holderIdentity: this.cfg.identity,
      leaseDurationSeconds: Math.max(1, Math.floor(this.leaseDurationMs / 1000)),
      acquireTime: formatMicroTime(now),
      renewTime: formatMicroTime(now),
      leaseTransitions: 0,
    };
    // 1. Fast path: the leader updates optimistically with the lease it last wrote.
    if (this.isLeader() && this.isLeaseValid(now) && this.lease) {
      desired.acquireTime = this.observed!.acquireTime;
      desired.leaseTransitions = this.observed!.leaseTransitions;
      if (await this.write(desired, timeoutMs)) return true;
    }
    // 2. Read (or create) the lease.
    let current: Lease;
    try {
      current = await this.cfg.client.get<Lease>(leases, this.cfg.name, { namespace: this.cfg.namespace, timeoutMs });
    } catch (e) {
      if (!isNotFound(e)) {
        this.log(`leader election ${this.desc()}: error retrieving lease: ${(e as Error)?.message ?? e}`);
        return false;
      }
      try {
        this.lease = await this.cfg.client.create<Lease>(
          leases,
          { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.cfg.name, namespace: this.cfg.namespace }, spec: desired },
          { namespace: this.cfg.namespace, timeoutMs },
        );
        this.setObserved(desired);
        return true;
      } catch (err) {
        this.log(`leader election ${this.desc()}: error creating lease: ${(err as Error)?.message ?? err}`);
        return false;
      }
    }
    this.lease = current;
    // 3. Note when the record last changed, by our clock.
    const record = recordOf(current.spec);
    const raw = JSON.stringify(record);
    if (raw !== this.observedRaw) {
      this.setObserved(record);
      this.observedRaw = raw;
    }
    if (record.holderIdentity !== '' && this.isLeaseValid(now) && !this.isLeader()) return false;
    // 4. Take or keep it.
    if (this.isLeader()) {
      desired.acquireTime = record.acquireTime;
      desired.leaseTransitions = record.leaseTransitions;
    } else {
      desired.leaseTransitions = record.leaseTransitions + 1;
    }
    return this.write(desired, timeoutMs);
  }

  /** Conditional update of the lease to record (409 when someone wrote in between). */
  private async write(record: ElectionRecord, timeoutMs: number): Promise<boolean> {
    if (!this.lease) return false;
    try {
      const spec: LeaseSpec = { ...this.lease.spec, ...record };
      this.lease = await this.cfg.client.update<Lease>(leases, { ...this.lease, spec }, { namespace: this.cfg.namespace, timeoutMs });
      this.setObserved(record);
      return true;
    } catch (e) {
      this.log(`leader election ${this.desc()}: failed to update lease: ${(e as Error)?.message ?? e}`);
      return false;
    }
  }

  private async release(): Promise<void> {
    if (!this.isLeader()) return;
    const now = formatMicroTime(this.clock.now());
    const ok = await this.write(
      { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: this.observed!.leaseTransitions },
      this.renewDeadlineMs,
    );
    if (ok) this.log(`leader election ${this.desc()}: released lease`);
  }

  private setObserved(r: ElectionRecord): void {
    this.observed = r;
    this.observedRaw = JSON.stringify(r);
    this.observedTime = this.clock.now();
  }

  private isLeaseValid(now: number): boolean {
    return this.observedTime + (this.observed?.leaseDurationSeconds ?? 0) * 1000 > now;
  }

  private maybeReportTransition(): void {
    const holder = this.observed?.holderIdentity ?? '';
    if (holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    if (this.cfg.callbacks.onNewLeader) {
      const f = this.cfg.callbacks.onNewLeader;
      queueMicrotask(() => f(holder));
    }
  }

  private desc(): string {
    return `${this.cfg.namespace}/${this.cfg.name} (${this.cfg.identity})`;
  }
}
