// `skiff up --runtime sim`: simulated nodes register and stay Ready, the scheduler binds pods to them, the
// simulated kubelet runs them, and an unschedulable pod gets upstream's FailedScheduling message.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, e2eSkipReason } from './harness.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping sim e2e: ${skip}`);

describe('skiff up --runtime sim', { skip }, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({ extraArgs: ['--runtime', 'sim', '--sim-nodes', '3', '--sim-node-cpu', '2'] });
  });
  after(async () => {
    await c?.stop();
  });

  test('nodes are Ready with zones', async () => {
    await c.k(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=30s']);
    const nodes = JSON.parse(await c.k(['get', 'nodes', '-o', 'json'])).items;
    assert.equal(nodes.length, 3);
    assert.deepEqual(nodes.map((n: any) => n.metadata.labels['topology.kubernetes.io/zone']).sort(), ['zone-a', 'zone-b', 'zone-c']);
    const leases = await c.k(['-n', 'kube-node-lease', 'get', 'leases', '-o', 'name']);
    assert.equal(leases.trim().split('\n').length, 3);
  });

  test('a pod is scheduled and runs; an oversized one is reported unschedulable', async () => {
    await c.k(['run', 'small', '--image=nginx', '--restart=Never']);
    await c.k(['wait', '--for=condition=Ready', 'pod/small', '--timeout=30s']);
    const pod = JSON.parse(await c.k(['get', 'pod', 'small', '-o', 'json']));
    assert.match(pod.spec.nodeName, /^sim-node-\d$/);
    assert.equal(pod.status.phase, 'Running');
    await c.k(['run', 'huge', '--image=nginx', '--restart=Never', '--overrides', JSON.stringify({ spec: { containers: [{ name: 'huge', image: 'nginx', resources: { requests: { cpu: '64' } } }] } })]);
    let events = '';
    for (let i = 0; i < 50 && !/FailedScheduling/.test(events); i++) {
      await new Promise((r) => setTimeout(r, 200));
      events = await c.k(['get', 'events', '--field-selector', 'involvedObject.name=huge']);
    }
    assert.match(events, /0\/3 nodes are available: 3 Insufficient cpu\./);
  });
});
