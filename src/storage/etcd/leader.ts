// Sends the store's requests to the raft leader. A write sent to a follower is forwarded to the leader and
// answered only after the follower has applied it too: one extra hop on every write. The tracker asks every
// member who leads (Maintenance/Status) when the store opens, every `intervalMs`, and soon after the channel
// moved off a failed member, and points the channel at the leader. It must not retry or decide what an error
// means (the channel and the store's retry loop do that); a member that does not answer is simply not chosen.

import type { GrpcChannel } from './grpc-channel.js';
import { decodeStatusResponse, encodeStatusRequest, type MemberStatus } from './kv-codec.js';

/**
 * The index of the member that leads, from what each member said of itself (undefined: no answer). A member
 * leads when it names itself as leader; of several such claims (a deposed leader that has not noticed yet)
 * only one whose raft term no other answer exceeds counts. Undefined when no answering member leads.
 */
export function leaderIndex(statuses: readonly (MemberStatus | undefined)[]): number | undefined {
  let maxTerm = 0;
  for (const s of statuses) if (s && s.raftTerm > maxTerm) maxTerm = s.raftTerm;
  let found: number | undefined;
  statuses.forEach((s, i) => {
    if (!s || s.leader === '0' || s.memberId !== s.leader || s.raftTerm < maxTerm) return;
    found = found === undefined ? i : found;
  });
  return found;
}

const STATUS = '/etcdserverpb.Maintenance/Status';

export class LeaderTracker {
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly channel: GrpcChannel,
    private readonly opts: { intervalMs: number; askTimeoutMs: number },
  ) {}

  /** Finds the leader now, then keeps following it. Never rejects. */
  async start(): Promise<void> {
    if (this.channel.size < 2) return;
    await this.refresh();
    this.schedule();
  }

  /** A call failed over to another member: look again shortly (an election takes about a second). */
  recheckSoon(delayMs = 250): void {
    if (this.stopped || this.soon || this.channel.size < 2) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.refresh();
    }, delayMs);
    this.soon.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.soon);
  }

  /** Asks every member at once; moves the channel to the leader if one answered as such. */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= (async () => {
      const deadline = Date.now() + this.opts.askTimeoutMs;
      const request = encodeStatusRequest();
      const statuses = await Promise.all(
        Array.from({ length: this.channel.size }, (_, i) =>
          this.channel.callAt(i, STATUS, request, deadline).then(decodeStatusResponse, () => undefined),
        ),
      );
      const leader = leaderIndex(statuses);
      if (!this.stopped && leader !== undefined) this.channel.prefer(leader);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => this.schedule());
    }, this.opts.intervalMs);
    this.timer.unref();
  }
}
