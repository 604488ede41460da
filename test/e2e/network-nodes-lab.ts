// A multi-node cluster on one machine for networking e2e tests (root only): a hub network namespace with a
// bridge, and one namespace per machine joined to it by a veth (10.236.0.1 = the server, .2, .3, ... = the
// nodes). `skiff server` runs in the first, each `skiff agent` in its own (entered with `nsenter --net`,
// so they keep the host's mounts and cgroups). kubectl runs inside the server's namespace. stop() stops
// every process by PID and deletes every namespace the lab created (and with them veths, bridges, routes).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHostCommand } from '../../src/network/proxy/host-command.js';
import { kubectlPath, repoRoot, stopChild, type KubectlResult } from './harness.js';
import { eventually } from './wait.js';

export const linkPrefix = '10.236.0';
export const clusterCidr = '10.235.0.0/16';
export const serviceCidr = '10.234.0.0/24';

class Machine {
  proc?: ChildProcess;
  output = '';
  constructor(
    readonly netns: string,
    readonly ip: string,
  ) {}

  start(args: string[]): void {
    const p = spawn('nsenter', [`--net=/run/netns/${this.netns}`, process.execPath, join(repoRoot, 'dist', 'cli', 'main.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = p;
    p.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  async stop(): Promise<void> {
    await stopChild(this.proc, 20_000);
  }
}

export class NodesLab {
  readonly tag = randomBytes(3).toString('hex');
  readonly dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-nodes-'));
  readonly hub = `skm${this.tag}h`;
  readonly server = new Machine(`skm${this.tag}s`, `${linkPrefix}.1`);
  readonly nodes: Machine[] = [];
  private readonly namespaces: string[] = [];

  /** Creates the namespaces and links, starts the server and `count` agents, and waits for Ready nodes. */
  async start(count: number): Promise<void> {
    await this.netns(this.hub);
    await runHostCommand('ip', ['link', 'add', 'br0', 'type', 'bridge'], { netns: this.hub });
    await runHostCommand('ip', ['link', 'set', 'br0', 'up'], { netns: this.hub });
    await this.attach(this.server, 0);
    for (let i = 0; i < count; i++) {
      const m = new Machine(`skm${this.tag}${i}`, `${linkPrefix}.${i + 2}`);
      this.nodes.push(m);
      await this.attach(m, i + 1);
    }
    this.server.start(['server', '--data-dir', join(this.dir, 'server'), '--api-port', '6443', '--cluster-cidr', clusterCidr, '--service-cidr', serviceCidr]);
    const [, url, token] = await eventually('the join command', async () => /skiff agent --server (\S+) --token (\S+)/.exec(this.server.output) ?? undefined, 60_000);
    this.nodes.forEach((m, i) =>
      m.start(['agent', '--server', url!, '--token', token!, '--node-name', this.nodeName(i), '--node-ip', m.ip, '--data-dir', join(this.dir, `node-${i}`), '--cni-bridge', 'skmcni0', '--remove-pods-on-exit']),
    );
    for (let i = 0; i < count; i++) {
      await eventually(`node ${this.nodeName(i)} Ready`, async () => (await this.kubectl(['get', 'node', this.nodeName(i), '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout === 'True', 90_000);
    }
  }

  nodeName(i: number): string {
    return `node-${i}`;
  }

  get log(): string {
    return [this.server, ...this.nodes].map((m) => `--- ${m.netns}\n${m.output}`).join('\n');
  }

  kubectl(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
    return new Promise((resolve) => {
      const child = execFile('nsenter', [`--net=/run/netns/${this.server.netns}`, kubectlPath, ...args], {
        env: { ...process.env, HOME: this.dir, KUBECONFIG: join(this.dir, 'server', 'kubeconfig.yaml') },
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      }, (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout: String(stdout), stderr: String(stderr) });
      });
      child.stdin?.end(opts.input ?? '');
    });
  }

  async k(args: string[], input?: string): Promise<string> {
    const r = await this.kubectl(args, { input });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  async stop(): Promise<void> {
    // Agents first (they remove their pods), then the server.
    await Promise.all(this.nodes.map((m) => m.stop()));
    await this.server.stop();
    for (const ns of this.namespaces.reverse()) await runHostCommand('ip', ['netns', 'del', ns]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async netns(name: string): Promise<void> {
    await runHostCommand('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    await runHostCommand('ip', ['link', 'set', 'lo', 'up'], { netns: name });
  }

  /** The machine's namespace with eth0 = ip/24 on a veth whose peer is on the hub's bridge. */
  private async attach(m: Machine, i: number): Promise<void> {
    await this.netns(m.netns);
    const peer = `p${i}`;
    await runHostCommand('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', peer, 'netns', this.hub], { netns: m.netns });
    await runHostCommand('ip', ['addr', 'add', `${m.ip}/24`, 'dev', 'eth0'], { netns: m.netns });
    await runHostCommand('ip', ['link', 'set', 'eth0', 'up'], { netns: m.netns });
    await runHostCommand('ip', ['link', 'set', peer, 'master', 'br0', 'up'], { netns: this.hub });
  }
}
