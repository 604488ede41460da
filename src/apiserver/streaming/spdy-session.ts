// A SPDY/3.1 session over any byte stream (an upgraded socket, or WebSocket messages for kubectl's
// "SPDY/3.1+portforward.k8s.io" tunnel), as the server side: the peer opens streams, we reply to them, read
// their data and write ours. Like Go's spdystream (kubectl's side) there is no flow control: WINDOW_UPDATE and
// SETTINGS are accepted and ignored. Writes honour the transport's backpressure. It must not know what the
// streams mean (exec, port-forward): that is remote-command.ts and port-forward.ts.
import { EventEmitter } from 'node:events';
import { PassThrough, Writable, type Duplex } from 'node:stream';
import {
  FLAG_FIN,
  FrameReader,
  HeaderDeflater,
  HeaderInflater,
  RstStatus,
  encodeData,
  encodeGoAway,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  type SpdyFrame,
  type SpdyHeaders,
} from './spdy-frames.js';

/** Largest DATA payload we send in one frame (spdystream reads any size; keep frames modest). */
const MAX_DATA_CHUNK = 32 * 1024;

export class SpdyStream extends EventEmitter {
  /** Data the peer sends on this stream; ends when the peer half-closes (FIN). */
  readonly incoming = new PassThrough();
  /** Writes DATA frames; end() sends FIN. */
  readonly outgoing: Writable;
  private replied = false;
  private localClosed = false;
  remoteClosed = false;
  resetByPeer = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: SpdyHeaders,
  ) {
    super();
    this.outgoing = new Writable({
      write: (chunk: Buffer, _enc, cb) => this.session.writeData(this, chunk, false, cb),
      final: (cb) => {
        if (this.localClosed || this.resetByPeer) return cb();
        this.session.writeData(this, Buffer.alloc(0), true, cb);
      },
    });
    this.outgoing.on('error', () => {});
  }

  /** SYN_REPLY (once). Must precede any data we send: spdystream drops data on unreplied streams. */
  reply(headers: SpdyHeaders = {}): void {
    if (this.replied) return;
    this.replied = true;
    this.session.send(encodeSynReply(this.id, 0, this.session.deflater.compress(headers)));
  }

  get isReplied(): boolean {
    return this.replied;
  }

  /** Marks our side closed (called when a FIN went out). */
  markLocalClosed(): void {
    this.localClosed = true;
    this.session.maybeForget(this);
  }

  get isLocalClosed(): boolean {
    return this.localClosed;
  }

  /** Aborts the stream (RST_STREAM). */
  reset(status: number = RstStatus.cancel): void {
    if (this.resetByPeer) return;
    this.localClosed = true;
    this.remoteClosed = true;
    this.session.send(encodeRstStream(this.id, status));
    this.incoming.end();
    this.session.forget(this);
  }
}

export interface SpdySessionEvents {
  stream: [SpdyStream];
  close: [];
}

export class SpdySession extends EventEmitter<SpdySessionEvents> {
  readonly deflater = new HeaderDeflater();
  private readonly inflater = new HeaderInflater();
  private readonly reader = new FrameReader();
  private readonly streams = new Map<number, SpdyStream>();
  private lastPeerStreamId = 0;
  private closed = false;
  private processing: Promise<void> = Promise.resolve();

