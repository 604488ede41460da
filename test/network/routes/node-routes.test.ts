// Node routes against a real API server, programmed in a network namespace this test creates: a route to
// each other node's pod CIDR via its InternalIP appears, follows the Node, and is removed on stop.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Node } from 'kubernetes-types/core/v1.js';
import { ApiClient, resources } from '../../../src/client/index.js';
import { runHostCommand } from '../../../src/network/proxy/host-command.js';
import { installedPodRoutes, startNodeRoutes } from '../../../src/network/routes/index.js';
import { routeKey } from '../../../src/network/routes/plan.js';
import { startTestServer, type TestServer } from '../../apiserver/harness.js';
import { labSkipReason } from '../proxy/netns-lab.js';

const skip = labSkipReason();
if (skip) console.log(`# skipping node routes test: ${skip}`);

const ns = `skr-${randomBytes(3).toString('hex')}`;
let server: TestServer;
let client: ApiClient;

before(async () => {
  if (skip) return;
  server = await startTestServer();
  client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' }, { timeoutMs: 10_000 });
  await runHostCommand('ip', ['netns', 'add', ns]);
  // This node's link: 10.77.0.1/24 on one end of a veth pair (its peers would be at .2, .3).
  for (const args of [['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1'], ['addr', 'add', '10.77.0.1/24', 'dev', 'v0'], ['link', 'set', 'v0', 'up'], ['link', 'set', 'v1', 'up']]) {
    await runHostCommand('ip', args, { netns: ns });
  }
});
after(async () => {
  client?.close();
  await server?.close();
  if (!skip) await runHostCommand('ip', ['netns', 'del', ns]).catch(() => undefined);
});

async function node(name: string, ip: string, podCIDR?: string): Promise<void> {
  const n = await client.create<Node>(resources.nodes, { metadata: { name }, spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {} });
  await client.updateStatus<Node>(resources.nodes, { ...n, status: { addresses: [{ type: 'InternalIP', address: ip }] } });
}

async function until(what: string, f: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const routes = async () => (await installedPodRoutes(ns)).map(routeKey).sort();

test('routes to the other nodes pod CIDRs follow the Nodes and go on stop', { skip }, async () => {
  await node('self', '10.77.0.1', '10.42.0.0/24');
  await node('peer-b', '10.77.0.2', '10.42.1.0/24');
  await node('peer-c', '10.77.0.3'); // no pod CIDR yet
  const lines: string[] = [];
  const r = await startNodeRoutes({ client, nodeName: 'self', netns: ns, log: (l) => lines.push(l), retryMs: 200 });
  try {
    await r.synced;
    assert.deepEqual(await routes(), ['10.42.1.0/24 via 10.77.0.2']);
    // The kernel has it, with Skiff's protocol number.
    assert.match(await runHostCommand('ip', ['route', 'get', '10.42.1.9'], { netns: ns }), /via 10\.77\.0\.2 dev v0/);

    const c = await client.get<Node>(resources.nodes, 'peer-c');
    await client.update<Node>(resources.nodes, { ...c, spec: { podCIDR: '10.42.2.0/24', podCIDRs: ['10.42.2.0/24'] } });
    await until('the route to peer-c', async () => (await routes()).length === 2);
    assert.deepEqual(await routes(), ['10.42.1.0/24 via 10.77.0.2', '10.42.2.0/24 via 10.77.0.3']);

    await client.delete(resources.nodes, 'peer-b');
    await until('the route to peer-b removed', async () => (await routes()).length === 1);
    assert.deepEqual(await routes(), ['10.42.2.0/24 via 10.77.0.3']);
    assert.ok(lines.some((l) => l.includes('pods of node peer-c (10.42.2.0/24) via 10.77.0.3')), lines.join('\n'));
    // Pod addresses are kept towards the remaining peer's pod CIDR.
    assert.match(await runHostCommand('nft', ['list', 'table', 'ip', 'skiff_routes_self'], { netns: ns }), /ip saddr 10\.42\.0\.0\/24 ip daddr 10\.42\.2\.0\/24 snat to ip saddr/);
  } finally {
    await r.stop();
  }
  assert.deepEqual(await routes(), []);
  await assert.rejects(runHostCommand('nft', ['list', 'table', 'ip', 'skiff_routes_self'], { netns: ns }), 'the table goes on stop');
});

test('an unreachable next hop is reported and retried, not fatal', { skip }, async () => {
  await node('far', '192.0.2.50', '10.42.9.0/24'); // not on any link of the namespace
  const lines: string[] = [];
  const r = await startNodeRoutes({ client, nodeName: 'self', netns: ns, log: (l) => lines.push(l), retryMs: 200 });
  try {
    await r.synced;
    assert.ok(lines.some((l) => /route to node far's pods 10\.42\.9\.0\/24 via 192\.0\.2\.50: .*retrying every 0\.2 s/.test(l)), lines.join('\n'));
    assert.ok(!(await routes()).includes('10.42.9.0/24 via 192.0.2.50'));
  } finally {
    await r.stop();
  }
});
