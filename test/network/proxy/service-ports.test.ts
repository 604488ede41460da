// Which endpoints each Service port routes to on a node: readiness, serving-terminating fallback, traffic
// policies, named ports, protocols, families, affinity, external addresses; and the plan for internal and
// external traffic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { categorize, routePlan, serviceRoutes, sliceServiceKey, type ProxyEndpoint } from '../../../src/network/proxy/service-ports.js';

const ep = (ip: string, o: Partial<ProxyEndpoint> = {}): ProxyEndpoint => ({ ip, port: 80, ready: true, serving: true, terminating: false, local: false, ...o });
const ips = (eps: ProxyEndpoint[]) => eps.map((e) => e.ip);

const categorizeCases: Array<{ name: string; eps: ProxyEndpoint[]; internalLocal?: boolean; externalLocal?: boolean; external?: boolean; cluster: string[]; local: string[]; any: boolean }> = [
  { name: 'ready endpoints only', eps: [ep('a'), ep('b', { ready: false, serving: false })], cluster: ['a'], local: [], any: true },
  { name: 'no ready: serving+terminating fallback', eps: [ep('a', { ready: false, serving: true, terminating: true }), ep('b', { ready: false, serving: false, terminating: true })], cluster: ['a'], local: [], any: true },
  { name: 'ready wins over terminating', eps: [ep('a'), ep('b', { ready: false, serving: true, terminating: true })], cluster: ['a'], local: [], any: true },
  { name: 'nothing usable', eps: [ep('a', { ready: false, serving: false })], cluster: [], local: [], any: false },
  { name: 'internal Local: this node only', eps: [ep('a', { local: true }), ep('b')], internalLocal: true, cluster: [], local: ['a'], any: true },
  { name: 'internal Local without local endpoints still knows others exist', eps: [ep('b')], internalLocal: true, cluster: [], local: [], any: true },
  { name: 'internal Local on a NodePort: cluster endpoints for external traffic', eps: [ep('a', { local: true }), ep('b')], internalLocal: true, external: true, cluster: ['a', 'b'], local: ['a'], any: true },
  { name: 'external Local: cluster set kept for internal traffic', eps: [ep('a', { local: true }), ep('b')], externalLocal: true, cluster: ['a', 'b'], local: ['a'], any: true },
  {
    name: 'external Local: local serving-terminating fallback',
    eps: [ep('a', { local: true, ready: false, serving: true, terminating: true }), ep('b')],
    externalLocal: true,
    cluster: ['b'],
    local: ['a'],
    any: true,
  },
];
for (const c of categorizeCases) {
  test(`categorize: ${c.name}`, () => {
    const r = categorize(c.eps, { internalLocal: c.internalLocal ?? false, externalLocal: c.externalLocal ?? false, externallyAccessible: c.external ?? !!c.externalLocal });
    assert.deepEqual([ips(r.clusterEndpoints), ips(r.localEndpoints), r.hasAnyEndpoints], [c.cluster, c.local, c.any]);
  });
}

const svc = (spec: Service['spec'], status?: Service['status']): Service => ({ metadata: { namespace: 'ns', name: 'web' }, spec, status });
const slice = (o: Partial<EndpointSlice> & Pick<EndpointSlice, 'endpoints'>): EndpointSlice => ({
  addressType: 'IPv4',
  metadata: { namespace: 'ns', name: `web-${Math.random()}`, labels: { 'kubernetes.io/service-name': 'web' } },
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  ...o,
});

test('routes: one per port and family; named ports resolve per slice; endpoints deduplicated and sorted', () => {
  const s = svc({ clusterIP: '10.43.0.5', clusterIPs: ['10.43.0.5', 'fd00::5'], ipFamilies: ['IPv4', 'IPv6'], ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'dns', port: 53, protocol: 'UDP' }] });
  const slices = [
    slice({ endpoints: [{ addresses: ['10.42.0.9'], nodeName: 'n1' }, { addresses: ['10.42.0.3'] }] }),
    slice({ ports: [{ name: 'http', port: 9090, protocol: 'TCP' }], endpoints: [{ addresses: ['10.42.0.4'] }, { addresses: ['10.42.0.3'] }] }),
    slice({ ports: [{ name: 'dns', port: 5353, protocol: 'UDP' }], endpoints: [{ addresses: ['10.42.0.3'] }] }),
    slice({ addressType: 'IPv6', endpoints: [{ addresses: ['fd00::42'] }] }),
  ];
  const routes = serviceRoutes(s, slices, 'n1');
  assert.deepEqual(
    routes.map((r) => `${r.id} ${r.clusterIPs.join(',')}:${r.port} → ${r.clusterEndpoints.map((e) => `${e.ip}:${e.port}${e.local ? '*' : ''}`).join(' ')}`),
    [
      'ns/web:http/tcp 10.43.0.5:80 → 10.42.0.3:8080 10.42.0.3:9090 10.42.0.4:9090 10.42.0.9:8080*',
      'ns/web:dns/udp 10.43.0.5:53 → 10.42.0.3:5353',
      'ns/web:http/tcp/v6 fd00::5:80 → fd00::42:8080',
      'ns/web:dns/udp/v6 fd00::5:53 → ',
    ],
  );
});

