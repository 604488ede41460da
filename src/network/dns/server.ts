// The cluster DNS server: UDP and TCP on one address and port, answering the cluster zone from the resolver
// and forwarding everything else to upstream resolvers. Thin by design: packet decoding and encoding,
// truncation to the client's UDP size (TC bit, the client retries over TCP), EDNS echo, error codes.
// Name semantics live in resolver.ts.
import { createSocket, type Socket, type SocketOptions } from 'node:dgram';
import { lookup } from 'node:dns';
import { createServer, isIP, isIPv6, type Server, type Socket as TcpSocket } from 'node:net';
import * as dns from 'dns-packet';
import { AnswerCache, recordTtls } from './answer-cache.js';
import { dnsScopes, type DnsCatalog } from './catalog.js';
import { Forwarder, type Upstream } from './forwarder.js';
import { canonicalName, resolve, type DnsRecord, type ZoneConfig } from './resolver.js';

export interface DnsServerOptions {
  catalog: DnsCatalog;
  zone: ZoneConfig;
  /** Listening address; port 0 = the same ephemeral port for UDP and TCP. */
  host: string;
  port: number;
  upstreams: Upstream[];
  forwardTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface DnsServer {
  host: string;
  port: number;
  stats(): { queries: number; forwarded: number; truncated: number; errors: number; cacheHits: number };
  stop(): Promise<void>;
}

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const maxUdpPayload = 4096;
/** Forwarded answers are cached for their TTL, at most this long (CoreDNS's default Corefile: `cache 30`). */
const maxForwardedCacheSeconds = 30;
const tcpIdleMs = 10_000;
/** Room for bursts while the event loop is busy (capped by net.core.rmem_max). */
const udpRecvBuffer = 4 * 1024 * 1024;

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const log = opts.log ?? (() => {});
  const stats = { queries: 0, forwarded: 0, truncated: 0, errors: 0, cacheHits: 0 };
  const cache = new AnswerCache();
  const family = isIPv6(opts.host) ? 'udp6' : 'udp4';
  const { udp, tcp, port } = await bindBoth(opts.host, opts.port, family);
  const tcpSockets = new Set<TcpSocket>();
  const forwarder = new Forwarder(opts.upstreams, { timeoutMs: opts.forwardTimeoutMs });
  const generationOf = (scope: string) => opts.catalog.generation(scope);

  /** An answer not in the cache: decoded, resolved (or forwarded), encoded, then cached when cacheable. */
  const answerUncached = async (msg: Buffer, overTcp: boolean): Promise<Buffer | undefined> => {
    let q: dns.DecodedPacket;
    try {
      q = dns.decode(msg);
    } catch {
      stats.errors++;
      return msg.length >= 12 ? errorReply(msg, RCODE.FORMERR) : undefined;
    }
    if (q.type !== 'query') return undefined;
    const opcode = ((q.flags ?? 0) >> 11) & 0xf;
    if (opcode !== 0) return encodeReply(q, RCODE.NOTIMP, [], [], []);
    const question = q.questions?.[0];
    if (!question || (q.questions?.length ?? 0) !== 1) return encodeReply(q, RCODE.FORMERR, [], [], []);
    const r = resolve(opts.catalog, opts.zone, question.name, question.type);
    // Read in the same turn as the resolution: a change after this point makes the cached copy stale at once.
    const generation = r.kind === 'answer' ? opts.catalog.generation(r.scope) : 0;
    if (r.kind === 'forward') {
      stats.forwarded++;
      const reply = await forwarder.forward(msg, { tcpFallback: overTcp });
      if (!reply) return encodeReply(q, RCODE.SERVFAIL, [], [], []);
      // Answers and NXDOMAIN/NODATA (with their SOA) are cached as CoreDNS's `cache 30`; truncated ones are not.
      const rcode = reply[3]! & 0x0f;
      const ttls = (reply[2]! & 0x02) === 0 && (rcode === RCODE.NOERROR || rcode === RCODE.NXDOMAIN) ? recordTtls(reply) : undefined;
      if (ttls && ttls.minTtl > 0) cache.set(msg, overTcp, dnsScopes.forwarded, opts.catalog.generation(dnsScopes.forwarded), reply, { seconds: Math.min(ttls.minTtl, maxForwardedCacheSeconds), ttlOffsets: ttls.ttlOffsets });
      return reply;
    }
    const answers: Array<DnsRecord | dns.Answer> = [...r.answers];
    // An ExternalName's target outside the cluster: resolve it upstream, as CoreDNS does.
    const last = r.answers[r.answers.length - 1];
    const chased = last?.type === 'CNAME' && question.type !== 'CNAME' && !isInZone(last.data, opts.zone.zone);
    if (chased) answers.push(...(await chase(forwarder, last.data, question.type)));
    const limit = overTcp ? 65535 : udpLimit(q);
    let out = encodeReply(q, RCODE[r.rcode], answers, r.authorities, r.additionals);
    if (out.length > limit) {
      stats.truncated++;
      out = truncate(q, RCODE[r.rcode], answers, r.authorities, limit);
    }
    if (!chased) cache.set(msg, overTcp, r.scope, generation, out);
    return out;
  };

