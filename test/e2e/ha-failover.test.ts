// Clients of a cluster behind two Skiff servers on one etcd keep working when a server dies: the kubeconfig
// from `skiff kubeconfig --servers A,B` lists both (kubectl: the default context and one context per server);
// an ApiClient loaded from it, with an informer, and a node agent started with `--server A,B` go on through B
// after A is SIGKILLed: writes succeed, the informer sees writes made after the kill, the agent's node Lease
// keeps being renewed and the node stays Ready.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ConfigMap, Node } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { ApiClient } from '../../src/client/client.js';
import { loadKubeconfig } from '../../src/client/config.js';
import { Informer } from '../../src/client/informer.js';
import * as resources from '../../src/client/resources.js';
import { Cluster, e2eSkipReason, kubectlPath, repoRoot, stopChild } from './harness.js';
import { eventually } from './wait.js';
import { etcdSkipReason, startEtcd } from '../storage/etcd-harness.js';

const skip = e2eSkipReason() ?? etcdSkipReason();
if (skip) console.log(`# skipping the multi-server failover e2e: ${skip}`);
const cli = join(repoRoot, 'dist', 'cli', 'main.js');

function kubectl(kubeconfig: string, args: string[]): { code: number; out: string } {
  const r = spawnSync(kubectlPath, ['--kubeconfig', kubeconfig, '--request-timeout=10s', ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

test('clients, kubectl contexts and an agent fail over between two servers', { skip, timeout: 240_000 }, async (t) => {
  const etcd = await startEtcd({ members: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-ha-failover-'));
  const servers: Cluster[] = [];
  let client: ApiClient | undefined;
  let informer: Informer<ConfigMap> | undefined;
  let agent: ChildProcess | undefined;
  let agentLog = '';
  try {
    // Control plane only on both servers; the one node is the agent below.
    const args = ['--datastore', 'etcd', '--etcd-endpoints', etcd.endpoints.join(','), '--runtime', 'sim', '--sim-nodes', '0'];
    servers.push(await Cluster.start({ extraArgs: args }));
    servers.push(await Cluster.start({ extraArgs: args }));
    const [a, b] = servers as [Cluster, Cluster];
    const urlA = `https://127.0.0.1:${a.port}`;
    const urlB = `https://127.0.0.1:${b.port}`;

    const kubeconfig = join(dir, 'kubeconfig.yaml');
    const printed = spawnSync(process.execPath, [cli, 'kubeconfig', '--data-dir', a.dataDir, '--servers', `${urlA},${urlB}`], { encoding: 'utf8' });
    assert.equal(printed.status, 0, printed.stderr);
    writeFileSync(kubeconfig, printed.stdout, { mode: 0o600 });

    await t.test('kubectl: the default context is the first server, skiff-1 and skiff-2 one server each', () => {
      assert.match(kubectl(kubeconfig, ['config', 'get-contexts', '-o', 'name']).out, /^skiff\nskiff-1\nskiff-2$/m);
      assert.equal(kubectl(kubeconfig, ['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}']).out, urlA);
      assert.equal(kubectl(kubeconfig, ['--context', 'skiff-2', 'config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}']).out, urlB);
      const created = kubectl(kubeconfig, ['create', 'namespace', 'fo']);
      assert.equal(created.code, 0, created.out);
      const viaB = kubectl(kubeconfig, ['--context', 'skiff-2', 'get', 'namespace', 'fo', '-o', 'name']);
      assert.equal(viaB.out.trim(), 'namespace/fo');
    });

    const cfg = loadKubeconfig(kubeconfig);
    assert.deepEqual(cfg.servers, [urlA, urlB]);
    client = ApiClient.fromConfig(cfg, { timeoutMs: 10_000 });
    const cms = client.typed(resources.configMaps);
    informer = new Informer<ConfigMap>(client, resources.configMaps, { namespace: 'fo', log: () => {} });
    informer.start();
    await informer.waitForSync();

    // The join command A printed; the agent gets both servers.
    const joinCmd = /skiff agent --server (\S+) --token (\S+)/.exec(a.log);
    assert.ok(joinCmd, 'server A printed the join command');
    const nodeName = `fo-${a.port}`;
    agent = spawn(
      process.execPath,
      [cli, 'agent', '--server', `${urlA},${urlB}`, '--token', joinCmd[2]!, '--node-name', nodeName, '--data-dir', join(dir, 'agent'),
        '--runtime', 'process', '--kubelet-port', '0', '--node-ip', '127.0.0.1', '--cni-bridge', `skfo${a.port % 10000}`,
        '--cluster-dns', `10.61.${a.port & 255}.10`, '--remove-pods-on-exit'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout!.on('data', (d: Buffer) => (agentLog += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (agentLog += d.toString()));
    const nodeReady = async () => {
      const n = await client!.get<Node>(resources.nodes, nodeName);
      return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    };
    await eventually(`node ${nodeName} Ready (agent output: ${agentLog.slice(-500)})`, nodeReady, 90_000);

    await t.test('before the kill: writes through A reach the informer', async () => {
      await cms.create({ metadata: { name: 'before', namespace: 'fo' }, data: { k: 'v' } });
      await eventually('informer sees "before"', async () => informer!.indexer.get('fo/before') !== undefined, 10_000);
    });

    const leaseBefore = await client.get<Lease>(resources.leases, nodeName, { namespace: 'kube-node-lease' });
    await a.halt('SIGKILL');
    const killedAt = Date.now();

    await t.test('after SIGKILL of A: the same client writes and reads through B', async () => {
      // The request that was on a pooled connection to A may fail once; the next one connects to B.
      const created = await eventually('a create after the kill', async () => cms.create({ metadata: { name: 'after', namespace: 'fo' }, data: { k: 'v2' } }), 15_000);
      assert.equal(created.metadata?.name, 'after');
      assert.equal((await cms.get('after', { namespace: 'fo' })).data?.['k'], 'v2');
      t.diagnostic(`first write after the kill acknowledged ${Date.now() - killedAt} ms after SIGKILL of A`);
    });

    await t.test('the informer re-watches through B and sees writes made after the kill', async () => {
      await eventually('informer sees "after"', async () => informer!.indexer.get('fo/after') !== undefined, 30_000);
      const viaB = kubectl(kubeconfig, ['--context', 'skiff-2', 'create', 'configmap', 'by-kubectl', '-n', 'fo', '--from-literal=k=v3']);
      assert.equal(viaB.code, 0, viaB.out);
      await eventually('informer sees "by-kubectl"', async () => informer!.indexer.get('fo/by-kubectl') !== undefined, 30_000);
    });

    await t.test('the agent renews its node Lease through B and its node stays Ready', async () => {
      const renewed = await eventually(
        'the node Lease renewed after the kill',
        async () => {
          const l = await client!.get<Lease>(resources.leases, nodeName, { namespace: 'kube-node-lease' });
          const at = Date.parse(l.spec?.renewTime ?? '');
          return at > killedAt && l.metadata?.resourceVersion !== leaseBefore.metadata?.resourceVersion ? at : undefined;
        },
        45_000,
      );
      t.diagnostic(`node Lease renewed ${renewed - killedAt} ms after SIGKILL of A`);
      assert.ok(await nodeReady(), 'node still Ready');
    });
  } finally {
    await informer?.stop();
    await stopChild(agent, 20_000);
    client?.close();
    for (const s of servers) await s.stop();
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
