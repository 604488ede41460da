// A minimal HTTP/2 client connection (RFC 9113) for the etcd store's gRPC channel: client streams only, one
// socket (TCP or TLS with ALPN h2), flow control both ways, CONTINUATION, PING, GOAWAY, RST_STREAM. It replaces
// node:http2 on the store's hot path, whose per-request cost (a Duplex stream object, header objects built and
// validated, two AsyncResource bindings, five event listeners) was most of the CPU an etcd write cost the API
// server. A request's header block comes pre-encoded from the caller (hpack.ts), so nothing is rebuilt per
// call. It must not know about gRPC (status, framing of messages) or about failover; grpc-channel.ts does.

import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { HpackDecoder, HpackError } from './hpack.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADER = 9;

const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PUSH_PROMISE = 0x5;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;

const FLAG_END_STREAM = 0x1;
const FLAG_ACK = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;

const SETTINGS_HEADER_TABLE_SIZE = 0x1;
const SETTINGS_ENABLE_PUSH = 0x2;
const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const SETTINGS_MAX_FRAME_SIZE = 0x5;

/** Error codes (RFC 9113 §7). */
export const H2_NO_ERROR = 0x0;
export const H2_PROTOCOL_ERROR = 0x1;
export const H2_FLOW_CONTROL_ERROR = 0x3;
export const H2_FRAME_SIZE_ERROR = 0x6;
export const H2_REFUSED_STREAM = 0x7;
export const H2_CANCEL = 0x8;
export const H2_COMPRESSION_ERROR = 0x9;

const DEFAULT_WINDOW = 65_535;
const DEFAULT_MAX_FRAME = 16_384;
const MAX_WINDOW = 2 ** 31 - 1;
const MAX_STREAM_ID = 2 ** 31 - 1;
/** What this side lets the peer send: per stream, and on the whole connection. */
const STREAM_RECV_WINDOW = 4 * 1024 * 1024;
const CONN_RECV_WINDOW = 16 * 1024 * 1024;
/** The decoder's table bound this side announces (the protocol default). */
const HEADER_TABLE_SIZE = 4096;

/** How a stream ended other than by the peer's END_STREAM. */
export type H2StreamFailure =
  /** The peer reset it (RST_STREAM with `code`). */
  | { kind: 'reset'; code: number; message: string }
  /** The peer will not process it (GOAWAY below its id, or REFUSED_STREAM): safe to send again elsewhere. */
  | { kind: 'refused'; message: string }
  /** The connection failed or closed under it. */
  | { kind: 'connection'; message: string };

export interface H2StreamHandlers {
  /** A header block: the response headers, then trailers (endStream true; also a trailers-only response). */
  onHeaders(fields: Array<[string, string]>, endStream: boolean): void;
  /** Body bytes: a view of a read buffer of this connection's own (kept alive while the view is held). */
  onData(chunk: Buffer): void;
  /** Runs once: undefined after the peer's END_STREAM, else why the stream ended. Never after cancel(). */
  onClose(failure: H2StreamFailure | undefined): void;
}

export interface H2Stream {
  /** Sends body bytes (flow-controlled: queued while the peer's windows are closed); `end` half-closes. */
  write(data: Buffer, end?: boolean): void;
  /** Resets the stream (RST_STREAM CANCEL); no handler runs afterwards. */
  cancel(): void;
}

export interface H2ConnectOptions {
  /** TLS (ALPN h2) when given; plain TCP (h2c with prior knowledge) otherwise. */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; servername?: string };
}

class Stream implements H2Stream {
  sendWindow: number;
  recvUnacked = 0;
  /** Body bytes waiting for window; `endPending` once the last of them should carry END_STREAM. */
  pending: Buffer[] = [];
  endPending = false;
  localClosed = false;
  done = false;

  constructor(
    readonly id: number,
    readonly conn: H2Connection,
    readonly handlers: H2StreamHandlers,
    sendWindow: number,
  ) {
    this.sendWindow = sendWindow;
  }

  write(data: Buffer, end = false): void {
    if (this.done || this.localClosed) return;
    if (data.length > 0) this.pending.push(data);
    if (end) {
      this.endPending = true;
      this.localClosed = true;
    }
    this.conn.flushStream(this);
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.conn.resetStream(this, H2_CANCEL);
  }
}

