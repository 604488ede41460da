// Moves a container's output from its FIFOs into its CRI log file and to attached clients. The container
// writes into named pipes that its wrapper keeps open (so output survives an agent restart: the kernel buffers
// it, and the next agent's pump picks it up); this module reads them without blocking libuv's thread pool,
// formats records (cri-log.ts) and appends them in order. Must not interpret the output beyond line cutting.
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { CriLineSplitter, type LogStream } from './cri-log.js';

/**
 * Opens a FIFO end as a non-blocking socket (reads and writes go through epoll, not the thread pool). The
 * writing end is opened read-write: that never fails with ENXIO while the reader has yet to open its end.
 */
export function openFifo(path: string, mode: 'read' | 'write'): Socket {
  const flags = (mode === 'read' ? constants.O_RDONLY : constants.O_RDWR) | constants.O_NONBLOCK;
  const fd = openSync(path, flags);
  try {
    return new Socket({ fd, readable: mode === 'read', writable: mode === 'write' });
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

export type OutputListener = (stream: LogStream, data: Buffer) => void;

/**
 * Appends records to one log file. Writes are synchronous, in the read handler: what was taken out of the
 * FIFO is in the file before anything else runs, so an agent that dies loses no output it had read (the page
 * cache write costs microseconds; a chunk is at most one pipe buffer).
 */
class LogFile {
  private fd: number | undefined;

  constructor(private readonly path: string) {
    this.fd = this.openFd();
  }

  private openFd(): number | undefined {
    try {
      return openSync(this.path, 'a', 0o640);
    } catch {
      return undefined; // the log directory is gone (pod being removed): output is dropped
    }
  }

  append(records: Buffer[]): void {
    if (!records.length || this.fd === undefined) return;
    const data = records.length === 1 ? records[0] : Buffer.concat(records);
    try {
      writeSync(this.fd, data);
    } catch {
      /* disk full or file gone: the container must not stall on its log */
    }
  }

  /** Closes and re-opens the file (after the agent rotated it away). */
  reopen(): void {
    this.close();
    this.fd = this.openFd();
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export class LogPump {
  private readonly file: LogFile;
  private readonly listeners = new Set<OutputListener>();
  private readonly sockets: Socket[] = [];
  private readonly splitters: CriLineSplitter[] = [];
  private open = 0;
  private readonly ended: Promise<void>;
  private resolveEnded!: () => void;

  /** sources: FIFO path per stream (a tty container has only stdout). */
  constructor(logPath: string, sources: Partial<Record<LogStream, string>>) {
    this.file = new LogFile(logPath);
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    for (const [stream, path] of Object.entries(sources) as [LogStream, string][]) {
      const splitter = new CriLineSplitter(stream);
      this.splitters.push(splitter);
      const sock = openFifo(path, 'read');
      this.open++;
      this.sockets.push(sock);
      sock.on('data', (chunk: Buffer) => {
        this.file.append(splitter.push(chunk));
        for (const l of this.listeners) l(stream, chunk);
      });
      sock.on('error', () => sock.destroy());
      sock.on('close', () => {
        this.file.append(splitter.end());
        if (--this.open === 0) this.resolveEnded();
      });
    }
    if (this.open === 0) this.resolveEnded();
  }

  /** Resolves when every writer of every FIFO has gone (the container and its wrapper exited). */
  whenEnded(): Promise<void> {
    return this.ended;
  }

  subscribe(listener: OutputListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  reopen(): void {
    this.file.reopen();
  }

  /** Stops reading (output still in the FIFOs stays there for a later pump) and closes the file. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    // A line cut here is written as a partial record; the next pump writes its rest (readers join P + F).
    for (const sp of this.splitters) this.file.append(sp.end());
    this.file.close();
  }

  /** Waits (bounded) for the output to drain, then closes. */
  async finish(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.ended, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    await this.close();
  }
}
