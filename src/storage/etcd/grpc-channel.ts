// gRPC to etcd members over HTTP/2 (the store's own client, h2-connection.ts), for everything the store sends
// on its hot path: unary calls (ranges, transactions, compaction) and the Watch stream. One HTTP/2 connection
// per member, shared by every call and stream; a unary request is a POST of one length-prefixed message
// answered by one message plus the grpc-status trailer, a stream carries such messages both ways (the gRPC
// over HTTP/2 wire protocol). It replaces the general client (grpc-js + protobufjs) whose per-call CPU was
// most of an etcd write's cost in the API server, and node:http2, whose per-stream cost was most of the rest;
// snapshots keep using etcd3. Failover: a member whose connection fails, that stops answering or that says
// UNAVAILABLE is left for the next one in the list, and the caller retries; keepalive pings find dead peers.
// It must not retry or interpret etcd's answers beyond the gRPC status (errors.ts classifies them).
import { isIP } from 'node:net';
import { H2Connection, type H2Stream } from './h2-connection.js';
import { encodeIndexed, encodeLiteral } from './hpack.js';

/** A gRPC status other than OK, as etcd sent it (or as the client decided: deadline, transport failure). */
export class GrpcStatusError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
    readonly endpoint: string,
  ) {
    super(`${code} ${GRPC_CODE_NAMES[code] ?? 'UNKNOWN'}: ${details}`);
  }
}

export const GRPC_CODE_NAMES: Record<number, string> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  15: 'DATA_LOSS',
  16: 'UNAUTHENTICATED',
};

export const GRPC_UNAVAILABLE = 14;
export const GRPC_DEADLINE_EXCEEDED = 4;
export const GRPC_CANCELLED = 1;
/** Details of the CANCELLED error of calls on a closed channel. */
export const CLIENT_CLOSED = 'client closed';

export interface GrpcChannelOptions {
  /** Member client URLs: http://host:port (h2c) or https://host:port. */
  endpoints: string[];
  /** PEM contents (not paths); any of them with an https endpoint configures TLS. */
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Keepalive ping interval on an open session (default 10 s) and how long a ping may go unanswered (5 s). */
  keepaliveMs?: number;
  keepaliveTimeoutMs?: number;
  /** Largest response message accepted (default 64 MiB, as the etcd3 client was configured). */
  maxMessageBytes?: number;
  /** Calls moved off a failing member to the next one (not called for prefer()). */
  onMoved?: () => void;
}

/** grpc-message is percent-encoded (gRPC over HTTP/2 spec). */
export function decodeGrpcMessage(raw: string | string[] | undefined): string {
  const s = Array.isArray(raw) ? raw.join(',') : raw ?? '';
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The one message of a unary response body: 1 byte compressed flag, 4 bytes big-endian length, message. */
export function unframe(body: Buffer, maxBytes: number): Buffer {
  if (body.length < 5) throw new Error(`gRPC response of ${body.length} bytes has no message`);
  if (body[0] !== 0) throw new Error('compressed gRPC response (no compression was offered)');
  const len = body.readUInt32BE(1);
  if (len > maxBytes) throw new Error(`gRPC response message of ${len} bytes exceeds the limit of ${maxBytes}`);
  if (body.length < 5 + len) throw new Error('truncated gRPC response message');
  return body.subarray(5, 5 + len);
}

/** Length of the message prefix of gRPC's framing: compressed flag and 4-byte big-endian length. */
export const GRPC_PREFIX_BYTES = 5;

/** Writes the prefix into a message encoded after GRPC_PREFIX_BYTES reserved bytes; returns the same buffer. */
export function frameInPlace(body: Buffer): Buffer {
  body[0] = 0;
  body.writeUInt32BE(body.length - GRPC_PREFIX_BYTES, 1);
  return body;
}

/** The request body: the message behind its 5-byte prefix. */
export function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

/** grpc-timeout header value for a deadline `ms` from now (milliseconds unit, at most 8 digits). */
export function grpcTimeout(ms: number): string {
  return `${Math.min(Math.max(1, Math.ceil(ms)), 99_999_999)}m`;
}

export interface StreamHandlers {
  onMessage(message: Buffer): void;
  onClose(err: GrpcStatusError | undefined): void;
}

export interface GrpcStream {
  write(message: Buffer): void;
  /** Ends the stream from this side (RST_STREAM CANCEL); no handler runs afterwards. */
  cancel(): void;
}

/** Splits a stream's bytes into its length-prefixed messages, across chunk boundaries. */
export class MessageReader {
  /** Bytes not yet consumed, as received (joined only once a whole message is there). */
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.size < 5) break;
      let head = this.chunks[0]!;
      if (head.length < 5) head = this.join();
      if (head[0] !== 0) throw new Error('compressed gRPC message (no compression was offered)');
      const len = head.readUInt32BE(1);
      if (len > this.maxBytes) throw new Error(`gRPC message of ${len} bytes exceeds the limit of ${this.maxBytes}`);
      if (this.size < 5 + len) break;
      if (head.length < 5 + len) head = this.join();
      out.push(head.subarray(5, 5 + len));
      const rest = head.subarray(5 + len);
      this.size -= 5 + len;
      if (rest.length > 0) this.chunks[0] = rest;
      else this.chunks.shift();
    }
    return out;
  }

  private join(): Buffer {
    const all = Buffer.concat(this.chunks, this.size);
    this.chunks = [all];
    return all;
  }
}

