// The CRI container log format, reading side, one entry per line: `<RFC3339Nano timestamp> <stdout|stderr>
// <F|P> <content>` (P = partial: the content continues in the next entry; F = full: a newline ends it).
// Runtimes write it (src/runtime/process/cri-log.ts is the writing side); the agent reads it for
// `kubectl logs`. Timestamps are kept as whole seconds plus nanoseconds, because nanosecond order matters and
// a JS number cannot hold nanoseconds since 1970. Pure.

import { rfc3339Nano, type LogStream } from '../../runtime/process/cri-log.js';

export type { LogStream };

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
  return rfc3339Nano(BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec));
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
