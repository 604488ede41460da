// The simulated fleet in a worker thread of the server's process (component "sim-nodes", as `skiff up
// --runtime sim` runs it) against a real API server: its nodes register and stay leased, a pod bound to one
// goes Pending → ContainerCreating → Running through its kubelet's writes across the port, the parent reads
// the nodes' summaries with one query per batch, and a worker that dies is started again with the same nodes
// (no duplicate Leases) serving stats on its predecessor's port.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { startTestServer, type TestServer } from '../apiserver/harness.js';
import { ensurePki } from '../../src/apiserver/auth/pki.js';
import { startComponentWorker } from '../../src/cli/worker-component.js';
import type { ComponentOptions } from '../../src/cli/component-starters.js';
import { componentClient } from '../../src/cli/component-client.js';
import { nodeEndpointAnnotation } from '../../src/agent/endpoint.js';
import { resources } from '../../src/client/index.js';
import type { Summary } from '../../src/metrics/summary.js';
import { eventually } from '../e2e/wait.js';
import { podStepsUntilRunning } from '../runtime/sim/pod-steps.js';

let ts: TestServer;
let dir: string;
let tls: { cert: string; key: string; ca: string };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-sim-worker-'));
  ts = await startTestServer({ localSocket: true });
  const pki = await ensurePki(join(dir, 'pki'), { hostname: 'localhost', addresses: ['127.0.0.1'] });
  tls = { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert };
});

after(async () => {
  await ts?.close();
  rmSync(dir, { recursive: true, force: true });
});

const connection = () => ({ url: ts.url, socketPath: ts.socketPath, ca: '', cert: '', key: '' });

test('the fleet in a worker thread runs pods, answers summaries, and survives its worker dying', async () => {
  process.env.SKIFF_TEST_SIM_DIE_FILE = join(dir, 'die-now');
  process.env.SKIFF_TEST_SIM_DIED_MARKER = join(dir, 'died');
  const client = componentClient(connection(), ts.server.inProcess);
  const logs: string[] = [];
  const prefixes: string[] = [];
  const sim: NonNullable<ComponentOptions['sim']> = { fleet: { count: 2, cpu: '4', memory: '8Gi', pods: 110 }, tls };
  const fleet = await startComponentWorker({
    component: 'sim-nodes',
    connection: connection(),
    endpoint: ts.server.inProcess!,
    options: { rootCA: tls.ca, sim },
    log: (line) => logs.push(line),
    restartDelayMs: 10,
    entry: new URL('./sim-dies-once-worker.ts', import.meta.url),
    // As components.ts does: the next worker prefers this one's stats port.
    onStarted: (info) => {
      prefixes.push(info?.statsPrefix ?? '');
      sim.statsPort = Number(new URL(info!.statsPrefix!).port);
    },
  });
  delete process.env.SKIFF_TEST_SIM_DIE_FILE;
  delete process.env.SKIFF_TEST_SIM_DIED_MARKER;
  const summaries = async (names: string[]) => JSON.parse((await fleet.query({ type: 'summaries', names })) as string) as (Summary | null)[];
  const leaseNames = async () => (await client.list<Lease>(resources.leases, { namespace: 'kube-node-lease' })).items.map((l) => l.metadata!.name!).sort();
  try {
    assert.equal(prefixes.length, 1);
    assert.match(prefixes[0]!, /^https:\/\/127\.0\.0\.1:\d+\/nodes\/$/);
    const ready = async () => {
      const nodes = (await client.list<Node>(resources.nodes)).items;
      return nodes.length === 2 && nodes.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? nodes : undefined;
    };
    const nodes = await eventually('two Ready simulated nodes', ready, 15_000);
    assert.deepEqual(nodes.map((n) => n.metadata!.name).sort(), ['sim-node-0', 'sim-node-1']);
    assert.deepEqual(await leaseNames(), ['sim-node-0', 'sim-node-1']);

    // A pod bound to a node of the fleet: every status its kubelet writes, as a watch sees them.
    const list = await client.list<Pod>(resources.pods, { namespace: 'default' });
    const watcher = await client.watch<Pod>(resources.pods, { namespace: 'default', resourceVersion: list.resourceVersion });
    const seen = await podStepsUntilRunning(watcher, 'tended', () =>
      client.create<Pod>(resources.pods, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'tended', namespace: 'default', annotations: { 'sim.skiff.dev/cpu-usage': '250m', 'sim.skiff.dev/memory-usage': '64Mi' } },
        spec: { nodeName: 'sim-node-0', containers: [{ name: 'c', image: 'pause' }] },
      }),
    );
    assert.deepEqual(seen, ['Pending', 'Pending/ContainerCreating', 'Running']);
    const running = await client.get<Pod>(resources.pods, 'tended', { namespace: 'default' });
    assert.ok(running.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    assert.ok(running.metadata?.managedFields?.some((f) => f.manager === 'skiff-sim-kubelet' && f.subresource === 'status'));

    // The fleet reports the pod once its own write of Running has returned (the watch may see it first).
    const [s0, gone] = await eventually('the pod in its node\'s summary', async () => {
      const r = await summaries(['sim-node-0', 'no-such-node']);
      return r[0]?.pods.length === 1 ? r : undefined;
    }, 15_000);
    assert.equal(gone, null);
    assert.equal(s0?.node.nodeName, 'sim-node-0');
    assert.deepEqual(s0?.pods.map((p) => p.podRef.name), ['tended']);
    assert.equal(s0?.pods[0]?.cpu?.usageNanoCores, 250_000_000);

    // The worker crashes: the supervisor starts another, which takes the same nodes and Leases back.
    writeFileSync(join(dir, 'die-now'), '');
    await eventually('the fleet started again', async () => prefixes.length === 2, 15_000);
    assert.equal(prefixes[1], prefixes[0], 'the new worker serves stats on its predecessor\'s port');
    const again = await eventually('the nodes Ready again, their stats endpoints unchanged', async () => {
      const n = await ready();
      return n?.every((x) => x.metadata?.annotations?.[nodeEndpointAnnotation] === `${prefixes[1]}${x.metadata?.name}`) ? n : undefined;
    }, 15_000);
    assert.deepEqual(again.map((n) => n.metadata!.uid).sort(), nodes.map((n) => n.metadata!.uid).sort(), 'the same Node objects');
    assert.deepEqual(await leaseNames(), ['sim-node-0', 'sim-node-1'], 'no duplicate Leases');
    // The new worker adopted the running pod: its summary is served again.
    const [after0] = await eventually('the restarted fleet reports the pod', async () => {
      const r = await summaries(['sim-node-0']);
      return r[0]?.pods.length === 1 ? r : undefined;
    }, 15_000);
    assert.equal(after0?.pods[0]?.podRef.name, 'tended');
    assert.ok(logs.some((l) => /sim-nodes: worker thread exited unexpectedly \(code 3\)/.test(l)), logs.join('\n'));
    await client.delete(resources.pods, 'tended', { namespace: 'default', gracePeriodSeconds: 0 });
  } finally {
    await fleet.stop();
    client.close();
  }
  await assert.rejects(fleet.query({ type: 'summaries', names: [] }), /stopped/);
});
