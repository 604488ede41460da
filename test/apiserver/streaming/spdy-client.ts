// Test client for the streaming endpoints, speaking as kubectl does: an HTTP/1.1 upgrade over TLS, then SPDY/3.1
// with header blocks compressed by a real zlib stream against the SPDY dictionary (as Go's framer writes them),
// opening streams with odd ids. Small on purpose: it exists to drive the real servers in tests.
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { constants as zc, createDeflate, type Deflate } from 'node:zlib';
import { spdyDictionary } from '../../../src/apiserver/streaming/spdy-dictionary.js';
import { FLAG_FIN, FrameReader, HeaderInflater, encodeData, encodeGoAway, encodeHeaderBlock, encodeRstStream, encodeSynStream, type SpdyHeaders } from '../../../src/apiserver/streaming/spdy-frames.js';

export interface UpgradeResult {
  status: number;
  headers: Record<string, string>;
  /** Body of a refused upgrade (status != 101). */
  body: string;
  socket: TLSSocket;
  rest: Buffer;
}

/** Sends an upgrade request and reads the response head. */
export function upgradeRequest(tls: ConnectionOptions & { host: string; port: number }, method: string, path: string, headers: Record<string, string>): Promise<UpgradeResult> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ ...tls, servername: undefined, checkServerIdentity: () => undefined });
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const lines = [`${method} ${path} HTTP/1.1`, `Host: ${tls.host}:${tls.port}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      socket.write(lines.join('\r\n') + '\r\n\r\n');
    });
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const head = buf.subarray(0, end).toString().split('\r\n');
      const status = Number(head[0]!.split(' ')[1]);
      const h: Record<string, string> = {};
      for (const l of head.slice(1)) {
        const i = l.indexOf(':');
        h[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const rest = buf.subarray(end + 4);
      if (status === 101) {
        socket.pause();
        resolve({ status, headers: h, body: '', socket, rest });
        return;
      }
      let body = rest.toString();
      socket.on('data', (x: Buffer) => (body += x.toString()));
      socket.on('end', () => resolve({ status, headers: h, body, socket, rest }));
      socket.on('close', () => resolve({ status, headers: h, body, socket, rest }));
    };
    socket.on('data', onData);
  });
}

export class ClientStream extends EventEmitter {
  data = Buffer.alloc(0);
  finished = false;
  replied = false;
  reset = false;
  constructor(
    private readonly client: SpdyTestClient,
    readonly id: number,
  ) {
    super();
  }
  write(b: Buffer | string): void {
    this.client.raw(encodeData(this.id, Buffer.from(b), false));
  }
  end(b: Buffer | string = ''): void {
    this.client.raw(encodeData(this.id, Buffer.from(b), true));
  }
  rst(): void {
    this.client.raw(encodeRstStream(this.id, 5));
  }
  /** Resolves once the server has half-closed the stream (FIN) or reset it. */
  done(): Promise<string> {
    if (this.finished || this.reset) return Promise.resolve(this.data.toString());
    return new Promise((resolve) => this.once('fin', () => resolve(this.data.toString())));
  }
}

export class SpdyTestClient extends EventEmitter {
  private nextId = 1;
  private readonly reader = new FrameReader();
  private readonly inflater = new HeaderInflater();
  private readonly deflate: Deflate = createDeflate({ dictionary: spdyDictionary });
  private readonly streams = new Map<number, ClientStream>();
  private queue: Promise<void> = Promise.resolve();
  goneAway = false;
  closed = false;

  constructor(
    private readonly transport: Duplex,
    rest: Buffer = Buffer.alloc(0),
  ) {
    super();
    const onData = (d: Buffer) => {
      for (const f of this.reader.push(d)) {
        this.queue = this.queue.then(async () => {
          if (f.type === 'synReply') {
            await this.inflater.inflate(f.headerBlock);
            const s = this.streams.get(f.streamId);
            if (s) s.replied = true;
            s?.emit('reply');
          } else if (f.type === 'data') {
            const s = this.streams.get(f.streamId);
            if (!s) return;
            s.data = Buffer.concat([s.data, f.data]);
            s.emit('data', f.data);
            if (f.flags & FLAG_FIN) {
              s.finished = true;
              s.emit('fin');
            }
          } else if (f.type === 'rstStream') {
            const s = this.streams.get(f.streamId);
            if (s) {
              s.reset = true;
              s.emit('fin');
            }
          } else if (f.type === 'goAway') {
            this.goneAway = true;
            this.emit('goaway');
          }
        });
      }
    };
    transport.on('data', onData);
    // After the frames already received have been handled.
    transport.on('close', () => {
      this.queue = this.queue.then(() => {
        this.closed = true;
        this.emit('close');
        for (const s of this.streams.values()) if (!s.finished) s.emit('fin');
      });
    });
    transport.on('error', () => undefined);
    if (rest.length) onData(rest);
    transport.resume();
  }

  raw(b: Buffer): void {
    if (!this.transport.destroyed) this.transport.write(b);
  }

  private compress(h: SpdyHeaders): Promise<Buffer> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      const on = (c: Buffer) => chunks.push(c);
      this.deflate.on('data', on);
      this.deflate.write(encodeHeaderBlock(h));
      this.deflate.flush(zc.Z_SYNC_FLUSH, () =>
        setImmediate(() => {
          this.deflate.off('data', on);
          resolve(Buffer.concat(chunks));
        }),
      );
    });
  }

  async open(headers: SpdyHeaders, fin = false): Promise<ClientStream> {
    const id = this.nextId;
    this.nextId += 2;
    const s = new ClientStream(this, id);
    this.streams.set(id, s);
    const block = await this.compress(headers);
    this.raw(encodeSynStream(id, 0, 0, fin ? FLAG_FIN : 0, block));
    return s;
  }

  close(): void {
    this.raw(encodeGoAway(0, 0));
    this.transport.end();
    this.deflate.destroy();
    this.inflater.close();
  }
}

/**
 * A WebSocket client for subprotocols the `ws` client refuses to offer (kubectl's "SPDY/3.1+portforward.k8s.io"
 * contains a '/'): the handshake by hand, then `ws` framing as a client (masked frames) on the socket.
 */
export async function rawWebSocket(tls: ConnectionOptions & { host: string; port: number }, path: string, protocol: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; protocol: string }> {
  const up = await upgradeRequest(tls, 'GET', path, {
    ...headers,
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Protocol': protocol,
  });
  if (up.status !== 101) throw new Error(`websocket upgrade refused: ${up.status} ${up.body}`);
  const ws = new WebSocket(null as unknown as string, undefined as never, {} as never);
  (ws as unknown as { _isServer: boolean })._isServer = false;
  (ws as unknown as { setSocket(s: Duplex, h: Buffer, o: object): void }).setSocket(up.socket, up.rest, { maxPayload: 0, skipUTF8Validation: false, allowSynchronousEvents: true });
  up.socket.resume();
  return { ws, protocol: up.headers['sec-websocket-protocol'] ?? '' };
}
