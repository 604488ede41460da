// `skiff up --runtime sim` with its simulated fleet in a worker thread of the server's process (the default):
// a pod bound to a simulated node goes Pending → ContainerCreating → Running through that thread's kubelet,
// `kubectl top` shows its simulated usage (the collector reads the nodes' summaries across the thread),
// `skiff sim-node stop|start` takes a node's metrics away and brings them back, and SIGINT stops the server
// (and the thread) cleanly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ApiClient } from '../../src/client/client.js';
import { resources } from '../../src/client/index.js';
import { Cluster, e2eSkipReason, repoRoot } from './harness.js';
import { eventually } from './wait.js';
import { podStepsUntilRunning } from '../runtime/sim/pod-steps.js';

function skiff(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), ...args], (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const skip = e2eSkipReason();
if (skip) console.log(`# skipping sim worker e2e: ${skip}`);

describe('skiff up --runtime sim: the fleet in a worker thread', { skip }, () => {
  let c: Cluster;
  let client: ApiClient;
  before(async () => {
    c = await Cluster.start({ extraArgs: ['--runtime', 'sim', '--sim-nodes', '2', '--sim-node-cpu', '2', '--metric-resolution', '1s'] });
    client = ApiClient.fromKubeconfig(c.kubeconfig);
  });
  after(async () => {
    client?.close();
    await c?.stop();
  });

  test('a pod goes Pending → ContainerCreating → Running, and kubectl top shows its simulated usage', async () => {
    await c.k(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=30s']);
    const list = await client.list<Pod>(resources.pods, { namespace: 'default' });
    const watcher = await client.watch<Pod>(resources.pods, { namespace: 'default', resourceVersion: list.resourceVersion });
    const seen = await podStepsUntilRunning(watcher, 'used', () =>
      c.k(['run', 'used', '--image=nginx', '--restart=Never', '--annotations=sim.skiff.dev/cpu-usage=150m', '--annotations=sim.skiff.dev/memory-usage=32Mi']),
    );
    assert.deepEqual(seen, ['Pending', 'Pending/ContainerCreating', 'Running']);
    const top = await eventually('kubectl top pod used', async () => {
      const r = await c.kubectl(['top', 'pod', 'used', '--no-headers']);
      return r.code === 0 && r.stdout;
    });
    assert.match(top, /^used\s+150m\s+32Mi\s*$/m);
  });

  test('skiff sim-node stop takes the node\'s metrics away, start brings them back', async () => {
    const node = await c.k(['get', 'pod', 'used', '-o', 'jsonpath={.spec.nodeName}']);
    const hasMetrics = async () => new RegExp(`^${node}\\s+\\d+m\\s`, 'm').test((await c.kubectl(['top', 'nodes', '--no-headers'])).stdout);
    await eventually('node metrics', hasMetrics);
    assert.equal((await skiff(['sim-node', 'stop', node, '--data-dir', c.dataDir])).code, 0);
    await eventually('the stopped node without metrics', async () => !(await hasMetrics()));
    assert.equal((await skiff(['sim-node', 'start', node, '--data-dir', c.dataDir])).code, 0);
    await eventually('node metrics again', hasMetrics);
    const top = await c.k(['top', 'pod', 'used', '--no-headers']);
    assert.match(top, /^used\s+150m\s+32Mi\s*$/m);
  });

  test('SIGINT stops the server and its fleet thread cleanly', async () => {
    const code = await c.halt('SIGINT');
    assert.equal(code, 0, c.log);
    assert.doesNotMatch(c.log, /sim-nodes: worker thread (failed|exited unexpectedly)/);
    // The stopped node's scrape failed as an agent's 404 would (and recovered); the fleet itself always answered.
    assert.match(c.log, /unable to fetch metrics from node sim-node-\d: request failed - "404 Not Found"/);
    assert.doesNotMatch(c.log, /nodes served in this process/);
  });
});
