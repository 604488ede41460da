// The events of a watch stream as a discriminated union, and the decoding of one line of the
// newline-delimited JSON stream into one (optionally without the object's managedFields, cut from the text
// before parsing, for consumers that never read them). No I/O.
import type { Status } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import { TransportError } from './errors.js';

/** A BOOKMARK carries only the resourceVersion (and the initial-events-end annotation). */
export interface BookmarkObject {
  kind?: string;
  apiVersion?: string;
  metadata: { resourceVersion?: string; annotations?: Record<string, string> };
}

export type WatchEvent<T = KubeObject> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T }
  | { type: 'BOOKMARK'; object: BookmarkObject }
  | { type: 'ERROR'; object: Status };

const types = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/** Throws TransportError('protocol') for a line that is not a watch event. */
export function decodeWatchEvent<T = KubeObject>(line: string): WatchEvent<T> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new TransportError('protocol', `malformed watch event: ${line.slice(0, 200)}`, undefined, { cause: e });
  }
  if (typeof v !== 'object' || v === null) throw new TransportError('protocol', `malformed watch event: ${line.slice(0, 200)}`);
  const { type, object } = v as { type?: unknown; object?: unknown };
  if (typeof type !== 'string' || !types.has(type) || typeof object !== 'object' || object === null) {
    throw new TransportError('protocol', `malformed watch event: ${line.slice(0, 200)}`);
  }
  // The parsed event is the event (no copy; servers send only these two fields).
  return v as WatchEvent<T>;
}

const managedFieldsKey = '"managedFields":[';
const metadataKey = '"metadata":';
const objectKey = '"object":';

/**
 * A watch event line without its object's metadata.managedFields, for a consumer that drops them anyway
 * (client-go's managedFields-trimming transform): the member is cut from the text, so the decode neither
 * parses nor allocates it (a third to a half of a pod's JSON, dozens of small objects). Only the member of the
 * event's object's metadata is cut (depth and enclosing key checked, strings skipped with their escapes); a
 * line without one, or of another shape, comes back as it is. Pure.
 */
export function withoutManagedFields(line: string): string {
  const at = line.indexOf(managedFieldsKey);
  if (at < 0) return line;
  // Up to `at`: depth 3 ({event {object {metadata), the objects opened right after "object": and "metadata":.
  const before = scanTo(line, 0, at, 0);
  if (before === undefined || before.depth !== 3 || !line.startsWith(metadataKey, before.opener - metadataKey.length)) return line;
  if (!line.startsWith(objectKey, openers[2]! - objectKey.length)) return line;
  // The array's end: its entries hold strings and objects only (ManagedFieldsEntry; fieldsV1 is objects of
  // objects), so the first "]" outside a string closes it.
  const close = arrayEnd(line, at + managedFieldsKey.length);
  if (close < 0) return line;
  const end = close + 1;
  const prev = line.charCodeAt(at - 1);
  const next = line.charCodeAt(end);
  if (prev === 44 /* , */) return line.slice(0, at - 1) + line.slice(end);
  if (next === 44) return line.slice(0, at) + line.slice(end + 1);
  return line.slice(0, at) + line.slice(end);
}

/** The first "]" from `from` on that is not inside a string; -1 when there is none. */
function arrayEnd(text: string, from: number): number {
  let bracket = text.indexOf(']', from);
  let quote = text.indexOf('"', from);
  while (bracket >= 0 && quote >= 0 && quote < bracket) {
    const close = stringEnd(text, quote);
    if (close < 0) return -1;
    if (close > bracket) bracket = text.indexOf(']', close + 1);
    quote = text.indexOf('"', close + 1);
  }
  return bracket;
}

/** Where the object or array open at each depth began (scanTo's scratch; deeper text is left as it is). */
const openers = new Int32Array(64);

/**
 * Walks JSON text from `from` (at `depth`) to `to`, skipping strings: the depth reached and where the innermost
 * open object or array began; or, when the walk closes back below the depth it started at, closedAt: where.
 * undefined for an unterminated string or nesting deeper than 63.
 */
function scanTo(text: string, from: number, to: number, depth: number): { depth: number; opener: number; closedAt: number } | undefined {
  const start = depth;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i = stringEnd(text, i);
      if (i < 0) return undefined;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth >= openers.length) return undefined;
      openers[depth] = i;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      if (--depth < start) return { depth, opener: -1, closedAt: i };
    }
  }
  return { depth, opener: depth > start ? openers[depth]! : -1, closedAt: -1 };
}

/** The index of the quote that closes the string opening at `open`; -1 when there is none. */
function stringEnd(text: string, open: number): number {
  let q = open;
  for (;;) {
    q = text.indexOf('"', q + 1);
    if (q < 0) return -1;
    let b = q - 1;
    while (text.charCodeAt(b) === 92 /* \\ */) b--;
    if ((q - 1 - b) % 2 === 0) return q; // an even number of backslashes before it: not escaped
  }
}