export class H2Connection {
  private readonly socket: Socket | TLSSocket;
  private readonly streams = new Map<number, Stream>();
  private readonly decoder = new HpackDecoder(HEADER_TABLE_SIZE);
  private nextId = 1;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxStreams = Infinity;
  private sendWindow = DEFAULT_WINDOW;
  private recvUnacked = 0;
  /** Read bytes not yet parsed into whole frames. */
  private inbuf: Buffer | undefined;
  /** A header block spread over HEADERS and CONTINUATION frames, until END_HEADERS. */
  private block: { streamId: number; endStream: boolean; chunks: Buffer[] } | undefined;
  private readonly pings: Array<(err: Error | undefined) => void> = [];
  /** Streams waiting for the peer's concurrency limit. */
  private readonly waiting: Array<{ stream: Stream; headerBlock: Buffer; body: Buffer | undefined; end: boolean }> = [];
  private goneReason: string | undefined;
  /** Frames waiting for the end of the event loop's turn (queue()). */
  private out: Buffer[] = [];
  private flushScheduled = false;
  private destroyed = false;
  /** Runs once, when the connection stops taking new streams (failed, closed, GOAWAY, ids used up). */
  onGone: ((reason: string) => void) | undefined;

  constructor(host: string, port: number, opts: H2ConnectOptions = {}) {
    if (opts.tls) {
      const tls = tlsConnect({ host, port, ALPNProtocols: ['h2'], ...opts.tls });
      tls.once('secureConnect', () => {
        if (tls.alpnProtocol !== 'h2') this.fail(`the server did not agree to HTTP/2 (ALPN ${String(tls.alpnProtocol)})`);
      });
      this.socket = tls;
    } else {
      this.socket = netConnect({ host, port });
    }
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    this.socket.on('error', (err: Error) => this.fail(err.message));
    this.socket.on('close', () => this.fail('connection closed'));
    // The preface, this side's settings, and the connection window opened to CONN_RECV_WINDOW (buffered by the
    // socket until it connects).
    const settings = this.frame(SETTINGS, 0, 0, settingsPayload([
      [SETTINGS_ENABLE_PUSH, 0],
      [SETTINGS_INITIAL_WINDOW_SIZE, STREAM_RECV_WINDOW],
      [SETTINGS_HEADER_TABLE_SIZE, HEADER_TABLE_SIZE],
    ]));
    this.queue(PREFACE, settings, this.windowUpdate(0, CONN_RECV_WINDOW - DEFAULT_WINDOW));
  }

  /** Whether new streams can be opened on it. */
  get usable(): boolean {
    return this.goneReason === undefined;
  }

