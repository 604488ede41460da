// The node IPAM controller against a real API server: nodes without a pod CIDR get the first free /24 of the
// cluster CIDR; subnets nodes already hold (simulated nodes) are skipped and never handed out twice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { ApiClient, InformerFactory, resources } from '../../../src/client/index.js';
import { NodeIpamController } from '../../../src/controllers/nodeipam/nodeipam-controller.js';
import { startTestServer, type TestServer } from '../../apiserver/harness.js';
import { eventually } from '../support.js';

describe('node IPAM controller', () => {
  let server: TestServer;
  let client: ApiClient;
  let informers: InformerFactory;
  let ipam: NodeIpamController;
  before(async () => {
    server = await startTestServer();
    client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' });
    await client.create(resources.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'sim-0' }, spec: { podCIDR: '10.99.0.0/24', podCIDRs: ['10.99.0.0/24'] } });
    informers = new InformerFactory(client);
    ipam = new NodeIpamController({ client, informers, clusterCidr: '10.99.0.0/22', log: () => {} });
    informers.start();
    await ipam.start();
  });
  after(async () => {
    await ipam?.stop();
    await informers?.stop();
    client?.close();
    await server?.close();
  });

  it('gives new nodes distinct free subnets, skipping held ones', async () => {
    await Promise.all(['a', 'b', 'c'].map((n) => client.create(resources.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: n } })));
    const cidrs = await eventually(
      async () => Promise.all(['a', 'b', 'c'].map(async (n) => (await client.get<Node>(resources.nodes, n)).spec?.podCIDR)),
      (v) => v.every(Boolean),
      'pod CIDRs assigned',
    );
    assert.deepEqual([...cidrs].sort(), ['10.99.1.0/24', '10.99.2.0/24', '10.99.3.0/24']);
    const a = await client.get<Node>(resources.nodes, 'a');
    assert.deepEqual(a.spec?.podCIDRs, [a.spec?.podCIDR]);
  });

  it('a node that does not fit any more gets a CIDRNotAvailable event', async () => {
    await client.create(resources.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'd' } });
    await eventually(
      async () => (await client.list(resources.events, { namespace: 'default' })).items as { reason?: string; involvedObject?: { name?: string } }[],
      (evs) => evs.some((e) => e.reason === 'CIDRNotAvailable' && e.involvedObject?.name === 'd'),
      'CIDRNotAvailable event',
    );
    assert.equal((await client.get<Node>(resources.nodes, 'd')).spec?.podCIDR, undefined);
  });
});
