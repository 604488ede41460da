// Watch streams: newline-delimited JSON events from the watch cache, headers flushed at once (kubectl waits
// on them), initial state for resourceVersion "" / "0" and sendInitialEvents, bookmarks when asked,
// timeoutSeconds, 410 as an ERROR event when the revision is gone, and a slow client cut off instead of
// buffering without bound. Serialization is shared between watchers of the same event and shape.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { KubeObject } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import { errors, StatusError } from '../../api/errors.js';
import { CompactedError } from '../../storage/store.js';
import type { CacheEvent } from '../../storage/watch-cache.js';
import { isTrue } from '../request-info.js';
import type { ResponseShape } from '../negotiation.js';
import { shapeResponse, type IncludeObject } from '../render.js';
import { buildFilter } from './selectors.js';
import { waitForCache } from './read.js';
import type { RestDeps, RestRequest } from './types.js';

export interface WatchSettings {
  /** Bookmark interval for watchers that allow them (upstream: about a minute). */
  bookmarkIntervalMs: number;
  /** Server-side default watch duration bounds (upstream: random in [min-request-timeout, 2×]). */
  minTimeoutSeconds: number;
  /** Bytes queued on a socket before a watcher is considered stuck and cut off. */
  maxBufferedBytes: number;
}

export const defaultWatchSettings: WatchSettings = {
  bookmarkIntervalMs: 60_000,
  minTimeoutSeconds: 1800,
  maxBufferedBytes: 32 * 1024 * 1024,
};

type WireType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

// Memoized per event: one serialization, already framed as an HTTP/1.1 chunk, per (served version, shape)
// no matter how many watchers — each watcher's socket then gets the very same bytes. Only the most recent
// events keep theirs (an event reaches every live watcher at once; a replay from the watch cache's history,
// which may hold 100,000 events after a burst, serializes again), so the memo stays a few MiB.
const encoded = new Map<CacheEvent, Map<string, Buffer>>();
const maxEncodedEvents = 1024;

// The live events the watch cache dispatches together (a store commit group's events reach it in one
// microtask: ~50 per group while pods are created at a few hundred per second) leave each stream in one write:
// its socket is corked at the first event and every socket corked so is uncorked together in a microtask
// queued then, which runs once the dispatch is over and before any I/O (no added latency). N events become one
// writev instead of N writes (a system call each, and a TLS record each for HTTPS watchers).
const corked = new Set<Socket>();
let uncorkScheduled = false;

function uncorkAll(): void {
  uncorkScheduled = false;
  const sockets = [...corked];
  corked.clear();
  for (const s of sockets) s.uncork();
}

/** Writes `framed` to `socket` once the current dispatch is over, together with the dispatch's other events. */
export function writeBatched(socket: Socket, framed: Buffer): void {
  if (!corked.has(socket)) {
    socket.cork();
    corked.add(socket);
    if (!uncorkScheduled) {
      uncorkScheduled = true;
      queueMicrotask(uncorkAll);
    }
  }
  socket.write(framed);
}

/**
 * One watch event line framed as an HTTP/1.1 chunk ("<hex length>\r\n<line>\r\n"), in a buffer of its own
 * exact size: a memoized chunk lives while its event is among the last `maxEncodedEvents` encoded, and a
 * pooled buffer would keep its whole 8 KiB pool slab (and the slab's other, dead slices) alive with it.
 */
export function chunk(line: string): Buffer {
  const size = Buffer.byteLength(line, 'utf8');
  const head = `${size.toString(16)}\r\n`;
  const out = Buffer.allocUnsafeSlow(head.length + size + 2);
  out.write(head, 0, 'latin1');
  out.write(line, head.length, 'utf8');
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}

