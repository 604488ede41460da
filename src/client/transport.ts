// HTTP(S) to the API server: one keep-alive Agent per transport, bearer token or client certificate,
// buffered requests with a timeout, streamed GETs decoded into lines (watches), failover across several
// server URLs when one cannot be reached. It knows nothing about resources or Status semantics beyond
// turning an HTTP error body into an ApiError for streams; buffered responses are returned as they are.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { ClientConfig } from './config.js';
import { apiErrorFromResponse, TransportError } from './errors.js';
import { LineDecoder } from './line-decoder.js';

export type QueryValue = string | number | boolean | undefined | null | readonly string[];

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** An object is sent as JSON; a string or Buffer as it is. */
  body?: unknown;
  /** Default application/json when there is a body. */
  contentType?: string;
  /** Default application/json. */
  accept?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Buffered requests: the whole exchange. Streams: the longest silence tolerated. 0 = none. */
  timeoutMs?: number;
  /**
   * The caller reads no body of a 2xx answer (it needs the success only): a transport may then answer it with
   * an empty body. Error answers keep theirs.
   */
  bodyUnused?: boolean;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Lines of a streamed response; close() ends the iteration and the connection. */
export interface LineStream extends AsyncIterable<string> {
  close(): void;
}

/** What ApiClient needs from a connection; an in-process transport can implement the same. */
export interface Transport {
  request(method: string, path: string, opts?: RequestOptions): Promise<RawResponse>;
  /** Resolves once a 2xx response has started; an error status rejects with ApiError. */
  stream(method: string, path: string, opts?: RequestOptions): Promise<LineStream>;
  close(): void;
}

export interface HttpsTransportOptions {
  /** Connections per server (keep-alive pool). Default 100. */
  maxSockets?: number;
  /** Default timeout of buffered requests. Default 60 s. */
  timeoutMs?: number;
  /**
   * With several servers: how long a new connection may take (TCP + TLS handshake) before the next server is
   * tried, so a host that is down or a stopped server process is skipped. Default 10 s.
   */
  connectTimeoutMs?: number;
}

const connectCodes = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
const idempotent = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Requests destroyed by their timeout, so a later body-read error reports the timeout, not a reset. */
const timedOut = new WeakMap<ClientRequest, TransportError>();

/** A socket error (or an error carrying such a code) as the TransportError kind callers act on. */
export function toTransportError(err: unknown): TransportError {
  if (err instanceof TransportError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e?.code;
  if (code && connectCodes.has(code)) return new TransportError('connect', e.message, code, { cause: err });
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || e?.message === 'aborted') {
    return new TransportError('reset', e.message || 'connection reset', code, { cause: err });
  }
  if (code === 'ETIMEDOUT') return new TransportError('timeout', e.message, code, { cause: err });
  if (e?.name === 'AbortError') return new TransportError('aborted', 'request aborted', code, { cause: err });
  return new TransportError('protocol', e?.message ?? String(err), code, { cause: err });
}

/**
 * A new connection that is not established (TCP, and TLS for https) within `ms` fails the request as a
 * connect error, which moves withFailover to the next server. Reused keep-alive sockets are not limited.
 */
