// CRI container log format, writing side (what containerd's CRI plugin writes and the kubelet reads):
// `<RFC3339Nano time> <stdout|stderr> <F|P> <content>\n`. Lines longer than the maximum are cut into partial
// (`P`) records, and output that ends without a newline is a partial record, as containerd does. Pure: the
// caller owns the file. Reading and rotating logs is the agent's business (src/agent/logs), not this module's.

export type LogStream = 'stdout' | 'stderr';

/** containerd's default max_container_log_line_size. */
export const defaultMaxLogLineBytes = 16 * 1024;

/** Go's time.RFC3339Nano in UTC: nanoseconds with trailing zeros dropped (and no dot when they are all zero). */
export function rfc3339Nano(epochNanos: bigint): string {
  const ms = Number(epochNanos / 1_000_000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  const frac = (epochNanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return frac ? `${base}.${frac}Z` : `${base}Z`;
}

let lastNanos = 0n;
/** Wall-clock nanoseconds (microsecond resolution), never going backwards within this process. */
export function nowNanos(): bigint {
  const n = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
  lastNanos = n > lastNanos ? n : lastNanos + 1n;
  return lastNanos;
}

export function formatLogRecord(time: string, stream: LogStream, partial: boolean, content: Buffer): Buffer {
  const head = Buffer.from(`${time} ${stream} ${partial ? 'P' : 'F'} `);
  return Buffer.concat([head, content, newline]);
}
const newline = Buffer.from('\n');

/**
 * Cuts one stream's output into CRI records. Feed it chunks as they arrive; it returns the complete records
 * (formatted, ready to append) and keeps an unterminated tail until more arrives or the stream ends.
 */
export class CriLineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly stream: LogStream,
    private readonly maxLineBytes = defaultMaxLogLineBytes,
    private readonly clock: () => string = () => rfc3339Nano(nowNanos()),
  ) {}

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      let piece = chunk.subarray(start, end);
      // Cut pieces so that no record exceeds the maximum, emitting partial records on the way.
      while (this.pendingBytes + piece.length > this.maxLineBytes) {
        const room = this.maxLineBytes - this.pendingBytes;
        this.pending.push(piece.subarray(0, room));
        out.push(this.emit(true));
        piece = piece.subarray(room);
      }
      if (piece.length) {
        this.pending.push(piece);
        this.pendingBytes += piece.length;
      }
      if (nl === -1) break;
      out.push(this.emit(false, true));
      start = nl + 1;
    }
    return out;
  }

  /** The stream ended: whatever is left had no newline, so it is a partial record. */
  end(): Buffer[] {
    return this.pendingBytes ? [this.emit(true)] : [];
  }

  private emit(partial: boolean, stripCR = false): Buffer {
    let line = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    if (stripCR && line.length && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
    this.pending = [];
    this.pendingBytes = 0;
    return formatLogRecord(this.clock(), this.stream, partial, line); // concat copies the bytes
  }
}
