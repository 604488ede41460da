// gRPC to etcd members over node:http2, for everything the store sends on its hot path: unary calls (ranges,
// transactions, compaction) and the Watch stream. One HTTP/2 session per member, shared by every call and
// stream; a unary request is a POST of one length-prefixed message answered by one message plus the
// grpc-status trailer, a stream carries such messages both ways (the gRPC over HTTP/2 wire protocol). It
// replaces the general client (grpc-js + protobufjs) whose per-call CPU was most of an etcd write's cost in
// the API server; snapshots keep using etcd3. Failover: a member whose connection fails, that stops
// answering or that says UNAVAILABLE is left for the next one in the list, and the caller retries; keepalive
// pings find dead peers. It must not retry or interpret etcd's answers beyond the gRPC status (errors.ts
// classifies them).
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type SecureClientSessionOptions } from 'node:http2';
import { isIP } from 'node:net';

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
  session: ClientHttp2Session | undefined;
  pingTimer: NodeJS.Timeout | undefined;
}

export class GrpcChannel {
  /**
   * Streams this side reset on purpose (a cancelled watch, a response over the size limit): their RST_STREAM
   * says nothing about the member, so it must not drop the session every other call and watch shares.
   */
  private readonly cancelledHere = new WeakSet<ClientHttp2Stream>();
  private readonly members: Member[];
  /** The member calls go to; moved on when its connection fails. */
  private active = 0;
  private closed = false;
  private readonly keepaliveMs: number;
  private readonly keepaliveTimeoutMs: number;
  private readonly maxMessageBytes: number;

