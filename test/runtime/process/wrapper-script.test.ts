import { after, test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { containerCommand, isShellName, launcherScript, mountCommands, parseExitFile, shellJoin, shellQuote, wrapperScript } from '../../../src/runtime/process/wrapper-script.js';
import { execArgv } from '../../../src/runtime/process/exec-command.js';
import { podSysctlPath } from '../../../src/runtime/process/sysctls.js';

test('shellQuote: words survive a real shell unchanged', () => {
  const words = ['plain', '', 'with space', "it's", '$HOME', '`id`', 'a"b', 'new\nline', '*', '-x', 'ü', '\\'];
  const out = execFileSync('sh', ['-c', `printf '%s\\0' ${shellJoin(words)}`]).toString();
  assert.deepEqual(out.split('\0').slice(0, -1), words);
  assert.equal(shellQuote('/usr/bin/node'), '/usr/bin/node');
  assert.equal(shellQuote('a b'), "'a b'");
});

test('containerCommand: new session, user switch, terminal', () => {
  const cases: [string, Parameters<typeof containerCommand>[0], string[]][] = [
    ['plain', { argv: ['sleep', '1'], tty: false }, ['setsid', 'sleep', '1']],
    ['tty', { argv: ['sh', '-c', 'echo hi'], tty: true }, ['setsid', 'script', '-qfec', "sh -c 'echo hi'", '/dev/null']],
    ['user', { argv: ['id'], tty: false, user: { uid: 1000, gid: 1000, groups: [] } }, ['setsid', 'setpriv', '--reuid=1000', '--regid=1000', '--clear-groups', '--', 'id']],
    ['groups', { argv: ['id'], tty: false, user: { uid: 1, gid: 2, groups: [3, 4] } }, ['setsid', 'setpriv', '--reuid=1', '--regid=2', '--groups=3,4', '--', 'id']],
  ];
  for (const [name, spec, want] of cases) assert.deepEqual(containerCommand(spec), want, name);
});

test('mountCommands: bind, read-only remount, propagation', () => {
  assert.deepEqual(mountCommands({ source: '/s', target: '/t', readOnly: false }), [['mount', '-o', 'rbind', '/s', '/t']]);
  assert.deepEqual(mountCommands({ source: '/s', target: '/t', readOnly: true, propagation: 'hostToContainer' }, '/bin/busybox'), [
    ['/bin/busybox', 'mount', '-o', 'rbind', '/s', '/t'],
    ['/bin/busybox', 'mount', '-o', 'remount,bind,ro', '/t'],
    ['mount', '--make-rslave', '/t'],
  ]);
  assert.deepEqual(mountCommands({ source: '/s', target: '/t', readOnly: false, propagation: 'bidirectional' }).at(-1), ['mount', '--make-rshared', '/t']);
});

test('wrapperScript is valid POSIX shell and holds what it must', () => {
  const script = wrapperScript({
    dir: "/state/c/it's", argv: ['node', '-e', 'x'], workingDir: '/w d', tty: false, stdin: true, hostname: 'pod',
    mounts: [{ source: '/v', target: '/data', readOnly: true }], cgroupProcs: ['/sys/fs/cgroup/memory/p/cgroup.procs'],
  });
  execFileSync('sh', ['-n', '-c', script]); // syntax check by the real shell
  for (const want of ["exec 3<>'/state/c/it'\\''s/out' 4<>", 'echo pod >/proc/sys/kernel/hostname', 'cgroup.procs', "cd '/w d'", 'echo "$t started $me" >&6', 'exec setsid node -e x <', 'stdin-holder']) {
    assert.ok(script.includes(want), want);
  }
  assert.ok(script.includes('\nmkfifo -m 600 '), 'mkfifo without busybox');
  const bb = wrapperScript({ dir: '/d', argv: ['sleep', '1'], workingDir: '/', tty: false, stdin: false, mounts: [], cgroupProcs: [], busybox: '/bin/busybox' });
  assert.ok(bb.includes('\n/bin/busybox mkfifo -m 600 ') && bb.includes('exec setsid sleep 1 <'), 'busybox applets');
  const tty = wrapperScript({ dir: '/d', argv: ['sh'], workingDir: '/', tty: true, stdin: false, mounts: [], cgroupProcs: [] });
  assert.ok(tty.includes('2>&1') && !tty.includes('/d/err') && tty.includes('</dev/null'));
});

test('launcherScript: the container environment exactly (exported, or env -i for other names), argv with the id, fd 3 as stdout', () => {
  const show = 'for v in "$@"; do printf "%s|" "$v"; done; env | grep -v "^PWD=" | sort | tr "\\n" ";"';
  const dir = mkdtempSync(join(tmpdir(), 'skiff-launcher-'));
  const run = (env: Record<string, string>, argv = ['sh', '-c', show, 'sh']) => {
    writeFileSync(join(dir, 'run.sh'), launcherScript(env, argv));
    return execFileSync('sh', ['-c', `(set -- "$0" 17; . "$0/run.sh") 3>&1 >/dev/null`, dir], { env: { PATH: '/usr/bin:/bin', INHERITED: 'x' } }).toString();
  };
  after(() => rmSync(dir, { recursive: true, force: true }));
  // Inherited variables of the runner other than PATH: only INHERITED here, which a runner does not have.
  assert.equal(run({ PATH: '/usr/bin:/bin', A: "it's $x" }), "17|A=it's $x;INHERITED=x;PATH=/usr/bin:/bin;");
  // (A shell drops such names from what it passes on: `env` shows them.)
  const awkEnv = ['awk', 'BEGIN { for (k in ENVIRON) print k "=" ENVIRON[k] }'];
  assert.deepEqual(run({ PATH: '/usr/bin:/bin', 'my.var': '1' }, awkEnv).split('\n').sort(), ['', 'PATH=/usr/bin:/bin', 'my.var=1']);
  assert.equal(isShellName('A_1'), true);
  assert.equal(isShellName('1A'), false);
  assert.equal(isShellName('a-b'), false);
});

test('parseExitFile', () => {
  assert.equal(parseExitFile('0\n'), 0);
  assert.equal(parseExitFile('137\n'), 137);
  assert.equal(parseExitFile(''), undefined);
  assert.equal(parseExitFile('13'), undefined); // still being written
});

test('execArgv: namespaces, cgroups and user when isolated; plain otherwise; script for a terminal', () => {
  assert.deepEqual(execArgv({ workingDir: '/', cgroupProcs: [] }, ['ls', '-l'], false), ['ls', '-l']);
  assert.deepEqual(execArgv({ workingDir: '/', cgroupProcs: [] }, ['sh'], true), ['script', '-qfec', 'sh', '/dev/null']);
  const iso = execArgv({ nsPid: 42, workingDir: '/app', cgroupProcs: ['/cg/cgroup.procs'], user: { uid: 5, gid: 6, groups: [] } }, ['id'], false);
  assert.deepEqual(iso.slice(0, 7), ['nsenter', '--target=42', '--net', '--mount', '--uts', '--', 'sh']);
  assert.match(iso[8], /echo "\$me" >\/cg\/cgroup\.procs.*cd \/app/);
  assert.deepEqual(iso.slice(9), ['sh', 'setpriv', '--reuid=5', '--regid=6', '--clear-groups', '--', 'id']);
});

test('podSysctlPath: net.* only, either separator', () => {
  assert.deepEqual(podSysctlPath('net.ipv4.ip_local_port_range'), { path: '/proc/sys/net/ipv4/ip_local_port_range' });
  assert.deepEqual(podSysctlPath('net/ipv4/conf/eth0.1/forwarding'), { path: '/proc/sys/net/ipv4/conf/eth0.1/forwarding' });
  assert.ok('error' in podSysctlPath('kernel.shm_rmid_forced'));
  assert.ok('error' in podSysctlPath('net/../kernel/x'));
});