  /**
   * Answers one query over either transport: from the answer cache synchronously (the query's ID, then the
   * cached bytes after the cached ID: nothing copied), otherwise through answerUncached.
   */
  const respond = (msg: Buffer, overTcp: boolean, send: (id: Buffer, rest: Buffer) => void): void => {
    stats.queries++;
    const hit = cache.lookup(msg, overTcp, generationOf);
    if (hit) {
      stats.cacheHits++;
      send(msg.subarray(0, 2), hit.subarray(2));
      return;
    }
    answerUncached(msg, overTcp).then(
      (reply) => reply && send(reply.subarray(0, 2), reply.subarray(2)),
      (err) => {
        stats.errors++;
        log(`dns: ${String(err)}`);
      },
    );
  };

  let closed = false;
  udp.on('message', (msg, rinfo) =>
    respond(msg, false, (id, rest) => {
      if (!closed) udp.send([id, rest], rinfo.port, rinfo.address); // a slow answer may finish after stop()
    }),
  );
  tcp.on('connection', (sock) => {
    tcpSockets.add(sock);
    sock.setTimeout(tcpIdleMs, () => sock.destroy());
    sock.on('close', () => tcpSockets.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = Buffer.alloc(0);
    const send = (id: Buffer, rest: Buffer) => {
      if (sock.destroyed) return;
      const len = Buffer.allocUnsafe(2);
      len.writeUInt16BE(id.length + rest.length);
      sock.write(Buffer.concat([len, id, rest]));
    };
    sock.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        respond(Buffer.from(msg), true, send);
      }
    });
  });

  return {
    host: opts.host,
    port,
    stats: () => ({ ...stats }),
    stop: async () => {
      closed = true;
      for (const s of tcpSockets) s.destroy();
      forwarder.close();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}

function isInZone(name: string, zone: string): boolean {
  const n = canonicalName(name);
  const z = canonicalName(zone);
  return n === z || n.endsWith(`.${z}`);
}

async function chase(forwarder: Forwarder, target: string, type: string): Promise<dns.Answer[]> {
  const query = dns.encode({ type: 'query', id: 0, flags: dns.RECURSION_DESIRED, questions: [{ name: target, type: type as dns.RecordType }] });
  const reply = await forwarder.forward(query, { tcpFallback: true });
  if (!reply) return [];
  try {
    return dns.decode(reply).answers ?? [];
  } catch {
    return [];
  }
}

function udpLimit(q: dns.DecodedPacket): number {
  const opt = q.additionals?.find((a) => a.type === 'OPT') as dns.OptAnswer | undefined;
  return opt ? Math.min(Math.max(opt.udpPayloadSize, 512), maxUdpPayload) : 512;
}

function toAnswer(r: DnsRecord | dns.Answer): dns.Answer {
  return r as dns.Answer;
}

function encodeReply(q: dns.DecodedPacket, rcode: number, answers: Array<DnsRecord | dns.Answer>, authorities: DnsRecord[], additionals: DnsRecord[], truncated = false): Buffer {
  const rd = (q.flags ?? 0) & dns.RECURSION_DESIRED;
  const opt = q.additionals?.find((a) => a.type === 'OPT');
  const extra: dns.Answer[] = additionals.map(toAnswer);
  if (opt) extra.push({ type: 'OPT', name: '.', udpPayloadSize: maxUdpPayload, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] } as unknown as dns.Answer);
  return dns.encode({
    type: 'response',
    id: q.id,
    flags: dns.AUTHORITATIVE_ANSWER | rd | dns.RECURSION_AVAILABLE | (truncated ? dns.TRUNCATED_RESPONSE : 0) | rcode,
    questions: q.questions,
    answers: answers.map(toAnswer),
    authorities: authorities.map(toAnswer),
    additionals: extra,
  });
}

/** Keeps whole records while the message fits: additionals go first, then answers from the end. */
function truncate(q: dns.DecodedPacket, rcode: number, answers: Array<DnsRecord | dns.Answer>, authorities: DnsRecord[], limit: number): Buffer {
  let out = encodeReply(q, rcode, answers, authorities, [], true);
  let n = answers.length;
  while (out.length > limit && n > 0) out = encodeReply(q, rcode, answers.slice(0, --n), [], [], true);
  return out;
}

function errorReply(msg: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  msg.copy(out, 0, 0, 2);
  out.writeUInt16BE(0x8000 | rcode, 2);
  return out;
}

/**
 * dgram's address lookup for sends. Replies go to the address a query came from, always an IP literal:
 * answering it synchronously sends at once instead of after a dns.lookup round through process.nextTick.
 */
const literalLookup = ((address: string, family: number, callback: (err: Error | null, address: string, family: number) => void): void => {
  if (isIP(address)) callback(null, address, family);
  else lookup(address, family, callback);
}) as unknown as NonNullable<SocketOptions['lookup']>;

async function bindBoth(host: string, port: number, family: 'udp4' | 'udp6'): Promise<{ udp: Socket; tcp: Server; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket({ type: family, reuseAddr: false, recvBufferSize: udpRecvBuffer, lookup: literalLookup });
    try {
      await new Promise<void>((res, rej) => {
        udp.once('error', rej);
        udp.bind(port, host, () => {
          udp.off('error', rej);
          res();
        });
      });
    } catch (e) {
      udp.close();
      throw e;
    }
    const bound = udp.address().port;
    const tcp = createServer();
    try {
      await new Promise<void>((res, rej) => {
        tcp.once('error', rej);
        tcp.listen(bound, host, () => {
          tcp.off('error', rej);
          res();
        });
      });
      return { udp, tcp, port: bound };
    } catch (e) {
      udp.close();
      // The ephemeral UDP port may be taken on TCP: try another (only when we chose the port).
      if (port !== 0 || attempt >= 10) throw e;
    }
  }
}
