// A node fails: `skiff sim-node stop` ends its heartbeats; with --node-monitor-grace-period 15s the node
// lifecycle controller marks it NotReady/Unknown and taints it; pods that tolerate the taints for only 2 s
// are evicted, and the Deployment's ReplicaSet replaces them on the remaining nodes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Cluster, e2eSkipReason, repoRoot } from './harness.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping node failure e2e: ${skip}`);

const deployment = JSON.stringify({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'c', image: 'nginx' }],
        tolerations: [
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
        ],
      },
    },
  },
});

describe('node failure: NotReady, eviction after tolerationSeconds, replacement elsewhere', { skip }, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({ extraArgs: ['--runtime', 'sim', '--sim-nodes', '3', '--node-monitor-period', '1s', '--node-monitor-grace-period', '15s'] });
  });
  after(async () => {
    await c?.stop();
  });

  test('pods on a stopped node are replaced on the others', { timeout: 120_000 }, async () => {
    await c.k(['apply', '-f', '-'], deployment);
    await c.k(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    const pods = JSON.parse(await c.k(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items;
    const victim = pods[0].spec.nodeName as string;
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), 'sim-node', 'stop', victim, '--data-dir', c.dataDir], (err) => (err ? reject(err) : resolve())),
    );
    await c.k(['wait', '--for=condition=Ready=Unknown', `node/${victim}`, '--timeout=60s']);
    const taints = JSON.parse(await c.k(['get', 'node', victim, '-o', 'json'])).spec.taints.map((t: { key: string; effect: string }) => `${t.key}:${t.effect}`);
    assert.ok(taints.includes('node.kubernetes.io/unreachable:NoExecute'), taints.join(','));
    // Replacement: three ready pods of the Deployment, none on the failed node.
    let ok = false;
    for (let i = 0; i < 120 && !ok; i++) {
      const items = JSON.parse(await c.k(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items as { spec: { nodeName?: string }; metadata: { deletionTimestamp?: string }; status: { conditions?: { type: string; status: string }[] } }[];
      const healthy = items.filter((p) => !p.metadata.deletionTimestamp && p.spec.nodeName && p.spec.nodeName !== victim && p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
      ok = healthy.length >= 3;
      if (!ok) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(ok, 'three ready replicas on the remaining nodes');
    const events = await c.k(['get', 'events', '--field-selector', 'reason=TaintManagerEviction']);
    assert.match(events, /TaintManagerEviction/);
  });
});
