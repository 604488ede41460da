// Controller expectations (upstream's UIDTrackingControllerExpectations), shared by every controller that
// creates and deletes pods (ReplicaSet, Job, DaemonSet, StatefulSet). After a controller asks for N pod
// creations and the deletion of given pods, it waits until its informer has seen them before deciding again,
// so a stale cache never makes it create or delete twice. Deletions are tracked by pod ("namespace/name"), so
// seeing the same deletion twice (deletionTimestamp set, then the delete event) counts once. Records expire
// after a TTL (upstream: 5 minutes) so a lost watch event cannot wedge the controller. Keys are the
// controller's work-queue keys. No I/O.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../client/clock.js';
import type { ObjectLike } from '../client/client.js';
import type { EventHandlers } from '../client/informer.js';
import { keyOf } from '../client/indexer.js';

/** Upstream's ExpectationsTimeout. */
export const expectationsTimeoutMs = 5 * 60 * 1000;

interface Entry {
  add: number;
  deletes: Set<string>;
  at: number;
}

export class Expectations {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(
    time: Clock | (() => number) = Date.now,
    private readonly ttlMs = expectationsTimeoutMs,
  ) {
    this.now = typeof time === 'function' ? time : () => time.now();
  }

  /** True when nothing is outstanding, the record expired, or there never was one: the controller may act. */
  satisfied(key: string): boolean {
    const e = this.entries.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.deletes.size === 0) return true;
    return this.now() - e.at > this.ttlMs;
  }

  /** Replaces the key's expectations: `creations` pods to be seen created, the given pods to be seen deleted. */
  expect(key: string, creations: number, deletions: readonly ObjectLike[] = []): void {
    this.entries.set(key, { add: creations, deletes: new Set(deletions.map(keyOf)), at: this.now() });
  }

  /** Adds to the key's outstanding expectations (a fresh record when there is none or it expired). */
  raise(key: string, creations: number, deletions: readonly ObjectLike[] = []): void {
    const e = this.entries.get(key);
    if (!e || this.now() - e.at > this.ttlMs) return this.expect(key, creations, deletions);
    e.add += creations;
    for (const p of deletions) e.deletes.add(keyOf(p));
  }

  /** One expected creation was seen (or will never happen because the request failed). */
  creationObserved(key: string): void {
    const e = this.entries.get(key);
    if (e && e.add > 0) e.add--;
  }

  /** The pod's deletion was seen (or will never happen); pods not expected are ignored. */
  deletionObserved(key: string, pod: ObjectLike): void {
    this.entries.get(key)?.deletes.delete(keyOf(pod));
  }

  /** Forgets the key (its owner was deleted). */
  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Outstanding creations and deletions (zero when there is no record). */
  pending(key: string): { add: number; del: number } {
    const e = this.entries.get(key);
    return { add: Math.max(0, e?.add ?? 0), del: e?.deletes.size ?? 0 };
  }
}

/**
 * Pod informer handlers for a controller that owns pods: each pod event marks the owner's expected creation
 * or deletion as observed and queues the owner (`ownerKey` gives the owner's work-queue key, or undefined).
 * A pod that appears already terminating counts as a deletion, as upstream's addPod does.
 */
export function ownedPodHandlers(
  ownerKey: (pod: Pod) => string | undefined,
  expectations: Expectations,
  enqueue: (key: string) => void,
): EventHandlers<Pod> {
  return {
    onAdd: (p) => {
      const key = ownerKey(p);
      if (!key) return;
      if (p.metadata?.deletionTimestamp) expectations.deletionObserved(key, p);
      else expectations.creationObserved(key);
      enqueue(key);
    },
    onUpdate: (old, p) => {
      const key = ownerKey(p);
      if (!key) return;
      if (p.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) expectations.deletionObserved(key, p);
      enqueue(key);
    },
    onDelete: (p) => {
      const key = ownerKey(p);
      if (!key) return;
      expectations.deletionObserved(key, p);
      enqueue(key);
    },
  };
}