  constructor(private readonly transport: Duplex) {
    super();
    transport.on('data', (chunk: Buffer) => {
      let frames: SpdyFrame[];
      try {
        frames = this.reader.push(chunk);
      } catch {
        this.destroy();
        return;
      }
      for (const f of frames) this.processing = this.processing.then(() => this.handle(f)).catch(() => this.destroy());
    });
    transport.on('end', () => void this.processing.then(() => this.destroy()));
    transport.on('close', () => this.destroy());
    transport.on('error', () => this.destroy());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(frame: Buffer, cb?: (err?: Error | null) => void): void {
    if (this.closed || this.transport.destroyed || this.transport.writableEnded) {
      cb?.();
      return;
    }
    const ok = this.transport.write(frame);
    if (!cb) return;
    if (ok) cb();
    else this.transport.once('drain', () => cb());
  }

  writeData(stream: SpdyStream, chunk: Buffer, fin: boolean, cb: (err?: Error | null) => void): void {
    if (stream.isLocalClosed || stream.resetByPeer || this.closed) return cb();
    stream.reply();
    if (fin) {
      this.send(encodeData(stream.id, chunk, true), cb);
      stream.markLocalClosed();
      return;
    }
    if (chunk.length <= MAX_DATA_CHUNK) return this.send(encodeData(stream.id, chunk, false), cb);
    let off = 0;
    const next = (err?: Error | null) => {
      if (err || off >= chunk.length) return cb(err);
      const part = chunk.subarray(off, off + MAX_DATA_CHUNK);
      off += part.length;
      this.send(encodeData(stream.id, part, false), next);
    };
    next();
  }

  forget(stream: SpdyStream): void {
    this.streams.delete(stream.id);
  }

  maybeForget(stream: SpdyStream): void {
    if (stream.isLocalClosed && stream.remoteClosed) this.streams.delete(stream.id);
  }

  /** GOAWAY, then ends the transport gracefully (what was written still arrives). */
  close(): void {
    if (this.closed) return;
    this.send(encodeGoAway(this.lastPeerStreamId, 0));
    this.transport.end();
    // The peer closes its side on GOAWAY; do not wait for it forever.
    setTimeout(() => this.destroy(), 5_000).unref();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) {
      s.remoteClosed = true;
      s.incoming.end();
      s.emit('reset');
    }
    this.streams.clear();
    this.inflater.close();
    if (!this.transport.destroyed) this.transport.destroy();
    this.emit('close');
  }

  private async handle(f: SpdyFrame): Promise<void> {
    switch (f.type) {
      case 'synStream': {
        const headers = await this.inflater.inflate(f.headerBlock);
        if (f.streamId <= this.lastPeerStreamId || f.streamId % 2 === 0) {
          this.send(encodeRstStream(f.streamId, RstStatus.protocolError));
          return;
        }
        this.lastPeerStreamId = f.streamId;
        const stream = new SpdyStream(this, f.streamId, headers);
        this.streams.set(f.streamId, stream);
        if (f.flags & FLAG_FIN) {
          stream.remoteClosed = true;
          stream.incoming.end();
        }
        this.emit('stream', stream);
        return;
      }
      case 'synReply':
      case 'headers':
        await this.inflater.inflate(f.headerBlock); // keep the decompression context in step
        return;
      case 'data': {
        const s = this.streams.get(f.streamId);
        if (!s || s.remoteClosed) return;
        // Backpressure for streams someone reads (stdin, port-forward data): stop reading the transport until
        // the reader catches up. Streams nobody reads never pause the session.
        if (f.data.length && !s.incoming.write(f.data) && s.incoming.readableFlowing !== null) {
          this.transport.pause();
          const resume = () => {
            s.incoming.off('drain', resume);
            s.off('reset', resume);
            this.transport.resume();
          };
          s.incoming.on('drain', resume);
          s.on('reset', resume);
        }
        if (f.flags & FLAG_FIN) {
          s.remoteClosed = true;
          s.incoming.end();
          this.maybeForget(s);
        }
        return;
      }
      case 'rstStream': {
        const s = this.streams.get(f.streamId);
        if (!s) return;
        s.resetByPeer = true;
        s.remoteClosed = true;
        s.incoming.end();
        this.streams.delete(f.streamId);
        s.emit('reset');
        return;
      }
      case 'ping':
        // Client pings are odd; echo them. Ours (even) would be answers we never asked for.
        if (f.id % 2 === 1) this.send(encodePing(f.id));
        return;
      case 'goAway':
        this.transport.end();
        return;
      default:
        return; // settings, windowUpdate, unknown: no flow control, nothing to do
    }
  }
}