function limitConnect(req: ClientRequest, base: URL, ms: number): void {
  req.once('socket', (socket) => {
    if (!socket.connecting) return;
    const timer = setTimeout(
      () => req.destroy(new TransportError('connect', `no connection to ${base.host} within ${ms} ms`, 'ETIMEDOUT')),
      ms,
    );
    socket.once(base.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
  });
}

/**
 * A whole response body, read with events (an async iterator per response costs more on this hot path).
 * Rejects as the stream does: an error, or a close before the end (ERR_STREAM_PREMATURE_CLOSE). With
 * discard, the body is read to its end and dropped ('').
 */
function readAll(res: IncomingMessage, discard: true): Promise<''>;
function readAll(res: IncomingMessage, discard: false): Promise<Buffer>;
function readAll(res: IncomingMessage, discard: boolean): Promise<Buffer | ''> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const done = (err?: Error) => {
      res.off('data', onData);
      res.off('end', onEnd);
      res.off('error', done);
      res.off('close', onClose);
      if (err) reject(err);
      else resolve(discard ? '' : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onData = discard ? () => {} : (c: Buffer) => chunks.push(c);
    const onEnd = () => done();
    const onClose = () => done(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    res.on('data', onData);
    res.on('end', onEnd);
    res.on('error', done);
    res.on('close', onClose);
  });
}

export function encodeQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const x of v) p.append(k, x);
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export class HttpsTransport implements Transport {
  private readonly servers: URL[];
  private readonly httpsAgent: HttpsAgent;
  private readonly httpAgent: HttpAgent;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  /** Index of the server that answered last; tried first next time. */
  private active = 0;

  constructor(
    private readonly config: ClientConfig,
    opts: HttpsTransportOptions = {},
  ) {
    if (config.servers.length === 0) throw new TypeError('ClientConfig.servers is empty');
    this.servers = config.servers.map((s) => new URL(s));
    const maxSockets = opts.maxSockets ?? 100;
    this.httpsAgent = new HttpsAgent({
      keepAlive: true,
      maxSockets,
      // One context for every connection (otherwise each new socket parses the CA, certificate and key again).
      // The CA, certificate and key are in it only: given as options too, Node's https Agent would add their
      // PEM text to the pool name it builds and hashes several times per request (~5 % of a busy client).
      secureContext: createSecureContext({ ca: config.ca, cert: config.cert, key: config.key }),
      rejectUnauthorized: !config.insecureSkipTLSVerify,
      ...(config.tlsServerName ? { servername: config.tlsServerName } : {}),
    });
    this.httpAgent = new HttpAgent({ keepAlive: true, maxSockets });
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  }

  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    return this.withFailover(method, async (base) => {
      const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
      const { req, res } = await this.open(base, method, path, opts, timeoutMs, false);
      try {
        const status = res.statusCode ?? 0;
        // A success whose body the caller will not read is drained, not collected and decoded.
        if (opts.bodyUnused && status >= 200 && status < 300) return { status, headers: res.headers, body: await readAll(res, true) };
        const body = await readAll(res, false);
        return { status, headers: res.headers, body: body.toString('utf8') };
      } catch (e) {
        throw timedOut.get(req) ?? toTransportError(e);
      }
    });
  }

  async stream(method: string, path: string, opts: RequestOptions = {}): Promise<LineStream> {
    return this.withFailover(method, async (base) => {
      const { req, res } = await this.open(base, method, path, opts, opts.timeoutMs ?? 0, true);
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        const chunks: Buffer[] = [];
        try {
          for await (const c of res) chunks.push(c as Buffer);
        } catch (e) {
          throw toTransportError(e);
        }
        throw apiErrorFromResponse(status, Buffer.concat(chunks).toString('utf8'));
      }
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        res.destroy();
        req.destroy();
      };
      async function* lines(): AsyncGenerator<string> {
        const decoder = new LineDecoder();
        try {
          for await (const chunk of res) for (const l of decoder.push(chunk as Buffer)) yield l;
          if (!res.complete && !closed) throw new TransportError('reset', 'stream ended before the response was complete');
          for (const l of decoder.end()) yield l;
        } catch (e) {
          if (closed) return;
          throw timedOut.get(req) ?? toTransportError(e);
        } finally {
          close();
        }
      }
      const it = lines();
      return { [Symbol.asyncIterator]: () => it, close };
    });
  }

  private async withFailover<T>(method: string, attempt: (base: URL) => Promise<T>): Promise<T> {
    let lastErr: TransportError | undefined;
    let resetRetried = false;
    for (let i = 0; i < this.servers.length; i++) {
      const idx = (this.active + i) % this.servers.length;
      try {
        const out = await attempt(this.servers[idx]!);
        this.active = idx;
        return out;
      } catch (e) {
        if (!(e instanceof TransportError)) throw e;
        lastErr = e;
        // A pooled keep-alive socket the server had already closed: retry once where that is safe.
        if (e.kind === 'reset' && idempotent.has(method) && !resetRetried) {
          resetRetried = true;
          i--;
          continue;
        }
        if (e.kind !== 'connect') throw e;
      }
    }
    throw lastErr!;
  }

  /** Sends the request; resolves when response headers arrive. */
  private open(
    base: URL,
    method: string,
    path: string,
    opts: RequestOptions,
    timeoutMs: number,
    streaming: boolean,
  ): Promise<{ req: ClientRequest; res: IncomingMessage }> {
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) {
        reject(new TransportError('aborted', 'request aborted'));
        return;
      }
      const headers: Record<string, string> = {
        Accept: opts.accept ?? 'application/json',
        'User-Agent': this.config.userAgent ?? 'skiff-client',
        ...opts.headers,
      };
      if (this.config.token && base.protocol === 'https:') headers['Authorization'] = `Bearer ${this.config.token}`;
      // A text body stays a string: Node's http client then sends the header and the body in one write (one
      // TLS record), where a Buffer goes out as a second chunk of a writev.
      let payload: Buffer | string | undefined;
      if (opts.body !== undefined) {
        payload = Buffer.isBuffer(opts.body) ? opts.body : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        headers['Content-Type'] = opts.contentType ?? 'application/json';
        headers['Content-Length'] = String(typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length);
      }
      const basePath = base.pathname.replace(/\/+$/, '');
      const fullPath = basePath + path + encodeQuery(opts.query);
      const isHttps = base.protocol === 'https:';
      const req = (isHttps ? httpsRequest : httpRequest)({
        protocol: base.protocol,
        ...(this.config.socketPath && !isHttps
          ? { socketPath: this.config.socketPath }
          : { hostname: base.hostname.replace(/^\[|\]$/g, ''), port: base.port || (isHttps ? 443 : 80) }),
        method,
        path: fullPath,
        headers,
        agent: isHttps ? this.httpsAgent : this.httpAgent,
      });
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => req.destroy(new TransportError('aborted', 'request aborted'));
      const cleanup = () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs > 0) {
        const fire = () => {
          const err = new TransportError('timeout', `request timed out after ${timeoutMs} ms: ${method} ${path}`, 'ETIMEDOUT');
          timedOut.set(req, err);
          req.destroy(err);
        };
        if (streaming) req.setTimeout(timeoutMs, fire);
        else timer = setTimeout(fire, timeoutMs);
      }
      if (this.servers.length > 1) limitConnect(req, base, this.connectTimeoutMs);
      req.once('close', cleanup);
      req.on('error', (e) => reject(toTransportError(e)));
      req.on('response', (res) => resolve({ req, res }));
      req.end(payload);
    });
  }
}