  /** Streams open now (diagnostics and tests). */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Lets the process exit while the connection is open (like an unref'd timer). */
  unref(): void {
    this.socket.unref();
  }

  /**
   * Opens a stream with a complete, HPACK-encoded request header block and optionally its first body bytes
   * (`end` half-closes after them). Throws when the connection takes no new streams.
   */
  request(headerBlock: Buffer, body: Buffer | undefined, end: boolean, handlers: H2StreamHandlers): H2Stream {
    if (this.goneReason !== undefined) throw new Error(`HTTP/2 connection unusable: ${this.goneReason}`);
    const id = this.nextId;
    this.nextId += 2;
    if (this.nextId > MAX_STREAM_ID) this.gone('stream ids used up');
    const stream = new Stream(id, this, handlers, this.peerInitialWindow);
    this.streams.set(id, stream);
    if (this.streams.size - this.waiting.length > this.peerMaxStreams) this.waiting.push({ stream, headerBlock, body, end });
    else this.open(stream, headerBlock, body, end);
    return stream;
  }

  /** Sends a PING; `done` runs with undefined when it is acknowledged (or an error when the connection fails). */
  ping(done: (err: Error | undefined) => void): boolean {
    if (this.destroyed) return false;
    this.pings.push(done);
    this.queue(this.frame(PING, 0, 0, Buffer.alloc(8)));
    return true;
  }

  /** Closes the socket; open streams end with a 'connection' failure. */
  destroy(): void {
    this.fail('connection closed by this side');
  }

  // --- internals used by Stream ---

  flushStream(s: Stream): void {
    if (s.done || this.destroyed) return;
    if (this.waiting.some((w) => w.stream === s)) return;
    const out: Buffer[] = [];
    this.drain(s, out);
    this.queue(...out);
  }

  resetStream(s: Stream, code: number): void {
    this.streams.delete(s.id);
    const w = this.waiting.findIndex((x) => x.stream === s);
    if (w >= 0) {
      // Never sent: nothing to reset at the peer.
      this.waiting.splice(w, 1);
      return;
    }
    if (!this.destroyed) this.queue(this.frame(RST_STREAM, 0, s.id, u32(code)));
    this.openWaiting();
    if (this.goneReason !== undefined && this.streams.size === 0) {
      // Let the reset leave first.
      this.flush();
      this.closeIfDrained();
    }
  }

  // --- sending ---

  private open(s: Stream, headerBlock: Buffer, body: Buffer | undefined, end: boolean): void {
    const out: Buffer[] = [];
    const noBody = end && (!body || body.length === 0);
    // HEADERS, then CONTINUATIONs if the block is larger than a frame.
    let at = 0;
    let first = true;
    do {
      const n = Math.min(this.peerMaxFrame, headerBlock.length - at);
      const last = at + n >= headerBlock.length;
      const flags = (last ? FLAG_END_HEADERS : 0) | (first && noBody ? FLAG_END_STREAM : 0);
      out.push(this.frame(first ? HEADERS : CONTINUATION, flags, s.id, headerBlock.subarray(at, at + n)));
      at += n;
      first = false;
    } while (at < headerBlock.length);
    if (noBody) s.localClosed = true;
    else {
      if (body && body.length > 0) s.pending.push(body);
      if (end) {
        s.endPending = true;
        s.localClosed = true;
      }
      this.drain(s, out);
    }
    this.queue(...out);
  }

  /** Appends DATA frames of s's pending bytes that the windows allow (END_STREAM on the last, if asked). */
  private drain(s: Stream, out: Buffer[]): void {
    while (s.pending.length > 0) {
      const head = s.pending[0]!;
      const n = Math.min(head.length, this.peerMaxFrame, s.sendWindow, this.sendWindow);
      if (n <= 0 && head.length > 0) return;
      const lastBytes = n === head.length && s.pending.length === 1;
      out.push(this.frame(DATA, lastBytes && s.endPending ? FLAG_END_STREAM : 0, s.id, head.subarray(0, n)));
      s.sendWindow -= n;
      this.sendWindow -= n;
      if (n === head.length) s.pending.shift();
      else s.pending[0] = head.subarray(n);
      if (lastBytes && s.endPending) {
        s.endPending = false;
        return;
      }
    }
    if (s.endPending) {
      // end() with nothing left to send: an empty DATA frame carries END_STREAM.
      out.push(this.frame(DATA, FLAG_END_STREAM, s.id, Buffer.alloc(0)));
      s.endPending = false;
    }
  }

  private openWaiting(): void {
    while (this.waiting.length > 0 && this.streams.size - this.waiting.length + 1 <= this.peerMaxStreams) {
      const w = this.waiting.shift()!;
      if (!w.stream.done) this.open(w.stream, w.headerBlock, w.body, w.end);
    }
  }

  /**
   * Frames go out together once the current turn of the event loop is over (as nghttp2 does): the requests
   * of every HTTP request handled in one poll phase leave in one socket write, so etcd reads them in one go.
   */
  private queue(...frames: Buffer[]): void {
    if (frames.length === 0 || this.destroyed) return;
    for (const f of frames) this.out.push(f);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const out = this.out;
    if (out.length === 0 || this.destroyed) return;
    this.out = [];
    this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
  };

  private frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
    const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
    out.writeUIntBE(payload.length, 0, 3);
    out[3] = type;
    out[4] = flags;
    out.writeUInt32BE(streamId, 5);
    payload.copy(out, FRAME_HEADER);
    return out;
  }

  private windowUpdate(streamId: number, increment: number): Buffer {
    return this.frame(WINDOW_UPDATE, 0, streamId, u32(increment));
  }

  // --- receiving ---

