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
// Watches cross the port too (InProcessEndpoint.stream): the server's watch code writes its lines into a
// PortStreamSink, which sends the lines one stream wrote in a turn as one array (strings copied once, no
// HTTP framing, socket or line splitting), and the worker's LineQueue hands them to the watch's consumer.
// A port has no backpressure: the worker reports what its consumers took (every `ackUnits`), the server's
// watch code bounds the rest (WatchSettings.maxBufferedBytes) and ends a watch that does not keep up, as it
// does on a full socket. A stream closed by the worker, or a port closed (the worker exited or was
// restarted), ends the server's watch as a client hanging up does; the server ending it ends the iteration.
import type { MessagePort } from 'node:worker_threads';
import { LineQueue, type InProcessEndpoint, type InProcessRequest, type InProcessResponse, type InProcessStreamSink } from './in-process-transport.js';

/** From the worker: a request (a stream's with `stream`), a stream's cancellation, what a stream's consumer took. */
type PortRequest =
  | { id: number; req: InProcessRequest; stream?: true }
  | { id: number; cancel: true }
  | { id: number; taken: number };

/**
 * To the worker: the answer to request `id` (a response, "not served in process": use the fallback, or the
 * failure), or for a stream: its start, lines, end.
 */
type PortReply =
  | { id: number; res?: InProcessResponse; error?: { message: string; code?: string } }
  | { id: number; start: true }
  | { id: number; lines: string[] }
  | { id: number; end: true; error?: string };

/** The worker reports a stream's consumption once this many UTF-16 units were taken since the last report. */
export const ackUnits = 64 * 1024;

interface Pending {
  resolve(res: InProcessResponse | undefined): void;
  reject(err: Error): void;
}

/**
 * Posts messages on `port` once per event-loop turn: one message alone, several as one array (the receiver
 * takes both, in order). Throws nothing: a port whose other side is gone drops them. A message queued may
 * still be extended until it is posted (it is cloned then; see `extendable`).
 */
export class PortOutbox<T> {
  private queue: T[] = [];
  /** Writers still able to extend a queued message; each lets go of it once it is posted (releasePosted). */
  private extending: { releasePosted(): void }[] = [];

  constructor(private readonly port: MessagePort) {}

  readonly post = (m: T): void => {
    if (this.queue.push(m) === 1) setImmediate(this.flush);
  };

  /** `writer` may extend a message it queued until the message is posted, then lets go of it. */
  extendable(writer: { releasePosted(): void }): void {
    this.extending.push(writer);
  }

  private readonly flush = (): void => {
    const batch = this.queue;
    this.queue = [];
    try {
      this.port.postMessage(batch.length === 1 ? batch[0] : batch);
    } catch {
      // The other side is gone: nobody waits for these.
    }
    if (this.extending.length === 0) return;
    // Posted (cloned): what was queued is garbage now, unless a writer still held on to it until its next
    // message (a quiet stream's last lines would outlive young-generation collections).
    for (const w of this.extending) w.releasePosted();
    this.extending.length = 0;
  };
}

