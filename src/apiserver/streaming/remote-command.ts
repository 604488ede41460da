// Serves one exec or attach session to a client, over WebSocket (channel protocol v1–v5) or SPDY (one stream
// per stdin/stdout/stderr/error/resize), as upstream's remotecommand server. The caller supplies `run`, which
// connects the given streams to a process and resolves with how it ended; this module owns the transport:
// stdin EOF (v5 close signal, SPDY FIN), terminal resizes, flushing output before the final status, and the
// status itself (outcomeStatus). It must not know about containers or runtimes.
import { EventEmitter } from 'node:events';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { WebSocket, RawData } from 'ws';
import { Channel, ResizeDecoder, channelMessage, outcomeStatus, parseChannelMessage, protocolVersion, type CommandOutcome, type RemoteCommandProtocol } from './channel-protocol.js';
import type { SpdySession, SpdyStream } from './spdy-session.js';

export interface StreamFlags {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface TerminalSize {
  width: number;
  height: number;
}

/** What `run` gets: the client's streams (absent when not requested), resizes, and an abort on disconnect. */
export interface CommandIO {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  tty: boolean;
  onResize(cb: (size: TerminalSize) => void): void;
  /** Aborted when the client goes away before the command ends. */
  signal: AbortSignal;
}

export type CommandRunner = (io: CommandIO) => Promise<CommandOutcome>;

/** Upstream's default: the client has 30 s to open the streams it announced. */
export const streamCreationTimeoutMs = 30_000;

class ResizeFeed extends EventEmitter<{ resize: [TerminalSize] }> {
  last?: TerminalSize;
  push(size: TerminalSize): void {
    this.last = size;
    this.emit('resize', size);
  }
  subscribe(cb: (size: TerminalSize) => void): void {
    if (this.last) cb(this.last);
    this.on('resize', cb);
  }
}

/** Runs the command, then flushes its output; resolves with what goes on the error channel (if anything). */
async function runToStatus(run: CommandRunner, io: CommandIO, protocol: RemoteCommandProtocol): Promise<Buffer | undefined> {
  let outcome: CommandOutcome;
  try {
    outcome = await run(io);
  } catch (err) {
    outcome = { error: err instanceof Error ? err.message : String(err) };
  }
  await Promise.all([flush(io.stdout), flush(io.stderr)]);
  return outcomeStatus(outcome, protocol);
}

/** Ends an output stream we handed out and waits until everything written to it has been sent. */
async function flush(w: Writable | undefined): Promise<void> {
  if (!w || w.destroyed) return;
  if (!w.writableEnded) w.end();
  if (w.writableFinished) return;
  await finished(w).catch(() => undefined);
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data as ArrayBuffer);
}

export async function serveRemoteCommandWebSocket(ws: WebSocket, protocol: RemoteCommandProtocol, flags: StreamFlags, run: CommandRunner): Promise<void> {
  const ac = new AbortController();
  const resizes = new ResizeFeed();
  const stdin = flags.stdin ? new PassThrough() : undefined;
  const open = () => ws.readyState === ws.OPEN;
  const output = (channel: number) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (!open()) return cb();
        ws.send(channelMessage(channel, chunk), { binary: true }, () => cb());
      },
    });
  ws.on('message', (data, isBinary) => {
    if (!isBinary) return; // base64 text protocols are not served
    const ev = parseChannelMessage(toBuffer(data), protocol);
    if (ev.kind === 'data' && ev.channel === Channel.stdin && stdin && !stdin.writableEnded) {
      // Backpressure: stop reading the socket while the command has not taken what was sent.
      if (!stdin.write(ev.data)) {
        ws.pause();
        stdin.once('drain', () => ws.resume());
      }
    }
    else if (ev.kind === 'close' && ev.channel === Channel.stdin) stdin?.end();
    else if (ev.kind === 'resize') resizes.push(ev);
  });
  ws.on('close', () => {
    stdin?.end();
    ac.abort();
  });
  ws.on('error', () => ac.abort());

  const io: CommandIO = {
    stdin,
    stdout: flags.stdout ? output(Channel.stdout) : undefined,
    stderr: flags.stderr && !flags.tty ? output(Channel.stderr) : undefined,
    tty: flags.tty,
    onResize: (cb) => resizes.subscribe(cb),
    signal: ac.signal,
  };
  const status = await runToStatus(run, io, protocol);
  ws.resume(); // read the client's close frame even if its input was never consumed
  if (open()) {
    if (status) ws.send(channelMessage(Channel.error, status), { binary: true });
    ws.close(1000);
  }
}

/** Which SPDY streams the client opens for these flags under this protocol. */
export function expectedSpdyStreams(flags: StreamFlags, protocol: RemoteCommandProtocol): Set<string> {
  const s = new Set<string>(['error']);
  if (flags.stdin) s.add('stdin');
  if (flags.stdout) s.add('stdout');
  if (flags.stderr && !flags.tty) s.add('stderr');
  if (flags.tty && protocolVersion(protocol) >= 3) s.add('resize');
  return s;
}

export async function serveRemoteCommandSpdy(
  session: SpdySession,
  protocol: RemoteCommandProtocol,
  flags: StreamFlags,
  run: CommandRunner,
  timeoutMs = streamCreationTimeoutMs,
): Promise<void> {
  const ac = new AbortController();
  const want = expectedSpdyStreams(flags, protocol);
  const got = new Map<string, SpdyStream>();
  const resizes = new ResizeFeed();
  session.on('close', () => ac.abort());

  const ready = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
    const check = () => {
      if ([...want].every((t) => got.has(t))) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    session.on('stream', (stream) => {
      const type = stream.headers['streamtype'] ?? '';
      stream.reply();
      if (!want.has(type) || got.has(type)) {
        stream.reset();
        return;
      }
      got.set(type, stream);
      check();
    });
    session.on('close', () => resolve(false));
  });
  if (!(await ready)) {
    const err = got.get('error');
    if (err && !session.isClosed) {
      const msg = outcomeStatus({ error: `timed out waiting for client to create streams (have ${[...got.keys()].join(', ') || 'none'})` }, protocol);
      if (msg) err.outgoing.end(msg);
    }
    session.close();
    return;
  }

  const resize = got.get('resize');
  if (resize) {
    const dec = new ResizeDecoder();
    resize.incoming.on('data', (d: Buffer) => dec.push(d).forEach((s) => resizes.push(s)));
  }
  const io: CommandIO = {
    stdin: got.get('stdin')?.incoming,
    stdout: got.get('stdout')?.outgoing,
    stderr: got.get('stderr')?.outgoing,
    tty: flags.tty,
    onResize: (cb) => resizes.subscribe(cb),
    signal: ac.signal,
  };
  const status = await runToStatus(run, io, protocol);
  const errStream = got.get('error')!;
  if (status) errStream.outgoing.write(status);
  await flush(errStream.outgoing);
  session.close();
}
