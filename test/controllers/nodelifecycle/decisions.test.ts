import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { desiredTaints, evictionTime, observeHealth, staleConditions } from '../../../src/controllers/nodelifecycle/decisions.js';

const node = (ready: string | undefined, o: { heartbeat?: string; taints?: Taint[]; unschedulable?: boolean } = {}): Node => ({
  metadata: { name: 'n1', creationTimestamp: '2024-01-01T00:00:00Z' },
  spec: { taints: o.taints, unschedulable: o.unschedulable },
  status: {
    conditions: ready
      ? [
          { type: 'MemoryPressure', status: ready === 'Unknown' ? 'Unknown' : 'False' },
          { type: 'DiskPressure', status: ready === 'Unknown' ? 'Unknown' : 'False' },
          { type: 'PIDPressure', status: ready === 'Unknown' ? 'Unknown' : 'False' },
          { type: 'Ready', status: ready, reason: 'KubeletReady', lastHeartbeatTime: o.heartbeat ?? '2024-01-01T00:00:00Z', lastTransitionTime: '2024-01-01T00:00:00Z' },
        ]
      : [],
  },
});
const grace = { monitorGraceMs: 50_000, startupGraceMs: 60_000 };

test('health observation: lease renewals and heartbeats move the probe time', () => {
  const n = node('True');
  const lease = (t: string) => ({ metadata: { name: 'n1' }, spec: { renewTime: t } });
  const h0 = observeHealth(undefined, n, lease('2024-01-01T00:00:01.000000Z'), 1000);
  assert.equal(h0.probeTimestamp, 1000);
  assert.equal(observeHealth(h0, n, lease('2024-01-01T00:00:01.000000Z'), 5000).probeTimestamp, 1000, 'nothing new');
  assert.equal(observeHealth(h0, n, lease('2024-01-01T00:00:11.000000Z'), 5000).probeTimestamp, 5000, 'lease renewed');
  assert.equal(observeHealth(h0, node('True', { heartbeat: '2024-01-01T00:05:00Z' }), lease('2024-01-01T00:00:01.000000Z'), 7000).probeTimestamp, 7000, 'heartbeat');
});

test('node condition transitions', () => {
  const cases: { name: string; n: Node; probe: number; now: number; want?: [string, string] }[] = [
    { name: 'within grace: unchanged', n: node('True'), probe: 0, now: 50_000 },
    { name: 'past grace: Unknown', n: node('True'), probe: 0, now: 50_001, want: ['Unknown', 'NodeStatusUnknown'] },
    { name: 'NotReady past grace: Unknown', n: node('False'), probe: 0, now: 60_000, want: ['Unknown', 'NodeStatusUnknown'] },
    { name: 'already Unknown: no write', n: node('Unknown'), probe: 0, now: 600_000 },
    { name: 'never reported, within startup grace', n: node(undefined), probe: 0, now: 55_000 },
    { name: 'never reported, past startup grace', n: node(undefined), probe: 0, now: 60_001, want: ['Unknown', 'NodeStatusNeverUpdated'] },
  ];
  for (const c of cases) {
    const got = staleConditions(c.n, { probeTimestamp: c.probe }, c.now, grace, '2024-01-01T01:00:00Z');
    if (!c.want) {
      assert.equal(got, undefined, c.name);
      continue;
    }
    const r = got!.find((x) => x.type === 'Ready')!;
    assert.deepEqual([r.status, r.reason], c.want, c.name);
    assert.equal(r.lastTransitionTime, '2024-01-01T01:00:00Z');
    assert.ok(got!.some((x) => x.type === 'MemoryPressure' && x.status === 'Unknown'), c.name);
  }
});

test('taints follow the Ready condition and unschedulable', () => {
  const t = '2024-01-01T01:00:00Z';
  const keys = (ts: Taint[]) => ts.map((x) => `${x.key}:${x.effect}`).sort();
  assert.deepEqual(keys(desiredTaints(node('True'), t)), []);
  assert.deepEqual(keys(desiredTaints(node(undefined), t)), [], 'no Ready condition yet: no taints');
  assert.deepEqual(keys(desiredTaints(node('False'), t)), ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']);
  assert.deepEqual(keys(desiredTaints(node('Unknown'), t)), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
  assert.deepEqual(keys(desiredTaints(node('True', { unschedulable: true, taints: [{ key: 'mine', effect: 'NoSchedule' }] }), t)), ['mine:NoSchedule', 'node.kubernetes.io/unschedulable:NoSchedule']);
  // Recovery removes them; an existing taint keeps its timeAdded.
  const tainted = desiredTaints(node('Unknown'), t);
  assert.deepEqual(keys(desiredTaints(node('True', { taints: tainted }), t)), []);
  const kept = desiredTaints(node('Unknown', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2023-01-01T00:00:00Z' }] }), t);
  assert.equal(kept.find((x) => x.effect === 'NoExecute')!.timeAdded, '2023-01-01T00:00:00Z');
});

test('taint-based eviction time honours tolerationSeconds', () => {
  const added = '2024-01-01T00:00:00Z';
  const t0 = Date.parse(added);
  const unreachable: Taint[] = [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: added }];
  const pod = (tolerations: Toleration[]): Pod => ({ metadata: { name: 'p' }, spec: { containers: [], tolerations } });
  const dflt = (key: string, s?: number): Toleration => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: s });
  const cases: { name: string; p: Pod; taints: Taint[]; want: 'never' | 'now' | number }[] = [
    { name: 'no taints', p: pod([]), taints: [], want: 'never' },
    { name: 'NoSchedule only', p: pod([]), taints: [{ key: 'x', effect: 'NoSchedule' }], want: 'never' },
    { name: 'untolerated', p: pod([]), taints: unreachable, want: 'now' },
    { name: 'default 300 s', p: pod([dflt('node.kubernetes.io/unreachable', 300)]), taints: unreachable, want: t0 + 300_000 },
    { name: 'forever', p: pod([dflt('node.kubernetes.io/unreachable')]), taints: unreachable, want: 'never' },
    { name: 'smallest of the used tolerations', p: pod([dflt('node.kubernetes.io/unreachable', 300), { operator: 'Exists', tolerationSeconds: 30 }]), taints: unreachable, want: t0 + 30_000 },
    { name: 'zero seconds', p: pod([dflt('node.kubernetes.io/unreachable', 0)]), taints: unreachable, want: 'now' },
    { name: 'no timeAdded: first seen', p: pod([dflt('k', 10)]), taints: [{ key: 'k', effect: 'NoExecute' }], want: 5000 + 10_000 },
  ];
  for (const c of cases) assert.equal(evictionTime(c.p, c.taints, 5000), c.want, c.name);
});
