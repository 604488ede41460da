import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateTracker, buildSummary, nanoCores, parseMeminfo, parseProcStatCpu } from '../../../src/agent/server/stats-summary.js';
import type { ContainerStats, ContainerStatus, PodSandboxStatus } from '../../../src/runtime/runtime.js';

test('nano-cores from two cumulative samples', () => {
  const cases: [Parameters<typeof nanoCores>[0], Parameters<typeof nanoCores>[1], number | undefined][] = [
    [{ timestampMs: 0, cpuNs: 0 }, { timestampMs: 1000, cpuNs: 1e9 }, 1e9],
    [{ timestampMs: 0, cpuNs: 0 }, { timestampMs: 2000, cpuNs: 5e8 }, 2.5e8],
    [{ timestampMs: 1000, cpuNs: 10 }, { timestampMs: 1000, cpuNs: 20 }, undefined],
    [{ timestampMs: 0, cpuNs: 50 }, { timestampMs: 1000, cpuNs: 10 }, undefined],
    [undefined, { timestampMs: 1000, cpuNs: 10 }, undefined],
  ];
  for (const [prev, cur, want] of cases) assert.equal(nanoCores(prev, cur), want);
});

test('RateTracker keeps a sample at least a second old when scrapes come quickly', () => {
  const r = new RateTracker();
  assert.equal(r.rate('c', { timestampMs: 0, cpuNs: 0 }), undefined);
  assert.equal(r.rate('c', { timestampMs: 100, cpuNs: 1e8 }), 1e9);
  assert.equal(r.rate('c', { timestampMs: 2000, cpuNs: 1e9 }), 5e8, 'still measured from t=0');
  r.retain(new Set());
  assert.equal(r.has('c'), false);
});

test('/proc parsing', () => {
  assert.equal(parseProcStatCpu('cpu  100 0 50 1000 30 0 10 0 0 0\ncpu0 1 2 3\n'), 160 * 10_000_000);
  assert.deepEqual(parseMeminfo('MemTotal:       1000 kB\nMemFree:         200 kB\nMemAvailable:    600 kB\nInactive(file):  100 kB\nAnonPages:        50 kB\n'), {
    totalBytes: 1024000,
    freeBytes: 204800,
    availableBytes: 614400,
    inactiveFileBytes: 102400,
    anonBytes: 51200,
  });
});

test('the Summary document: running containers of ready sandboxes, pod totals', () => {
  const sb = (id: string, state: 'ready' | 'notready'): PodSandboxStatus => ({ id, uid: `u-${id}`, name: `p-${id}`, namespace: 'default', attempt: 0, state, createdAtMs: 0, ips: [], network: 'host', labels: {}, annotations: {} });
  const ctr = (id: string, sandboxId: string, name: string, state: ContainerStatus['state']): ContainerStatus => ({ id, sandboxId, name, attempt: 0, state, image: 'x', imageRef: 'x', createdAtMs: 1000, startedAtMs: 2000, logPath: '', labels: { 'io.kubernetes.container.name': name }, annotations: {} });
  const stat = (id: string, cpu: number, mem: number): ContainerStats => ({ id, name: id, sandboxId: '', timestampMs: 5000, cpuUsageCoreNanoSeconds: cpu, memoryWorkingSetBytes: mem });
  const s = buildSummary({
    nodeName: 'n1',
    node: { timestampMs: 5000, cpuNs: 42, memory: { totalBytes: 1000, freeBytes: 300, availableBytes: 500, inactiveFileBytes: 100, anonBytes: 50 }, bootTimeMs: 0 },
    nodeRate: 7,
    sandboxes: [sb('a', 'ready'), sb('b', 'notready')],
    containers: [ctr('c1', 'a', 'app', 'running'), ctr('c2', 'a', 'side', 'running'), ctr('c3', 'a', 'old', 'exited'), ctr('c4', 'b', 'x', 'running')],
    stats: [stat('c1', 100, 10), stat('c2', 200, 20), stat('c3', 1, 1), stat('c4', 1, 1)],
    rates: new Map([['c1', 5], ['c2', 6]]),
  });
  assert.deepEqual(s.node.memory, { time: '1970-01-01T00:00:05Z', availableBytes: 500, usageBytes: 700, workingSetBytes: 600, rssBytes: 50 });
  assert.deepEqual(s.node.cpu, { time: '1970-01-01T00:00:05Z', usageNanoCores: 7, usageCoreNanoSeconds: 42 });
  assert.equal(s.pods.length, 1);
  assert.deepEqual(s.pods[0]!.podRef, { name: 'p-a', namespace: 'default', uid: 'u-a' });
  assert.deepEqual(s.pods[0]!.containers.map((c) => c.name), ['app', 'side']);
  assert.deepEqual(s.pods[0]!.cpu, { time: '1970-01-01T00:00:05Z', usageNanoCores: 11, usageCoreNanoSeconds: 300 });
  assert.equal(s.pods[0]!.memory.workingSetBytes, 30);
});
