// A small network built from namespaces for service-proxy tests and benchmarks (root only): a "node"
// namespace with a bridge (the pod network's gateway), "pod" namespaces on the bridge each running an HTTP
// server that answers with its name and the client address it saw, and a "client" namespace on the same
// bridge. Every name carries a random tag; destroy() stops each server by PID and deletes every namespace
// (deleting a namespace removes its veths and rules).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { runHostCommand } from '../../../src/network/proxy/host-command.js';
import { ApiClient } from '../../../src/client/index.js';
import { startServiceProxy, type ProxyMode, type ServiceProxy } from '../../../src/network/proxy/index.js';
import { startTestServer, type TestServer } from '../../apiserver/harness.js';

export interface LabPod {
  name: string;
  netns: string;
  ip: string;
  proc?: ChildProcess;
}

export function labSkipReason(): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (network namespaces, nftables)';
  for (const bin of ['/usr/sbin/ip', '/usr/sbin/nft']) if (!existsSync(bin) && !existsSync(bin.replace('/usr/sbin', '/sbin'))) return `${bin} not installed`;
  return undefined;
}

const serverScript = `
const http = require('http');
const [name, port] = process.argv.slice(1);
const s = http.createServer((req, res) => {
  if (req.url === '/big') return res.end(Buffer.alloc(64 * 1024, 120));
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ name, from: req.socket.remoteAddress }));
});
s.keepAliveTimeout = 30000;
s.listen(Number(port), '0.0.0.0', () => console.log('ready'));
process.on('SIGTERM', () => process.exit(0));
`;

const clientScript = `
const http = require('http');
const [url, count] = process.argv.slice(1);
const counts = {}; const from = {}; let errors = 0; const errs = [];
function one() {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
      let body = ''; res.on('data', (d) => (body += d));
      res.on('end', () => { try { const j = JSON.parse(body); counts[j.name] = (counts[j.name] || 0) + 1; from[j.from] = 1; } catch { errors++; } resolve(); });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => { errors++; if (errs.length < 3) errs.push(e.code || e.message); resolve(); });
  });
}
(async () => { for (let i = 0; i < Number(count); i++) await one(); console.log(JSON.stringify({ counts, from: Object.keys(from), errors, errs })); })();
`;

export interface ClientResult {
  counts: Record<string, number>;
  from: string[];
  errors: number;
  errs: string[];
}

export class NetnsLab {
  readonly tag = randomBytes(3).toString('hex');
  readonly node = `skt-${this.tag}-node`;
  readonly client = `skt-${this.tag}-cl`;
  /** More client namespaces (create(pods, clients)), at .3, .4, ... */
  readonly extraClients: Array<{ netns: string; ip: string }> = [];
  readonly pods: LabPod[] = [];
  private readonly namespaces: string[] = [];
  private vethCount = 0;

  /** subnet: the first three octets of the pod network, e.g. "10.99.0" (gateway .1, client .2). */
  constructor(readonly subnet = '10.99.0') {}

  get gateway(): string {
    return `${this.subnet}.1`;
  }
  get clientIP(): string {
    return `${this.subnet}.2`;
  }
  get cidr(): string {
    return `${this.subnet}.0/24`;
  }

  async create(podCount: number, clientCount = 1): Promise<void> {
    await this.addNetns(this.node);
    const inNode = (...args: string[]) => runHostCommand('ip', args, { netns: this.node });
    await inNode('link', 'set', 'lo', 'up');
    await inNode('link', 'add', 'br0', 'type', 'bridge');
    await inNode('addr', 'add', `${this.gateway}/24`, 'dev', 'br0');
    await inNode('link', 'set', 'br0', 'up');
    await runHostCommand('sysctl', ['-qw', 'net.ipv4.ip_forward=1'], { netns: this.node });
    await this.attach(this.client, this.clientIP);
    // Benchmarks open tens of thousands of short connections to one server: a wide source port range keeps
    // them from reusing a 4-tuple the server still holds in TIME_WAIT.
    await runHostCommand('sysctl', ['-qw', 'net.ipv4.ip_local_port_range=1024 65000'], { netns: this.client });
    for (let i = 1; i < clientCount; i++) {
      const c = { netns: `skt-${this.tag}-cl${i}`, ip: `${this.subnet}.${2 + i}` };
      await this.attach(c.netns, c.ip);
      await runHostCommand('sysctl', ['-qw', 'net.ipv4.ip_local_port_range=1024 65000'], { netns: c.netns });
      this.extraClients.push(c);
    }
    for (let i = 0; i < podCount; i++) {
      const pod: LabPod = { name: `pod${i}`, netns: `skt-${this.tag}-p${i}`, ip: `${this.subnet}.${11 + i}` };
      await this.attach(pod.netns, pod.ip);
      this.pods.push(pod);
    }
  }