test('routes: headless and ExternalName route nothing; NodePort, external and load-balancer IPs, affinity default timeout', () => {
  assert.deepEqual(serviceRoutes(svc({ clusterIP: 'None', ports: [{ port: 80 }] }), [], 'n1'), []);
  assert.deepEqual(serviceRoutes(svc({ type: 'ExternalName', externalName: 'x.example' }), [], 'n1'), []);
  const [r] = serviceRoutes(
    svc({ type: 'LoadBalancer', clusterIP: '10.43.0.5', externalIPs: ['192.0.2.7'], sessionAffinity: 'ClientIP', ports: [{ port: 80, nodePort: 30080 }] }, { loadBalancer: { ingress: [{ ip: '192.0.2.8' }, { hostname: 'lb.example' }] } }),
    [],
    'n1',
  );
  assert.equal(r!.nodePort, 30080);
  assert.deepEqual(r!.externalIPs, ['192.0.2.7', '192.0.2.8']);
  assert.equal(r!.affinitySeconds, 10800);
  const [c] = serviceRoutes(svc({ clusterIP: '10.43.0.5', ports: [{ port: 80, nodePort: 30080 }] }), [], 'n1');
  assert.equal(c!.nodePort, 0, 'a ClusterIP Service has no NodePort');
});

test('sliceServiceKey: namespace/service from the service-name label; unlabelled slices have none', () => {
  assert.equal(sliceServiceKey(slice({ endpoints: [] })), 'ns/web');
  assert.equal(sliceServiceKey({ ...slice({ endpoints: [] }), metadata: { namespace: 'ns', name: 'x' } }), undefined);
});

const planCases: Array<{ name: string; cluster: number; local: number; any: boolean; il?: boolean; el?: boolean; nodePort?: number; want: string }> = [
  { name: 'plain ClusterIP', cluster: 2, local: 0, any: true, want: 'cluster/-' },
  { name: 'ClusterIP without endpoints', cluster: 0, local: 0, any: false, want: 'reject/-' },
  { name: 'NodePort', cluster: 2, local: 0, any: true, nodePort: 30001, want: 'cluster/cluster' },
  { name: 'NodePort without endpoints', cluster: 0, local: 0, any: false, nodePort: 30001, want: 'reject/reject' },
  { name: 'NodePort ETP Local', cluster: 2, local: 1, any: true, el: true, nodePort: 30001, want: 'cluster/local' },
  { name: 'NodePort ETP Local, none here', cluster: 2, local: 0, any: true, el: true, nodePort: 30001, want: 'cluster/local' },
  { name: 'ITP Local, none here', cluster: 0, local: 0, any: true, il: true, want: 'drop/-' },
  { name: 'ITP + ETP Local, none here', cluster: 0, local: 0, any: true, il: true, el: true, nodePort: 30001, want: 'drop/drop' },
];
for (const c of planCases) {
  test(`plan: ${c.name}`, () => {
    const eps = (n: number, local: boolean) => Array.from({ length: n }, (_, i) => ep(`10.0.0.${i}`, { local }));
    const p = routePlan({
      id: 'x',
      namespace: 'ns',
      name: 'web',
      portName: '',
      protocol: 'tcp',
      family: 4,
      clusterIPs: ['10.43.0.5'],
      port: 80,
      nodePort: c.nodePort ?? 0,
      externalIPs: [],
      affinitySeconds: 0,
      internalLocal: c.il ?? false,
      externalLocal: c.el ?? false,
      clusterEndpoints: eps(c.cluster, false),
      localEndpoints: eps(c.local, true),
      hasAnyEndpoints: c.any,
    });
    assert.equal(`${p.internal}/${p.external ?? '-'}`, c.want);
  });
}
