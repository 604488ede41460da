// The CRI container log format, one entry per line: `<RFC3339Nano timestamp> <stdout|stderr> <F|P> <content>`
// (P = partial: the content continues in the next entry; F = full: a newline ends it). Runtimes write it;
// the agent reads it for `kubectl logs`. Timestamps are kept as whole seconds plus nanoseconds, because
// nanosecond order matters and a JS number cannot hold nanoseconds since 1970. Pure.

export type LogStream = 'stdout' | 'stderr';

/** An instant at nanosecond precision. */
export interface LogTime {
  /** Unix seconds. */
  sec: number;
  nsec: number;
}

export interface CriLogEntry {
  time: LogTime;
  stream: LogStream;
  partial: boolean;
  content: Buffer;
}

const SP = 0x20;

/** Parses an RFC 3339 timestamp with up to nine fractional digits and any offset; undefined when malformed. */
export function parseLogTime(s: string): LogTime | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(s);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]!.toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  return { sec: Math.floor(ms / 1000), nsec: m[2] ? Number(m[2].padEnd(9, '0')) : 0 };
}

/** Go's time.RFC3339Nano in UTC: fractional digits without trailing zeros, none when zero. */
export function formatLogTime(t: LogTime): string {
  const base = new Date(t.sec * 1000).toISOString().slice(0, 19);
  const frac = t.nsec ? '.' + String(t.nsec).padStart(9, '0').replace(/0+$/, '') : '';
  return `${base}${frac}Z`;
}

/** A LogTime from epoch milliseconds plus extra nanoseconds within that millisecond. */
export function logTimeFromMs(ms: number, extraNs = 0): LogTime {
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: (ms - sec * 1000) * 1_000_000 + extraNs };
}

export function compareLogTime(a: LogTime, b: LogTime): number {
  return a.sec !== b.sec ? a.sec - b.sec : a.nsec - b.nsec;
}

/** Parses one line (without its newline); undefined when it is not a CRI log entry. */
export function parseCriLine(line: Buffer): CriLogEntry | undefined {
  const s1 = line.indexOf(SP);
  if (s1 < 0) return undefined;
  const s2 = line.indexOf(SP, s1 + 1);
  if (s2 < 0) return undefined;
  const time = parseLogTime(line.toString('latin1', 0, s1));
  if (!time) return undefined;
  const stream = line.toString('latin1', s1 + 1, s2);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  // The tag field is "F" or "P", possibly with more ':'-separated tags after it (CRI allows that).
  const s3 = line.indexOf(SP, s2 + 1);
  const tagEnd = s3 < 0 ? line.length : s3;
  const tag = line.toString('latin1', s2 + 1, tagEnd).split(':')[0];
  if (tag !== 'F' && tag !== 'P') return undefined;
  return { time, stream, partial: tag === 'P', content: s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1) };
}

/** One entry as a line, newline included. */
export function formatCriLine(time: LogTime, stream: LogStream, content: Buffer | string, partial = false): Buffer {
  return Buffer.concat([Buffer.from(`${formatLogTime(time)} ${stream} ${partial ? 'P' : 'F'} `), Buffer.from(content), Buffer.from('\n')]);
}

/**
 * Splits a process's output into CRI entries: one F entry per newline-terminated line, and P entries for
 * pieces longer than maxLineBytes (upstream's 16 KiB) or left over when the writer flushes a partial line.
 */
export function splitIntoEntries(chunk: Buffer, maxLineBytes = 16 * 1024): { content: Buffer; partial: boolean }[] {
  const out: { content: Buffer; partial: boolean }[] = [];
  let start = 0;
  while (start < chunk.length) {
    const nl = chunk.indexOf(0x0a, start);
    const end = nl < 0 ? chunk.length : nl;
    for (let s = start; s < end || s === start; s += maxLineBytes) {
      const e = Math.min(end, s + maxLineBytes);
      const full = e === end && nl >= 0;
      out.push({ content: chunk.subarray(s, e), partial: !full });
      if (e >= end) break;
    }
    start = nl < 0 ? chunk.length : nl + 1;
  }
  return out;
}
