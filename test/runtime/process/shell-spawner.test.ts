// The script runner shell: scripts run concurrently with their exit status reported, their stderr kept,
// finished jobs reaped, and a runner that died replaced on the next script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShellSpawner } from '../../../src/runtime/process/shell-spawner.js';

function scriptDir(root: string, name: string, body: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'run.sh'), body);
  return dir;
}

/** Children of `pid` and their states (from /proc). */
function childrenOf(pid: number): { pid: number; state: string }[] {
  const out: { pid: number; state: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === pid) out.push({ pid: Number(d), state: f[0]! });
    } catch {
      /* gone */
    }
  }
  return out;
}

test('ShellSpawner runs scripts concurrently, reports exit status and stderr, reaps its jobs, restarts when killed', async () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-spawner-'));
  const sp = new ShellSpawner();
  try {
    // Concurrent: three scripts that each wait for a file the last one writes.
    const flag = join(root, 'flag');
    const waiters = [1, 2, 3].map((i) => sp.run(scriptDir(root, `w${i}`, `while [ ! -e ${flag} ]; do sleep 0.01; done\necho "$1" >"$1/ran"\nexit ${i}\n`)));
    const writer = sp.run(scriptDir(root, 'writer', `touch ${flag}\n`));
    assert.deepEqual(await Promise.all([...waiters, writer]), [1, 2, 3, 0]);
    assert.equal(readFileSync(join(root, 'w2', 'ran'), 'utf8'), `${join(root, 'w2')}\n`, 'the directory is the first argument');

    const failing = scriptDir(root, 'failing', 'echo oops >&2\nexit 7\n');
    assert.equal(await sp.run(failing), 7);
    assert.equal(readFileSync(join(failing, 'sh.err'), 'utf8'), 'oops\n');

    // Finished jobs are reaped when the next script starts: once the earlier jobs have all exited (a job answers
    // just before it exits, so on a busy machine its exit can come after the next start), one more script
    // leaves at most its own job as a zombie.
    const shellPid = (sp as unknown as { child: { pid: number } }).child.pid;
    for (let i = 0; i < 10; i++) assert.equal(await sp.run(scriptDir(root, `n${i}`, 'true\n')), 0);
    for (let t = 0; t < 500 && childrenOf(shellPid).some((k) => k.state !== 'Z'); t++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await sp.run(scriptDir(root, 'last', 'true\n')), 0);
    const kids = childrenOf(shellPid);
    assert.ok(kids.filter((k) => k.state === 'Z').length <= 1, `zombies: ${JSON.stringify(kids)}`);

    // A runner that died fails what was pending; the next script starts a new one.
    const slow = sp.run(scriptDir(root, 'slow', 'sleep 0.5\n'));
    process.kill(shellPid, 'SIGKILL');
    await assert.rejects(slow, /script runner shell exited/);
    assert.equal(await sp.run(scriptDir(root, 'after', 'exit 3\n')), 3);
    assert.notEqual((sp as unknown as { child: { pid: number } }).child.pid, shellPid);
    await assert.rejects(sp.run(join(root, 'bad\nname')), /newline/);
  } finally {
    sp.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('ShellSpawner: lines a script reports on fd 3 arrive in order before its exit status; its id is $2', async () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-spawner-'));
  const sp = new ShellSpawner();
  try {
    const lines: string[] = [];
    const dir = scriptDir(root, 'talk', 'echo "$2 - hello $2" >&3\necho not-a-line\nsh -c \'echo "$1 - from a child" >&3\' sh "$2"\nexit 4\n');
    const code = await sp.run(dir, { onLine: (l) => lines.push(l) });
    assert.equal(code, 4);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^hello \d+$/);
    assert.equal(lines[1], 'from a child');
  } finally {
    sp.close();
    rmSync(root, { recursive: true, force: true });
  }
});
