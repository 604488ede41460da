// Sends a DNS query to upstream resolvers (the host's, from resolv.conf) and returns their answer: UDP
// first (as CoreDNS's forward with prefer_udp), TCP when the UDP answer is truncated; upstreams tried in
// order, each with a timeout. It never caches and never rewrites the answer except for the message ID.
// UDP goes over one shared socket per address family with ID remapping; TCP (rare) uses a connection per query.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';

export interface Upstream {
  host: string;
  port: number;
}

export interface ForwardOptions {
  timeoutMs?: number;
}

interface Pending {
  upstream: Upstream;
  /** The query's question section, which the answer must echo. */
  question: Buffer;
  finish: (reply: Buffer | undefined) => void;
}

/**
 * Forwards queries over one long-lived UDP socket per address family (as CoreDNS's forward plugin keeps its
 * connections), not a socket per query. Each query goes out under a fresh random ID that is not in flight;
 * an answer counts only from the upstream asked, with that ID and the same question, and gets the
 * query's own ID back.
 */
export class Forwarder {
  private readonly sockets = new Map<'udp4' | 'udp6', Socket>();
  private readonly pending = new Map<string, Map<number, Pending>>();
  private readonly timeoutMs: number;

  constructor(
    private readonly upstreams: Upstream[],
    opts: ForwardOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
  }

  /**
   * The first upstream answer (with the query's ID), or undefined when none answered. A truncated UDP answer
   * is fetched again over TCP only with `tcpFallback` (a client that asked over TCP, or the server's own
   * lookups); a client that asked over UDP gets the truncated answer and retries over TCP itself, as with
   * CoreDNS's forward plugin.
   */
  async forward(query: Buffer, opts: { tcpFallback?: boolean } = {}): Promise<Buffer | undefined> {
    const question = questionOf(query);
    if (!question) return undefined;
    for (const u of this.upstreams) {
      try {
        let reply = await this.udpExchange(u, query, question);
        const truncated = reply !== undefined && (reply[2]! & 0x02) !== 0;
        if (!reply || (truncated && opts.tcpFallback)) reply = await tcpExchange(u, query, this.timeoutMs);
        if (reply && reply.length >= 12) return reply;
      } catch {
        // next upstream
      }
    }
    return undefined;
  }

  close(): void {
    for (const [, byId] of this.pending) for (const [, p] of byId) p.finish(undefined);
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }

  private socket(family: 'udp4' | 'udp6'): Socket {
    let sock = this.sockets.get(family);
    if (sock) return sock;
    const s = createSocket(family);
    s.unref();
    s.on('message', (msg, rinfo) => {
      if (msg.length < 12) return;
      const byId = this.pending.get(family);
      const p = byId?.get(msg.readUInt16BE(0));
      if (!p || rinfo.port !== p.upstream.port || !sameAddress(rinfo.address, p.upstream.host)) return;
      const q = msg.subarray(12, 12 + p.question.length);
      if (!q.equals(p.question) && q.toString('latin1').toLowerCase() !== p.question.toString('latin1').toLowerCase()) return;
      p.finish(msg);
    });
    s.on('error', () => {
      // Every query in flight on this socket fails over to the next upstream; the next query gets a new socket.
      this.sockets.delete(family);
      for (const [, p] of this.pending.get(family) ?? []) p.finish(undefined);
      s.close();
    });
    this.sockets.set(family, s);
    return s;
  }

  private udpExchange(u: Upstream, query: Buffer, question: Buffer): Promise<Buffer | undefined> {
    const family = isIPv6(u.host) ? 'udp6' : 'udp4';
    let byId = this.pending.get(family);
    if (!byId) this.pending.set(family, (byId = new Map()));
    if (byId.size >= 65536) return Promise.resolve(undefined);
    let id = randomId();
    while (byId.has(id)) id = (id + 1) & 0xffff;
    const out = Buffer.from(query);
    out.writeUInt16BE(id, 0);
    const ids = byId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      const finish = (reply: Buffer | undefined) => {
        if (ids.get(id) !== pending) return;
        clearTimeout(timer);
        ids.delete(id);
        if (reply) query.copy(reply, 0, 0, 2);
        resolve(reply);
      };
      const pending: Pending = { upstream: u, question, finish };
      ids.set(id, pending);
      this.socket(family).send(out, u.port, u.host, (err) => err && finish(undefined));
    });
  }
}

/** The question section of a query with one question (name + type + class), or undefined. */
export function questionOf(query: Buffer): Buffer | undefined {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined;
  let i = 12;
  while (i < query.length) {
    const len = query[i]!;
    if (len === 0) break;
    if (len >= 0xc0) return undefined; // a first name has nothing before it to point to
    i += 1 + len;
  }
  const end = i + 1 + 4;
  return end <= query.length ? query.subarray(12, end) : undefined;
}

function randomId(): number {
  return randomBytes(2).readUInt16BE(0);
}

function sameAddress(a: string, b: string): boolean {
  return a === b || a.replace(/^::ffff:/, '') === b.replace(/^::ffff:/, '');
}

function tcpExchange(u: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ host: u.host, port: u.port });
    let buf = Buffer.alloc(0);
    const finish = (b: Buffer | undefined) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(b);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    sock.on('error', () => finish(undefined));
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) finish(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    sock.on('end', () => finish(undefined));
  });
}

/** nameserver lines of a resolv.conf, as upstreams on port 53. */
export function upstreamsFromResolvConf(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) out.push({ host: m[1]!.replace(/%.*$/, ''), port: 53 });
  }
  return out;
}