  /** Starts each pod's HTTP server on port. */
  async startServers(port = 8080): Promise<void> {
    await Promise.all(this.pods.map((p) => this.startServer(p, port)));
  }

  private startServer(p: LabPod, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const proc = spawn('ip', ['netns', 'exec', p.netns, process.execPath, '-e', serverScript, p.name, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
      p.proc = proc;
      let err = '';
      proc.stderr!.on('data', (d) => (err += d));
      proc.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve();
      });
      proc.on('exit', (code) => reject(new Error(`server ${p.name} exited ${code}: ${err}`)));
    });
  }

  /** Runs `count` HTTP GETs (a new connection each) from a namespace and tallies who answered. */
  async request(url: string, count: number, from = this.client): Promise<ClientResult> {
    const out = await runHostCommand('ip', ['netns', 'exec', from, process.execPath, '-e', clientScript, url, String(count)], { timeoutMs: 60_000 });
    return JSON.parse(out.trim().split('\n').pop()!) as ClientResult;
  }

  /** Exit code of curl (0 ok, 7 refused, 28 timeout) for a quick reachability probe. */
  async curlCode(url: string, from = this.client): Promise<number> {
    try {
      await runHostCommand('ip', ['netns', 'exec', from, 'curl', '-s', '-o', '/dev/null', '--max-time', '2', url]);
      return 0;
    } catch (e) {
      return (e as { code?: number }).code ?? -1;
    }
  }

  async destroy(): Promise<void> {
    for (const p of this.pods) {
      if (p.proc?.pid && p.proc.exitCode === null) {
        const exited = new Promise((r) => p.proc!.once('exit', r));
        p.proc.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      }
    }
    for (const ns of this.namespaces.reverse()) await runHostCommand('ip', ['netns', 'del', ns]).catch(() => {});
  }

  private async addNetns(name: string): Promise<void> {
    await runHostCommand('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
  }

  /** A namespace on the node's bridge with one address and a default route via the gateway. */
  private async attach(netns: string, ip: string): Promise<void> {
    await this.addNetns(netns);
    const host = `veth${this.vethCount++}`;
    await runHostCommand('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns], { netns: this.node });
    await runHostCommand('ip', ['link', 'set', host, 'master', 'br0', 'up'], { netns: this.node });
    await runHostCommand('ip', ['link', 'set', host, 'type', 'bridge_slave', 'hairpin', 'on'], { netns: this.node });
    const inNs = (...args: string[]) => runHostCommand('ip', args, { netns });
    await inNs('link', 'set', 'lo', 'up');
    await inNs('addr', 'add', `${ip}/24`, 'dev', 'eth0');
    await inNs('link', 'set', 'eth0', 'up');
    await inNs('route', 'add', 'default', 'via', this.gateway);
  }
}

/** A real API server, a client of it, and the service proxy programming the lab's node namespace. */
export interface LabProxy {
  server: TestServer;
  client: ApiClient;
  proxy: ServiceProxy;
  /** Syncs the proxy has finished so far. */
  readonly syncs: number;
  stop(): Promise<void>;
}

/** Starts a LabProxy for node "node-a" of the lab and waits for its first sync. */
export async function startLabProxy(lab: NetnsLab, o: { mode: ProxyMode; tableSuffix: string; fullResyncMs?: number }): Promise<LabProxy> {
  const server = await startTestServer();
  const client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' }, { timeoutMs: 10_000 });
  let syncs = 0;
  let proxy: ServiceProxy | undefined;
  try {
    proxy = await startServiceProxy({
      client,
      nodeName: 'node-a',
      nodeIPs: [lab.gateway],
      mode: o.mode,
      tableSuffix: o.tableSuffix,
      clusterCIDR: lab.cidr,
      netns: lab.node,
      ...(o.fullResyncMs ? { fullResyncMs: o.fullResyncMs } : {}),
      log: () => {},
      onSync: () => syncs++,
    });
    await proxy.synced();
  } catch (e) {
    await proxy?.stop();
    client.close();
    await server.close();
    throw e;
  }
  const started = proxy;
  return {
    server,
    client,
    proxy: started,
    get syncs() {
      return syncs;
    },
    async stop() {
      await started.stop();
      client.close();
      await server.close();
    },
  };
}
