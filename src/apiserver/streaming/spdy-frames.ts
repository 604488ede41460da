// SPDY/3.1 framing (draft 3.1, section 2.2): the frame types kubectl's spdystream sends and expects, as pure
// encode/decode functions, plus the header-block codec. Header blocks travel zlib-compressed against the SPDY
// dictionary with one compression context per direction: we write ours as zlib "stored" blocks (valid zlib any
// inflater reads, synchronous, no state beyond "header already sent"), and inflate the peer's with
// HeaderInflater. This module knows nothing about sockets or streams of a session.
import { constants as zc, createInflate, type Inflate } from 'node:zlib';
import { spdyDictionary } from './spdy-dictionary.js';

export const SPDY_VERSION = 3;

export const FrameType = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goAway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes. */
export const RstStatus = {
  protocolError: 1,
  invalidStream: 2,
  refusedStream: 3,
  unsupportedVersion: 4,
  cancel: 5,
  internalError: 6,
  flowControlError: 7,
  streamInUse: 8,
  streamAlreadyClosed: 9,
} as const;

/** A header block: lower-case names; repeated values are NUL-joined on the wire. */
export type SpdyHeaders = Record<string, string>;

export type SpdyFrame =
  | { type: 'data'; streamId: number; flags: number; data: Buffer }
  | { type: 'synStream'; streamId: number; associatedId: number; priority: number; flags: number; headerBlock: Buffer }
  | { type: 'synReply'; streamId: number; flags: number; headerBlock: Buffer }
  | { type: 'headers'; streamId: number; flags: number; headerBlock: Buffer }
  | { type: 'rstStream'; streamId: number; status: number }
  | { type: 'settings'; flags: number; entries: { flags: number; id: number; value: number }[] }
  | { type: 'ping'; id: number }
  | { type: 'goAway'; lastGoodStreamId: number; status: number }
  | { type: 'windowUpdate'; streamId: number; delta: number }
  | { type: 'unknown'; frameType: number; flags: number; payload: Buffer };

export class SpdyProtocolError extends Error {}

/** Largest payload one frame can carry (24-bit length). */
export const MAX_FRAME_PAYLOAD = 0xffffff;

