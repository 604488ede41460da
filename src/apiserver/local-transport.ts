// The in-process transport (DESIGN: "in-process components may use an in-process transport, but behind the
// same client interface"): the server's own components (controllers, scheduler, simulated nodes) call the
// request handler directly with a minimal request/response pair instead of going through TCP and HTTP.
// Everything else — routing, authentication as a fixed identity, admission, negotiation, watch streams — is
// the same code path as for any client. It must not special-case any resource.
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { LineStream, RawResponse, RequestOptions, Transport } from '../client/transport.js';
import { encodeQuery } from '../client/transport.js';
import { apiErrorFromResponse, TransportError } from '../client/errors.js';

/** What the transport needs from the server: handle one request/response pair. */
export type LocalHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export class LocalTransport implements Transport {
  private closed = false;
  private readonly open = new Set<LocalResponse>();

  constructor(
    private readonly handle: LocalHandler,
    private readonly userAgent = 'skiff-control-plane',
  ) {}

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    const res = this.start(method, path, opts);
    const signal = opts.signal;
    const onAbort = () => res.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await res.done;
      if (res.aborted) throw new TransportError('aborted', 'request aborted');
      return { status: res.statusCode, headers: res.lowerHeaders(), body: Buffer.concat(res.chunks).toString('utf8') };
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.open.delete(res);
    }
  }

  async stream(method: string, path: string, opts: RequestOptions = {}): Promise<LineStream> {
    const res = this.start(method, path, opts);
    await res.headersWritten;
    if (res.statusCode < 200 || res.statusCode >= 300) {
      await res.done;
      this.open.delete(res);
      throw apiErrorFromResponse(res.statusCode, Buffer.concat(res.chunks).toString('utf8'));
    }
    res.streaming();
    const onAbort = () => res.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const transport = this;
    return {
      close: () => {
        res.abort();
        transport.open.delete(res);
      },
      async *[Symbol.asyncIterator]() {
        try {
          yield* res.lines();
        } finally {
          opts.signal?.removeEventListener('abort', onAbort);
          res.abort();
          transport.open.delete(res);
        }
      },
    };
  }

  close(): void {
    this.closed = true;
    for (const r of this.open) r.abort();
    this.open.clear();
  }

  private start(method: string, path: string, opts: RequestOptions): LocalResponse {
    if (this.closed) throw new TransportError('aborted', 'transport closed');
    let body: Buffer | undefined;
    const headers: Record<string, string> = {
      accept: opts.accept ?? 'application/json',
      'user-agent': this.userAgent,
      ...lowerKeys(opts.headers ?? {}),
    };
    if (opts.body !== undefined) {
      body = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body), 'utf8');
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(body.length);
    }
    const socket = new LocalSocket();
    const req = Object.assign(Readable.from(body ? [body] : []), {
      method,
      url: path + encodeQuery(opts.query),
      headers,
      socket,
    }) as unknown as IncomingMessage;
    const res = new LocalResponse(socket);
    this.open.add(res);
    void this.handle(req, res as unknown as ServerResponse).catch((err: unknown) => res.fail(err));
    return res;
  }
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

/** The socket stand-in: watch streams write pre-framed HTTP chunks to it; it hands back their payload. */
class LocalSocket extends EventEmitter {
  writableLength = 0;
  readonly localAddress = '127.0.0.1';
  readonly localPort = 0;
  readonly authorized = false;
  onPayload: ((payload: Buffer) => void) | undefined;

  write(frame: Buffer | string): boolean {
    const buf = typeof frame === 'string' ? Buffer.from(frame) : frame;
    // "<hex length>\r\n<payload>\r\n"
    const nl = buf.indexOf('\r\n');
    const len = parseInt(buf.subarray(0, nl).toString('latin1'), 16);
    this.onPayload?.(buf.subarray(nl + 2, nl + 2 + len));
    return true;
  }
}

/** The response stand-in: the subset of ServerResponse the request handler and watch streams use. */
class LocalResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  aborted = false;
  readonly chunks: Buffer[] = [];
  private headers: Record<string, string | string[]> = {};
  private ended = false;
  private resolveDone!: () => void;
  private resolveHeaders!: () => void;
  readonly done = new Promise<void>((r) => (this.resolveDone = r));
  readonly headersWritten = new Promise<void>((r) => (this.resolveHeaders = r));
  private pending: Buffer[] = [];
  private wake: (() => void) | undefined;
  /** Streams hand their data to lines() only; buffered requests keep it in chunks. */
  private isStream = false;

  constructor(readonly socket: LocalSocket) {
    super();
    socket.onPayload = (p) => this.push(p);
  }

  writeHead(status: number, headers?: Record<string, string | string[]>): this {
    this.statusCode = status;
    if (headers) for (const [k, v] of Object.entries(headers)) this.headers[k.toLowerCase()] = v;
    return this;
  }

  setHeader(name: string, value: string | string[]): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }

  flushHeaders(): void {
    this.markHeaders();
  }

  get writableLength(): number {
    return 0;
  }

  write(chunk: Buffer | string): boolean {
    this.markHeaders();
    this.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return true;
  }

  end(chunk?: Buffer | string): this {
    if (chunk !== undefined && chunk !== '') this.write(chunk);
    this.markHeaders();
    this.finish();
    return this;
  }

  destroy(): this {
    this.abort();
    return this;
  }

  streaming(): void {
    this.isStream = true;
    this.chunks.length = 0;
  }

  lowerHeaders(): Record<string, string | string[]> {
    return { ...this.headers };
  }

  /** The client went away (stream closed, request aborted): the server side sees 'close'. */
  abort(): void {
    if (this.ended) return;
    this.aborted = true;
    this.finish();
  }

  fail(err: unknown): void {
    if (!this.headersSent) this.statusCode = 500;
    this.chunks.push(Buffer.from(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: String(err), reason: 'InternalError', code: 500 })));
    this.finish();
  }

  async *lines(): AsyncGenerator<string> {
    let carry = '';
    for (;;) {
      while (this.pending.length) {
        carry += this.pending.shift()!.toString('utf8');
        let i: number;
        while ((i = carry.indexOf('\n')) >= 0) {
          const line = carry.slice(0, i);
          carry = carry.slice(i + 1);
          if (line) yield line;
        }
      }
      if (this.ended) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  private push(b: Buffer): void {
    if (this.ended) return;
    if (this.isStream) this.pending.push(b);
    else {
      this.chunks.push(b);
      this.pending.push(b);
    }
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private markHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.resolveHeaders();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.markHeaders();
    this.emit('close');
    this.emit('finish');
    this.resolveDone();
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