export async function serveWatch(
  deps: RestDeps,
  req: RestRequest,
  res: ServerResponse,
  shape: ResponseShape,
  include: IncludeObject,
  settings: WatchSettings,
): Promise<void> {
  const { rt, info, query } = req;
  const filter = buildFilter(rt, query);
  // Watching a named object (/pods/x?watch=true) filters by name.
  const matches = info.name
    ? (o: KubeObject) => o.metadata.name === info.name && filter.matches(o)
    : filter.active
      ? filter.matches
      : undefined;
  const rvParam = query.get('resourceVersion') ?? '';
  if (rvParam && !/^\d+$/.test(rvParam)) throw errors.badRequest(`Invalid value: "${rvParam}": resourceVersion must be an integer`);
  const allowBookmarks = isTrue(query.get('allowWatchBookmarks'));
  const sendInitialRaw = query.get('sendInitialEvents');
  const sendInitial = sendInitialRaw === null ? rvParam === '' || rvParam === '0' : isTrue(sendInitialRaw);
  if (sendInitialRaw !== null && isTrue(sendInitialRaw) && (!allowBookmarks || query.get('resourceVersionMatch') !== 'NotOlderThan')) {
    throw errors.invalid('', 'ListOptions', '', [
      { reason: 'FieldValueForbidden', field: 'sendInitialEvents', message: 'Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled' },
    ]);
  }
  const timeoutRaw = query.get('timeoutSeconds');
  let timeoutSeconds = settings.minTimeoutSeconds * (1 + Math.random());
  if (timeoutRaw !== null && timeoutRaw !== '') {
    const t = Number(timeoutRaw);
    if (!Number.isFinite(t) || t < 0) throw errors.badRequest(`timeoutSeconds must be a non-negative number, got "${timeoutRaw}"`);
    timeoutSeconds = t;
  }

  const cache = await deps.storage.cache(rt);
  let startRv = rvParam === '' ? 0 : Number(rvParam);
  if (rvParam === '') await waitForCache(deps, cache).catch(() => undefined);
  else if (startRv > cache.revision) await waitForCache(deps, cache, startRv);
  const prefix = deps.storage.collectionPrefix(rt, info.namespace);

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();

  let closed = false;
  let sentHeaders = shape.kind !== 'table';
  const servedApiVersion = apiVersionOf(rt.group, rt.version);

  const serialize = (type: WireType, obj: KubeObject): string => {
    const served = deps.storage.toServed(rt, obj);
    const noHeaders = sentHeaders;
    sentHeaders = true;
    const shaped = shapeResponse(rt, served, shape, include, { noHeaders });
    // An object this server has just written: its JSON from the write.
    const json = shaped === obj ? deps.storage.servedJson(obj) : undefined;
    return `{"type":"${type}","object":${json ?? JSON.stringify(shaped)}}\n`;
  };
  const key = `${rt.version}|${shape.kind}|${include}`;
  const lineFor = (e: CacheEvent): Buffer => {
    if (!sentHeaders) return chunk(serialize(e.type, e.object));
    let m = encoded.get(e);
    if (!m) {
      m = new Map();
      encoded.set(e, m);
      if (encoded.size > maxEncodedEvents) encoded.delete(encoded.keys().next().value!);
    }
    let framed = m.get(key);
    if (framed === undefined) {
      framed = chunk(serialize(e.type, e.object));
      m.set(key, framed);
    }
    return framed;
  };
  // Headers went out with chunked transfer encoding; framed chunks go straight to the socket (one write of
  // shared bytes per watcher, no per-watcher encoding). The final chunk comes from res.end().
  const socket = res.socket;
  // The client went away while the watch waited for the cache: its 'close' has been emitted already, so
  // no timer may be started (a bookmark on a detached response used to throw and end the server).
  if (socket === null || socket.destroyed) return;
  /** Writes now, or with `batched` once the dispatch is over (writeBatched); cuts off a watcher that stopped reading. */
  const write = (framed: Buffer, batched = false) => {
    if (closed) return;
    if (socket.writableLength > settings.maxBufferedBytes) {
      finish();
      return;
    }
    if (batched) writeBatched(socket, framed);
    else socket.write(framed);
  };

  let watch: { close(): void } | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let lastRevision = startRv;
  const finish = () => {
    if (closed) return;
    closed = true;
    watch?.close();
    clearInterval(bookmarkTimer);
    clearTimeout(timeoutTimer);
    res.end();
  };
  const timeoutTimer = setTimeout(finish, Math.max(0, timeoutSeconds * 1000));
  res.on('close', finish);

  const bookmark = (extra?: Record<string, string>) => {
    const meta: Record<string, unknown> = { resourceVersion: String(Math.max(lastRevision, cache.revision)) };
    if (extra) meta['annotations'] = extra;
    write(chunk(`{"type":"BOOKMARK","object":${JSON.stringify({ kind: rt.kind, apiVersion: servedApiVersion, metadata: meta })}}\n`));
  };

  try {
    if (sendInitial) {
      const snapshot = cache.list(prefix, { filter: matches });
      for (const o of snapshot.items) write(chunk(serialize('ADDED', o)));
      startRv = snapshot.revision;
      lastRevision = startRv;
      if (sendInitialRaw !== null && allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else if (rvParam === '') {
      startRv = cache.revision;
    }
    watch = cache.watch(prefix, startRv, matches, {
      onEvent: (e) => {
        lastRevision = e.revision;
        write(lineFor(e), true);
      },
      onClose: () => finish(),
    }, info.name ? { field: 'metadata.name', value: info.name, valueOf: (o) => o.metadata.name ?? '' } : filter.index);
  } catch (err) {
    if (err instanceof CompactedError) {
      const st = errors.gone(`too old resource version: ${startRv} (${err.compacted + 1})`).toStatus();
      write(chunk(`{"type":"ERROR","object":${JSON.stringify(st)}}\n`));
      finish();
      return;
    }
    if (err instanceof StatusError) {
      write(chunk(`{"type":"ERROR","object":${JSON.stringify(err.toStatus())}}\n`));
      finish();
      return;
    }
    throw err;
  }
  if (allowBookmarks) bookmarkTimer = setInterval(() => bookmark(), settings.bookmarkIntervalMs);
}
