import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProcStat, processTree, readProcStat, type ProcStat } from '../../../src/runtime/process/proc.js';
import { podEtcFiles } from '../../../src/runtime/process/pod-files.js';
import { ensureMountPoint, findExecutable } from '../../../src/runtime/process/host-paths.js';

test('parseProcStat copes with spaces and parentheses in the command name', () => {
  const line = '4242 (my (weird) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 2 1 20 0 1 0 123456 1000000 250 18446744073709551615';
  const st = parseProcStat(line)!;
  assert.deepEqual([st.pid, st.state, st.ppid, st.pgid, st.sid, st.cpuTicks, st.startTime, st.rssPages], [4242, 'S', 1, 4242, 4242, 13, 123456, 250]);
  const self = readProcStat(process.pid)!;
  assert.equal(self.pid, process.pid);
  assert.ok(self.startTime > 0);
});

test('processTree collects descendants', () => {
  const s = (pid: number, ppid: number) => ({ pid, ppid }) as ProcStat;
  const snap = [s(1, 0), s(10, 1), s(11, 10), s(12, 11), s(20, 1), s(13, 10)];
  assert.deepEqual(processTree(snap, 10).map((p) => p.pid).sort(), [10, 11, 12, 13]);
  assert.deepEqual(processTree(snap, 99), []);
});

test('the pod /etc files from the sandbox config', () => {
  const files = podEtcFiles({ name: 'web-0', namespace: 'ns', hostname: 'web-0', hostNetwork: false, hostAliases: [{ ip: '10.0.0.9', hostnames: ['a', 'b'] }],
    dns: { servers: ['10.43.0.10'], searches: ['ns.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] } }, ['10.42.0.7'], 'ignored');
  assert.equal(files.resolvConf, 'search ns.svc.cluster.local svc.cluster.local\nnameserver 10.43.0.10\noptions ndots:5\n');
  assert.equal(files.hostname, 'web-0\n');
  assert.match(files.hosts, /^# Kubernetes-managed hosts file\.\n127\.0\.0\.1\tlocalhost\n/);
  assert.match(files.hosts, /\n10\.42\.0\.7\tweb-0\n/);
  assert.match(files.hosts, /\n# Entries added by HostAliases\.\n10\.0\.0\.9\ta\tb\n$/);
  const host = podEtcFiles({ name: 'n', namespace: 'ns', hostname: 'n', hostNetwork: true }, [], '127.0.0.1 localhost\n10.1.1.1 node1');
  assert.match(host.hosts, /127\.0\.0\.1 localhost\n10\.1\.1\.1 node1\n$/);
  assert.equal(host.resolvConf, undefined);
});

test('findExecutable: PATH lookup and runc-style messages', () => {
  assert.equal(findExecutable('sh', '/nope:/bin:/usr/bin', []), undefined);
  assert.equal(findExecutable(process.execPath, '', []), undefined);
  assert.equal(findExecutable('no-such-tool-x', '/bin', []), 'exec: "no-such-tool-x": executable file not found in $PATH');
  assert.equal(findExecutable('/opt/missing/bin', '/bin', []), 'exec: "/opt/missing/bin": stat /opt/missing/bin: no such file or directory');
  assert.equal(findExecutable('/vol/run.sh', '/bin', ['/vol']), undefined, 'inside a volume: not checked on the host');
});

test('ensureMountPoint creates exactly the missing path, shallowest first', () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-mp-'));
  try {
    assert.deepEqual(ensureMountPoint(join(root, 'a/b/c'), true), [join(root, 'a'), join(root, 'a/b'), join(root, 'a/b/c')]);
    assert.deepEqual(ensureMountPoint(join(root, 'a/b/c'), true), []);
    assert.deepEqual(ensureMountPoint(join(root, 'a/f.conf'), false), [join(root, 'a/f.conf')]);
    assert.ok(existsSync(join(root, 'a/f.conf')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
