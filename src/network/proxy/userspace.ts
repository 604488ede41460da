// The userspace data path, for agents without root: one loopback listener per Service port (TCP or UDP,
// ephemeral port, stable while the Service port exists) relaying to the endpoints — round-robin, ClientIP
// affinity with its timeout, the next endpoint tried when a TCP connect fails (as kube-proxy's old
// userspace mode). Cluster IPs and NodePorts are not reachable in this mode; callers learn the loopback
// address of each Service port from listeners().
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, isIPv6, type Server, type Socket } from 'node:net';
import type { DataPath, SyncResult } from './data-path.js';
import type { L4Protocol, ProxyEndpoint, ServicePortRoute } from './service-ports.js';

export interface UserspaceListener {
  id: string;
  namespace: string;
  name: string;
  portName: string;
  protocol: L4Protocol;
  /** The Service port. */
  port: number;
  host: string;
  listenPort: number;
}

const udpIdleMs = 60_000;
const connectTimeoutMs = 5000;

/** Endpoint choice for one Service port: round-robin with optional ClientIP affinity. */
export class Balancer {
  private next = 0;
  private readonly affinity = new Map<string, { ep: string; until: number }>();
  endpoints: ProxyEndpoint[] = [];
  affinityMs = 0;

  /** Up to `count` distinct endpoints in the order to try them. */
  pick(clientIP: string, count: number, now = Date.now()): ProxyEndpoint[] {
    const eps = this.endpoints;
    if (eps.length === 0) return [];
    const out: ProxyEndpoint[] = [];
    if (this.affinityMs > 0) {
      const a = this.affinity.get(clientIP);
      const sticky = a && a.until > now ? eps.find((e) => `${e.ip}:${e.port}` === a.ep) : undefined;
      if (sticky) out.push(sticky);
    }
    // One step of the rotation per connection; the fallbacks follow in rotation order.
    const start = this.next++ % eps.length;
    for (let i = 0; out.length < Math.min(count, eps.length) && i < eps.length; i++) {
      const e = eps[(start + i) % eps.length]!;
      if (!out.includes(e)) out.push(e);
    }
    return out;
  }

  /** Records the endpoint a client ended up on (affinity refresh). */
  used(clientIP: string, ep: ProxyEndpoint, now = Date.now()): void {
    if (this.affinityMs > 0) this.affinity.set(clientIP, { ep: `${ep.ip}:${ep.port}`, until: now + this.affinityMs });
    if (this.affinity.size > 10_000) for (const [k, v] of this.affinity) if (v.until <= now) this.affinity.delete(k);
  }
}

interface Relay {
  info: UserspaceListener;
  balancer: Balancer;
  close(): Promise<void>;
}

export class UserspaceDataPath implements DataPath {
  readonly mode = 'userspace' as const;
  private readonly relays = new Map<string, Relay>();
  private readonly host: string;
  private readonly log: (line: string) => void;

  constructor(opts: { host: string; log: (line: string) => void }) {
    this.host = opts.host;
    this.log = opts.log;
  }

  async setUp(): Promise<void> {}

  /** Listeners are live objects; there is nothing to repair. */
  invalidate(): void {}

  listeners(): UserspaceListener[] {
    return [...this.relays.values()].map((r) => ({ ...r.info }));
  }

  async sync(routes: ServicePortRoute[]): Promise<SyncResult> {
    let changes = 0;
    const wanted = new Set<string>();
    for (const r of routes) {
      if (r.protocol === 'sctp') continue;
      wanted.add(r.id);
      let relay = this.relays.get(r.id);
      if (!relay) {
        relay = r.protocol === 'tcp' ? await this.tcpRelay(r) : await this.udpRelay(r);
        this.relays.set(r.id, relay);
        changes++;
      }
      relay.balancer.endpoints = r.internalLocal ? r.localEndpoints : r.clusterEndpoints;
      relay.balancer.affinityMs = r.affinitySeconds * 1000;
    }
    for (const [id, relay] of this.relays) {
      if (wanted.has(id)) continue;
      this.relays.delete(id);
      await relay.close();
      changes++;
    }
    return { full: false, changes };
  }

