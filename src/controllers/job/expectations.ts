// Controller expectations (upstream's ControllerExpectations): after a controller asks for N creations or
// deletions it waits until its informer has seen them before deciding again, so a stale cache never makes
// it create or delete twice. Entries expire after a TTL (upstream 5 min) in case an event was missed. Keys
// are the controller's work-queue keys. No I/O.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../../client/clock.js';
import type { EventHandlers } from '../../client/informer.js';

interface Entry {
  add: number;
  del: number;
  at: number;
}

export class Expectations {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  /** True when nothing is outstanding (or the expectations expired). */
  satisfied(key: string): boolean {
    const e = this.entries.get(key);
    if (!e) return true;
    if ((e.add <= 0 && e.del <= 0) || this.clock.now() - e.at > this.ttlMs) return true;
    return false;
  }

  expect(key: string, adds: number, dels: number): void {
    this.entries.set(key, { add: adds, del: dels, at: this.clock.now() });
  }

  raise(key: string, adds: number, dels: number): void {
    const e = this.entries.get(key);
    if (!e) return this.expect(key, adds, dels);
    e.add += adds;
    e.del += dels;
  }

  creationObserved(key: string): void {
    const e = this.entries.get(key);
    if (e) e.add--;
  }

  deletionObserved(key: string): void {
    const e = this.entries.get(key);
    if (e) e.del--;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

/**
 * Pod informer handlers for a controller that owns pods: each pod event marks the owner's expected creation
 * or deletion as observed and queues the owner (`ownerKey` gives the owner's work-queue key, or undefined).
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
      expectations.creationObserved(key);
      enqueue(key);
    },
    onUpdate: (old, p) => {
      const key = ownerKey(p);
      if (!key) return;
      if (p.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) expectations.deletionObserved(key);
      enqueue(key);
    },
    onDelete: (p) => {
      const key = ownerKey(p);
      if (!key) return;
      if (!p.metadata?.deletionTimestamp) expectations.deletionObserved(key);
      enqueue(key);
    },
  };
}
