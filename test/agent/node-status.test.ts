// Node status from host figures: capacity, allocatable (reservation + hard eviction), conditions, writes due.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildNode, buildNodeStatus, conditionVerdicts, labelsToReconcile, nodeAllocatable, nodeConditions, statusWriteDue, type HostFacts, type NodeSpecInput } from '../../src/agent/node-status.js';

const Gi = 1024 ** 3;
const facts: HostFacts = {
  hostname: 'h1',
  addresses: ['192.0.2.10'],
  cpuCount: 2,
  memoryTotalBytes: 8 * Gi,
  memoryAvailableBytes: 4 * Gi,
  fsTotalBytes: 100 * Gi,
  fsAvailableBytes: 50 * Gi,
  pidMax: 4_194_304,
  pidsInUse: 300,
  machineID: 'm',
  systemUUID: 's',
  bootID: 'b',
  kernelVersion: '6.1.0',
  osImage: 'Debian GNU/Linux 12 (bookworm)',
  architecture: 'amd64',
  operatingSystem: 'linux',
};
const ok = { ready: true, networkReady: true, warnings: [] };
const input: NodeSpecInput = { name: 'n1', facts, runtimeName: 'process', runtimeVersion: '0.1.0', reservation: { cpuMillis: 100, memoryBytes: 0, ephemeralStorageBytes: 0 }, maxPods: 110, kubeletPort: 10250, labels: { 'node-role.kubernetes.io/control-plane': 'true' }, annotations: {} };

describe('node status', () => {
  it('allocatable = capacity − reservation − hard eviction thresholds', () => {
    assert.deepEqual(nodeAllocatable(facts, 110, { cpuMillis: 100, memoryBytes: Gi, ephemeralStorageBytes: 0 }), {
      cpu: '1900m',
      memory: `${(8 * Gi - Gi - 100 * 1024 * 1024) / 1024}Ki`,
      pods: '110',
      'ephemeral-storage': String(90 * Gi),
    });
  });

  const rows: { name: string; f: Partial<HostFacts>; rt?: typeof ok; type: string; status: string; reason: string }[] = [
    { name: 'enough memory', f: {}, type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' },
    { name: 'under 100Mi free', f: { memoryAvailableBytes: 50 * 1024 * 1024 }, type: 'MemoryPressure', status: 'True', reason: 'KubeletHasInsufficientMemory' },
    { name: 'under 10% disk free', f: { fsAvailableBytes: 5 * Gi }, type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure' },
    { name: 'PIDs nearly exhausted', f: { pidMax: 1000, pidsInUse: 990 }, type: 'PIDPressure', status: 'True', reason: 'KubeletHasInsufficientPID' },
    { name: 'runtime up', f: {}, type: 'Ready', status: 'True', reason: 'KubeletReady' },
    { name: 'runtime down', f: {}, rt: { ready: false, networkReady: true, warnings: [] }, type: 'Ready', status: 'False', reason: 'KubeletNotReady' },
    { name: 'network not ready', f: {}, rt: { ready: true, networkReady: false, warnings: [] }, type: 'NetworkUnavailable', status: 'True', reason: 'NoRouteCreated' },
  ];
  for (const r of rows) {
    it(`${r.name} → ${r.type}=${r.status}`, () => {
      const v = conditionVerdicts({ ...facts, ...r.f }, r.rt ?? ok).find((c) => c.type === r.type)!;
      assert.equal(v.status, r.status);
      assert.equal(v.reason, r.reason);
    });
  }

  it('runtime warnings show in the Ready message', () => {
    const v = conditionVerdicts(facts, { ready: true, networkReady: true, warnings: ['pods use the host network'] }).find((c) => c.type === 'Ready')!;
    assert.equal(v.message, 'kubelet is posting ready status (pods use the host network)');
  });

  it('transition times move only when a condition changes', () => {
    const first = nodeConditions(undefined, conditionVerdicts(facts, ok), 0);
    const later = nodeConditions(first, conditionVerdicts(facts, ok), 60_000);
    assert.equal(later[0]!.lastTransitionTime, first[0]!.lastTransitionTime);
    assert.notEqual(later[0]!.lastHeartbeatTime, first[0]!.lastHeartbeatTime);
    const down = nodeConditions(later, conditionVerdicts(facts, { ready: false, networkReady: true, warnings: [] }), 120_000);
    assert.equal(down.find((c) => c.type === 'Ready')!.lastTransitionTime, '1970-01-01T00:02:00Z');
  });

  it('registers with labels, addresses, node info and the daemon endpoint', () => {
    const n = buildNode(input, ok, 0);
    assert.equal(n.metadata?.labels?.['kubernetes.io/hostname'], 'n1');
    assert.equal(n.metadata?.labels?.['kubernetes.io/arch'], 'amd64');
    assert.equal(n.metadata?.labels?.['skiff.dev/runtime'], 'process');
    assert.equal(n.metadata?.labels?.['node-role.kubernetes.io/control-plane'], 'true');
    assert.deepEqual(n.status?.addresses, [{ type: 'InternalIP', address: '192.0.2.10' }, { type: 'Hostname', address: 'h1' }]);
    assert.equal(n.status?.nodeInfo?.containerRuntimeVersion, 'process://0.1.0');
    assert.match(n.status?.nodeInfo?.kubeletVersion ?? '', /^v1\.32\.\d+-skiff$/);
    assert.equal(n.status?.daemonEndpoints?.kubeletEndpoint?.Port, 10250);
    assert.equal(n.status?.capacity?.pods, '110');
  });

  it('writes status on change or after the report frequency, not for heartbeats alone', () => {
    const a = buildNodeStatus(input, ok, undefined, 0);
    const b = buildNodeStatus(input, ok, a, 10_000);
    assert.equal(statusWriteDue(a, b, 0, 10_000), false);
    assert.equal(statusWriteDue(a, b, 0, 300_000), true);
    const c = buildNodeStatus({ ...input, facts: { ...facts, memoryAvailableBytes: 1 } }, ok, a, 10_000);
    assert.equal(statusWriteDue(a, c, 0, 10_000), true);
    assert.equal(statusWriteDue(undefined, c, 0, 10_000), true);
  });

  it('labels to reconcile on re-registration', () => {
    assert.equal(labelsToReconcile({ a: '1', b: '2' }, { a: '1' }), undefined);
    assert.deepEqual(labelsToReconcile({ a: '1' }, { a: '2', c: '3' }), { a: '2', c: '3' });
  });
});
