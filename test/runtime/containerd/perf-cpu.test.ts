// The containerd benchmark's CPU split (bench/_perf-cpu.ts): perf script lines → CPU per command name for
// a process tree, overall and inside time windows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuByCommand, type Window } from '../../../bench/_perf-cpu.js';

const ms = 1_000_000; // one sample's period: 1 ms of CPU, in ns
const sample = (comm: string, pid: number, sec: number, period = ms) => `  ${comm} ${pid} ${sec.toFixed(9)}:   ${period} `;
const fork = (comm: string, parent: number, child: number) => `  ${comm} ${parent} PERF_RECORD_FORK(${child}:${child}):(${parent}:${parent})`;
const s = (sec: number): bigint => BigInt(Math.round(sec * 1e9));

const cases: Array<{ name: string; lines: string[]; roots: number[]; windows?: Window[]; all: Record<string, number>; inWindows: Record<string, number> }> = [
  {
    name: 'only the root and what it forked (transitively) count',
    lines: [
      sample('containerd', 10, 1),
      fork('containerd', 10, 11),
      sample('bridge', 11, 1.1),
      fork('bridge', 11, 12),
      sample('host-local', 12, 1.2),
      sample('node', 99, 1.3),
      sample('bridge', 50, 1.4), // a CNI plugin of someone else's runtime
    ],
    roots: [10],
    all: { containerd: 1, bridge: 1, 'host-local': 1 },
    inWindows: {},
  },
  {
    name: 'a process forked before it was in the tree is not counted; comm names with spaces and brackets parse',
    lines: [fork('sh', 5, 20), fork('containerd', 10, 21), sample('runc:[2:INIT]', 21, 2, 2 * ms), sample('npm run bench c', 20, 2)],
    roots: [10],
    all: { 'runc:[2:INIT]': 2 },
    inWindows: {},
  },
  {
    name: 'windows select samples by time (start inclusive, end exclusive)',
    lines: [sample('containerd', 10, 1), sample('containerd', 10, 2), sample('containerd', 10, 3), sample('containerd-shim', 10, 3.5)],
    roots: [10],
    windows: [
      [s(2), s(3)],
      [s(3.5), s(4)],
    ],
    all: { containerd: 3, 'containerd-shim': 1 },
    inWindows: { containerd: 1, 'containerd-shim': 1 },
  },
  {
    name: 'a pid reused after its process exited is not in the tree',
    lines: [fork('containerd', 10, 30), sample('bridge', 30, 1), '  bridge 30 PERF_RECORD_EXIT(30:30):(10:10)', sample('python3', 30, 2)],
    roots: [10],
    all: { bridge: 1 },
    inWindows: {},
  },
  {
    name: 'unrelated lines are ignored',
    lines: ['', '  containerd 10 PERF_RECORD_COMM exec: containerd:10/10', '  containerd 10 PERF_RECORD_EXIT(10:11):(1:1)', 'garbage'],
    roots: [10],
    all: {},
    inWindows: {},
  },
];

for (const c of cases) {
  test(`cpuByCommand: ${c.name}`, () => {
    const r = cpuByCommand(c.lines, c.roots, c.windows);
    assert.deepEqual(Object.fromEntries(r.all), c.all);
    assert.deepEqual(Object.fromEntries(r.windows), c.inWindows);
  });
}
