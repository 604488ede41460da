// One Store watch on top of one etcd gRPC watch stream: creates the etcd watcher (prev_kv, progress_notify,
// "hasleader"), turns etcd responses into WatchEvents in revision order, and re-creates the stream on another
// member after a failure, resuming after the last delivered revision so no write is lost or repeated. It must
// not decide key layout or compaction policy; the store passes those in.

import {
  CompactedError,
  UnavailableError,
  type KeyValue,
  type Watch,
  type WatchEvent,
  type WatchHandlers,
} from '../store.js';
import { classifyEtcdError } from './errors.js';
import type { GrpcChannel, GrpcStream } from './grpc-channel.js';
import type { KeyRange } from './keys.js';
import { decodeWatchResponse, encodeWatchCreateRequest, type EtcdKv, type WatchResponse } from './kv-codec.js';

type WatchStream = GrpcStream;

export interface EtcdWatchDeps {
  channel: GrpcChannel;
  /** etcd KeyValue → Store KeyValue (strips the store prefix). */
  decode(kv: EtcdKv): KeyValue;
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
    // "hasleader": a member that lost its leader cancels the watch instead of serving stale (silent) data.
    const stream: WatchStream = this.deps.channel.openStream('/etcdserverpb.Watch/Watch', { hasleader: 'true' }, {
      onMessage: (message) => {
        let res: WatchResponse;
        try {
          res = decodeWatchResponse(message);
        } catch (err) {
          this.onFailure(stream, err instanceof Error ? err : new Error(String(err)));
          return;
        }
        this.onResponse(stream, res);
      },
      onClose: (err) => this.onFailure(stream, err ?? new Error('etcd watch stream ended')),
    });
    this.stream = stream;
    stream.write(
      encodeWatchCreateRequest({
        key: this.range.key,
        rangeEnd: this.range.rangeEnd,
        startRevision,
        prevKv: true,
        progressNotify: true,
      }),
    );
  }

  private onResponse(stream: WatchStream, res: WatchResponse): void {
    if (this.closed || stream !== this.stream) return;
    if (res.canceled) {
      this.onCanceled(stream, res);
      return;
    }
    if (res.created) {
      if (this.lastRevision === 0) this.lastRevision = res.revision;
      this.failingSince = undefined;
      this.backoffMs = MIN_BACKOFF_MS;
      const pending = this.pending;
      this.pending = undefined;
      pending?.resolve();
      return;
    }
    if (res.events.length === 0) {
      // Progress notification: everything up to header.revision has been sent on this stream.
      const revision = res.revision;
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
      const revision = ev.kv.modRevision;
      if (revision <= floor) continue;
      const event = this.toEvent(ev.type, ev.kv, ev.prevKv);
      this.lastRevision = Math.max(this.lastRevision, revision);
      this.deliver(() => this.handlers.onEvent(event));
    }
  }

  private toEvent(type: 'put' | 'delete', kv: EtcdKv, prevKv: EtcdKv | undefined): WatchEvent {
    const prev = prevKv && prevKv.key.length > 0 ? this.deps.decode(prevKv) : undefined;
    if (type === 'delete') {
      const key = this.deps.decode(kv).key;
      const revision = kv.modRevision;
      // prev_kv is only missing when the previous version was compacted away; keep the key and revision.
      return { type: 'delete', key, revision, prev: prev ?? { key, value: '', createRevision: 0, modRevision: 0 } };
    }
    return prev ? { type: 'put', kv: this.deps.decode(kv), prev } : { type: 'put', kv: this.deps.decode(kv) };
  }

  private onCanceled(stream: WatchStream, res: WatchResponse): void {
    const compacted = res.compactRevision;
    if (compacted > 0) {
      this.deps.noteCompacted(compacted);
      this.fail(new CompactedError(this.lastRevision, compacted));
      return;
    }
    const reason = res.cancelReason || 'canceled by etcd';
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
