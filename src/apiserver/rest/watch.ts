// Watch streams: newline-delimited JSON events from the watch cache, headers flushed at once (kubectl waits
// on them), initial state for resourceVersion "" / "0" and sendInitialEvents, bookmarks when asked,
// timeoutSeconds, 410 as an ERROR event when the revision is gone, and a slow client cut off instead of
// buffering without bound. Serialization is shared between watchers of the same event and shape. The lines
// go to a WatchSink: an HTTP response (httpWatchSink), or the stream of a component in the server's process
// (server.ts, in-process-transport.ts), which then takes the very same lines without HTTP or a socket.
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
import { innerMap } from '../../util/nested-map.js';
import type { RestDeps, RestRequest } from './types.js';

export interface WatchSettings {
  /** Bookmark interval for watchers that allow them (upstream: about a minute). */
  bookmarkIntervalMs: number;
  /** Server-side default watch duration bounds (upstream: random in [min-request-timeout, 2×]). */
  minTimeoutSeconds: number;
  /**
   * What may be queued for a watcher before it is considered stuck and cut off: bytes on its socket, or in
   * process the UTF-16 units its consumer has not taken yet.
   */
  maxBufferedBytes: number;
}

export const defaultWatchSettings: WatchSettings = {
  bookmarkIntervalMs: 60_000,
  minTimeoutSeconds: 1800,
  maxBufferedBytes: 32 * 1024 * 1024,
};

type WireType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** Where a watch stream's lines go. */
export interface WatchSink {
  /** True: lines are written framed as HTTP/1.1 chunks (Buffers, chunk()); false: as strings without newline. */
  readonly framed: boolean;
  /** Starts the 200 response; false when the client is gone already (the watch then ends at once). */
  open(): boolean;
  /** One line as `framed` says; `batched`: a live event, which may leave with the others of the same dispatch. */
  write(line: Buffer | string, batched: boolean): void;
  /** What is queued for the client and not yet taken by it (the bound is WatchSettings.maxBufferedBytes). */
  backlog(): number;
  /** Ends the stream: the client sees a normal end. */
  end(): void;
  /** `cb` once the client went away (or the stream ended). */
  onClose(cb: () => void): void;
}

// Memoized per event during its dispatch: one serialization per (served version, shape) no matter how many
// watchers, as a string (in-process watchers take it as it is) and framed as an HTTP/1.1 chunk (each
// watcher's socket then gets the very same bytes). Every live watcher gets an event in the one dispatch that
// made it, so the memo is forgotten once the dispatch is over: a line or chunk kept longer (the chunks used
// to be kept for the last 1,024 events) is copied by the young-generation collector and promoted with its
// Map, and a replay from the watch cache's history serializes again anyway. By shape first (a handful, kept):
// no Map per event.
const recentLines = new Map<string, Map<CacheEvent, string>>();
const recentChunks = new Map<string, Map<CacheEvent, Buffer>>();
let forgetScheduled = false;

function forgetRecent(): void {
  forgetScheduled = false;
  for (const m of recentLines.values()) m.clear();
  for (const m of recentChunks.values()) m.clear();
}

/** Forgets this dispatch's lines and chunks once it is over (a microtask queued at its first event). */
function forgetAfterDispatch(): void {
  if (forgetScheduled) return;
  forgetScheduled = true;
  queueMicrotask(forgetRecent);
}

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
 * One watch event line and its newline framed as an HTTP/1.1 chunk ("<hex length>\r\n<line>\n\r\n"), in a
 * buffer of its own exact size: a chunk lives until every socket it was written to has sent it (a slow
 * client's for long), and a pooled buffer would keep its whole 8 KiB pool slab (and the slab's other, dead
 * slices) alive.
 */
export function chunk(line: string): Buffer {
  const size = Buffer.byteLength(line, 'utf8') + 1;
  const head = `${size.toString(16)}\r\n`;
  const out = Buffer.allocUnsafeSlow(head.length + size + 2);
  out.write(head, 0, 'latin1');
  out.write(line, head.length, 'utf8');
  out[out.length - 3] = 10;
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}