interface Member {
  url: string;
  host: string;
  port: number;
  secure: boolean;
  session: H2Connection | undefined;
  pingTimer: NodeJS.Timeout | undefined;
  /** Per method path: the request's header block up to its grpc-timeout (the same bytes for every call). */
  headerBlocks: Map<string, Buffer>;
}

interface Target {
  index: number;
  url: string;
  session: H2Connection;
  member: Member;
}

/** The `grpc-timeout` field appended to a cached header block (a literal without indexing, name not indexed). */
function withTimeout(prefix: Buffer, value: string): Buffer {
  const out = Buffer.allocUnsafe(prefix.length + 3 + GRPC_TIMEOUT.length + value.length);
  prefix.copy(out, 0);
  let at = prefix.length;
  out[at++] = 0x00;
  out[at++] = GRPC_TIMEOUT.length;
  at += out.write(GRPC_TIMEOUT, at, 'latin1');
  out[at++] = value.length;
  out.write(value, at, 'latin1');
  return out;
}
const GRPC_TIMEOUT = 'grpc-timeout';

export class GrpcChannel {
  private readonly members: Member[];
  /** The member calls go to; moved on when its connection fails. */
  private active = 0;
  private closed = false;
  private readonly keepaliveMs: number;
  private readonly keepaliveTimeoutMs: number;
  private readonly maxMessageBytes: number;

  constructor(private readonly opts: GrpcChannelOptions) {
    if (opts.endpoints.length === 0) throw new Error('no etcd endpoints');
    this.members = opts.endpoints.map((url) => {
      const u = new URL(url);
      const secure = u.protocol === 'https:';
      return {
        url,
        host: u.hostname.replace(/^\[|\]$/g, ''),
        port: Number(u.port) || (secure ? 443 : 80),
        secure,
        session: undefined,
        pingTimer: undefined,
        headerBlocks: new Map(),
      };
    });
    this.keepaliveMs = opts.keepaliveMs ?? 10_000;
    this.keepaliveTimeoutMs = opts.keepaliveTimeoutMs ?? 5_000;
    this.maxMessageBytes = opts.maxMessageBytes ?? 64 * 1024 * 1024;
  }

  /**
   * Sends one request message to `path` (e.g. /etcdserverpb.KV/Txn) on the active member; resolves with the
   * response message. Rejects with GrpcStatusError: etcd's status, DEADLINE_EXCEEDED when `deadline` (epoch ms)
   * passes, UNAVAILABLE when the connection fails (the next call then goes to the next member).
   */
  call(path: string, message: Buffer, deadline: number): Promise<Buffer> {
    return this.send(this.active, path, frame(message), deadline);
  }

  /** Like call(), with the request already framed (frameInPlace): sent as it is, without a copy. */
  callFramed(path: string, body: Buffer, deadline: number): Promise<Buffer> {
    return this.send(this.active, path, body, deadline);
  }

  /** Number of members (endpoints), in the order given. */
  get size(): number {
    return this.members.length;
  }

  /** The member calls and new streams go to. */
  get activeIndex(): number {
    return this.active;
  }

  /** Its URL. */
  get activeUrl(): string {
    return this.members[this.active]!.url;
  }

  /** Later calls and new streams go to member `index` (e.g. the raft leader: no forwarding hop). */
  prefer(index: number): void {
    if (index >= 0 && index < this.members.length) this.active = index;
  }

  /**
   * Like call(), to member `index` whichever is active (e.g. asking each member who leads). A failed
   * connection to it still drops its session and, if it is the active one, moves calls on.
   */
  callAt(index: number, path: string, message: Buffer, deadline: number): Promise<Buffer> {
    return this.send(index, path, frame(message), deadline);
  }

