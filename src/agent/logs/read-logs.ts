// Reads a container's CRI log file for `kubectl logs`, with upstream kubelet's semantics (ReadLogs):
// tailLines counts entries from the end of the current file, sinceTime/sinceSeconds drop older entries,
// limitBytes cuts the output (mid-line if need be), timestamps prefixes each entry with its RFC3339Nano time,
// and follow keeps reading as the file grows, re-opens it when the agent rotates it, and ends once the
// container is no longer running and everything has been read. Only the current file is read (as upstream:
// rotated files are not part of `kubectl logs`). Option parsing and rendering are pure; reading is I/O.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import type { Writable } from 'node:stream';
import { compareLogTime, formatLogTime, parseCriLine, parseLogTime, type CriLogEntry, type LogTime } from './cri-format.js';

export interface LogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  /** Entries strictly before this are skipped. */
  since?: LogTime;
}

/** Parses the kubelet's containerLogs query (also the apiserver's pods/log query), as upstream validates it. */
export function parseLogQuery(q: URLSearchParams, nowMs: number): LogOptions | { error: string } {
  const bool = (name: string) => q.get(name) === 'true' || q.get(name) === '1';
  const int = (name: string): number | undefined | 'bad' => {
    const v = q.get(name);
    if (v === null || v === '') return undefined;
    return /^-?\d+$/.test(v) ? Number(v) : 'bad';
  };
  const tail = int('tailLines');
  const limit = int('limitBytes');
  const sinceSeconds = int('sinceSeconds');
  if (tail === 'bad' || limit === 'bad' || sinceSeconds === 'bad') return { error: 'invalid integer in log options' };
  const sinceTime = q.get('sinceTime');
  if (tail !== undefined && tail < 0) return { error: `tailLines: Invalid value: ${tail}: must be greater than or equal to 0` };
  if (limit !== undefined && limit < 1) return { error: `limitBytes: Invalid value: ${limit}: must be greater than 0` };
  if (sinceSeconds !== undefined && sinceSeconds < 1) return { error: `sinceSeconds: Invalid value: ${sinceSeconds}: must be greater than 0` };
  if (sinceSeconds !== undefined && sinceTime) return { error: 'sinceTime: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified' };
  let since: LogTime | undefined;
  if (sinceTime) {
    since = parseLogTime(sinceTime);
    if (!since) return { error: `sinceTime: Invalid value: "${sinceTime}": must be an RFC3339 timestamp` };
  } else if (sinceSeconds !== undefined) {
    const ms = nowMs - sinceSeconds * 1000;
    since = { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1_000_000 };
  }
  return { follow: bool('follow'), previous: bool('previous'), timestamps: bool('timestamps'), tailLines: tail, limitBytes: limit, since };
}

/** The bytes `kubectl logs` shows for one entry, or undefined when the entry is filtered out (pure). */
export function renderEntry(entry: CriLogEntry, opts: Partial<Pick<LogOptions, 'since' | 'timestamps'>>): Buffer | undefined {
  if (opts.since && compareLogTime(entry.time, opts.since) < 0) return undefined;
  const parts: Buffer[] = [];
  if (opts.timestamps) parts.push(Buffer.from(formatLogTime(entry.time) + ' '));
  parts.push(entry.content);
  if (!entry.partial) parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}

/**
 * Where the last `n` lines of `buf` start (pure): a trailing newline ends the last line rather than
 * starting an empty one.
 */
export function tailStart(buf: Buffer, n: number): { start: number; found: number } {
  if (n <= 0) return { start: buf.length, found: 0 };
  let end = buf.length;
  if (end > 0 && buf[end - 1] === 0x0a) end--;
  let found = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (buf[i] === 0x0a) {
      found++;
      if (found === n) return { start: i + 1, found };
    }
  }
  return { start: 0, found };
}

/** Byte offset where the last `n` lines of the open file start, reading backwards in blocks. */
async function fileTailStart(fh: FileHandle, size: number, n: number): Promise<number> {
  if (n <= 0) return size;
  const block = 64 * 1024;
  let pos = size;
  let needed = n;
  let first = true;
  while (pos > 0) {
    const from = Math.max(0, pos - block);
    const buf = Buffer.alloc(pos - from);
    await fh.read(buf, 0, buf.length, from);
    // Only the file's very last byte may be the trailing newline that ends (not starts) a line.
    const view = first ? buf : Buffer.concat([buf, Buffer.from('x')]);
    const { start, found } = tailStart(view, needed);
    if (found === needed) return from + start;
    needed -= found;
    pos = from;
    first = false;
  }
  return 0;
}