  constructor(private readonly opts: GrpcChannelOptions) {
    if (opts.endpoints.length === 0) throw new Error('no etcd endpoints');
    this.members = opts.endpoints.map((url) => ({ url, session: undefined, pingTimer: undefined }));
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
      const settle = (err: GrpcStatusError | undefined, value?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(value!);
      };
      const stream = this.exchange(
        target,
        path,
        { 'grpc-timeout': grpcTimeout(timeoutMs) },
        (d) => {
          size += d.length;
          if (size > this.maxMessageBytes + 5) {
            settle(new GrpcStatusError(8, `response larger than ${this.maxMessageBytes} bytes`, target.url));
            this.cancelHere(stream);
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
      const timer = setTimeout(() => {
        // A member that stopped answering (or lost the proposal): the caller's retry goes to the next one.
        this.rotate(target.index);
        settle(new GrpcStatusError(GRPC_DEADLINE_EXCEEDED, `deadline exceeded after ${Math.round(timeoutMs)} ms`, target.url));
        stream.close(constants.NGHTTP2_CANCEL);
      }, timeoutMs);
      stream.end(body);
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
    let stream: ClientHttp2Stream;
    try {
      stream = this.exchange(
        target,
        path,
        metadata,
        (d) => {
          if (closed) return;
          let messages: Buffer[];
          try {
            messages = reader.push(d);
          } catch (err) {
            this.cancelHere(stream);
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
        if (!closed && !stream.destroyed) stream.write(frame(message));
      },
      cancel: () => {
        closed = true;
        this.cancelHere(stream);
      },
    };
  }

  /** Resets a stream this side no longer wants; its session and the member stay in use. */
  private cancelHere(stream: ClientHttp2Stream): void {
    this.cancelledHere.add(stream);
    if (!stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
  }

  /** The active member and its session, or why there is none (the next call then tries the next member). */
  private target(index = this.active): { index: number; url: string; session: ClientHttp2Session } | GrpcStatusError {
    if (this.closed) return new GrpcStatusError(GRPC_CANCELLED, CLIENT_CLOSED, '');
    const member = this.members[index]!;
    try {
      return { index, url: member.url, session: this.sessionOf(member) };
    } catch (err) {
      this.failover(index);
      return new GrpcStatusError(GRPC_UNAVAILABLE, (err as Error).message, member.url);
    }
  }

  /**
   * One gRPC request on the target's session: response bytes go to onData, `done` runs once with the final
   * status (undefined = OK). A failed stream or connection moves later calls to the next member. Throws
   * GrpcStatusError(UNAVAILABLE) when the session cannot take a new stream.
   */
  private exchange(
    target: { index: number; url: string; session: ClientHttp2Session },
    path: string,
    headers: Record<string, string>,
    onData: (d: Buffer) => void,
    done: (err: GrpcStatusError | undefined) => void,
  ): ClientHttp2Stream {
    let stream: ClientHttp2Stream;
    try {
      stream = target.session.request(
        {
          [constants.HTTP2_HEADER_METHOD]: 'POST',
          [constants.HTTP2_HEADER_PATH]: path,
          [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
          te: 'trailers',
          ...headers,
        },
        { endStream: false },
      );
    } catch (err) {
      // The session is going away (GOAWAY received, or destroyed since it was picked).
      this.failover(target.index);
      throw new GrpcStatusError(GRPC_UNAVAILABLE, (err as Error).message, target.url);
    }
    let finished = false;
    const finish = (err: GrpcStatusError | undefined) => {
      if (finished) return;
      finished = true;
      done(err);
    };
    let status: string | undefined;
    let detail = '';
    let httpStatus = 0;
    stream.on('response', (h) => {
      httpStatus = Number(h[constants.HTTP2_HEADER_STATUS] ?? 0);
      // A trailers-only response (an error before any message) carries the status in the headers.
      if (h['grpc-status'] !== undefined) {
        status = String(h['grpc-status']);
        detail = decodeGrpcMessage(h['grpc-message']);
      }
    });
    stream.on('data', onData);
    stream.on('trailers', (t) => {
      status = String(t['grpc-status'] ?? '');
      detail = decodeGrpcMessage(t['grpc-message']);
    });
    stream.on('error', (err: Error) => {
      // The stream failed, not etcd: most often the session went away (member stopped or unreachable).
      if (!this.cancelledHere.has(stream)) this.failover(target.index);
      finish(new GrpcStatusError(GRPC_UNAVAILABLE, err.message, target.url));
    });
    stream.on('close', () => {
      if (status === undefined) {
        const why = httpStatus && httpStatus !== 200 ? `HTTP status ${httpStatus}` : 'stream closed without a gRPC status';
        const reset = stream.rstCode !== undefined && stream.rstCode !== constants.NGHTTP2_NO_ERROR;
        if (reset && !this.cancelledHere.has(stream)) this.failover(target.index);
        finish(new GrpcStatusError(GRPC_UNAVAILABLE, why, target.url));
        return;
      }
      const code = Number(status);
      // etcd answers UNAVAILABLE for "no leader" and when stopping: a member cut off from the others.
      if (code === GRPC_UNAVAILABLE) this.rotate(target.index);
      finish(code === 0 ? undefined : new GrpcStatusError(Number.isInteger(code) ? code : 2, detail, target.url));
    });
    return stream;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const m of this.members) this.drop(m);
  }

  /** The member a failed connection belonged to is dropped; later calls go to the next one. */
  private failover(index: number): void {
    this.drop(this.members[index]!);
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
    if (s && !s.destroyed) s.destroy();
  }

  private sessionOf(m: Member): ClientHttp2Session {
    if (m.session && !m.session.destroyed && !m.session.closed) return m.session;
    const url = new URL(m.url);
    const tls: SecureClientSessionOptions =
      url.protocol === 'https:'
        ? // No SNI for an IP address (RFC 6066); the certificate is still checked against the IP.
          { ca: this.opts.ca, cert: this.opts.cert, key: this.opts.key, ...(isIP(url.hostname.replace(/^\[|\]$/g, '')) ? { servername: '' } : {}) }
        : {};
    const session = connect(m.url, { ...tls, settings: { enablePush: false } });
    m.session = session;
    const index = this.members.indexOf(m);
    const gone = () => {
      if (m.session !== session) return;
      clearInterval(m.pingTimer);
      m.pingTimer = undefined;
      m.session = undefined;
      // Calls in flight on it fail with their own stream errors; new calls go to the next member.
      this.rotate(index);
    };
    session.on('error', gone);
    session.on('goaway', gone);
    session.on('close', gone);
    session.unref();
    m.pingTimer = setInterval(() => this.ping(m, session), this.keepaliveMs);
    m.pingTimer.unref();
    return session;
  }

  private ping(m: Member, session: ClientHttp2Session): void {
    if (session.destroyed) return;
    const timeout = setTimeout(() => {
      if (m.session === session) this.failover(this.members.indexOf(m));
    }, this.keepaliveTimeoutMs);
    timeout.unref();
    let sent: boolean;
    try {
      sent = session.ping((err) => {
        clearTimeout(timeout);
        if (err && m.session === session) this.failover(this.members.indexOf(m));
      });
    } catch {
      // The session closed between the check above and the ping: it is being replaced anyway.
      sent = false;
    }
    if (!sent) clearTimeout(timeout);
  }
}
