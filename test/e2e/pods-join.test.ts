// A second node joins with the command `skiff up` prints (`skiff agent --server ... --token ...`), runs a pod
// bound to it, keeps that pod running when the agent stops, and adopts it (same container) when the agent
// starts again. A wrong token is refused. Both nodes run on this machine with their own data dirs, node
// server ports and pod networks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, e2eSkipReason, freePort, repoRoot, stopChild } from './harness.js';
import { eventually } from './wait.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping join e2e: ${skip}`);

const marker = `skiff-e2e-join-${process.pid}`;

class AgentProcess {
  proc?: ChildProcess;
  output = '';
  constructor(readonly args: string[]) {}
  start(): Promise<number | null> {
    const p = spawn(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), 'agent', ...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = p;
    p.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    return new Promise((resolve) => p.once('exit', (code) => resolve(code)));
  }
  async stop(): Promise<void> {
    await stopChild(this.proc);
  }
}

describe('a node joins with the join token', { skip }, () => {
  let c: Cluster;
  let dir: string;
  let agent: AgentProcess;
  let agentArgs: string[];
  const node = 'joined-1';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-join-'));
    // Room for two nodes' /24s, outside the ranges the harness gives other clusters.
    const p = await freePort();
    c = await Cluster.start({ port: p, extraArgs: ['--cluster-cidr', `10.239.${(p % 128) * 2}.0/23`] });
  });
  after(async () => {
    // The pod goes while its agent runs; the last agent was started with --remove-pods-on-exit, so its exit
    // also removes what the runtime set up (bridge, cgroups).
    await c?.kubectl(['delete', 'pod', 'on-joined', '--grace-period=1', '--wait=true', '--timeout=30s']);
    await agent?.stop();
    await c?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('skiff up prints the join command; a wrong token is refused', async () => {
    const m = await eventually('the join command', async () => /skiff agent --server (\S+) --token (\S+)/.exec(c.log) ?? undefined, 5000);
    const [, server, token] = m;
    agentArgs = ['--server', server!, '--token', token!, '--node-name', node, '--data-dir', join(dir, 'agent'), '--kubelet-port', '0', '--node-ip', '127.0.0.1', '--cni-bridge', `skj${c.port}`, '--cluster-dns', `10.60.${c.port & 255}.10`];
    const bad = new AgentProcess(['--server', server!, '--token', token!.replace(/::node:.*/, '::node:nope'), '--node-name', 'bad', '--data-dir', join(dir, 'bad')]);
    const code = await bad.start();
    assert.equal(code, 1);
    assert.match(bad.output, /refused the join token/);
  });

  test('the joined node registers, becomes Ready and runs a pod bound to it', async () => {
    agent = new AgentProcess(agentArgs);
    void agent.start();
    await eventually('joined node Ready', async () => {
      const r = await c.kubectl(['get', 'node', node, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
      return r.stdout === 'True';
    }, 60_000);
    const pod = `
apiVersion: v1
kind: Pod
metadata: {name: on-joined}
spec:
  automountServiceAccountToken: false
  nodeSelector: {kubernetes.io/hostname: ${node}}
  containers:
  - name: app
    image: busybox
    command: [${JSON.stringify(process.execPath)}, "-e", "setInterval(()=>{},1000) // ${marker}"]
`;
    await c.k(['apply', '-f', '-'], pod);
    await c.k(['wait', '--for=condition=Ready', 'pod/on-joined', '--timeout=60s']);
    assert.equal((await c.k(['get', 'pod', 'on-joined', '-o', 'jsonpath={.spec.nodeName}'])).trim(), node);
  });

  test('stopping the agent leaves the pod running; a restarted agent adopts it', async () => {
    const id = await c.k(['get', 'pod', 'on-joined', '-o', 'jsonpath={.status.containerStatuses[0].containerID}']);
    await agent.stop();
    const again = new AgentProcess([...agentArgs, '--remove-pods-on-exit']);
    agent = again;
    void again.start();
    await new Promise((r) => setTimeout(r, 3000));
    await c.k(['wait', '--for=condition=Ready', 'pod/on-joined', '--timeout=30s']);
    assert.equal(await c.k(['get', 'pod', 'on-joined', '-o', 'jsonpath={.status.containerStatuses[0].containerID}']), id);
    assert.equal(await c.k(['get', 'pod', 'on-joined', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}']), '0');
    assert.doesNotMatch(again.output, /joined https/, 'the second start reuses the stored credentials');
  });
});