/** Splits bytes into lines across chunk boundaries. */
export class LineSplitter {
  private rest: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    const data = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const lines: Buffer[] = [];
    let start = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, start);
      if (nl < 0) break;
      lines.push(data.subarray(start, nl));
      start = nl + 1;
    }
    this.rest = Buffer.from(data.subarray(start));
    return lines;
  }

  /** The unterminated remainder (a line still being written), consumed. */
  takeRest(): Buffer | undefined {
    if (!this.rest.length) return undefined;
    const r = this.rest;
    this.rest = Buffer.alloc(0);
    return r;
  }
}

export interface FollowControl {
  /** Whether the container still runs (follow ends when it does not and the file is drained). */
  isRunning(): Promise<boolean>;
  signal: AbortSignal;
  /** How often to re-check without a file event (upstream's 1 s force-check period). */
  recheckMs?: number;
}

class Output {
  private remaining: number;
  constructor(
    private readonly out: Writable,
    limit: number | undefined,
  ) {
    this.remaining = limit ?? Infinity;
  }
  get full(): boolean {
    return this.remaining <= 0;
  }
  async write(b: Buffer): Promise<void> {
    if (this.full || this.out.destroyed) return;
    const piece = b.length > this.remaining ? b.subarray(0, this.remaining) : b;
    this.remaining -= piece.length;
    if (!this.out.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.out.off('drain', done);
          this.out.off('close', done);
          resolve();
        };
        this.out.on('drain', done);
        this.out.on('close', done);
      });
    }
  }
}

/** Streams the log file at `path` into `out` (which it does not end). */
export async function readLogs(path: string, opts: LogOptions, out: Writable, ctl: FollowControl): Promise<void> {
  const output = new Output(out, opts.limitBytes);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // nothing written yet
    throw err;
  }
  let watcher: FSWatcher | undefined;
  let wake: (() => void) | undefined;
  const onAbort = () => wake?.();
  ctl.signal.addEventListener('abort', onAbort);
  try {
    const size = (await fh.stat()).size;
    let pos = opts.tailLines !== undefined ? await fileTailStart(fh, size, opts.tailLines) : 0;
    let splitter = new LineSplitter();
    const emit = async (line: Buffer) => {
      const entry = parseCriLine(line);
      if (!entry) return;
      const rendered = renderEntry(entry, opts);
      if (rendered) await output.write(rendered);
    };
    const buf = Buffer.alloc(64 * 1024);
    const drain = async (): Promise<number> => {
      let total = 0;
      for (;;) {
        if (output.full || ctl.signal.aborted) return total;
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) return total;
        pos += bytesRead;
        total += bytesRead;
        for (const line of splitter.push(buf.subarray(0, bytesRead))) await emit(line);
      }
    };
    await drain();
    if (!opts.follow) {
      const rest = splitter.takeRest();
      if (rest) await emit(rest);
      return;
    }
    const arm = () => {
      watcher?.close();
      try {
        watcher = watch(path, () => wake?.());
        watcher.on('error', () => undefined);
      } catch {
        watcher = undefined; // the file is gone for a moment during rotation: the timer re-checks
      }
    };
    arm();
    while (!output.full && !ctl.signal.aborted && !out.destroyed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ctl.recheckMs ?? 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
      if ((await drain()) > 0) continue;
      // Rotated? The path now names a different file: finish the old one (done above) and switch.
      const now = await stat(path).catch(() => undefined);
      const mine = await fh.stat();
      if (now && now.ino !== mine.ino) {
        await fh.close();
        fh = await open(path, 'r');
        pos = 0;
        splitter = new LineSplitter();
        arm();
        continue;
      }
      if (!(await ctl.isRunning())) {
        await drain();
        const rest = splitter.takeRest();
        if (rest) await emit(rest);
        return;
      }
    }
  } finally {
    ctl.signal.removeEventListener('abort', onAbort);
    watcher?.close();
    await fh.close().catch(() => undefined);
  }
}
