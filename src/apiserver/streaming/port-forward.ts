// Serves port-forwarding over a SPDY session (raw `Upgrade: SPDY/3.1`, or tunnelled in WebSocket messages), as
// upstream's portforward server: for every forwarded connection the client opens an "error" and a "data"
// stream carrying the same `port` and `requestid` headers; once both are there we connect to the port in the
// pod and copy bytes both ways. Failures are written as text on the error stream. It must not know how the
// pod's port is reached: `connect` does that.
import type { Duplex } from 'node:stream';
import type { SpdySession, SpdyStream } from './spdy-session.js';

export interface PortForwardTarget {
  /** Opens a connection to `port` inside the pod. */
  connect(port: number): Promise<Duplex>;
  /** For messages: "<pod name>, uid <uid>" as upstream words them. */
  describe: string;
  log?: (line: string) => void;
}

/** A port header as a TCP port, or an error message (pure). */
export function parsePortHeader(value: string | undefined): number | string {
  if (value === undefined || value === '') return 'port header is missing';
  if (!/^\d+$/.test(value)) return `unable to parse "${value}" as a port: invalid syntax`;
  const n = Number(value);
  if (n < 1 || n > 65535) return `port "${value}" must be > 0 and < 65536`;
  return n;
}

interface Pair {
  data?: SpdyStream;
  error?: SpdyStream;
}

export function servePortForwardSpdy(session: SpdySession, target: PortForwardTarget): void {
  const pairs = new Map<string, Pair>();
  session.on('stream', (stream) => {
    stream.reply();
    const type = stream.headers['streamtype'];
    // Clients before requestid paired streams by id (error = data - 2); fall back to that.
    const key = stream.headers['requestid'] ?? String(type === 'error' ? stream.id + 2 : stream.id);
    if (type !== 'data' && type !== 'error') {
      stream.reset();
      return;
    }
    const pair = pairs.get(key) ?? {};
    if (pair[type]) {
      stream.reset();
      return;
    }
    pair[type] = stream;
    pairs.set(key, pair);
    if (pair.data && pair.error) {
      pairs.delete(key);
      void forward(pair.data, pair.error, target);
    }
  });
}

async function forward(data: SpdyStream, error: SpdyStream, target: PortForwardTarget): Promise<void> {
  // The client half-closes the error stream at once; it only reads from it.
  error.incoming.resume();
  const port = parsePortHeader(data.headers['port']);
  const fail = (message: string) => {
    error.outgoing.end(Buffer.from(message));
    data.outgoing.end();
  };
  if (typeof port === 'string') return fail(port);
  let conn: Duplex;
  try {
    conn = await target.connect(port);
  } catch (err) {
    return fail(`error forwarding port ${port} to pod ${target.describe}: ${err instanceof Error ? err.message : String(err)}`);
  }
  await new Promise<void>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      // Whatever the client still sends for this connection is dropped, so it never holds up the session.
      data.incoming.unpipe();
      data.incoming.resume();
      resolve();
    };
    conn.on('error', (err) => {
      target.log?.(`port-forward ${target.describe}:${port}: ${err.message}`);
      if (!error.isLocalClosed) error.outgoing.write(Buffer.from(`error forwarding port ${port} to pod ${target.describe}: ${err.message}`));
      data.outgoing.end();
      finish();
    });
    data.incoming.pipe(conn);
    conn.pipe(data.outgoing);
    conn.on('close', finish);
    data.outgoing.on('finish', finish);
    data.on('reset', () => {
      conn.destroy();
      finish();
    });
  });
  error.outgoing.end();
}