/** PortOutbox's post alone. */
export function batchedPoster<T>(port: MessagePort): (m: T) => void {
  return new PortOutbox<T>(port).post;
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

/** A stream on the worker's side: where its lines go, and what its consumer took so far. */
interface ClientStream {
  sink: InProcessStreamSink;
  /** Units delivered to the sink, and the part of them reported taken. */
  delivered: number;
  acked: number;
  /** Resolves the stream request once the server started it. */
  started?: () => void;
}

/** The worker's side: requests go to the thread that serves the port (servePort). */
export class PortEndpoint implements InProcessEndpoint {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly streams = new Map<number, ClientStream>();
  private closed = false;
  private readonly post: (m: PortRequest) => void;

  constructor(private readonly port: MessagePort) {
    this.post = batchedPoster<PortRequest>(port);
    onEach<PortReply>(port, (m) => {
      if ('lines' in m) return this.deliver(m.id, m.lines);
      if ('start' in m) {
        const s = this.streams.get(m.id);
        if (s === undefined) return;
        // Started: no answer follows, the stream's end does.
        this.pending.delete(m.id);
        // A stream closed by its consumer before it started is cancelled now that the server has it.
        if (!s.sink.start()) this.cancel(m.id);
        s.started?.();
        s.started = undefined;
        return;
      }
      if ('end' in m) {
        const s = this.streams.get(m.id);
        if (s === undefined) return;
        this.streams.delete(m.id);
        this.settled();
        s.sink.end(m.error);
        return;
      }
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(Object.assign(new Error(m.error.message), m.error.code === undefined ? {} : { code: m.error.code }));
      else p.resolve(m.res);
    });
    port.on('close', () => this.fail('the API server closed the in-process port'));
    // Only requests in flight and open streams keep the thread alive (see serve).
    port.unref();
  }

  serve(req: InProcessRequest): Promise<InProcessResponse | undefined> {
    if (this.closed) return Promise.reject(refused('the in-process port is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.ref();
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

  stream(req: InProcessRequest, sink: InProcessStreamSink): Promise<InProcessResponse | 'stream' | undefined> {
    if (this.closed) return Promise.reject(refused('the in-process port is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.ref();
      const s: ClientStream = { sink, delivered: 0, acked: 0, started: () => resolve('stream') };
      this.streams.set(id, s);
      // The answer when there is no stream (or the failure): the stream's entry goes with it.
      const done = () => {
        if (this.streams.get(id) === s) this.streams.delete(id);
        this.settled();
      };
      this.pending.set(id, {
        resolve: (res) => {
          done();
          resolve(res);
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
      sink.onClose(() => {
        if (this.streams.get(id) !== s) return;
        this.cancel(id);
      });
      this.post({ id, req, stream: true });
    });
  }

  /** Fails the requests in flight (ECONNREFUSED, as a closed server), cuts the open streams and closes the port. */
  close(): void {
    this.fail('the in-process port is closed');
    this.port.close();
  }

  private deliver(id: number, lines: string[]): void {
    const s = this.streams.get(id);
    if (s === undefined) return;
    // What the consumer took since the last report (what it has not taken is the sink's backlog).
    const taken = s.delivered - s.sink.backlog();
    if (taken - s.acked >= ackUnits) {
      this.post({ id, taken: taken - s.acked });
      s.acked = taken;
    }
    for (const line of lines) {
      s.delivered += line.length;
      s.sink.line(line);
    }
  }

  private cancel(id: number): void {
    this.streams.delete(id);
    this.pending.delete(id);
    this.settled();
    this.post({ id, cancel: true });
  }

  private ref(): void {
    if (this.pending.size === 0 && this.streams.size === 0) this.port.ref();
  }

  private settled(): void {
    if (this.pending.size === 0 && this.streams.size === 0) this.port.unref();
  }

  private fail(message: string): void {
    this.closed = true;
    const pending = [...this.pending.values()];
    this.pending.clear();
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const p of pending) p.reject(refused(message));
    for (const s of streams) if (s.started === undefined) s.sink.end(message);
  }
}

/** A request body as the server takes it: a structured clone turns a Buffer into a plain Uint8Array. */
function asServed(req: InProcessRequest): InProcessRequest {
  const body = req.body as string | Uint8Array | undefined;
  if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) return req;
  return { ...req, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
}

/**
 * A stream's lines on their way to the worker: those written in one turn leave as one message. Its backlog is
 * what was written and not reported taken by the worker yet.
 */
class PortStreamSink implements InProcessStreamSink {
  /** The lines of the message queued and not posted yet (extended until it is). */
  private batch: string[] | undefined;
  private written = 0;
  private taken = 0;
  private ended = false;
  private cancelled = false;
  private readonly closeCallbacks: (() => void)[] = [];

  constructor(
    private readonly id: number,
    private readonly outbox: PortOutbox<PortReply>,
    private readonly release: (id: number) => void,
  ) {}

  start(): boolean {
    if (this.cancelled) return false;
    this.outbox.post({ id: this.id, start: true });
    return true;
  }

  line(line: string): void {
    if (this.ended) return;
    this.written += line.length;
    if (this.batch !== undefined) {
      this.batch.push(line);
      return;
    }
    this.batch = [line];
    this.outbox.post({ id: this.id, lines: this.batch });
    this.outbox.extendable(this);
  }

  /** The batch was posted: the next line starts another. */
  releasePosted(): void {
    this.batch = undefined;
  }

  end(error?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.release(this.id);
    if (!this.cancelled) this.outbox.post(error === undefined ? { id: this.id, end: true } : { id: this.id, end: true, error });
  }

  backlog(): number {
    return this.written - this.taken;
  }

  onClose(cb: () => void): void {
    if (this.cancelled) queueMicrotask(cb);
    else this.closeCallbacks.push(cb);
  }

  /** The worker took `units` more. */
  took(units: number): void {
    this.taken += units;
  }

  /** The worker closed the stream, or is gone. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.ended = true;
    this.release(this.id);
    for (const cb of this.closeCallbacks.splice(0)) cb();
  }
}

/**
 * The server's side: answers every request arriving on `port` with `endpoint` until close(), and serves the
 * streams the worker asks for while they are open. Closing the port (or the worker's side going away) ends them.
 */
export function servePort(port: MessagePort, endpoint: InProcessEndpoint): { close(): void } {
  const outbox = new PortOutbox<PortReply>(port);
  const reply = outbox.post;
  const streams = new Map<number, PortStreamSink>();
  const release = (id: number) => streams.delete(id);
  const failed = (id: number) => (err: unknown) => {
    const e = err as NodeJS.ErrnoException;
    reply({ id, error: { message: e?.message ?? String(err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) } });
  };
  onEach<PortRequest>(port, (m) => {
    if ('taken' in m) return streams.get(m.id)?.took(m.taken);
    if ('cancel' in m) return streams.get(m.id)?.cancel();
    if (m.stream && endpoint.stream) {
      const sink = new PortStreamSink(m.id, outbox, release);
      streams.set(m.id, sink);
      endpoint.stream(asServed(m.req), sink).then((res) => {
        if (res === 'stream') return;
        release(m.id);
        reply({ id: m.id, res });
      }, (err: unknown) => {
        release(m.id);
        failed(m.id)(err);
      });
      return;
    }
    endpoint.serve(asServed(m.req)).then((res) => reply({ id: m.id, res }), failed(m.id));
  });
  const endStreams = () => {
    for (const s of [...streams.values()]) s.cancel();
  };
  port.on('close', endStreams);
  return {
    close: () => {
      endStreams();
      port.close();
    },
  };
}
