// The API server's in-process endpoint across a thread boundary. A component that runs in a worker thread of
// the server's process (the scheduler: it then has a core of its own) reaches the server's request handling
// through a MessagePort: PortEndpoint is the InProcessEndpoint of the worker side (InProcessTransport takes it
// as it takes ApiServer.inProcess), servePort answers on the server's side with the server's own endpoint.
// Same requests, same answers, same identity as in process; only the hop between threads differs (a structured
// clone of the request and of the answer's text instead of an HTTP encoding, a socket and a parse). A request
// whose caller reads no success body (InProcessRequest.bodyUnused: ApiClient.patchOnly, a simulated kubelet's
// pod statuses) crosses with that flag, so its answer comes back without a body to copy. Both sides send
// what one event-loop turn produced as one message: a message that wakes an idle thread costs the sender
// ~15 µs (the wake-up), one among others ~2 µs, and the server's thread answers thousands a second.
import type { MessagePort } from 'node:worker_threads';
import type { InProcessEndpoint, InProcessRequest, InProcessResponse } from './in-process-transport.js';

interface PortRequest {
  id: number;
  req: InProcessRequest;
}

/** The answer to request `id`: a response, "not served in process" (use the fallback), or the failure. */
interface PortReply {
  id: number;
  res?: InProcessResponse;
  error?: { message: string; code?: string };
}

interface Pending {
  resolve(res: InProcessResponse | undefined): void;
  reject(err: Error): void;
}

/**
 * Posts messages on `port` once per event-loop turn: one message alone, several as one array (the receiver
 * takes both, in order). Throws nothing: a port whose other side is gone drops them.
 */
export function batchedPoster<T>(port: MessagePort): (m: T) => void {
  let queue: T[] = [];
  const flush = () => {
    const batch = queue;
    queue = [];
    try {
      port.postMessage(batch.length === 1 ? batch[0] : batch);
    } catch {
      // The other side is gone: nobody waits for these.
    }
  };
  return (m) => {
    if (queue.push(m) === 1) setImmediate(flush);
  };
}

/** Calls `handle` for each message `port` receives, whether it came alone or in a batch (batchedPoster). */
function onEach<T>(port: MessagePort, handle: (m: T) => void): void {
  port.on('message', (m: T | T[]) => {
    if (!Array.isArray(m)) return handle(m);
    for (const one of m) handle(one);
  });
}

function refused(message: string): Error {
  return Object.assign(new Error(message), { code: 'ECONNREFUSED' });
}

/** The worker's side: requests go to the thread that serves the port (servePort). */
export class PortEndpoint implements InProcessEndpoint {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private readonly post: (m: PortRequest) => void;

  constructor(private readonly port: MessagePort) {
    this.post = batchedPoster<PortRequest>(port);
    onEach<PortReply>(port, (m) => {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(Object.assign(new Error(m.error.message), m.error.code === undefined ? {} : { code: m.error.code }));
      else p.resolve(m.res);
    });
    port.on('close', () => this.fail('the API server closed the in-process port'));
    // Only requests in flight keep the thread alive (see serve).
    port.unref();
  }

  serve(req: InProcessRequest): Promise<InProcessResponse | undefined> {
    if (this.closed) return Promise.reject(refused('the in-process port is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.port.ref();
      this.pending.set(id, {
        resolve: (res) => {
          this.settled();
          resolve(res);
        },
        reject: (err) => {
          this.settled();
          reject(err);
        },
      });
      this.post({ id, req });
    });
  }

  /** Fails the requests in flight (ECONNREFUSED, as a closed server) and closes the port. */
  close(): void {
    this.fail('the in-process port is closed');
    this.port.close();
  }

  private settled(): void {
    if (this.pending.size === 0) this.port.unref();
  }

  private fail(message: string): void {
    this.closed = true;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(refused(message));
  }
}

/** A request body as the server takes it: a structured clone turns a Buffer into a plain Uint8Array. */
function asServed(req: InProcessRequest): InProcessRequest {
  const body = req.body as string | Uint8Array | undefined;
  if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) return req;
  return { ...req, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
}

/** The server's side: answers every request arriving on `port` with `endpoint` until close(). */
export function servePort(port: MessagePort, endpoint: InProcessEndpoint): { close(): void } {
  const reply = batchedPoster<PortReply>(port);
  onEach<PortRequest>(port, (m) => {
    endpoint.serve(asServed(m.req)).then(
      (res) => reply({ id: m.id, res }),
      (err: unknown) => {
        const e = err as NodeJS.ErrnoException;
        reply({ id: m.id, error: { message: e?.message ?? String(err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) } });
      },
    );
  });
  return { close: () => port.close() };
}