  private onBytes(chunk: Buffer): void {
    let buf = this.inbuf ? Buffer.concat([this.inbuf, chunk]) : chunk;
    let at = 0;
    try {
      while (!this.destroyed && buf.length - at >= FRAME_HEADER) {
        const len = buf.readUIntBE(at, 3);
        if (len > DEFAULT_MAX_FRAME) throw new ConnectionError(H2_FRAME_SIZE_ERROR, `frame of ${len} bytes over the announced maximum`);
        if (buf.length - at < FRAME_HEADER + len) break;
        const type = buf[at + 3]!;
        const flags = buf[at + 4]!;
        const streamId = buf.readUInt32BE(at + 5) & 0x7fffffff;
        const payload = buf.subarray(at + FRAME_HEADER, at + FRAME_HEADER + len);
        at += FRAME_HEADER + len;
        this.onFrame(type, flags, streamId, payload);
      }
    } catch (err) {
      const code = err instanceof ConnectionError ? err.code : err instanceof HpackError ? H2_COMPRESSION_ERROR : H2_PROTOCOL_ERROR;
      this.abort(code, (err as Error).message);
      return;
    }
    if (at >= buf.length) this.inbuf = undefined;
    else {
      // Keep only the unparsed tail (a copy: the read buffer is not ours to hold).
      buf = buf.subarray(at);
      this.inbuf = Buffer.from(buf);
    }
  }

