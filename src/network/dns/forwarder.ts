// Sends a DNS query to upstream resolvers (the host's, from resolv.conf) and returns their answer: UDP
// first (as CoreDNS's forward with prefer_udp), TCP when the UDP answer is truncated; upstreams tried in
// order, each with a timeout. It never caches and never rewrites the answer except for the message ID.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { isIPv6 } from 'node:net';

export interface Upstream {
  host: string;
  port: number;
}

export interface ForwardOptions {
  timeoutMs?: number;
}

/** The first upstream answer (with the query's ID), or undefined when none answered. */
export async function forwardQuery(upstreams: Upstream[], query: Buffer, opts: ForwardOptions = {}): Promise<Buffer | undefined> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  for (const u of upstreams) {
    try {
      let reply = await udpExchange(u, query, timeoutMs);
      if (!reply || (reply.length > 2 && (reply[2]! & 0x02) !== 0)) reply = await tcpExchange(u, query, timeoutMs);
      if (reply && reply.length >= 2) return reply;
    } catch {
      // next upstream
    }
  }
  return undefined;
}

function udpExchange(u: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket(isIPv6(u.host) ? 'udp6' : 'udp4');
    const finish = (b: Buffer | undefined) => {
      clearTimeout(timer);
      sock.close();
      resolve(b);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    sock.on('error', () => finish(undefined));
    sock.on('message', (msg) => {
      if (msg.length >= 2 && msg.readUInt16BE(0) === query.readUInt16BE(0)) finish(msg);
    });
    sock.send(query, u.port, u.host);
  });
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
