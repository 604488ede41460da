// The etcd backend of the Store contract (src/storage/store.ts), for several Skiff servers sharing one etcd
// cluster. Revisions are etcd's: resourceVersion = mod_revision, writes are single-key transactions guarded by
// create/mod revision compares, lists are linearizable ranges, watches are etcd watches with prev_kv. It must
// not know about Kubernetes kinds or HTTP, and must not keep state that another server could contradict
// (the compaction revision is re-checked against etcd, not trusted from memory).

import { readFileSync } from 'node:fs';
import {
  AlreadyExistsError,
  CompactedError,
  ConflictError,
  NotFoundError,
  UnavailableError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type Watch,
  type WatchHandlers,
} from '../store.js';
import { classifyEtcdError, type EtcdErrorClass } from './errors.js';
import { EtcdWatch } from './etcd-watch.js';
import { frameInPlace, GrpcChannel, GRPC_PREFIX_BYTES } from './grpc-channel.js';
import {
  decodeCompactionResponse,
  decodeRangeResponse,
  decodeTxnResponse,
  encodeCompactionRequest,
  encodeRangeRequest,
  encodeTxnRequest,
  type EtcdKv,
  type RangeRequest,
  type RangeResponse,
  type RequestOp,
  type TxnRequest,
  type TxnResponse,
} from './kv-codec.js';
import { isEmptyRange, pageRange, prefixRange } from './keys.js';
import { LeaderTracker } from './leader.js';

export interface EtcdStoreOptions {
  /** Client URLs of the members, e.g. ["https://10.0.0.1:2379", ...]; requests fail over between them. */
  endpoints: string[];
  /** CA bundle, client certificate and key: a file path or PEM text each. Any of them turns TLS on. */
  ca?: string;
  cert?: string;
  key?: string;
  /** Prepended to every key in etcd (like kube-apiserver's --etcd-prefix); invisible to callers. */
  prefix?: string;
  /** Total time one Store call may spend retrying transient failures (default 20 s). */
  requestTimeoutMs?: number;
  /** Deadline of a single gRPC attempt (default 5 s); a lost proposal during leader change costs this much. */
  attemptTimeoutMs?: number;
  /**
   * Deadline of a single write attempt (default 2 s). A write is one small transaction that etcd commits in
   * milliseconds; one whose proposal died with a killed leader would otherwise hang for the whole attempt.
   */
  writeAttemptTimeoutMs?: number;
  /** How long a broken watch keeps reconnecting before onError(UnavailableError) (default 60 s). */
  watchReconnectTimeoutMs?: number;
  /**
   * With several endpoints, how often to ask the members which one leads (default 5 s; also soon after a
   * failover). Requests go to the leader: a follower would forward each write to it, one hop more.
   */
  leaderCheckIntervalMs?: number;
}

const ZERO_PROBE_KEY = Buffer.from([0]);
/** Upstream kube-apiserver's key (unprefixed: compaction is etcd-wide, whoever shares the cluster). */
export const COMPACT_REV_KEY = 'compact_rev_key';

