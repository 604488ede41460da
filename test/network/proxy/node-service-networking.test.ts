// The node's service networking in one start/stop: the proxy and cluster DNS together, warnings for the
// degraded modes, and the DNS address on a dummy interface (in a namespace this test creates).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type * as dns from 'dns-packet';
import type { Service } from 'kubernetes-types/core/v1.js';
import { ApiClient, resources } from '../../../src/client/index.js';
import { addDnsAddress, removeDnsAddress } from '../../../src/network/dns/listen-address.js';
import { runHostCommand } from '../../../src/network/proxy/host-command.js';
import { dnsAddressLabel, startNodeServiceNetworking } from '../../../src/network/proxy/node-service-networking.js';
import { startTestServer, type TestServer } from '../../apiserver/harness.js';
import { udpQuery } from '../dns/dns-client.js';
import { labSkipReason } from './netns-lab.js';

let server: TestServer;
let client: ApiClient;
before(async () => {
  server = await startTestServer();
  client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' }, { timeoutMs: 10_000 });
});
after(async () => {
  client?.close();
  await server?.close();
});

test('proxy and DNS start together, report their degraded modes, and stop', async () => {
  const svc = await client.create<Service>(resources.services, { metadata: { name: 'web' }, spec: { ports: [{ name: 'http', port: 80 }] } });
  const net = await startNodeServiceNetworking({
    client,
    nodeName: 'n1',
    nodeIPs: ['127.0.0.1'],
    instanceId: 'nsn-test',
    clusterDns: '10.43.0.10',
    clusterDomain: 'cluster.local',
    proxyMode: 'userspace',
    dnsListen: { host: '127.0.0.1', port: 0 },
    log: () => {},
  });
  try {
    assert.deepEqual(net.warnings.map((w) => w.reason), ['UserspaceProxy']);
    await net.proxy.synced();
    assert.ok(net.proxy.userspaceListeners().some((l) => l.name === 'web'));
    const r = await udpQuery(net.dns.port, 'web.default.svc.cluster.local', 'A');
    assert.deepEqual(r.answers!.map((a) => (a as dns.StringAnswer).data), [svc.spec!.clusterIP]);
  } finally {
    await net.stop();
  }
  await assert.rejects(udpQuery(net.dns.port, 'web.default.svc.cluster.local', 'A', { timeoutMs: 300 }));
});

test('the DNS address goes on the loopback interface with its label and comes off again', { skip: labSkipReason() }, async () => {
  const ns = `skt-dns-${process.pid}`;
  await runHostCommand('ip', ['netns', 'add', ns]);
  try {
    const label = dnsAddressLabel('cluster-abc1234567');
    assert.ok(`lo:${label}`.length <= 15);
    await addDnsAddress({ ip: '10.43.0.10', label, netns: ns });
    await addDnsAddress({ ip: '10.43.0.10', label, netns: ns }); // idempotent
    const addrs = await runHostCommand('ip', ['-o', 'addr', 'show', 'dev', 'lo'], { netns: ns });
    assert.equal(addrs.split('\n').filter((l) => l.includes('10.43.0.10/32') && l.includes(`lo:${label}`)).length, 1);
    // Routed as a local address of the node.
    assert.match(await runHostCommand('ip', ['route', 'get', '10.43.0.10'], { netns: ns }), /^local 10\.43\.0\.10 dev lo/);
    await removeDnsAddress({ ip: '10.43.0.10', label, netns: ns });
    assert.doesNotMatch(await runHostCommand('ip', ['-o', 'addr', 'show', 'dev', 'lo'], { netns: ns }), /10\.43\.0\.10/);
  } finally {
    await runHostCommand('ip', ['netns', 'del', ns]);
  }
});
