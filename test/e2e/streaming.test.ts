// kubectl's streaming commands against `skiff up` and its local node, exactly as kubectl 1.32 speaks them:
// logs (-c, --tail, --timestamps, --since, -l, --all-containers, -f, --previous), exec over WebSocket and over
// the SPDY fallback (exit codes, stdin), exec -it under a pseudo-terminal, attach, port-forward with real HTTP
// over 127.0.0.1, and cp both ways (tar over exec).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, e2eSkipReason, kubectlPath } from './harness.js';
import { eventually } from './wait.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping streaming e2e: ${skip}`);

const node = process.execPath;
const httpServer = `require('http').createServer((q,s)=>s.end('pf says hi '+q.url)).listen(8080)`;

const manifests = `
apiVersion: v1
kind: Pod
metadata: {name: talker, labels: {app: talker}}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "echo start; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.3; done"]
  - name: side
    image: busybox
    command: ["sh", "-c", "echo side-hello; exec sleep 100000"]
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: node:20
    command: [${JSON.stringify(node)}, "-e", ${JSON.stringify(httpServer)}]
---
apiVersion: v1
kind: Pod
metadata: {name: crashy}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "echo attempt-output; sleep 1; exit 1"]
`;

/** Starts a long-running kubectl and collects its stdout; stopped by PID. */
function longKubectl(c: Cluster, args: string[], env: Record<string, string> = {}): { proc: ChildProcess; out: () => string; stop: () => Promise<void> } {
  const proc = spawn(kubectlPath, args, { env: { ...process.env, HOME: c.home, KUBECONFIG: c.kubeconfig, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    out: () => out,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

describe('kubectl streaming commands', { skip }, () => {
  let c: Cluster;
  let tmp: string;

  before(async () => {
    c = await Cluster.start();
    tmp = mkdtempSync(join(tmpdir(), 'skiff-e2e-stream-'));
    await c.k(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=30s']);
    await c.k(['apply', '-f', '-'], manifests);
    await c.k(['wait', '--for=condition=Ready', 'pod/talker', 'pod/web', '--timeout=60s']);
  });
  after(async () => {
    await c?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('logs: -c, --tail, --timestamps, --since, -l, --all-containers', async () => {
    await eventually('a few ticks', async () => ((await c.k(['logs', 'talker', '-c', 'app'])).includes('tick 3') ? true : undefined), 20_000);
    const all = await c.k(['logs', 'talker', '-c', 'app']);
    assert.match(all, /^start\ntick 1\ntick 2\n/);
    const tail = await c.k(['logs', 'talker', '-c', 'app', '--tail=2']);
    assert.equal(tail.trimEnd().split('\n').length, 2);
    assert.match(tail, /^tick \d+\ntick \d+\n$/);
    assert.match(await c.k(['logs', 'talker', '-c', 'app', '--tail=1', '--timestamps']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z tick \d+\n$/);
    await new Promise((r) => setTimeout(r, 1500));
    const since = await c.k(['logs', 'talker', '-c', 'app', '--since=1s']);
    assert.ok(!since.includes('start'), 'older lines are left out');
    assert.match(since, /tick \d+/);
    assert.equal(await c.k(['logs', 'talker', '-c', 'side']), 'side-hello\n');
    const both = await c.k(['logs', 'talker', '--all-containers']);
    assert.match(both, /start/);
    assert.match(both, /side-hello/);
    assert.match(await c.k(['logs', '-l', 'app=talker', '-c', 'side']), /side-hello/);
    const bad = await c.kubectl(['logs', 'talker', '-c', 'nope']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /container nope is not valid for pod talker/);
  });

  test('logs -f streams new lines as they are written', async () => {
    const f = longKubectl(c, ['logs', '-f', 'talker', '-c', 'app', '--tail=1']);
    try {
      const first = await eventually('a first line', async () => /tick (\d+)/.exec(f.out())?.[1], 10_000);
      await eventually('later lines', async () => (new RegExp(`tick ${Number(first) + 2}\\b`).test(f.out()) ? true : undefined), 10_000);
    } finally {
      await f.stop();
    }
  });

  test('logs --previous shows the last run of a restarted container', async () => {
    await eventually('a restart', async () => (JSON.parse(await c.k(['get', 'pod', 'crashy', '-o', 'json'])).status.containerStatuses?.[0]?.restartCount >= 1 ? true : undefined), 40_000);
    assert.equal(await c.k(['logs', 'crashy', '--previous']), 'attempt-output\n');
    const none = await c.kubectl(['logs', 'talker', '-c', 'app', '--previous']);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /previous terminated container "app" in pod "talker" not found/);
  });

  test('exec over WebSocket and over the SPDY fallback: output, stdin and exit codes', async () => {
    for (const env of [{}, { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }] as Record<string, string>[]) {
      const what = Object.keys(env).length ? 'spdy' : 'websocket';
      const ok = await c.kubectl(['exec', 'talker', '-c', 'app', '--', 'sh', '-c', 'echo out; echo err >&2'], { env });
      assert.equal(ok.code, 0, `${what}: ${ok.stderr}`);
      assert.equal(ok.stdout, 'out\n', what);
      assert.equal(ok.stderr, 'err\n', what);
      const failed = await c.kubectl(['exec', 'talker', '-c', 'app', '--', 'sh', '-c', 'exit 7'], { env });
      assert.equal(failed.code, 7, `${what}: ${failed.stderr}`);
      assert.match(failed.stderr, /command terminated with exit code 7/, what);
      const piped = await c.kubectl(['exec', '-i', 'talker', '-c', 'app', '--', 'sh', '-c', 'cat; echo done'], { env, input: 'from stdin\n' });
      assert.equal(piped.stdout, 'from stdin\ndone\n', `${what}: ${piped.stderr}`);
    }
  });

  test('exec -it runs under a terminal', async () => {
    const cmd = `${kubectlPath} exec -it talker -c app -- sh -c 'tty; stty size'`;
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, HOME: c.home, KUBECONFIG: c.kubeconfig }, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (out += d.toString()));
      p.on('exit', (code) => resolve({ code, out }));
    });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /\/dev\/pts\/\d+/);
  });

  test('attach streams the container\'s output', async () => {
    const a = longKubectl(c, ['attach', 'talker', '-c', 'app']);
    try {
      await eventually('attached output', async () => (/tick \d+/.test(a.out()) ? true : undefined), 10_000);
    } finally {
      await a.stop();
    }
  });

  test('port-forward carries HTTP over 127.0.0.1 (SPDY in WebSocket, and raw SPDY)', async () => {
    for (const env of [{}, { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }] as Record<string, string>[]) {
      const pf = longKubectl(c, ['port-forward', '--address', '127.0.0.1', 'pod/web', ':8080'], env);
      try {
        const port = await eventually('forwarding', async () => /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(pf.out())?.[1], 15_000);
        for (const path of ['/one', '/two']) {
          const body = await fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.text());
          assert.equal(body, `pf says hi ${path}`, JSON.stringify(env));
        }
      } finally {
        await pf.stop();
      }
    }
  });

  test('cp copies files both ways (tar over exec)', async () => {
    const local = join(tmp, 'upload.txt');
    writeFileSync(local, 'uploaded content\n');
    const remote = `/tmp/skiff-e2e-cp-${process.pid}.txt`;
    try {
      await c.k(['cp', local, `talker:${remote}`, '-c', 'app']);
      assert.equal(await c.k(['exec', 'talker', '-c', 'app', '--', 'cat', remote]), 'uploaded content\n');
      const back = join(tmp, 'download.txt');
      await c.k(['cp', `talker:${remote}`, back, '-c', 'app']);
      assert.equal(readFileSync(back, 'utf8'), 'uploaded content\n');
    } finally {
      await c.kubectl(['exec', 'talker', '-c', 'app', '--', 'rm', '-f', remote]);
    }
  });
});
