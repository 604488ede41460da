// Which UDP conntrack flows the service proxy deletes after a sync (kube-proxy's stale-flow cleanup), and
// the conntrack command lines for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conntrackArgs, staleUdpFlows, type ConntrackDeletion } from '../../../src/network/proxy/conntrack.js';
import type { ProxyEndpoint, ServicePortRoute } from '../../../src/network/proxy/service-ports.js';

const ep = (ip: string, local = false): ProxyEndpoint => ({ ip, port: 5353, ready: true, serving: true, terminating: false, local });
const route = (over: Partial<ServicePortRoute>): ServicePortRoute => ({
  id: 'default/dns:dns/udp',
  namespace: 'default',
  name: 'dns',
  portName: 'dns',
  protocol: 'udp',
  family: 4,
  clusterIPs: ['10.43.0.53'],
  port: 53,
  nodePort: 0,
  externalIPs: [],
  affinitySeconds: 0,
  internalLocal: false,
  externalLocal: false,
  clusterEndpoints: [],
  localEndpoints: [],
  hasAnyEndpoints: false,
  ...over,
});
const withEps = (ips: string[], over: Partial<ServicePortRoute> = {}) => route({ clusterEndpoints: ips.map((ip) => ep(ip)), hasAnyEndpoints: ips.length > 0, ...over });

test('staleUdpFlows', () => {
  const cases: Array<[string, ServicePortRoute[], ServicePortRoute[], ConntrackDeletion[]]> = [
    ['nothing changed', [withEps(['10.42.0.5'])], [withEps(['10.42.0.5'])], []],
    ['an endpoint added', [withEps(['10.42.0.5'])], [withEps(['10.42.0.5', '10.42.0.6'])], []],
    ['an endpoint removed: flows DNATed to it, per virtual address', [withEps(['10.42.0.5', '10.42.0.6'], { externalIPs: ['192.0.2.7'] })], [withEps(['10.42.0.6'], { externalIPs: ['192.0.2.7'] })], [
      { family: 4, origDst: '10.43.0.53', dnatTo: '10.42.0.5' },
      { family: 4, origDst: '192.0.2.7', dnatTo: '10.42.0.5' },
    ]],
    ['an endpoint removed from a NodePort Service', [withEps(['10.42.0.5'], { nodePort: 30053 })], [withEps([], { nodePort: 30053 })], [
      { family: 4, origDst: '10.43.0.53', dnatTo: '10.42.0.5' },
      { family: 4, origDstPort: 30053, dnatTo: '10.42.0.5' },
    ]],
    ['a node-local endpoint removed (Local policy)', [route({ localEndpoints: [ep('10.42.0.9', true)], hasAnyEndpoints: true })], [route({})], [{ family: 4, origDst: '10.43.0.53', dnatTo: '10.42.0.9' }]],
    ['from no endpoints to some: every flow to the Service', [withEps([], { nodePort: 30053 })], [withEps(['10.42.0.5'], { nodePort: 30053 })], [
      { family: 4, origDst: '10.43.0.53' },
      { family: 4, origDstPort: 30053 },
    ]],
    ['a new Service with endpoints', [], [withEps(['10.42.0.5'])], [{ family: 4, origDst: '10.43.0.53' }]],
    ['a UDP Service port gone', [withEps(['10.42.0.5'])], [], [{ family: 4, origDst: '10.43.0.53' }]],
    ['TCP is left alone', [withEps(['10.42.0.5'], { protocol: 'tcp', id: 'default/web:http/tcp' })], [withEps([], { protocol: 'tcp', id: 'default/web:http/tcp' })], []],
    ['IPv6', [withEps(['fd00:42::5'], { family: 6, clusterIPs: ['fd00:43::53'] })], [withEps([], { family: 6, clusterIPs: ['fd00:43::53'] })], [{ family: 6, origDst: 'fd00:43::53', dnatTo: 'fd00:42::5' }]],
  ];
  for (const [name, before, after, want] of cases) assert.deepEqual(staleUdpFlows(before, after), want, name);
});

test('conntrackArgs', () => {
  assert.deepEqual(conntrackArgs({ family: 4, origDst: '10.43.0.53', dnatTo: '10.42.0.5' }), ['-D', '-f', 'ipv4', '-p', 'udp', '--orig-dst', '10.43.0.53', '--dst-nat', '10.42.0.5']);
  assert.deepEqual(conntrackArgs({ family: 6, origDstPort: 30053 }), ['-D', '-f', 'ipv6', '-p', 'udp', '--orig-port-dst', '30053']);
});