  async stop(): Promise<void> {
    const all = [...this.relays.values()];
    this.relays.clear();
    await Promise.all(all.map((r) => r.close()));
  }

  private info(r: ServicePortRoute, listenPort: number): UserspaceListener {
    return { id: r.id, namespace: r.namespace, name: r.name, portName: r.portName, protocol: r.protocol, port: r.port, host: this.host, listenPort };
  }

  private async tcpRelay(r: ServicePortRoute): Promise<Relay> {
    const balancer = new Balancer();
    const sockets = new Set<Socket>();
    const server: Server = createServer({ pauseOnConnect: true }, (client) => {
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      client.on('error', () => client.destroy());
      const clientIP = client.remoteAddress ?? '';
      const candidates = balancer.pick(clientIP, 3);
      const attempt = (i: number) => {
        const ep = candidates[i];
        if (!ep) return client.resetAndDestroy();
        const upstream = connect({ host: ep.ip, port: ep.port, timeout: connectTimeoutMs });
        const fail = () => {
          upstream.destroy();
          attempt(i + 1);
        };
        upstream.once('error', fail);
        upstream.once('timeout', fail);
        upstream.once('connect', () => {
          upstream.off('error', fail);
          upstream.off('timeout', fail);
          upstream.setTimeout(0);
          balancer.used(clientIP, ep);
          sockets.add(upstream);
          upstream.on('close', () => sockets.delete(upstream));
          upstream.on('error', () => client.destroy());
          client.on('close', () => upstream.destroy());
          upstream.on('close', () => client.destroy());
          client.pipe(upstream);
          upstream.pipe(client);
          client.resume();
        });
      };
      attempt(0);
    });
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(0, this.host, () => res());
    });
    const port = (server.address() as { port: number }).port;
    this.log(`service proxy (userspace): ${r.id} on ${this.host}:${port}`);
    return {
      info: this.info(r, port),
      balancer,
      close: async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((res) => server.close(() => res()));
      },
    };
  }

  private async udpRelay(r: ServicePortRoute): Promise<Relay> {
    const balancer = new Balancer();
    const type = isIPv6(this.host) ? 'udp6' : 'udp4';
    const sock: UdpSocket = createSocket(type);
    const sessions = new Map<string, { upstream: UdpSocket; ep: ProxyEndpoint; timer: NodeJS.Timeout }>();
    const endSession = (key: string) => {
      const s = sessions.get(key);
      if (!s) return;
      sessions.delete(key);
      clearTimeout(s.timer);
      s.upstream.close();
    };
    sock.on('message', (msg, rinfo) => {
      const key = `${rinfo.address}:${rinfo.port}`;
      let s = sessions.get(key);
      if (!s) {
        const ep = balancer.pick(rinfo.address, 1)[0];
        if (!ep) return;
        balancer.used(rinfo.address, ep);
        const upstream = createSocket(isIPv6(ep.ip) ? 'udp6' : 'udp4');
        upstream.on('message', (reply, from) => {
          if (from.address !== ep.ip || from.port !== ep.port) return;
          sock.send(reply, rinfo.port, rinfo.address);
          sessions.get(key)?.timer.refresh();
        });
        upstream.on('error', () => endSession(key));
        s = { upstream, ep, timer: setTimeout(() => endSession(key), udpIdleMs) };
        sessions.set(key, s);
      }
      s.timer.refresh();
      s.upstream.send(msg, s.ep.port, s.ep.ip);
    });
    await new Promise<void>((res, rej) => {
      sock.once('error', rej);
      sock.bind(0, this.host, () => res());
    });
    const port = sock.address().port;
    this.log(`service proxy (userspace): ${r.id} on ${this.host}:${port}/udp`);
    return {
      info: this.info(r, port),
      balancer,
      close: async () => {
        for (const k of [...sessions.keys()]) endSession(k);
        await new Promise<void>((res) => sock.close(() => res()));
      },
    };
  }
}
