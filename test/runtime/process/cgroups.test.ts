import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupDirs, createCgroup, detectCgroups, oomKilled, type CgroupLayout, limitFiles, milliCpuToQuota, milliCpuToShares, parseFlatKeyed, sharesToWeight } from '../../../src/runtime/process/cgroups.js';

test('CPU conversions follow the kubelet and runc', () => {
  const shares: [number, number][] = [[0, 2], [1, 2], [100, 102], [250, 256], [1000, 1024], [300000, 262144]];
  for (const [m, s] of shares) assert.equal(milliCpuToShares(m), s, `shares(${m})`);
  const weights: [number, number][] = [[2, 1], [1024, 39], [262144, 10000]];
  for (const [s, w] of weights) assert.equal(sharesToWeight(s), w, `weight(${s})`);
  const quotas: [number, number][] = [[1, 1000], [5, 1000], [100, 10000], [500, 50000], [2000, 200000]];
  for (const [m, q] of quotas) assert.equal(milliCpuToQuota(m), q, `quota(${m})`);
});

test('limitFiles per cgroup version', () => {
  const r = { cpuRequestMillis: 250, cpuLimitMillis: 500, memoryLimitBytes: 64 << 20 };
  assert.deepEqual(limitFiles(1, r), [
    { controller: 'cpu', file: 'cpu.shares', value: '256' },
    { controller: 'cpu', file: 'cpu.cfs_period_us', value: '100000' },
    { controller: 'cpu', file: 'cpu.cfs_quota_us', value: '50000' },
    { controller: 'memory', file: 'memory.limit_in_bytes', value: String(64 << 20) },
  ]);
  assert.deepEqual(limitFiles(2, r).map((l) => `${l.file}=${l.value}`), ['cpu.weight=10', 'cpu.max=50000 100000', `memory.max=${64 << 20}`, 'memory.swap.max=0']);
  assert.deepEqual(limitFiles(1, { cpuRequestMillis: 0 }), [{ controller: 'cpu', file: 'cpu.shares', value: '2' }]);
});

test('detectCgroups: v2, v1, hybrid (v1 controllers win), none', () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-cg-'));
  try {
    const v2 = join(root, 'v2');
    mkdirSync(v2);
    writeFileSync(join(v2, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    assert.deepEqual(detectCgroups(v2), { version: 2, root: v2 });
    const hybrid = join(root, 'hybrid');
    for (const c of ['cpu,cpuacct', 'memory', 'pids', 'unified']) {
      mkdirSync(join(hybrid, c), { recursive: true });
      writeFileSync(join(hybrid, c, 'cgroup.procs'), '');
    }
    symlinkSync('cpu,cpuacct', join(hybrid, 'cpu'));
    symlinkSync('cpu,cpuacct', join(hybrid, 'cpuacct'));
    const layout = detectCgroups(hybrid)!;
    assert.equal(layout.version, 1);
    // cpu and cpuacct are one hierarchy: the cgroup is created once there.
    assert.deepEqual(cgroupDirs(layout, 'a/b').map((d) => d.slice(hybrid.length + 1)).sort(), ['cpu/a/b', 'memory/a/b', 'pids/a/b']);
    const none = join(root, 'none');
    mkdirSync(none);
    assert.equal(detectCgroups(none), undefined);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('parseFlatKeyed reads memory.stat, memory.events and oom_control', () => {
  assert.deepEqual(parseFlatKeyed('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n'), { oom_kill_disable: 0, under_oom: 0, oom_kill: 2 });
});

test('createCgroup on v2 delegates the controllers down the path and writes the limits', () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-cg2-'));
  try {
    writeFileSync(join(root, 'cgroup.controllers'), 'cpu memory pids\n');
    const layout = detectCgroups(root)!;
    const procs = createCgroup(layout, 'skiff-x/kubepods/pod1/c1', { cpuRequestMillis: 1000, memoryLimitBytes: 1 << 20 });
    assert.deepEqual(procs, [join(root, 'skiff-x/kubepods/pod1/c1/cgroup.procs')]);
    for (const dir of ['', 'skiff-x', 'skiff-x/kubepods', 'skiff-x/kubepods/pod1']) {
      // A plain file keeps only the last write; the kernel's file accumulates "+cpu", "+memory", "+pids".
      assert.equal(readFileSync(join(root, dir, 'cgroup.subtree_control'), 'utf8'), '+pids', dir);
    }
    assert.equal(readFileSync(join(root, 'skiff-x/kubepods/pod1/c1/memory.max'), 'utf8'), String(1 << 20));
    assert.equal(readFileSync(join(root, 'skiff-x/kubepods/pod1/c1/cpu.weight'), 'utf8'), '39');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('oomKilled: the oom_kill counter (v1 and v2), else failcnt with a SIGKILL', () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-cgo-'));
  try {
    const v1: CgroupLayout = { version: 1, root, controllers: { memory: join(root, 'memory'), cpu: join(root, 'cpu') } };
    const dir = join(root, 'memory', 'c');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
    assert.equal(oomKilled(v1, 'c', 137), true);
    writeFileSync(join(dir, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n');
    assert.equal(oomKilled(v1, 'c', 137), false);
    writeFileSync(join(dir, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\n');
    writeFileSync(join(dir, 'memory.failcnt'), '3\n');
    assert.equal(oomKilled(v1, 'c', 137), true);
    assert.equal(oomKilled(v1, 'c', 1), false);
    const v2: CgroupLayout = { version: 2, root };
    mkdirSync(join(root, 'x'));
    writeFileSync(join(root, 'x', 'memory.events'), 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n');
    assert.equal(oomKilled(v2, 'x', 137), true);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
