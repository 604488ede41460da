// Moves a container's output from its FIFOs into its CRI log file and to attached clients. The container
// writes into named pipes that its wrapper keeps open (so output survives an agent restart: the kernel buffers
// it, and the next agent's pump picks it up); this module reads them without blocking libuv's thread pool,
// formats records (cri-log.ts) and appends them in order. Must not interpret the output beyond line cutting.
import { closeSync, constants, openSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
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

/** Appends records to one log file, in order, one write at a time; survives a reopen in the middle. */
class LogFile {
  private handle: Promise<FileHandle | undefined>;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {
    this.handle = this.openHandle();
  }

  private openHandle(): Promise<FileHandle | undefined> {
    return open(this.path, 'a', 0o640).catch(() => undefined);
  }

  append(records: Buffer[]): void {
    if (!records.length) return;
    const data = records.length === 1 ? records[0] : Buffer.concat(records);
    this.chain = this.chain.then(async () => {
      const fh = await this.handle;
      if (fh) await fh.appendFile(data).catch(() => undefined);
    });
  }

  /** Closes and re-opens the file (after the agent rotated it away). */
  reopen(): Promise<void> {
    this.chain = this.chain.then(async () => {
      const fh = await this.handle;
      await fh?.close().catch(() => undefined);
      this.handle = this.openHandle();
      await this.handle;
    });
    return this.chain;
  }

  close(): Promise<void> {
    this.chain = this.chain.then(async () => {
      const fh = await this.handle;
      this.handle = Promise.resolve(undefined);
      await fh?.close().catch(() => undefined);
    });
    return this.chain;
  }
}

export class LogPump {
  private readonly file: LogFile;
  private readonly listeners = new Set<OutputListener>();
  private readonly sockets: Socket[] = [];
  private open = 0;
  private readonly ended: Promise<void>;
  private resolveEnded!: () => void;

  /** sources: FIFO path per stream (a tty container has only stdout). */
  constructor(logPath: string, sources: Partial<Record<LogStream, string>>) {
    this.file = new LogFile(logPath);
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    for (const [stream, path] of Object.entries(sources) as [LogStream, string][]) {
      const splitter = new CriLineSplitter(stream);
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

  reopen(): Promise<void> {
    return this.file.reopen();
  }

  /** Stops reading (output still buffered in the FIFOs stays there for a later pump) and closes the file. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await this.file.close();
  }

  /** Waits (bounded) for the output to drain, then closes. */
  async finish(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.ended, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    await this.close();
  }
}
