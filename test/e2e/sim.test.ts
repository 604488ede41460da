// `skiff up --runtime sim`: simulated nodes register and stay Ready, the scheduler binds pods to them, the
// simulated kubelet runs them, and an unschedulable pod gets upstream's FailedScheduling message.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Cluster, e2eSkipReason, repoRoot } from './harness.js';

function skiff(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), ...args], (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

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

  test('skiff sim-node adds, stops, starts and removes nodes of the running cluster', async () => {
    const add = await skiff(['sim-node', 'add', 'big-1', '--cpu', '32', '--memory', '128Gi', '--zone', 'zone-d', '--label', 'disk=ssd', '--data-dir', c.dataDir]);
    assert.equal(add.code, 0, add.stderr);
    await c.k(['wait', '--for=condition=Ready', 'node/big-1', '--timeout=30s']);
    const node = JSON.parse(await c.k(['get', 'node', 'big-1', '-o', 'json']));
    assert.equal(node.status.allocatable.cpu, '32');
    assert.equal(node.metadata.labels['disk'], 'ssd');
    assert.equal(node.metadata.labels['topology.kubernetes.io/zone'], 'zone-d');
    assert.equal((await skiff(['sim-node', 'stop', 'big-1', '--data-dir', c.dataDir])).code, 0);
    assert.match((await skiff(['sim-node', 'ls', '--data-dir', c.dataDir])).stdout, /^big-1\tstopped/m);
    assert.equal((await skiff(['sim-node', 'start', 'big-1', '--data-dir', c.dataDir])).code, 0);
    assert.equal((await skiff(['sim-node', 'remove', 'big-1', '--data-dir', c.dataDir])).code, 0);
    for (let i = 0; i < 50; i++) {
      if ((await c.kubectl(['get', 'node', 'big-1'])).code !== 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match((await c.kubectl(['get', 'node', 'big-1'])).stderr, /NotFound/);
    const missing = await skiff(['sim-node', 'stop', 'nope', '--data-dir', c.dataDir]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /there is no simulated node nope/);
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
