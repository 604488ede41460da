// The built-in load balancer: which node addresses a LoadBalancer Service gets (table), and the controller
// keeping status.loadBalancer.ingress in step with nodes and Service type against a real API server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import * as resources from '../../../src/client/resources.js';
import { InformerFactory } from '../../../src/client/informer-factory.js';
import { desiredIngress } from '../../../src/controllers/servicelb/ingress.js';
import { ServiceLBController } from '../../../src/controllers/servicelb/servicelb-controller.js';
import { ApiClient } from '../../../src/client/client.js';
import { startTestServer, type TestServer } from '../../apiserver/harness.js';
import { eventually } from '../support.js';

const node = (name: string, addrs: Array<[string, string]>, ready = true, labels?: Record<string, string>): Node => ({
  metadata: { name, labels },
  status: { addresses: addrs.map(([type, address]) => ({ type, address })), conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const lb = (spec: Partial<NonNullable<Service['spec']>> = {}, ingress?: string[]): Service => ({
  metadata: { name: 's', namespace: 'default' },
  spec: { type: 'LoadBalancer', ports: [{ port: 80 }], ...spec },
  status: ingress ? { loadBalancer: { ingress: ingress.map((ip) => ({ ip })) } } : {},
});

const cases: Array<{ name: string; svc: Service; nodes: Node[]; want: string[] | undefined }> = [
  { name: 'InternalIP of every ready node, sorted numerically', svc: lb(), nodes: [node('b', [['InternalIP', '10.0.0.10']]), node('a', [['InternalIP', '10.0.0.9']]), node('c', [['InternalIP', '10.0.0.11']], false)], want: ['10.0.0.9', '10.0.0.10'] },
  { name: 'ExternalIP preferred', svc: lb(), nodes: [node('a', [['InternalIP', '10.0.0.9'], ['ExternalIP', '192.0.2.9'], ['Hostname', 'a']])], want: ['192.0.2.9'] },
  { name: 'enablelb label restricts the pool', svc: lb(), nodes: [node('a', [['InternalIP', '10.0.0.9']]), node('b', [['InternalIP', '10.0.0.10']], true, { 'svccontroller.k3s.cattle.io/enablelb': 'true' })], want: ['10.0.0.10'] },
  { name: 'IPv6 family picks IPv6 addresses', svc: lb({ ipFamilies: ['IPv6'] }), nodes: [node('a', [['InternalIP', '10.0.0.9'], ['InternalIP', 'fd00::9']])], want: ['fd00::9'] },
  { name: 'another loadBalancerClass: not ours', svc: lb({ loadBalancerClass: 'example.com/lb' }), nodes: [node('a', [['InternalIP', '10.0.0.9']])], want: undefined },
  { name: 'no longer LoadBalancer: addresses removed', svc: lb({ type: 'ClusterIP' }, ['10.0.0.9']), nodes: [node('a', [['InternalIP', '10.0.0.9']])], want: [] },
  { name: 'ClusterIP without addresses: nothing to do', svc: lb({ type: 'ClusterIP' }), nodes: [], want: undefined },
];
for (const c of cases) {
  test(`desiredIngress: ${c.name}`, () => {
    assert.deepEqual(desiredIngress(c.svc, c.nodes)?.map((i) => i.ip), c.want);
  });
}

let server: TestServer;
let client: ApiClient;
let informers: InformerFactory;
let controller: ServiceLBController;
before(async () => {
  server = await startTestServer();
  client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' }, { timeoutMs: 10_000 });
  informers = new InformerFactory(client, { log: () => {} });
  controller = new ServiceLBController({ client, informers, log: () => {} });
  informers.start();
  await controller.start();
});
after(async () => {
  await controller?.stop();
  await informers?.stop();
  client?.close();
  await server?.close();
});

async function addNode(name: string, ip: string): Promise<void> {
  const n = await client.create<Node>(resources.nodes, { metadata: { name } });
  await client.updateStatus<Node>(resources.nodes, { ...n, status: node(name, [['InternalIP', ip]]).status });
}
const ingressOf = async (name: string) => ((await client.get<Service>(resources.services, name)).status?.loadBalancer?.ingress ?? []).map((i) => i.ip);

test('LoadBalancer Services get the node addresses, follow nodes, and lose them when the type changes', async () => {
  await addNode('n1', '10.0.0.1');
  await client.create<Service>(resources.services, { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
  await eventually(() => ingressOf('web'), (x) => x.join() === '10.0.0.1', 'ingress = n1');
  await addNode('n2', '10.0.0.2');
  await eventually(() => ingressOf('web'), (x) => x.join() === '10.0.0.1,10.0.0.2', 'ingress = n1, n2');
  const svc = await client.get<Service>(resources.services, 'web');
  await client.update<Service>(resources.services, { ...svc, spec: { ...svc.spec, type: 'ClusterIP', ports: [{ port: 80 }] } });
  await eventually(() => ingressOf('web'), (x) => x.length === 0, 'ingress cleared');
});