/**
 * Splits a byte stream into frames. Feed it chunks as they arrive; it returns every complete frame and keeps
 * the remainder for the next call.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): SpdyFrame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: SpdyFrame[] = [];
    let off = 0;
    while (this.buf.length - off >= 8) {
      const len = this.buf.readUIntBE(off + 5, 3);
      if (this.buf.length - off < 8 + len) break;
      out.push(decodeFrame(this.buf.subarray(off, off + 8 + len)));
      off += 8 + len;
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(off));
    return out;
  }
}

/** Decodes one whole frame (8-byte header + payload). */
export function decodeFrame(b: Buffer): SpdyFrame {
  const flags = b[4]!;
  const len = b.readUIntBE(5, 3);
  const p = b.subarray(8, 8 + len);
  if ((b[0]! & 0x80) === 0) return { type: 'data', streamId: b.readUInt32BE(0) & 0x7fffffff, flags, data: Buffer.from(p) };
  const version = b.readUInt16BE(0) & 0x7fff;
  if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
  const type = b.readUInt16BE(2);
  const need = (n: number) => {
    if (p.length < n) throw new SpdyProtocolError(`control frame ${type} too short (${p.length} < ${n})`);
  };
  const id = (o: number) => p.readUInt32BE(o) & 0x7fffffff;
  switch (type) {
    case FrameType.synStream:
      need(10);
      return { type: 'synStream', streamId: id(0), associatedId: id(4), priority: p[8]! >> 5, flags, headerBlock: Buffer.from(p.subarray(10)) };
    case FrameType.synReply:
      need(4);
      return { type: 'synReply', streamId: id(0), flags, headerBlock: Buffer.from(p.subarray(4)) };
    case FrameType.headers:
      need(4);
      return { type: 'headers', streamId: id(0), flags, headerBlock: Buffer.from(p.subarray(4)) };
    case FrameType.rstStream:
      need(8);
      return { type: 'rstStream', streamId: id(0), status: p.readUInt32BE(4) };
    case FrameType.settings: {
      need(4);
      const n = p.readUInt32BE(0);
      need(4 + n * 8);
      const entries = [];
      for (let i = 0; i < n; i++) {
        const o = 4 + i * 8;
        entries.push({ flags: p[o]!, id: p.readUIntBE(o + 1, 3), value: p.readUInt32BE(o + 4) });
      }
      return { type: 'settings', flags, entries };
    }
    case FrameType.ping:
      need(4);
      return { type: 'ping', id: p.readUInt32BE(0) };
    case FrameType.goAway:
      need(8);
      return { type: 'goAway', lastGoodStreamId: id(0), status: p.readUInt32BE(4) };
    case FrameType.windowUpdate:
      need(8);
      return { type: 'windowUpdate', streamId: id(0), delta: p.readUInt32BE(4) & 0x7fffffff };
    default:
      return { type: 'unknown', frameType: type, flags, payload: Buffer.from(p) };
  }
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new SpdyProtocolError('control frame payload too large');
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  h.writeUInt16BE(type, 2);
  h[4] = flags;
  h.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([h, payload]);
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

export function encodeData(streamId: number, data: Buffer, fin: boolean): Buffer {
  if (data.length > MAX_FRAME_PAYLOAD) throw new SpdyProtocolError('data frame payload too large');
  const h = Buffer.alloc(8);
  h.writeUInt32BE(streamId & 0x7fffffff, 0);
  h[4] = fin ? FLAG_FIN : 0;
  h.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([h, data]);
}

export function encodeSynStream(streamId: number, associatedId: number, priority: number, flags: number, compressedHeaders: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt32BE(streamId & 0x7fffffff, 0);
  fixed.writeUInt32BE(associatedId & 0x7fffffff, 4);
  fixed[8] = (priority & 7) << 5;
  return controlFrame(FrameType.synStream, flags, Buffer.concat([fixed, compressedHeaders]));
}

export function encodeSynReply(streamId: number, flags: number, compressedHeaders: Buffer): Buffer {
  return controlFrame(FrameType.synReply, flags, Buffer.concat([u32s(streamId & 0x7fffffff), compressedHeaders]));
}

export function encodeRstStream(streamId: number, status: number): Buffer {
  return controlFrame(FrameType.rstStream, 0, u32s(streamId & 0x7fffffff, status));
}

export function encodePing(id: number): Buffer {
  return controlFrame(FrameType.ping, 0, u32s(id));
}

export function encodeGoAway(lastGoodStreamId: number, status: number): Buffer {
  return controlFrame(FrameType.goAway, 0, u32s(lastGoodStreamId & 0x7fffffff, status));
}

export function encodeSettings(entries: { flags: number; id: number; value: number }[]): Buffer {
  const b = Buffer.alloc(4 + entries.length * 8);
  b.writeUInt32BE(entries.length, 0);
  entries.forEach((e, i) => {
    b[4 + i * 8] = e.flags;
    b.writeUIntBE(e.id, 5 + i * 8, 3);
    b.writeUInt32BE(e.value >>> 0, 8 + i * 8);
  });
  return controlFrame(FrameType.settings, 0, b);
}

export function encodeWindowUpdate(streamId: number, delta: number): Buffer {
  return controlFrame(FrameType.windowUpdate, 0, u32s(streamId & 0x7fffffff, delta & 0x7fffffff));
}

/** The uncompressed name/value block: count, then (length, name, length, value) pairs, all 32-bit lengths. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32s(entries.length)];
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(value, 'utf8');
    parts.push(u32s(n.length), n, u32s(v.length), v);
  }
  return Buffer.concat(parts);
}

/** Parses an uncompressed name/value block. Names are lower-cased (SPDY requires it; be lenient). */
export function decodeHeaderBlock(b: Buffer): SpdyHeaders {
  const out: SpdyHeaders = {};
  if (b.length < 4) throw new SpdyProtocolError('header block too short');
  const n = b.readUInt32BE(0);
  let off = 4;
  const take = (): string => {
    if (off + 4 > b.length) throw new SpdyProtocolError('truncated header block');
    const len = b.readUInt32BE(off);
    off += 4;
    if (off + len > b.length) throw new SpdyProtocolError('truncated header block');
    const s = b.toString('utf8', off, off + len);
    off += len;
    return s;
  };
  for (let i = 0; i < n; i++) {
    const name = take().toLowerCase();
    const value = take();
    out[name] = out[name] === undefined ? value : `${out[name]}\0${value}`;
  }
  return out;
}

/**
 * Our outgoing compression context. The first block starts the zlib stream (header 0x78 0x01: deflate, no
 * preset dictionary needed because stored blocks reference nothing); every header block is non-final stored
 * blocks followed by an empty one, byte for byte what a sync-flushed compressor emits for incompressible
 * data, so each header block is complete and readable the moment it arrives.
 */
export class HeaderDeflater {
  private started = false;

  compress(headers: SpdyHeaders): Buffer {
    return this.compressRaw(encodeHeaderBlock(headers));
  }

  compressRaw(raw: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      parts.push(Buffer.from([0x78, 0x01]));
      this.started = true;
    }
    let off = 0;
    do {
      const chunk = raw.subarray(off, Math.min(raw.length, off + 0xffff));
      const h = Buffer.alloc(5);
      h[0] = 0x00; // BFINAL=0, BTYPE=00 (stored); we are always byte-aligned between blocks
      h.writeUInt16LE(chunk.length, 1);
      h.writeUInt16LE(~chunk.length & 0xffff, 3);
      parts.push(h, chunk);
      off += chunk.length;
    } while (off < raw.length);
    // An empty stored block ends every header block, as a sync flush does. Go's inflater (kubectl) hands out
    // a stored block's bytes only when the next block starts, so without it the block would wait for the
    // next frame, and the reader would fail at this frame's end.
    parts.push(Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
    return Buffer.concat(parts);
  }
}

/** The peer's compression context: one zlib stream with the SPDY dictionary, sync-flushed per header block. */
export class HeaderInflater {
  private readonly z: Inflate;
  private pending: Buffer[] = [];
  private failed?: Error;
  private queue: Promise<unknown> = Promise.resolve();

  constructor() {
    this.z = createInflate({ dictionary: spdyDictionary });
    this.z.on('data', (d: Buffer) => this.pending.push(d));
    this.z.on('error', (e: Error) => (this.failed = e));
  }

  /** Decompresses and parses one header block; calls are processed in order. */
  inflate(block: Buffer): Promise<SpdyHeaders> {
    const run = () =>
      new Promise<SpdyHeaders>((resolve, reject) => {
        if (this.failed) return reject(new SpdyProtocolError(`header decompression failed: ${this.failed.message}`));
        // A corrupt stream errors instead of completing the flush.
        const onError = (e: Error) => reject(new SpdyProtocolError(`header decompression failed: ${e.message}`));
        this.z.once('error', onError);
        this.z.write(block);
        this.z.flush(zc.Z_SYNC_FLUSH, () =>
          setImmediate(() => {
            this.z.off('error', onError);
            if (this.failed) return reject(new SpdyProtocolError(`header decompression failed: ${this.failed.message}`));
            const raw = Buffer.concat(this.pending);
            this.pending = [];
            try {
              resolve(decodeHeaderBlock(raw));
            } catch (e) {
              reject(e);
            }
          }),
        );
      });
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  close(): void {
    this.z.destroy();
  }
}