  private send(index: number, path: string, body: Buffer, deadline: number): Promise<Buffer> {
    const target = this.target(index);
    if (target instanceof GrpcStatusError) return Promise.reject(target);
    const timeoutMs = deadline - Date.now();
    if (timeoutMs <= 0) return Promise.reject(new GrpcStatusError(GRPC_DEADLINE_EXCEEDED, 'deadline exceeded before the call', target.url));
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = (err: GrpcStatusError | undefined, value?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(value!);
      };
      let stream: H2Stream;
      try {
        stream = this.exchange(
          target,
          withTimeout(this.headerBlock(target.member, path), grpcTimeout(timeoutMs)),
          body,
          true,
          (d) => {
            size += d.length;
            if (size > this.maxMessageBytes + 5) {
              settle(new GrpcStatusError(8, `response larger than ${this.maxMessageBytes} bytes`, target.url));
              stream.cancel();
              return;
            }
            chunks.push(d);
          },
          (err) => {
            if (err) return settle(err);
            try {
              settle(undefined, unframe(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), this.maxMessageBytes));
            } catch (e) {
              settle(new GrpcStatusError(13, (e as Error).message, target.url));
            }
          },
        );
      } catch (err) {
        settle(err as GrpcStatusError);
        return;
      }
      if (settled) return;
      timer = setTimeout(() => {
        // A member that stopped answering (or lost the proposal): the caller's retry goes to the next one.
        this.rotate(target.index);
        settle(new GrpcStatusError(GRPC_DEADLINE_EXCEEDED, `deadline exceeded after ${Math.round(timeoutMs)} ms`, target.url));
        stream.cancel();
      }, timeoutMs);
    });
  }

  /**
   * Opens a bidirectional stream to `path` on the active member (with extra request `metadata`, e.g.
   * hasleader). Every complete response message goes to onMessage; onClose runs once, with undefined when
   * etcd ended the stream with status OK, else the GrpcStatusError (UNAVAILABLE for a failed connection,
   * after which new calls and streams go to the next member). Nothing is delivered after cancel().
   */
  openStream(path: string, metadata: Record<string, string>, handlers: StreamHandlers): GrpcStream {
    let closed = false;
    const finish = (err: GrpcStatusError | undefined) => {
      if (closed) return;
      closed = true;
      handlers.onClose(err);
    };
    const target = this.target();
    if (target instanceof GrpcStatusError) {
      queueMicrotask(() => finish(target));
      return { write() {}, cancel: () => void (closed = true) };
    }
    const reader = new MessageReader(this.maxMessageBytes);
    const extra = Object.entries(metadata).map(([k, v]) => encodeLiteral(k, v));
    let stream: H2Stream;
    try {
      stream = this.exchange(
        target,
        Buffer.concat([this.headerBlock(target.member, path), ...extra]),
        undefined,
        false,
        (d) => {
          if (closed) return;
          let messages: Buffer[];
          try {
            messages = reader.push(d);
          } catch (err) {
            stream.cancel();
            finish(new GrpcStatusError(13, (err as Error).message, target.url));
            return;
          }
          for (const m of messages) {
            if (closed) return;
            handlers.onMessage(m);
          }
        },
        finish,
      );
    } catch (err) {
      queueMicrotask(() => finish(err as GrpcStatusError));
      return { write() {}, cancel: () => void (closed = true) };
    }
    return {
      write: (message: Buffer) => {
        if (!closed) stream.write(frame(message));
      },
      cancel: () => {
        closed = true;
        stream.cancel();
      },
    };
  }

  /** The active member and its session, or why there is none (the next call then tries the next member). */
  private target(index = this.active): Target | GrpcStatusError {
    if (this.closed) return new GrpcStatusError(GRPC_CANCELLED, CLIENT_CLOSED, '');
    const member = this.members[index]!;
    try {
      return { index, url: member.url, session: this.sessionOf(member), member };
    } catch (err) {
      this.failover(index);
      return new GrpcStatusError(GRPC_UNAVAILABLE, (err as Error).message, member.url);
    }
  }

  /** A member's request header block for `path`, without grpc-timeout and metadata: built once per path. */
  private headerBlock(m: Member, path: string): Buffer {
    let block = m.headerBlocks.get(path);
    if (!block) {
      block = Buffer.concat([
        encodeIndexed(':method', 'POST')!,
        encodeIndexed(':scheme', m.secure ? 'https' : 'http')!,
        encodeLiteral(':path', path),
        encodeLiteral(':authority', m.host.includes(':') ? `[${m.host}]:${m.port}` : `${m.host}:${m.port}`),
        encodeLiteral('content-type', 'application/grpc'),
        encodeLiteral('te', 'trailers'),
      ]);
      m.headerBlocks.set(path, block);
    }
    return block;
  }

  /**
   * One gRPC request on the target's session: response bytes go to onData, `done` runs once with the final
   * status (undefined = OK). A failed stream or connection moves later calls to the next member. Throws
   * GrpcStatusError(UNAVAILABLE) when the session cannot take a new stream.
   */
  private exchange(
    target: Target,
    headerBlock: Buffer,
    body: Buffer | undefined,
    end: boolean,
    onData: (d: Buffer) => void,
    done: (err: GrpcStatusError | undefined) => void,
  ): H2Stream {
    let status: string | undefined;
    let detail = '';
    let httpStatus = 0;
    try {
      return target.session.request(headerBlock, body, end, {
        onHeaders: (fields) => {
          // Response headers, then trailers; a trailers-only response (an error before any message) carries
          // the status in its one block.
          for (const [name, value] of fields) {
            if (name === ':status') httpStatus = Number(value);
            else if (name === 'grpc-status') status = value;
            else if (name === 'grpc-message') detail = decodeGrpcMessage(value);
          }
        },
        onData,
        onClose: (failure) => {
          if (failure) {
            if (failure.kind === 'refused') {
              // Never processed (GOAWAY, refused stream): the retry goes to the next member.
              this.rotate(target.index);
            } else {
              // The stream failed, not etcd: most often the connection went away (member stopped or unreachable).
              this.failover(target.index, target.session);
            }
            done(new GrpcStatusError(GRPC_UNAVAILABLE, failure.message, target.url));
            return;
          }
          if (status === undefined) {
            const why = httpStatus && httpStatus !== 200 ? `HTTP status ${httpStatus}` : 'stream closed without a gRPC status';
            done(new GrpcStatusError(GRPC_UNAVAILABLE, why, target.url));
            return;
          }
          const code = Number(status);
          // etcd answers UNAVAILABLE for "no leader" and when stopping: a member cut off from the others.
          if (code === GRPC_UNAVAILABLE) this.rotate(target.index);
          done(code === 0 ? undefined : new GrpcStatusError(Number.isInteger(code) ? code : 2, detail, target.url));
        },
      });
    } catch (err) {
      // The session is going away (GOAWAY received, or failed since it was picked).
      this.failover(target.index, target.session);
      throw new GrpcStatusError(GRPC_UNAVAILABLE, (err as Error).message, target.url);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const m of this.members) this.drop(m);
  }

  /**
   * The member a failed connection belonged to is dropped (only that connection: a newer one opened since
   * stays); later calls go to the next one.
   */
  private failover(index: number, session?: H2Connection): void {
    const m = this.members[index]!;
    if (!session || m.session === session) this.drop(m);
    this.rotate(index);
  }

  /** Later calls go to the member after `index` (its connection stays for calls in flight). */
  private rotate(index: number): void {
    if (this.active !== index) return;
    this.active = (index + 1) % this.members.length;
    if (this.members.length > 1) this.opts.onMoved?.();
  }

  private drop(m: Member): void {
    clearInterval(m.pingTimer);
    m.pingTimer = undefined;
    const s = m.session;
    m.session = undefined;
    s?.destroy();
  }

  private sessionOf(m: Member): H2Connection {
    if (m.session?.usable) return m.session;
    if (m.session) this.forget(m, m.session);
    const session = new H2Connection(m.host, m.port, {
      tls: m.secure
        ? // No SNI for an IP address (RFC 6066); the certificate is still checked against the IP.
          { ca: this.opts.ca, cert: this.opts.cert, key: this.opts.key, ...(isIP(m.host) ? { servername: '' } : {}) }
        : undefined,
    });
    m.session = session;
    const index = this.members.indexOf(m);
    session.onGone = () => {
      if (m.session !== session) return;
      // Calls in flight on it end with their own stream failures; new calls go to the next member.
      this.forget(m, session);
      this.rotate(index);
    };
    session.unref();
    m.pingTimer = setInterval(() => this.ping(m, session), this.keepaliveMs);
    m.pingTimer.unref();
    return session;
  }

  /** A connection that takes no new streams is no longer the member's (its streams in flight finish on it). */
  private forget(m: Member, session: H2Connection): void {
    if (m.session !== session) return;
    clearInterval(m.pingTimer);
    m.pingTimer = undefined;
    m.session = undefined;
  }

  private ping(m: Member, session: H2Connection): void {
    const timeout = setTimeout(() => {
      if (m.session === session) this.failover(this.members.indexOf(m), session);
    }, this.keepaliveTimeoutMs);
    timeout.unref();
    const sent = session.ping((err) => {
      clearTimeout(timeout);
      if (err && m.session === session) this.failover(this.members.indexOf(m), session);
    });
    if (!sent) clearTimeout(timeout);
  }
}
