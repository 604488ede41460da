// Terminals and stdin: exec with a TTY (script(1) gives the command a pty, resize reaches it), a tty
// container attached to, and stdinOnce closing the container's stdin when the first attach ends.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ProcessRuntime } from '../../../src/runtime/process/index.js';
import { containerConfig, sandboxConfig, until } from './support.js';

const skip = existsSync('/usr/bin/script') ? undefined : 'needs script(1) from util-linux';
let dir: string;
let rt: ProcessRuntime;

describe('process runtime terminals and stdin', { skip }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-prtty-'));
    rt = await ProcessRuntime.open({ stateDir: join(dir, 'state'), isolation: 'none' });
  });
  after(async () => {
    await rt.cleanupAll();
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exec with a tty: the command sees a terminal, its size follows resize, stderr is merged', async () => {
    const sbc = sandboxConfig(dir, 'tty');
    const sb = await rt.runPodSandbox(sbc);
    const id = await rt.createContainer(sb, containerConfig('app', ['sleep', '60']), sbc);
    await rt.startContainer(id);
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d) => (out += d));
    const s = await rt.exec(id, ['sh', '-c', 'test -t 0 && echo is-a-tty; echo to-stderr >&2; read x; stty size; exit 5'], { tty: true, stdin, stdout });
    await until('first output', () => out.includes('to-stderr'));
    s.resize(100, 40);
    await new Promise((r) => setTimeout(r, 300));
    stdin.write('go\r');
    assert.equal((await s.done).exitCode, 5);
    assert.match(out, /is-a-tty/);
    assert.match(out, /40 100/);
  });

  it('attaches to a tty container with stdin; stdinOnce closes its stdin when the client detaches', async () => {
    const sbc = sandboxConfig(dir, 'once');
    const sb = await rt.runPodSandbox(sbc);
    const id = await rt.createContainer(sb, containerConfig('app', ['sh', '-c', 'while read line; do echo "got:$line"; done; echo stdin-closed; sleep 0.2'], { stdin: true, stdinOnce: true }), sbc);
    await rt.startContainer(id);
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d) => (out += d));
    const session = await rt.attach(id, { tty: false, stdin, stdout });
    stdin.write('one\n');
    await until('echo', () => out.includes('got:one'));
    stdin.end();
    const st = await until('container exit', async () => {
      const c = await rt.containerStatus(id);
      return c?.state === 'exited' ? c : undefined;
    });
    assert.equal(st.exitCode, 0);
    await session.done;
    assert.match(out, /stdin-closed/);
    assert.match(readFileSync(st.logPath, 'utf8'), /stdout F got:one/);
  });

  it('a tty container writes its terminal output to the log as stdout', async () => {
    const sbc = sandboxConfig(dir, 'ttyc');
    const sb = await rt.runPodSandbox(sbc);
    const id = await rt.createContainer(sb, containerConfig('app', ['sh', '-c', 'test -t 1 && echo tty-out; echo err-out >&2; sleep 30'], { tty: true, stdin: true }), sbc);
    await rt.startContainer(id);
    const log = (await rt.containerStatus(id))!.logPath;
    await until('tty log', () => existsSync(log) && readFileSync(log, 'utf8').includes('err-out'));
    const text = readFileSync(log, 'utf8');
    assert.match(text, /stdout F tty-out\r?\n/);
    assert.doesNotMatch(text, / stderr /);
    const t0 = performance.now();
    await rt.stopContainer(id, 10);
    assert.ok(performance.now() - t0 < 5000, 'SIGTERM reaches the command under script(1)');
    assert.equal((await rt.containerStatus(id))?.state, 'exited');
  });
});
