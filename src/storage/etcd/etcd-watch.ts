// One Store watch on top of one etcd gRPC watch stream: creates the etcd watcher (prev_kv, progress_notify,
// "hasleader"), turns etcd responses into WatchEvents in revision order, and re-creates the stream on another
// member after a failure, resuming after the last delivered revision so no write is lost or repeated. It must
// not decide key layout or compaction policy; the store passes those in.

import type { IDuplexStream, IKeyValue, IWatchRequest, IWatchResponse } from 'etcd3';
import type { ConnectionPool } from 'etcd3/lib/connection-pool.js';
import {
  CompactedError,
  UnavailableError,
  type KeyValue,
  type Watch,
  type WatchEvent,
  type WatchHandlers,
} from '../store.js';
import { classifyEtcdError } from './errors.js';
import type { KeyRange } from './keys.js';

type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

export interface EtcdWatchDeps {
  pool: ConnectionPool;
  /** etcd KeyValue → Store KeyValue (strips the store prefix). */
  decode(kv: IKeyValue): KeyValue;
  /** etcd told us its compaction revision. */
  noteCompacted(revision: number): void;
  /** How long to keep re-creating a broken stream before giving up with onError (UnavailableError). */
  reconnectTimeoutMs: number;
  /** How long the first creation may take before start() rejects. */
  createTimeoutMs: number;
}

const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2000;

export class EtcdWatch implements Watch {
  private closed = false;
  private stream: WatchStream | undefined;
  /** Every event with revision <= lastRevision has been delivered (or precedes the watch). */
  private lastRevision: number;
  private lastProgress = 0;
  private failingSince: number | undefined;
  private backoffMs = MIN_BACKOFF_MS;
  private timer: NodeJS.Timeout | undefined;
  private pending: { resolve(): void; reject(err: Error): void; deadline: number } | undefined;

  constructor(
    private readonly deps: EtcdWatchDeps,
    private readonly range: KeyRange,
    fromRevision: number,
    private readonly handlers: WatchHandlers,
  ) {
    this.lastRevision = Math.max(0, fromRevision);
  }

  /** Resolves once etcd has created the watcher: every later write under the range will be delivered. */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending = { resolve, reject, deadline: Date.now() + this.deps.createTimeoutMs };
      this.connect();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(new UnavailableError('etcd watch closed before it was established'));
  }

  private connect(): void {
    this.timer = undefined;
    if (this.closed) return;
    // start_revision 0 = "from now on"; only used before the first creation of a fromRevision-0 watch.
    const startRevision = this.lastRevision > 0 ? this.lastRevision + 1 : 0;
    this.deps.pool
      .withConnection('Watch', ({ resource, client, metadata }) => {
        const md = metadata.clone();
        // Makes a member that lost its leader cancel the watch instead of serving stale (silent) data.
        md.set('hasleader', 'true');
        const stream = (client as unknown as { watch(md: unknown, opts: object): WatchStream }).watch(md, {});
        return { stream, resource };
      })
      .then(
        ({ stream, resource }) => {
          if (this.closed) {
            stream.cancel();
            return;
          }
          this.stream = stream;
          stream.on('data', (res) => this.onResponse(stream, res));
          stream.on('error', (err) => {
            if (stream === this.stream && classifyEtcdError(err) === 'retryable') {
              this.deps.pool.markFailed(resource, err);
            }
            this.onFailure(stream, err);
          });
          stream.on('end', () => this.onFailure(stream, new Error('etcd watch stream ended')));
          stream.write({
            create_request: {
              key: this.range.key,
              range_end: this.range.rangeEnd,
              start_revision: startRevision,
              prev_kv: true,
              progress_notify: true,
            },
          });
        },
        (err: unknown) => this.onFailure(undefined, err instanceof Error ? err : new Error(String(err))),
      );
  }

  private onResponse(stream: WatchStream, res: IWatchResponse): void {
    if (this.closed || stream !== this.stream) return;
    if (res.canceled) {
      this.onCanceled(stream, res);
      return;
    }
    if (res.created) {
      if (this.lastRevision === 0) this.lastRevision = Number(res.header.revision);
      this.failingSince = undefined;
      this.backoffMs = MIN_BACKOFF_MS;
      const pending = this.pending;
      this.pending = undefined;
      pending?.resolve();
      return;
    }
    if (res.events.length === 0) {
      // Progress notification: everything up to header.revision has been sent on this stream.
      const revision = Number(res.header.revision);
      if (revision >= this.lastRevision && revision > this.lastProgress) {
        this.lastProgress = revision;
        this.deliver(() => this.handlers.onProgress?.(revision));
      }
      return;
    }
    // After a reconnect etcd replays from lastRevision+1, so nothing at or below it may be delivered twice.
    const floor = this.lastRevision;
    for (const ev of res.events) {
      if (this.closed) return;
      const revision = Number(ev.kv.mod_revision);
      if (revision <= floor) continue;
      const event = this.toEvent(ev.type, ev.kv, ev.prev_kv);
      this.lastRevision = Math.max(this.lastRevision, revision);
      this.deliver(() => this.handlers.onEvent(event));
    }
  }

  private toEvent(type: string, kv: IKeyValue, prevKv: IKeyValue | null | undefined): WatchEvent {
    const prev = prevKv && prevKv.key && prevKv.key.length > 0 ? this.deps.decode(prevKv) : undefined;
    if (type === 'Delete') {
      const key = this.deps.decode(kv).key;
      const revision = Number(kv.mod_revision);
      // prev_kv is only missing when the previous version was compacted away; keep the key and revision.
      return { type: 'delete', key, revision, prev: prev ?? { key, value: '', createRevision: 0, modRevision: 0 } };
    }
    return prev ? { type: 'put', kv: this.deps.decode(kv), prev } : { type: 'put', kv: this.deps.decode(kv) };
  }

  private onCanceled(stream: WatchStream, res: IWatchResponse): void {
    const compacted = Number(res.compact_revision);
    if (compacted > 0) {
      this.deps.noteCompacted(compacted);
      this.fail(new CompactedError(this.lastRevision, compacted));
      return;
    }
    const reason = res.cancel_reason || 'canceled by etcd';
    const err = new Error(reason);
    if (classifyEtcdError(err) === 'retryable') {
      this.onFailure(stream, err);
      return;
    }
    this.fail(new UnavailableError(`etcd canceled the watch: ${reason}`));
  }

  private onFailure(stream: WatchStream | undefined, err: Error): void {
    if (this.closed || stream !== this.stream) return;
    this.stream = undefined;
    stream?.cancel();
    const cls = classifyEtcdError(err);
    if (cls === 'compacted') {
      this.fail(new CompactedError(this.lastRevision, this.lastRevision + 1));
      return;
    }
    const now = Date.now();
    this.failingSince ??= now;
    const giveUpAt = this.pending ? this.pending.deadline : this.failingSince + this.deps.reconnectTimeoutMs;
    if (cls !== 'retryable' || now + this.backoffMs > giveUpAt) {
      this.fail(new UnavailableError(`etcd watch failed: ${err.message}`));
      return;
    }
    this.timer = setTimeout(() => this.connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
  }

  private fail(err: Error): void {
    if (this.closed) return;
    const pending = this.pending;
    this.pending = undefined;
    this.close();
    if (pending) pending.reject(err);
    else this.deliver(() => this.handlers.onError(err));
  }

  /** Handler exceptions must not break the gRPC stream: rethrow them outside it, like an EventEmitter would. */
  private deliver(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      setImmediate(() => {
        throw err;
      });
    }
  }
}