  private onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.block && type !== CONTINUATION) throw new ConnectionError(H2_PROTOCOL_ERROR, 'header block interrupted');
    switch (type) {
      case DATA:
        return this.onData(flags, streamId, payload);
      case HEADERS: {
        if (streamId === 0) throw new ConnectionError(H2_PROTOCOL_ERROR, 'HEADERS on stream 0');
        let body = unpad(flags, payload);
        if (flags & FLAG_PRIORITY) body = body.subarray(5);
        this.block = { streamId, endStream: (flags & FLAG_END_STREAM) !== 0, chunks: [body] };
        if (flags & FLAG_END_HEADERS) this.endBlock();
        return;
      }
      case CONTINUATION:
        if (!this.block || this.block.streamId !== streamId) throw new ConnectionError(H2_PROTOCOL_ERROR, 'unexpected CONTINUATION');
        this.block.chunks.push(payload);
        if (flags & FLAG_END_HEADERS) this.endBlock();
        return;
      case RST_STREAM: {
        const s = this.streams.get(streamId);
        if (!s) return;
        const code = payload.length >= 4 ? payload.readUInt32BE(0) : H2_PROTOCOL_ERROR;
        this.finish(s, code === H2_REFUSED_STREAM ? { kind: 'refused', message: 'stream refused' } : { kind: 'reset', code, message: `stream reset by the server (code ${code})` });
        return;
      }
      case SETTINGS:
        if (flags & FLAG_ACK) return;
        this.onSettings(payload);
        this.queue(this.frame(SETTINGS, FLAG_ACK, 0, Buffer.alloc(0)));
        return;
      case PUSH_PROMISE:
        throw new ConnectionError(H2_PROTOCOL_ERROR, 'PUSH_PROMISE with push disabled');
      case PING:
        if (flags & FLAG_ACK) this.pings.shift()?.(undefined);
        else this.queue(this.frame(PING, FLAG_ACK, 0, payload));
        return;
      case GOAWAY:
        return this.onGoaway(payload);
      case WINDOW_UPDATE: {
        const inc = payload.readUInt32BE(0) & 0x7fffffff;
        if (streamId === 0) {
          this.sendWindow += inc;
          if (this.sendWindow > MAX_WINDOW) throw new ConnectionError(H2_FLOW_CONTROL_ERROR, 'connection window overflow');
          for (const s of this.streams.values()) if (s.pending.length > 0 || s.endPending) this.flushStream(s);
        } else {
          const s = this.streams.get(streamId);
          if (!s) return;
          s.sendWindow += inc;
          this.flushStream(s);
        }
        return;
      }
      default:
        // PRIORITY and unknown frame types are ignored (RFC 9113 §5.5).
        return;
    }
  }

  private onData(flags: number, streamId: number, payload: Buffer): void {
    // Flow control counts the whole frame, padding included, whether or not the stream is still open.
    this.recvUnacked += payload.length;
    const updates: Buffer[] = [];
    if (this.recvUnacked >= CONN_RECV_WINDOW / 2) {
      updates.push(this.windowUpdate(0, this.recvUnacked));
      this.recvUnacked = 0;
    }
    const s = this.streams.get(streamId);
    const data = unpad(flags, payload);
    const end = (flags & FLAG_END_STREAM) !== 0;
    if (s && !end) {
      s.recvUnacked += payload.length;
      if (s.recvUnacked >= STREAM_RECV_WINDOW / 2) {
        updates.push(this.windowUpdate(s.id, s.recvUnacked));
        s.recvUnacked = 0;
      }
    }
    this.queue(...updates);
    if (!s) return;
    if (data.length > 0) s.handlers.onData(data);
    if (end && !s.done) this.finish(s, undefined);
  }

  private endBlock(): void {
    const block = this.block!;
    this.block = undefined;
    // Decoded whatever the stream's state: the decoder's table must see every block.
    const fields = this.decoder.decode(block.chunks.length === 1 ? block.chunks[0]! : Buffer.concat(block.chunks));
    const s = this.streams.get(block.streamId);
    if (!s || s.done) return;
    s.handlers.onHeaders(fields, block.endStream);
    if (block.endStream && !s.done) this.finish(s, undefined);
  }

  private onSettings(payload: Buffer): void {
    for (let i = 0; i + 6 <= payload.length; i += 6) {
      const id = payload.readUInt16BE(i);
      const value = payload.readUInt32BE(i + 2);
      if (id === SETTINGS_INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) throw new ConnectionError(H2_FLOW_CONTROL_ERROR, 'initial window too large');
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const s of this.streams.values()) s.sendWindow += delta;
      } else if (id === SETTINGS_MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME || value > 16_777_215) throw new ConnectionError(H2_PROTOCOL_ERROR, 'invalid max frame size');
        this.peerMaxFrame = value;
      } else if (id === SETTINGS_MAX_CONCURRENT_STREAMS) {
        this.peerMaxStreams = value;
      }
    }
    for (const s of [...this.streams.values()]) if (s.pending.length > 0 || s.endPending) this.flushStream(s);
    this.openWaiting();
  }

  private onGoaway(payload: Buffer): void {
    const last = payload.readUInt32BE(0) & 0x7fffffff;
    const code = payload.readUInt32BE(4);
    const debug = payload.subarray(8).toString('utf8');
    this.gone(`GOAWAY (code ${code}${debug ? `: ${debug}` : ''})`);
    // Streams above the last one the server processes were never acted on: they can go elsewhere.
    for (const s of [...this.streams.values()]) if (s.id > last) this.finish(s, { kind: 'refused', message: `stream refused by GOAWAY (code ${code})` });
    this.closeIfDrained();
  }

  /** A connection that takes no new streams closes once its last stream is done. */
  private closeIfDrained(): void {
    if (this.goneReason !== undefined && this.streams.size === 0 && !this.destroyed) this.fail(this.goneReason);
  }

  private finish(s: Stream, failure: H2StreamFailure | undefined): void {
    this.streams.delete(s.id);
    const w = this.waiting.findIndex((x) => x.stream === s);
    if (w >= 0) this.waiting.splice(w, 1);
    if (!s.done) {
      s.done = true;
      s.handlers.onClose(failure);
    }
    this.openWaiting();
    this.closeIfDrained();
  }

  private gone(reason: string): void {
    if (this.goneReason !== undefined) return;
    this.goneReason = reason;
    this.onGone?.(reason);
  }

  /** A connection error this side detected: GOAWAY with `code`, then close. */
  private abort(code: number, message: string): void {
    if (!this.destroyed) {
      const payload = Buffer.alloc(8);
      payload.writeUInt32BE(Math.max(0, this.nextId - 2), 0);
      payload.writeUInt32BE(code, 4);
      this.queue(this.frame(GOAWAY, 0, 0, payload));
      this.flush();
    }
    this.fail(`HTTP/2 protocol error: ${message}`);
  }

  private fail(message: string): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.gone(message);
    this.socket.destroy();
    for (const s of [...this.streams.values()]) this.finish(s, { kind: 'connection', message });
    this.waiting.length = 0;
    const err = new Error(message);
    for (const p of this.pings.splice(0)) p(err);
  }
}

class ConnectionError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function u32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

function settingsPayload(pairs: Array<[number, number]>): Buffer {
  const out = Buffer.allocUnsafe(pairs.length * 6);
  pairs.forEach(([id, v], i) => {
    out.writeUInt16BE(id, i * 6);
    out.writeUInt32BE(v, i * 6 + 2);
  });
  return out;
}

/** The payload of a DATA or HEADERS frame without its padding. */
function unpad(flags: number, payload: Buffer): Buffer {
  if (!(flags & FLAG_PADDED)) return payload;
  const pad = payload[0]!;
  if (pad >= payload.length) throw new ConnectionError(H2_PROTOCOL_ERROR, 'padding longer than the frame');
  return payload.subarray(1, payload.length - pad);
}
