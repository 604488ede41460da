// The process runtime without isolation (what a non-root agent gets): real processes, CRI logs, exit
// codes, stop with SIGTERM then SIGKILL, exec/attach, stats, and adoption by a new runtime instance.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createServer } from 'node:net';
import { ProcessRuntime } from '../../../src/runtime/process/index.js';
import type { ContainerConfig, PodSandboxConfig } from '../../../src/runtime/runtime.js';
import { containerConfig, sandboxConfig, until } from './support.js';

const node = process.execPath;
let dir: string;
let rt: ProcessRuntime;

async function run(rt: ProcessRuntime, sb: string, cfg: ContainerConfig, sbc: PodSandboxConfig): Promise<string> {
  const id = await rt.createContainer(sb, cfg, sbc);
  await rt.startContainer(id);
  return id;
}

describe('process runtime without isolation', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-prt-'));
    rt = await ProcessRuntime.open({ stateDir: join(dir, 'state'), isolation: 'none' });
  });
  after(async () => {
    await rt.cleanupAll();
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says it runs pods on the host network', async () => {
    const st = await rt.status();
    assert.equal(st.ready, true);
    assert.equal(st.networkReady, true);
    assert.match(st.warnings.join('\n'), /host network/);
    const sbc = sandboxConfig(dir, 'net');
    const id = await rt.runPodSandbox(sbc);
    const s = await rt.podSandboxStatus(id);
    assert.equal(s?.network, 'host');
    assert.equal(s?.state, 'ready');
    assert.ok(s!.ips.length > 0);
  });

  it('refuses a container without a command, saying why', async () => {
    const sbc = sandboxConfig(dir, 'noimg');
    const sb = await rt.runPodSandbox(sbc);
    await assert.rejects(rt.createContainer(sb, containerConfig('app', [], { image: 'nginx:1.27' }), sbc), /cannot run container images.*nginx:1\.27/);
  });

  it('runs a command with args, env and workingDir, logs in CRI format and records the exit code', async () => {
    const sbc = sandboxConfig(dir, 'logs');
    const sb = await rt.runPodSandbox(sbc);
    const long = 'x'.repeat(20000);
    const cfg = containerConfig('app', ['sh', '-c'], {
      args: [`echo "hello $GREETING from $(pwd)"; echo oops >&2; printf '%s\\n' ${long}; printf 'tail'; exit 3`],
      env: [{ name: 'GREETING', value: 'world' }],
      workingDir: '/tmp',
    });
    const id = await run(rt, sb, cfg, sbc);
    const st = await until('exit', async () => {
      const s = await rt.containerStatus(id);
      return s?.state === 'exited' ? s : undefined;
    });
    assert.equal(st.exitCode, 3);
    assert.equal(st.reason, 'Error');
    assert.ok(st.startedAtMs! <= st.finishedAtMs!);
    const lines = await until('log lines', () => {
      const text = existsSync(st.logPath) ? readFileSync(st.logPath, 'utf8') : '';
      const l = text.split('\n').filter(Boolean);
      return l.length >= 5 ? l : undefined;
    });
    const re = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z) (stdout|stderr) ([PF]) (.*)$/;
    const parsed = lines.map((l) => re.exec(l)!);
    assert.ok(parsed.every(Boolean), lines.join('\n').slice(0, 300));
    const out = parsed.filter((p) => p[3] === 'stdout').map((p) => [p[4], p[5].slice(0, 20)]);
    assert.deepEqual(out, [['F', 'hello world from /tm'], ['P', 'x'.repeat(20)], ['F', 'x'.repeat(20)], ['P', 'tail']]);
    assert.equal(parsed.filter((p) => p[3] === 'stdout')[1][5].length, 16384);
    assert.deepEqual(parsed.filter((p) => p[3] === 'stderr').map((p) => p[5]), ['oops']);
  });

  it('fails start with a runc-style error when the command does not exist', async () => {
    const sbc = sandboxConfig(dir, 'missing');
    const sb = await rt.runPodSandbox(sbc);
    const id = await rt.createContainer(sb, containerConfig('app', ['no-such-command-here']), sbc);
    await assert.rejects(rt.startContainer(id), /executable file not found in \$PATH/);
    const st = await rt.containerStatus(id);
    assert.equal(st?.state, 'exited');
    assert.equal(st?.reason, 'StartError');
    assert.equal(st?.exitCode, 128);
  });

  it('stops with SIGTERM, and SIGKILL after the timeout', async () => {
    const sbc = sandboxConfig(dir, 'stop');
    const sb = await rt.runPodSandbox(sbc);
    const polite = await run(rt, sb, containerConfig('polite', ['sleep', '30']), sbc);
    const stubborn = await run(rt, sb, containerConfig('stubborn', ['sh', '-c', "trap '' TERM; echo trapped; while :; do sleep 0.05; done"]), sbc);
    const log = (await rt.containerStatus(stubborn))!.logPath;
    await until('trap set', () => existsSync(log) && readFileSync(log, 'utf8').includes('trapped'));
    assert.equal((await rt.containerStatus(polite))?.state, 'running');
    await rt.stopContainer(polite, 5);
    assert.equal((await rt.containerStatus(polite))?.exitCode, 143);
    const t0 = performance.now();
    await rt.stopContainer(stubborn, 1);
    assert.ok(performance.now() - t0 >= 900);
    assert.equal((await rt.containerStatus(stubborn))?.exitCode, 137);
    // A daemon that left the container's process group is killed with it too (no cgroup in this mode).
    const daemonized = await run(rt, sb, containerConfig('daemon', ['sh', '-c', 'setsid sleep 300 & echo $! > /dev/stderr; wait']), sbc);
    const dlog = (await rt.containerStatus(daemonized))!.logPath;
    const m = await until('daemon pid', () => (existsSync(dlog) ? /stderr F (\d+)/.exec(readFileSync(dlog, 'utf8')) ?? undefined : undefined));
    const daemonPid = Number(m[1]);
    await rt.stopContainer(daemonized, 0);
    await until('daemon gone', () => { try { process.kill(daemonPid, 0); return false; } catch { return true; } });
  });

  it('execs, attaches and reports stats', async () => {
    const sbc = sandboxConfig(dir, 'exec');
    const sb = await rt.runPodSandbox(sbc);
    const id = await run(rt, sb, containerConfig('app', [node, '-e', 'process.stdin.on("data", d => process.stdout.write("echo:" + d)); setInterval(() => {}, 1000)'], { stdin: true, env: [{ name: 'WHO', value: 'me' }] }), sbc);
    const r = await rt.execSync(id, ['sh', '-c', 'echo $WHO; echo err >&2; exit 4'], 5000);
    assert.deepEqual([r.stdout.toString(), r.stderr.toString(), r.exitCode, r.timedOut], ['me\n', 'err\n', 4, false]);
    await assert.rejects(rt.execSync(id, ['no-such-cmd'], 1000), /exec: "no-such-cmd": executable file not found in \$PATH/);
    await assert.rejects(rt.exec(id, ['no-such-cmd'], { tty: false }), /executable file not found/);
    const slow = await rt.execSync(id, ['sleep', '10'], 200);
    assert.equal(slow.timedOut, true);

    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let got = '';
    stdout.on('data', (d) => (got += d));
    const session = await rt.attach(id, { tty: false, stdin, stdout });
    stdin.write('ping\n');
    await until('attach echo', () => got.includes('echo:ping'));
    session.close();

    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const ex = await rt.exec(id, ['sh', '-c', 'read x; echo got-$x'], { tty: false, stdin: Readable(['abc\n']), stdout: out });
    assert.equal((await ex.done).exitCode, 0);
    assert.equal(text, 'got-abc\n');

    // Large output arrives whole, paced by the reader.
    let bytes = 0;
    const big = new PassThrough({ highWaterMark: 1024 });
    big.on('data', (d: Buffer) => (bytes += d.length));
    const cat = await rt.exec(id, ['head', '-c', '3000000', '/dev/zero'], { tty: false, stdout: big });
    assert.equal((await cat.done).exitCode, 0);
    await until('all bytes', () => bytes === 3_000_000);

    const stats = await until('stats', () => rt.containerStats(id));
    assert.ok(stats.memoryWorkingSetBytes > 1_000_000, String(stats.memoryWorkingSetBytes));
    assert.ok(stats.cpuUsageCoreNanoSeconds > 0);
  });

  it('forwards a port to a host-network pod', async () => {
    const srv = createServer((s) => s.end('hi from pod'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    const sbc = sandboxConfig(dir, 'pf');
    const sb = await rt.runPodSandbox(sbc);
    const sock = await rt.portForward(sb, port);
    let data = '';
    for await (const d of sock) data += d;
    assert.equal(data, 'hi from pod');
    srv.close();
  });

  it('rotated logs continue in the reopened file', async () => {
    const sbc = sandboxConfig(dir, 'rotate');
    const sb = await rt.runPodSandbox(sbc);
    const id = await run(rt, sb, containerConfig('app', ['sh', '-c', 'i=0; while :; do echo line$i; i=$((i+1)); sleep 0.02; done']), sbc);
    const st = (await rt.containerStatus(id))!;
    await until('first lines', () => existsSync(st.logPath) && readFileSync(st.logPath, 'utf8').includes('line2'));
    renameSync(st.logPath, `${st.logPath}.1`);
    await rt.reopenContainerLog(id);
    await until('new file', () => existsSync(st.logPath) && readFileSync(st.logPath, 'utf8').includes('stdout F line'));
    await rt.stopContainer(id, 1);
  });

  it('a new runtime instance adopts running containers and sees exits that happened meanwhile', async () => {
    const sbc = sandboxConfig(dir, 'adopt');
    const sb = await rt.runPodSandbox(sbc);
    const long = await run(rt, sb, containerConfig('long', ['sh', '-c', 'sleep 0.3; echo after-restart; sleep 30']), sbc);
    const short = await run(rt, sb, containerConfig('short', ['sh', '-c', 'exit 7']), sbc);
    await rt.close();
    await new Promise((r) => setTimeout(r, 200));
    rt = await ProcessRuntime.open({ stateDir: join(dir, 'state'), isolation: 'none' });
    assert.ok((await rt.listPodSandboxes()).some((s) => s.id === sb));
    const longSt = await rt.containerStatus(long);
    assert.equal(longSt?.state, 'running');
    const shortSt = await until('short exit', async () => {
      const s = await rt.containerStatus(short);
      return s?.state === 'exited' ? s : undefined;
    });
    assert.equal(shortSt.exitCode, 7);
    await until('output after restart', () => readFileSync(longSt!.logPath, 'utf8').includes('after-restart'));
    await rt.stopContainer(long, 2);
    assert.equal((await rt.containerStatus(long))?.state, 'exited');
    await rt.removePodSandbox(sb);
    assert.equal(await rt.podSandboxStatus(sb), undefined);
    assert.equal(await rt.containerStatus(long), undefined);
  });

  it('a start the agent did not get to record is found again instead of being started twice', async () => {
    const sbc = sandboxConfig(dir, 'interrupted');
    const sb = await rt.runPodSandbox(sbc);
    const id = await run(rt, sb, containerConfig('app', ['sleep', '30']), sbc);
    const pid = (JSON.parse(readFileSync(join(dir, 'state', 'containers', id, 'record.json'), 'utf8')) as { pid: number }).pid;
    await rt.close();
    // As if the agent died right after the wrapper said "started": the record still says "created".
    const recPath = join(dir, 'state', 'containers', id, 'record.json');
    const rec = JSON.parse(readFileSync(recPath, 'utf8')) as Record<string, unknown>;
    for (const k of ['startedAtMs', 'pid', 'pidStart', 'wrapperPid', 'wrapperStart']) delete rec[k];
    writeFileSync(recPath, JSON.stringify(rec));
    rt = await ProcessRuntime.open({ stateDir: join(dir, 'state'), isolation: 'none' });
    const st = await rt.containerStatus(id);
    assert.equal(st?.state, 'running');
    await rt.stopContainer(id, 5);
    assert.equal((await rt.containerStatus(id))?.exitCode, 143);
    assert.throws(() => process.kill(pid, 0));
  });

  it('a container only created (never started) when the agent stopped is gone after the restart', async () => {
    const sbc = sandboxConfig(dir, 'created-only');
    const sb = await rt.runPodSandbox(sbc);
    const id = await rt.createContainer(sb, containerConfig('app', ['sleep', '30']), sbc);
    assert.equal((await rt.containerStatus(id))?.state, 'created');
    assert.equal(existsSync(join(dir, 'state', 'containers', id, 'record.json')), false, 'no record before the start');
    await rt.close();
    rt = await ProcessRuntime.open({ stateDir: join(dir, 'state'), isolation: 'none' });
    assert.equal(await rt.containerStatus(id), undefined);
    assert.equal(existsSync(join(dir, 'state', 'containers', id)), false, 'its directory is removed');
    assert.deepEqual(await rt.listContainers({ sandboxId: sb }), []);
    await rt.removePodSandbox(sb);
  });
});

function Readable(chunks: string[]): PassThrough {
  const p = new PassThrough();
  for (const c of chunks) p.write(c);
  p.end();
  return p;
}
