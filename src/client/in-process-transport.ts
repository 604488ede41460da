// The Transport of components that run inside the API server's process (controllers, scheduler, simulated
// nodes): a unary request is handed straight to the server's request handling (ApiServer.inProcess) as the
// identity of its local socket, so it passes the same routing, authorization, admission, validation and
// storage and gets the same status, body and Status errors, without an HTTP encoding, a parse or a socket.
// The components stay API clients: they never touch storage. What needs a connection (watch streams, and
// anything the server declines in process) goes to the fallback transport, the same server's unix socket.
import type { IncomingHttpHeaders } from 'node:http';
import { TransportError } from './errors.js';
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

/** What the API server offers its own process (src/apiserver/server.ts ApiServer.inProcess). */
export interface InProcessEndpoint {
  /**
   * The answer as it would be over HTTP; undefined for what needs a connection (watches, logs, exec, node
   * proxy, join): the transport uses its fallback. Rejects (code ECONNREFUSED) once the server closed.
   */
  serve(req: InProcessRequest): Promise<InProcessResponse | undefined>;
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
    const headers: Record<string, string> = { accept: opts.accept ?? 'application/json', 'user-agent': this.userAgent };
    if (opts.headers) for (const k in opts.headers) headers[k.toLowerCase()] = opts.headers[k]!;
    let body: string | Buffer | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    const req: InProcessRequest = { method, path: path + encodeQuery(opts.query), headers, body };
    if (opts.bodyUnused) req.bodyUnused = true;
    const served = await this.bounded(
      this.endpoint.serve(req),
      opts.timeoutMs ?? this.timeoutMs,
      signal,
      method,
      path,
    );
    if (served === undefined) return this.fallback.request(method, path, opts);
    return { status: served.status, headers: served.headers as IncomingHttpHeaders, body: served.body };
  }

  stream(method: string, path: string, opts?: RequestOptions): Promise<LineStream> {
    return this.fallback.stream(method, path, opts);
  }

  close(): void {
    this.fallback.close();
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