/**
 * A watch over HTTP: headers flushed at once (kubectl waits on them), then each line as a chunk straight to
 * the socket (shared bytes, no per-watcher encoding); the final chunk comes from res.end(). The backlog is
 * what the socket has not handed to the kernel yet.
 */
export function httpWatchSink(res: ServerResponse): WatchSink {
  let socket: Socket | null = null;
  return {
    framed: true,
    open() {
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Cache-Control': 'no-cache, private',
        'Transfer-Encoding': 'chunked',
      });
      res.flushHeaders();
      socket = res.socket;
      // The client went away while the watch waited for the cache: its 'close' has been emitted already.
      return socket !== null && !socket.destroyed;
    },
    write(framed, batched) {
      if (batched) writeBatched(socket!, framed as Buffer);
      else socket!.write(framed);
    },
    backlog: () => socket!.writableLength,
    end: () => res.end(),
    onClose: (cb) => res.on('close', cb),
  };
}

export async function serveWatch(
  deps: RestDeps,
  req: RestRequest,
  sink: WatchSink,
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

  // The client went away while the watch waited for the cache: no timer may be started (a bookmark on a
  // detached response used to throw and end the server).
  if (!sink.open()) return;

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
    return `{"type":"${type}","object":${json ?? JSON.stringify(shaped)}}`;
  };
  const key = `${rt.version}|${shape.kind}|${include}`;
  const lines = innerMap(recentLines, key);
  const chunks = innerMap(recentChunks, key);
  /** An event's line, shared with the other watchers of the same shape during this dispatch. */
  const textFor = (e: CacheEvent): string => {
    if (!sentHeaders) return serialize(e.type, e.object);
    let line = lines.get(e);
    if (line === undefined) {
      line = serialize(e.type, e.object);
      lines.set(e, line);
      forgetAfterDispatch();
    }
    return line;
  };
  /** An event's framed line, shared with the other watchers of the same shape during this dispatch. */
  const chunkFor = (e: CacheEvent): Buffer => {
    if (!sentHeaders) return chunk(serialize(e.type, e.object));
    let framed = chunks.get(e);
    if (framed === undefined) {
      framed = chunk(textFor(e));
      chunks.set(e, framed);
      forgetAfterDispatch();
    }
    return framed;
  };
  const lineFor: (e: CacheEvent) => Buffer | string = sink.framed ? chunkFor : textFor;
  /** Writes now, or with `batched` once the dispatch is over (writeBatched); cuts off a watcher that stopped reading. */
  const write = (line: Buffer | string, batched = false) => {
    if (closed) return;
    if (sink.backlog() > settings.maxBufferedBytes) {
      finish();
      return;
    }
    sink.write(line, batched);
  };
  /** A line made for this watcher alone, as the sink takes it. */
  const own = (line: string) => (sink.framed ? chunk(line) : line);

  let watch: { close(): void } | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let lastRevision = startRv;
  const finish = () => {
    if (closed) return;
    closed = true;
    watch?.close();
    clearInterval(bookmarkTimer);
    clearTimeout(timeoutTimer);
    sink.end();
  };
  const timeoutTimer = setTimeout(finish, Math.max(0, timeoutSeconds * 1000));
  sink.onClose(finish);

  const bookmark = (extra?: Record<string, string>) => {
    const meta: Record<string, unknown> = { resourceVersion: String(Math.max(lastRevision, cache.revision)) };
    if (extra) meta['annotations'] = extra;
    write(own(`{"type":"BOOKMARK","object":${JSON.stringify({ kind: rt.kind, apiVersion: servedApiVersion, metadata: meta })}}`));
  };

  try {
    if (sendInitial) {
      const snapshot = cache.list(prefix, { filter: matches });
      for (const o of snapshot.items) write(own(serialize('ADDED', o)));
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
      write(own(`{"type":"ERROR","object":${JSON.stringify(st)}}`));
      finish();
      return;
    }
    if (err instanceof StatusError) {
      write(own(`{"type":"ERROR","object":${JSON.stringify(err.toStatus())}}`));
      finish();
      return;
    }
    throw err;
  }
  if (allowBookmarks) bookmarkTimer = setInterval(() => bookmark(), settings.bookmarkIntervalMs);
}
