// The storage contract every backend (sqlite, etcd) implements. It knows keys, opaque values and revisions;
// it must not know about Kubernetes kinds, validation or HTTP. One conformance suite (test/storage) runs
// against every backend, so anything a backend promises is written down here.
//
// Revisions: one global, strictly increasing counter; every successful write (create, update, delete) gets
// the next revision. An object's resourceVersion is the revision of its last write (modRevision).
//
// Acknowledgement: a write's promise settles only once the write is committed as durably as the backend
// promises (and a failed write changed nothing). A backend may commit concurrent writes together (SQLite
// commits the writes of one event-loop turn as one transaction); then each is checked against the ones before
// it, as if one by one, and all of them are answered, and their events delivered, only after that commit.
// Reads and watches never show a write that is not committed; currentRevision is the last committed one.

/** One stored key at one revision. `value` is the serialized object (JSON text for built-in backends). */
export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that created the key (stays fixed across updates). */
  createRevision: number;
  /** Revision of the last write to the key. */
  modRevision: number;
}

export interface ListOptions {
  /** Maximum items to return; 0 or absent = all. */
  limit?: number;
  /** Return keys strictly greater than this key (the last key of the previous page). */
  startAfter?: string;
  /** Read the state as of this revision (must not be compacted); absent/0 = current. */
  revision?: number;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at (current revision when not given). */
  revision: number;
  /** True when more keys under the prefix follow the last returned one. */
  more: boolean;
  /** How many keys remain after this page (when the backend can tell cheaply). */
  remaining?: number;
}

/** A put's `prev` is the key's previous value where the backend has it at no extra cost (etcd's prevKv); optional. */
export type WatchEvent =
  | { type: 'put'; kv: KeyValue; prev?: KeyValue }
  | { type: 'delete'; key: string; revision: number; prev: KeyValue };

export interface Watch {
  /** Stops delivery; no events are delivered after this returns. */
  close(): void;
}

export interface WatchHandlers {
  /** Events in revision order; for one write there is exactly one event. */
  onEvent(event: WatchEvent): void;
  /** Backend-side failure (e.g. connection lost and the revision compacted meanwhile). The watch is over. */
  onError(err: Error): void;
  /** Optional progress notification: every event up to `revision` has been delivered. */
  onProgress?(revision: number): void;
}

export interface Store {
  /** Undefined when the key does not exist. */
  get(key: string): Promise<KeyValue | undefined>;
  /** Keys that start with `prefix`, in key order. Throws CompactedError when `revision` is compacted. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Count of keys under prefix at the current revision. */
  count(prefix: string): Promise<number>;
  /** Throws AlreadyExistsError if the key exists. Returns the new KeyValue. */
  create(key: string, value: string): Promise<KeyValue>;
  /** Compare-and-swap on modRevision. Throws NotFoundError / ConflictError. */
  update(key: string, value: string, expectedRevision: number): Promise<KeyValue>;
  /** Deletes; with expectedRevision, compare-and-swap. Returns the deleted KeyValue and the delete revision. */
  delete(key: string, expectedRevision?: number): Promise<{ prev: KeyValue; revision: number }>;
  /**
   * Events for keys under prefix with revision > fromRevision (fromRevision 0 = from now on).
   * Throws CompactedError synchronously-or-async when fromRevision < compactRevision.
   */
  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Promise<Watch>;
  /** Drops history at or below `revision` (current values are always kept). */
  compact(revision: number): Promise<void>;
  currentRevision(): Promise<number>;
  /** Oldest revision still readable/watchable (history before it is compacted). */
  compactRevision(): Promise<number>;
  close(): Promise<void>;
}

export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
export class NotFoundError extends StoreError {
  constructor(readonly key: string) {
    super(`key not found: ${key}`);
  }
}
export class AlreadyExistsError extends StoreError {
  constructor(readonly key: string) {
    super(`key already exists: ${key}`);
  }
}
export class ConflictError extends StoreError {
  constructor(
    readonly key: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`revision conflict on ${key}: expected ${expected}, found ${actual}`);
  }
}
export class CompactedError extends StoreError {
  constructor(
    readonly requested: number,
    readonly compacted: number,
  ) {
    super(`required revision ${requested} has been compacted (compact revision ${compacted})`);
  }
}
/** The backend is unreachable or failed; callers answer 503/500-free errors (e.g. 504 timeout). */
export class UnavailableError extends StoreError {}
