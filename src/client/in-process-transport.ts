// The Transport of components that run inside the API server's process (controllers, scheduler, simulated
// nodes): a unary request is handed straight to the server's request handling (ApiServer.inProcess) as the
// identity of its local socket, so it passes the same routing, authorization, admission, validation and
// storage and gets the same status, body and Status errors, without an HTTP encoding, a parse or a socket.
// The components stay API clients: they never touch storage. A watch is served in process too when the
// endpoint streams (InProcessEndpoint.stream): the server's watch code writes its lines into a LineQueue the
// watch's consumer iterates (no HTTP framing, socket or line splitting). What needs a connection (logs, exec,
// and anything the server declines in process) goes to the fallback transport, the same server's unix socket.
import type { IncomingHttpHeaders } from 'node:http';
import { apiErrorFromResponse, TransportError } from './errors.js';
import { LineDecoder } from './line-decoder.js';
import { encodeQuery, toTransportError, type LineStream, type RawResponse, type RequestOptions, type Transport } from './transport.js';

/** One request as the server takes it in process; the path includes the query. */
export interface InProcessRequest {
  method: string;
  path: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body?: string | Buffer;
  /** The caller reads no 2xx body: the server answers success with an empty body (nothing encoded or copied). */
  bodyUnused?: boolean;
}

export interface InProcessResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
}

/**
 * Where the server writes a response it streams in process (a watch): a start, lines in order, an end. The
 * consumer's side (LineQueue, or a MessagePort's, port-endpoint.ts) takes them at its own pace.
 */
export interface InProcessStreamSink {
  /** The 200 response starts; false when the consumer is gone already (nothing is written then). */
  start(): boolean;
  /** One line, without its newline. */
  line(line: string): void;
  /** The end of the stream; with `error`, cut off mid-way (the consumer sees a reset, as a dropped connection). */
  end(error?: string): void;
  /** What was written and not taken by the consumer yet, in UTF-16 code units (the server bounds it). */
  backlog(): number;
  /** `cb` runs once the consumer closed the stream or went away. */
  onClose(cb: () => void): void;
}

/** What the API server offers its own process (src/apiserver/server.ts ApiServer.inProcess). */
export interface InProcessEndpoint {
  /**
   * The answer as it would be over HTTP; undefined for what needs a connection (watches, logs, exec, node
   * proxy, join): the transport uses its fallback. Rejects (code ECONNREFUSED) once the server closed.
   */
  serve(req: InProcessRequest): Promise<InProcessResponse | undefined>;
  /**
   * A request whose answer is a stream (a watch), served in process: 'stream' once it started (its lines go
   * to `sink`), the answer when it has none (an error before the stream started), undefined for what needs a
   * connection (the transport uses its fallback). Rejects (code ECONNREFUSED) once the server closed.
   */
  stream?(req: InProcessRequest, sink: InProcessStreamSink): Promise<InProcessResponse | 'stream' | undefined>;
}

export interface InProcessTransportOptions {
  /** Sent as User-Agent (the default field manager of writes). Default "skiff-client", as HttpsTransport. */
  userAgent?: string;
  /** Default timeout of a request. Default 60 s, as HttpsTransport. */
  timeoutMs?: number;
}

export class InProcessTransport implements Transport {
  private readonly userAgent: string;
  private readonly timeoutMs: number;
  /** The in-process streams open now: close() cuts them, as closing the HTTP transport cuts its connections. */
  private readonly streams = new Set<LineQueue>();

  constructor(
    private readonly endpoint: InProcessEndpoint,
    /** Watches and whatever the server does not serve in process. */
    private readonly fallback: Transport,
    opts: InProcessTransportOptions = {},
  ) {
    this.userAgent = opts.userAgent ?? 'skiff-client';
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    const signal = opts.signal;
    if (signal?.aborted) throw new TransportError('aborted', 'request aborted');
    const served = await this.bounded(
      this.endpoint.serve(this.inProcessRequest(method, path, opts)),
      opts.timeoutMs ?? this.timeoutMs,
      signal,
      method,
      path,
    );
    if (served === undefined) return this.fallback.request(method, path, opts);
    return { status: served.status, headers: served.headers as IncomingHttpHeaders, body: served.body };
  }

  /**
   * A watch in process when the endpoint streams: resolves once the stream started, as the HTTP transport
   * does once a 2xx response started (an error status rejects with its ApiError). `timeoutMs` is the longest
   * silence tolerated, before the start too; the signal aborts it at any time.
   */
  async stream(method: string, path: string, opts: RequestOptions = {}): Promise<LineStream> {
    const endpoint = this.endpoint;
    if (endpoint.stream === undefined || method !== 'GET') return this.fallback.stream(method, path, opts);
    const signal = opts.signal;
    if (signal?.aborted) throw new TransportError('aborted', 'request aborted');
    const idleMs = opts.timeoutMs ?? 0;
    const lines = new LineQueue(idleMs, `${method} ${path}`);
    let served: InProcessResponse | 'stream' | undefined;
    try {
      served = await this.bounded(endpoint.stream(this.inProcessRequest(method, path, opts), lines), idleMs, signal, method, path);
    } catch (err) {
      lines.close();
      throw err;
    }
    if (served === undefined) {
      lines.close();
      return this.fallback.stream(method, path, opts);
    }
    if (served !== 'stream') {
      lines.close();
      if (served.status < 200 || served.status >= 300) throw apiErrorFromResponse(served.status, served.body);
      return linesOf(served.body);
    }
    if (signal) lines.abortOn(signal);
    this.streams.add(lines);
    lines.onClose(() => this.streams.delete(lines));
    return lines;
  }

