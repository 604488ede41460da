// A per-member circuit breaker for the etcd client's connection pool: after consecutive transport failures a
// member is skipped for a short cool-down, then one call is let through to probe it. It replaces the client's
// default breaker, whose 5 s cool-down kept a single-member cluster unusable for 5 s after it came back. It
// must not retry or decide what an error means for the Store (the store's retry loop does that).

import type { IDefaultPolicyContext, IDisposable, IPolicy } from 'cockatiel';
import { isRecoverableError } from 'etcd3';

const noopEvent = (): IDisposable => ({ dispose() {} });

/** Thrown while the member is skipped; the message matches cockatiel's so errors.ts classifies it alike. */
export class MemberSkippedError extends Error {
  constructor(readonly host: string) {
    super(`Execution prevented because the circuit breaker is open (etcd member ${host} cooling down)`);
  }
}

export class HostBreaker implements IPolicy<IDefaultPolicyContext> {
  declare readonly _altReturn: never;
  readonly onSuccess = noopEvent;
  readonly onFailure = noopEvent;
  private failures = 0;
  private openUntil = 0;
  private probing = false;

  constructor(
    private readonly host: string,
    private readonly threshold = 2,
    private readonly coolDownMs = 1000,
  ) {}

  async execute<T>(fn: (context: IDefaultPolicyContext) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
    const open = this.failures >= this.threshold;
    if (open && (Date.now() < this.openUntil || this.probing)) throw new MemberSkippedError(this.host);
    if (open) this.probing = true;
    try {
      const result = await fn({ signal: signal ?? new AbortController().signal });
      this.failures = 0;
      return result;
    } catch (err) {
      if (err instanceof Error && isRecoverableError(err)) {
        this.failures++;
        if (this.failures >= this.threshold) this.openUntil = Date.now() + this.coolDownMs;
      }
      throw err;
    } finally {
      if (open) this.probing = false;
    }
  }
}