export async function openEtcdStore(opts: EtcdStoreOptions): Promise<EtcdStore> {
  const store = new EtcdStore(opts);
  try {
    await store.currentRevision();
    await store.followLeader();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** A file path or PEM text → the PEM bytes. */
export function pem(value: string | undefined): Buffer | undefined {
  if (value === undefined || value === '') return undefined;
  return value.includes('-----BEGIN') ? Buffer.from(value) : readFileSync(value);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Carries an etcd answer that a caller maps itself (compacted / future revision) through the retry loop. */
class EtcdAnswer extends Error {
  constructor(
    readonly cls: EtcdErrorClass,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

export class EtcdStore implements Store {
  /** Ranges, transactions, compaction and watch streams: hand-encoded gRPC on one HTTP/2 session per member. */
  private readonly grpc: GrpcChannel;
  private readonly attemptTimeoutMs: number;
  private readonly prefix: Buffer;
  private readonly requestTimeoutMs: number;
  private readonly watchReconnectTimeoutMs: number;
  private readonly writeAttemptTimeoutMs: number;
  private readonly watches = new Set<EtcdWatch>();
  private readonly leader: LeaderTracker;
  /** Highest compaction revision seen (ours or reported by etcd); a lower bound of etcd's real one. */
  private knownCompacted = 0;
  private closed = false;

  constructor(opts: EtcdStoreOptions) {
    if (opts.endpoints.length === 0) throw new UnavailableError('etcd: no endpoints configured');
    this.grpc = new GrpcChannel({
      endpoints: opts.endpoints,
      ca: pem(opts.ca),
      cert: pem(opts.cert),
      key: pem(opts.key),
      onMoved: () => this.leader.recheckSoon(),
    });
    this.leader = new LeaderTracker(this.grpc, { intervalMs: opts.leaderCheckIntervalMs ?? 5000, askTimeoutMs: 1000 });
    this.attemptTimeoutMs = opts.attemptTimeoutMs ?? 5000;
    this.prefix = Buffer.from(opts.prefix ?? '');
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 20_000;
    this.watchReconnectTimeoutMs = opts.watchReconnectTimeoutMs ?? 60_000;
    this.writeAttemptTimeoutMs = opts.writeAttemptTimeoutMs ?? 2000;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const k = this.full(key);
    const res = await this.run(() => this.range({ key: k }));
    const kv = res.kvs[0];
    return kv ? this.decode(kv) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const range = pageRange(
      this.full(prefix),
      opts.startAfter === undefined ? undefined : this.full(opts.startAfter),
    );
    const revision = opts.revision && opts.revision > 0 ? opts.revision : 0;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    // startAfter beyond the prefix: nothing to read, but the revision is still checked (compacted or not).
    const empty = isEmptyRange(range);
    const read = (rev: number) =>
      this.run(
        () =>
          this.range(
            empty
              ? { key: ZERO_PROBE_KEY, keysOnly: true, limit: 1, revision: rev }
              : { key: range.key, rangeEnd: range.rangeEnd, limit, revision: rev },
          ),
        true,
      );
    let res;
    let at = revision;
    try {
      res = await read(revision);
    } catch (err) {
      // Like the sqlite backend: a revision beyond the current one reads the current state.
      const future = err instanceof EtcdAnswer && err.cls === 'future-revision';
      if (!future) throw await this.mapRevisionError(err, revision);
      res = await read(0);
      at = 0;
    }
    if (empty) return { items: [], revision: at || res.revision, more: false, remaining: 0 };
    const items = res.kvs.map((kv) => this.decode(kv));
    // count is the number of keys in [key, range_end) at that revision, regardless of limit.
    const remaining = Math.max(0, res.count - items.length);
    return { items, revision: at || res.revision, more: res.more || remaining > 0, remaining };
  }

  async count(prefix: string): Promise<number> {
    const range = prefixRange(this.full(prefix));
    const res = await this.run(() => this.range({ key: range.key, rangeEnd: range.rangeEnd, countOnly: true }));
    return res.count;
  }

  async create(key: string, value: string): Promise<KeyValue> {
    const k = this.full(key);
    // Encoded and framed once: a retry sends the same bytes.
    const request = frameInPlace(
      encodeTxnRequest(
        {
          compare: [{ key: k, target: 'create', result: 'equal', value: 0 }],
          success: [{ put: { key: k, value } }],
          failure: [{ range: { key: k } }],
        },
        GRPC_PREFIX_BYTES,
      ),
    );
    let attempts = 0;
    const res = await this.run(() => {
      attempts++;
      return this.txnEncoded(request);
    });
    if (!res.succeeded) {
      // A retried create that finds exactly its own bytes: the unanswered first attempt committed.
      const current = res.responses[0]?.range?.kvs[0];
      if (attempts > 1 && current && current.value.toString('utf8') === value) return this.decode(current);
      throw new AlreadyExistsError(key);
    }
    return { key, value, createRevision: res.revision, modRevision: res.revision };
  }

  async update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    const k = this.full(key);
    const request = frameInPlace(encodeTxnRequest(this.guarded(k, expectedRevision, { put: { key: k, value, prevKv: true } }), GRPC_PREFIX_BYTES));
    let attempts = 0;
    const res = await this.run(() => {
      attempts++;
      return this.txnEncoded(request);
    });
    if (!res.succeeded) {
      const current = res.responses[0]?.range?.kvs[0];
      // A retried update that finds its own bytes written after the expected revision: the first attempt won.
      if (attempts > 1 && current && current.modRevision > expectedRevision && current.value.toString('utf8') === value) {
        return this.decode(current);
      }
      this.throwGuardFailure(key, expectedRevision, current);
    }
    const prev = res.responses[0]?.put?.prevKv;
    const revision = res.revision;
    return { key, value, createRevision: prev ? prev.createRevision : revision, modRevision: revision };
  }

  async delete(key: string, expectedRevision?: number): Promise<{ prev: KeyValue; revision: number }> {
    const k = this.full(key);
    const request = frameInPlace(encodeTxnRequest(this.guarded(k, expectedRevision, { deleteRange: { key: k, prevKv: true } }), GRPC_PREFIX_BYTES));
    const res = await this.run(() => this.txnEncoded(request));
    if (!res.succeeded) this.throwGuardFailure(key, expectedRevision, res.responses[0]?.range?.kvs[0]);
    const prev = res.responses[0]?.deleteRange?.prevKvs[0];
    if (!prev) throw new NotFoundError(key);
    return { prev: this.decode(prev), revision: res.revision };
  }

  async watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Promise<Watch> {
    if (this.closed) throw new UnavailableError('etcd store is closed');
    if (fromRevision > 0) {
      const compacted = await this.compactRevision();
      if (fromRevision < compacted) throw new CompactedError(fromRevision, compacted);
    }
    const watch = new EtcdWatch(
      {
        channel: this.grpc,
        decode: (kv) => this.decode(kv),
        noteCompacted: (rev) => this.noteCompacted(rev),
        reconnectTimeoutMs: this.watchReconnectTimeoutMs,
        createTimeoutMs: this.requestTimeoutMs,
      },
      prefixRange(this.full(prefix)),
      fromRevision,
      {
        onEvent: (ev) => handlers.onEvent(ev),
        onError: (err) => {
          this.watches.delete(watch);
          handlers.onError(err);
        },
        onProgress: handlers.onProgress ? (rev) => handlers.onProgress?.(rev) : undefined,
      },
    );
    this.watches.add(watch);
    try {
      await watch.start();
    } catch (err) {
      this.watches.delete(watch);
      throw err;
    }
    return {
      close: () => {
        this.watches.delete(watch);
        watch.close();
      },
    };
  }

  async compact(revision: number): Promise<void> {
    if (revision <= 0) return;
    try {
      await this.run(
        () => this.grpc.call('/etcdserverpb.KV/Compact', encodeCompactionRequest(revision, false), this.readDeadline()).then(decodeCompactionResponse),
        true,
      );
      this.noteCompacted(revision);
    } catch (err) {
      // Compacting at or below the current compaction is a no-op, not a failure.
      if (err instanceof EtcdAnswer && err.cls === 'compacted') return;
      // Like the sqlite backend: a revision beyond the current one compacts up to the current one.
      if (err instanceof EtcdAnswer && err.cls === 'future-revision') return this.compact(await this.currentRevision());
      throw await this.mapRevisionError(err, revision);
    }
  }

  /**
   * One step of upstream's compaction coordination between API servers (storage/etcd3/compact.go): if the
   * shared `compact_rev_key` still has `version`, record `revision` in it (this server compacts this round);
   * otherwise another server compacted since and this one only learns the key's version. Returns whether this
   * server won, the key's version now, and etcd's current revision.
   */
  async claimCompaction(version: number, revision: number): Promise<{ won: boolean; version: number; currentRevision: number }> {
    const k = Buffer.from(COMPACT_REV_KEY);
    const request = frameInPlace(
      encodeTxnRequest(
        {
          compare: [{ key: k, target: 'version', result: 'equal', value: version }],
          success: [{ put: { key: k, value: String(revision) } }],
          failure: [{ range: { key: k } }],
        },
        GRPC_PREFIX_BYTES,
      ),
    );
    const res = await this.run(() => this.txnEncoded(request, this.readDeadline()));
    const currentRevision = res.revision;
    if (res.succeeded) return { won: true, version: version + 1, currentRevision };
    const kv = res.responses[0]?.range?.kvs[0];
    return { won: false, version: kv ? kv.version : 0, currentRevision };
  }

  async currentRevision(): Promise<number> {
    // A linearizable, keys-only count of one key that never exists: the header carries the revision.
    const res = await this.run(() => this.range({ key: ZERO_PROBE_KEY, countOnly: true }));
    return res.revision;
  }

  /**
   * etcd's compaction revision: reads at it still work, reads below it fail. etcd has no API that returns it,
   * so probe: a read at the remembered value confirms it (compaction only moves forward); otherwise search
   * upwards for the lowest readable revision (O(log n) tiny reads, only after someone else compacted).
   */
  async compactRevision(): Promise<number> {
    const readable = async (rev: number): Promise<boolean> => {
      try {
        await this.run(() => this.range({ key: ZERO_PROBE_KEY, countOnly: true, revision: rev }), true);
        return true;
      } catch (err) {
        if (err instanceof EtcdAnswer && err.cls === 'compacted') return false;
        if (err instanceof EtcdAnswer) throw new UnavailableError(`etcd: ${err.message}`);
        throw err;
      }
    };
    const known = this.knownCompacted;
    if (await readable(Math.max(known, 1))) return known;
    let lo = Math.max(known, 1); // not readable
    let hi = await this.currentRevision(); // always readable
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await readable(mid)) hi = mid;
      else lo = mid;
    }
    this.noteCompacted(hi);
    return hi;
  }

  /** The member requests go to now (diagnostics and tests). */
  get activeEndpoint(): string {
    return this.grpc.activeUrl;
  }

  /** Points requests at the raft leader and keeps them there (several endpoints only). */
  followLeader(): Promise<void> {
    return this.leader.start();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.leader.stop();
    for (const w of this.watches) w.close();
    this.watches.clear();
    this.grpc.close();
  }

  // --- helpers ---

  private readDeadline(): number {
    return Date.now() + this.attemptTimeoutMs;
  }

  private range(req: RangeRequest): Promise<RangeResponse> {
    return this.grpc.call('/etcdserverpb.KV/Range', encodeRangeRequest(req), this.readDeadline()).then(decodeRangeResponse);
  }

  /** One attempt of an encoded, framed transaction; writes get the shorter write deadline. */
  private txnEncoded(request: Buffer, deadline = Date.now() + this.writeAttemptTimeoutMs): Promise<TxnResponse> {
    return this.grpc.callFramed('/etcdserverpb.KV/Txn', request, deadline).then(decodeTxnResponse);
  }

  private full(key: string): Buffer {
    return this.prefix.length === 0 ? Buffer.from(key) : Buffer.concat([this.prefix, Buffer.from(key)]);
  }

  private decode(kv: EtcdKv): KeyValue {
    return {
      key: kv.key.toString('utf8', this.prefix.length),
      value: kv.value.toString('utf8'),
      createRevision: kv.createRevision,
      modRevision: kv.modRevision,
    };
  }


  private noteCompacted(revision: number): void {
    if (revision > this.knownCompacted) this.knownCompacted = revision;
  }

  /** A single-key txn: `op` when the key exists (and has modRevision == expected), else read the key. */
  private guarded(k: Buffer, expectedRevision: number | undefined, op: RequestOp): TxnRequest {
    const compare: TxnRequest['compare'] = [{ key: k, target: 'create', result: 'greater', value: 0 }];
    if (expectedRevision !== undefined) compare.push({ key: k, target: 'mod', result: 'equal', value: expectedRevision });
    return { compare, success: [op], failure: [{ range: { key: k } }] };
  }

  private throwGuardFailure(key: string, expected: number | undefined, current: EtcdKv | undefined): never {
    if (!current) throw new NotFoundError(key);
    throw new ConflictError(key, expected ?? 0, current.modRevision);
  }

  private async mapRevisionError(err: unknown, revision: number): Promise<Error> {
    if (!(err instanceof EtcdAnswer)) return err instanceof Error ? err : new UnavailableError(String(err));
    if (err.cls === 'compacted') {
      const compacted = await this.compactRevision();
      return new CompactedError(revision, Math.max(compacted, revision + 1));
    }
    return new UnavailableError(`etcd: ${err.message}`);
  }

  /**
   * Runs one etcd call, retrying transient failures (no leader, member down, lost proposal) with back-off
   * until requestTimeoutMs. Writes are conditional transactions, so a retried write never applies twice; an
   * ambiguous first attempt that did commit surfaces as AlreadyExists/Conflict/NotFound on the retry.
   * With `answers`, compacted/future-revision answers come back as EtcdAnswer for the caller to map.
   */
  private async run<T>(op: () => Promise<T>, answers = false): Promise<T> {
    const deadline = Date.now() + this.requestTimeoutMs;
    let delay = 50;
    for (;;) {
      if (this.closed) throw new UnavailableError('etcd store is closed');
      try {
        return await op();
      } catch (err) {
        const cls = classifyEtcdError(err);
        if (cls === 'retryable' && Date.now() + delay < deadline) {
          await sleep(delay);
          delay = Math.min(delay * 2, 1000);
          continue;
        }
        if (answers && (cls === 'compacted' || cls === 'future-revision')) throw new EtcdAnswer(cls, err);
        const msg = err instanceof Error ? err.message : String(err);
        throw new UnavailableError(cls === 'closed' ? 'etcd store is closed' : `etcd: ${msg}`);
      }
    }
  }
}