  close(): void {
    this.fallback.close();
    for (const lines of [...this.streams]) lines.cut('the client was closed');
    this.streams.clear();
  }

  private inProcessRequest(method: string, path: string, opts: RequestOptions): InProcessRequest {
    const headers: Record<string, string> = { accept: opts.accept ?? 'application/json', 'user-agent': this.userAgent };
    if (opts.headers) for (const k in opts.headers) headers[k.toLowerCase()] = opts.headers[k]!;
    let body: string | Buffer | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    const req: InProcessRequest = { method, path: path + encodeQuery(opts.query), headers, body };
    if (opts.bodyUnused) req.bodyUnused = true;
    return req;
  }

  /**
   * The answer, or a TransportError as the HTTP transport reports it: the timeout or the caller's abort ends
   * the wait (the server finishes the request, as it would after a client hung up), a server error is mapped.
   */
  private bounded<T>(work: Promise<T>, timeoutMs: number, signal: AbortSignal | undefined, method: string, path: string): Promise<T> {
    if (timeoutMs <= 0 && !signal) return work.catch(fail);
    return new Promise<T>((resolve, reject) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const onAbort = () => finish(() => reject(new TransportError('aborted', 'request aborted')));
      if (timeoutMs > 0) {
        timer = setTimeout(
          () => finish(() => reject(new TransportError('timeout', `request timed out after ${timeoutMs} ms: ${method} ${path}`, 'ETIMEDOUT'))),
          timeoutMs,
        );
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      work.then(
        (v) => finish(() => resolve(v)),
        (e: unknown) => finish(() => reject(toTransportError(e))),
      );
    });
  }
}

function fail(e: unknown): never {
  throw toTransportError(e);
}

/** The lines of a whole answer that was not streamed, as a LineStream. */
function linesOf(body: string): LineStream {
  const decoder = new LineDecoder();
  const all = [...decoder.push(body), ...decoder.end()];
  async function* each(): AsyncGenerator<string> {
    yield* all;
  }
  const it = each();
  return { [Symbol.asyncIterator]: () => it, close: () => void it.return(undefined) };
}

/**
 * An in-process stream's lines between the server (or the port that carries them) and the consumer: the
 * server writes (InProcessStreamSink), the consumer iterates (LineStream). Iteration ends at the stream's
 * end, throws a TransportError when it was cut off ('reset'), silent for `idleMs` ('timeout') or aborted,
 * and close() (the consumer's) tells the server through onClose, as a client hanging up does.
 */
export class LineQueue implements InProcessStreamSink, LineStream {
  /** Lines not taken yet from `head` on (taken slots are cleared, so what was taken can be collected). */
  private queue: (string | undefined)[] = [];
  private head = 0;
  private queued = 0;
  private ended = false;
  private failure: TransportError | undefined;
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly closeCallbacks: (() => void)[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private lastArrival = 0;
  private unlisten: (() => void) | undefined;
  private readonly it: AsyncGenerator<string>;

  constructor(
    private readonly idleMs: number,
    private readonly what: string,
  ) {
    this.it = this.lines();
    if (idleMs > 0) {
      this.lastArrival = Date.now();
      this.idleTimer = setTimeout(() => this.checkIdle(), idleMs);
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<string> {
    return this.it;
  }

  start(): boolean {
    return !this.closed;
  }

  line(line: string): void {
    if (this.ended) return;
    this.queue.push(line);
    this.queued += line.length;
    if (this.idleTimer !== undefined) this.lastArrival = Date.now();
    this.wakeUp();
  }

  end(error?: string): void {
    if (this.ended) return;
    if (error !== undefined) this.failure = new TransportError('reset', error);
    this.finish();
  }

  backlog(): number {
    return this.queued;
  }

  onClose(cb: () => void): void {
    if (this.closed) queueMicrotask(cb);
    else this.closeCallbacks.push(cb);
  }

  /** The consumer's: ends the iteration and tells the server (onClose). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.head = 0;
    this.queued = 0;
    this.finish();
    for (const cb of this.closeCallbacks.splice(0)) cb();
  }

  /** Fails the iteration as a dropped connection ('reset', after the lines already queued) and closes the stream. */
  cut(message: string): void {
    this.fail(new TransportError('reset', message));
  }

  /** An abort of `signal` fails the iteration ('aborted', after the lines already queued) and closes the stream. */
  abortOn(signal: AbortSignal): void {
    const onAbort = () => this.fail(new TransportError('aborted', 'request aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    this.unlisten = () => signal.removeEventListener('abort', onAbort);
  }

  private fail(err: TransportError): void {
    if (this.ended) return;
    this.failure = err;
    this.finish();
    for (const cb of this.closeCallbacks.splice(0)) cb();
  }

  private finish(): void {
    this.ended = true;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.unlisten?.();
    this.unlisten = undefined;
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    if (wake === undefined) return;
    this.wake = undefined;
    wake();
  }

  private checkIdle(): void {
    const silent = Date.now() - this.lastArrival;
    if (silent < this.idleMs) {
      this.idleTimer = setTimeout(() => this.checkIdle(), this.idleMs - silent);
      return;
    }
    this.fail(new TransportError('timeout', `request timed out after ${this.idleMs} ms: ${this.what}`, 'ETIMEDOUT'));
  }

  private async *lines(): AsyncGenerator<string> {
    try {
      for (;;) {
        if (this.head < this.queue.length) {
          const line = this.queue[this.head]!;
          this.queue[this.head++] = undefined;
          this.queued -= line.length;
          yield line;
          continue;
        }
        if (this.head > 0) {
          this.queue = [];
          this.head = 0;
        }
        if (this.failure !== undefined && !this.closed) throw this.failure;
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      this.close();
    }
  }
}
