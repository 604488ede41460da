// The events of a watch stream as a discriminated union, and the decoding of one line of the
// newline-delimited JSON stream into one. No I/O.
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
