// Cluster DNS answers over a fixed catalog: names, types, NXDOMAIN vs NODATA, headless, SRV, ExternalName,
// pod records, reverse lookups, forwarding decisions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { dnsScopes, scopesChangedBy, snapshotCatalog } from '../../../src/network/dns/catalog.js';
import { ipFromReverse, resolve, type Resolution } from '../../../src/network/dns/resolver.js';

const svc = (ns: string, name: string, spec: Service['spec']): Service => ({ metadata: { namespace: ns, name }, spec });
const slice = (ns: string, svcName: string, endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports']): EndpointSlice => ({
  addressType: 'IPv4',
  metadata: { namespace: ns, name: `${svcName}-abc`, labels: { 'kubernetes.io/service-name': svcName } },
  endpoints,
  ports,
});

const catalog = snapshotCatalog({
  namespaces: ['default', 'prod', 'empty'],
  services: [
    svc('default', 'web', { clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] }),
    svc('default', 'dual', { clusterIPs: ['10.43.0.21', 'fd00:43::21'], ports: [{ port: 80 }] }),
    svc('prod', 'db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }),
    svc('prod', 'nobody', { clusterIP: 'None', ports: [{ port: 1 }] }),
    svc('default', 'ext', { type: 'ExternalName', externalName: 'example.org.' }),
  ],
  endpointSlices: [
    slice('default', 'web', [{ addresses: ['10.42.0.5'], conditions: { ready: true } }], [{ name: 'http', port: 8080, protocol: 'TCP' }]),
    slice(
      'prod',
      'db',
      [
        { addresses: ['10.42.1.1'], hostname: 'db-0', conditions: { ready: true } },
        { addresses: ['10.42.1.2'], hostname: 'db-1', conditions: { ready: true } },
        { addresses: ['10.42.1.3'], conditions: { ready: true } },
        { addresses: ['10.42.1.4'], hostname: 'db-3', conditions: { ready: false } },
      ],
      [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    ),
    slice('prod', 'nobody', [{ addresses: ['10.42.1.9'], conditions: { ready: false } }], [{ port: 1 }]),
  ],
});
const cfg = { zone: 'cluster.local', ttl: 5, dnsIPs: ['10.43.0.10'] };

type Summary = string;
function summarize(r: Resolution): Summary {
  if (r.kind === 'forward') return 'forward';
  const recs = r.answers.map((a) => {
    const d = typeof a.data === 'string' ? a.data : a.type === 'SRV' ? `${a.data.priority} ${a.data.weight} ${a.data.port} ${a.data.target}` : a.type;
    return `${a.type} ${d}`;
  });
  const base = recs.length ? recs.sort().join(', ') : r.authorities.some((x) => x.type === 'SOA') ? 'NODATA' : 'EMPTY';
  return r.rcode === 'NXDOMAIN' ? 'NXDOMAIN' : base;
}

const cases: Array<[name: string, type: string, want: string]> = [
  ['web.default.svc.cluster.local', 'A', 'A 10.43.0.20'],
  ['WEB.Default.svc.cluster.local.', 'A', 'A 10.43.0.20'],
  ['web.default.svc.cluster.local', 'AAAA', 'NODATA'],
  ['web.default.svc.cluster.local', 'MX', 'NODATA'],
  ['dual.default.svc.cluster.local', 'AAAA', 'AAAA fd00:43::21'],
  ['dual.default.svc.cluster.local', 'A', 'A 10.43.0.21'],
  ['missing.default.svc.cluster.local', 'A', 'NXDOMAIN'],
  ['web.nons.svc.cluster.local', 'A', 'NXDOMAIN'],
  ['default.svc.cluster.local', 'A', 'NODATA'],
  ['nons.svc.cluster.local', 'A', 'NXDOMAIN'],
  ['svc.cluster.local', 'A', 'NODATA'],
  ['cluster.local', 'A', 'NODATA'],
  ['cluster.local', 'SOA', 'SOA SOA'],
  ['cluster.local', 'NS', 'NS ns.dns.cluster.local'],
  ['ns.dns.cluster.local', 'A', 'A 10.43.0.10'],
  ['foo.cluster.local', 'A', 'NXDOMAIN'],
  ['a.b.c.d.e.f.svc.cluster.local', 'A', 'NXDOMAIN'],
  // headless: ready endpoints only
  ['db.prod.svc.cluster.local', 'A', 'A 10.42.1.1, A 10.42.1.2, A 10.42.1.3'],
  ['db.prod.svc.cluster.local', 'AAAA', 'NODATA'],
  ['nobody.prod.svc.cluster.local', 'A', 'NXDOMAIN'],
  // StatefulSet-style endpoint names; endpoints without hostname are named by their dashed address
  ['db-0.db.prod.svc.cluster.local', 'A', 'A 10.42.1.1'],
  ['10-42-1-3.db.prod.svc.cluster.local', 'A', 'A 10.42.1.3'],
  ['db-3.db.prod.svc.cluster.local', 'A', 'NXDOMAIN'],
  ['db-9.db.prod.svc.cluster.local', 'A', 'NXDOMAIN'],
  // SRV
  ['_http._tcp.web.default.svc.cluster.local', 'SRV', 'SRV 0 100 80 web.default.svc.cluster.local'],
  ['_dns._udp.web.default.svc.cluster.local', 'SRV', 'SRV 0 100 53 web.default.svc.cluster.local'],
  ['_dns._tcp.web.default.svc.cluster.local', 'SRV', 'NXDOMAIN'],
  ['_http._tcp.web.default.svc.cluster.local', 'A', 'NODATA'],
  ['web.default.svc.cluster.local', 'SRV', 'SRV 0 50 53 web.default.svc.cluster.local, SRV 0 50 80 web.default.svc.cluster.local'],
  ['_pg._tcp.db.prod.svc.cluster.local', 'SRV', 'SRV 0 33 5432 10-42-1-3.db.prod.svc.cluster.local, SRV 0 33 5432 db-0.db.prod.svc.cluster.local, SRV 0 33 5432 db-1.db.prod.svc.cluster.local'],
  // ExternalName
  ['ext.default.svc.cluster.local', 'A', 'CNAME example.org'],
  ['ext.default.svc.cluster.local', 'AAAA', 'CNAME example.org'],
  // pods
  ['10-42-0-7.default.pod.cluster.local', 'A', 'A 10.42.0.7'],
  ['10-42-0-7.default.pod.cluster.local', 'AAAA', 'NODATA'],
  ['fd00--7.default.pod.cluster.local', 'AAAA', 'AAAA fd00::7'],
  ['not-an-ip.default.pod.cluster.local', 'A', 'NXDOMAIN'],
  ['default.pod.cluster.local', 'A', 'NODATA'],
  // reverse
  ['20.0.43.10.in-addr.arpa', 'PTR', 'PTR web.default.svc.cluster.local'],
  ['1.1.42.10.in-addr.arpa', 'PTR', 'PTR db-0.db.prod.svc.cluster.local'],
  ['5.0.42.10.in-addr.arpa', 'PTR', 'forward'],
  ['1.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.4.0.0.0.0.d.f.ip6.arpa', 'PTR', 'PTR dual.default.svc.cluster.local'],
  ['8.8.8.8.in-addr.arpa', 'PTR', 'forward'],
  // outside the zone
  ['example.org', 'A', 'forward'],
  ['cluster.local.example.org', 'A', 'forward'],
];

for (const [name, type, want] of cases) {
  test(`${type} ${name} → ${want}`, () => {
    assert.equal(summarize(resolve(catalog, cfg, name, type)), want);
  });
}

test('answers carry the question name as asked, the zone TTL, and SRV targets come with their addresses', () => {
  const r = resolve(catalog, cfg, 'Web.default.svc.cluster.local.', 'A');
  assert.equal(r.kind, 'answer');
  if (r.kind !== 'answer') return;
  assert.equal(r.answers[0]!.name, 'Web.default.svc.cluster.local.');
  assert.equal(r.answers[0]!.ttl, 5);
  const srv = resolve(catalog, cfg, '_pg._tcp.db.prod.svc.cluster.local', 'SRV');
  assert.ok(srv.kind === 'answer');
  if (srv.kind !== 'answer') return;
  assert.deepEqual(srv.additionals.map((a) => `${a.name} ${a.data}`).sort(), [
    '10-42-1-3.db.prod.svc.cluster.local 10.42.1.3',
    'db-0.db.prod.svc.cluster.local 10.42.1.1',
    'db-1.db.prod.svc.cluster.local 10.42.1.2',
  ]);
  const nx = resolve(catalog, cfg, 'missing.default.svc.cluster.local', 'A');
  assert.ok(nx.kind === 'answer' && nx.authorities[0]!.type === 'SOA' && nx.authorities[0]!.name === 'cluster.local');
});

test('another cluster domain', () => {
  assert.equal(summarize(resolve(catalog, { zone: 'k8s.example', ttl: 30 }, 'web.default.svc.k8s.example', 'A')), 'A 10.43.0.20');
  assert.equal(summarize(resolve(catalog, { zone: 'k8s.example', ttl: 30 }, 'web.default.svc.cluster.local', 'A')), 'forward');
});

test('reverse names', () => {
  assert.equal(ipFromReverse('4.3.2.1.in-addr.arpa'), '1.2.3.4');
  assert.equal(ipFromReverse('3.2.1.in-addr.arpa'), undefined);
  assert.equal(ipFromReverse('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa'), 'fd00::1');
});

test('every cluster answer names the catalog scope it was read from (what invalidates its cached copy)', () => {
  const table: Array<[string, string, string]> = [
    ['web.default.svc.cluster.local', 'A', dnsScopes.service('default', 'web')],
    ['nope.default.svc.cluster.local', 'A', dnsScopes.service('default', 'nope')],
    ['nope.default.default.svc.cluster.local', 'A', dnsScopes.service('default', 'default')],
    ['db-0.db.prod.svc.cluster.local', 'A', dnsScopes.service('prod', 'db')],
    ['_http._tcp.web.default.svc.cluster.local', 'SRV', dnsScopes.service('default', 'web')],
    ['ext.default.svc.cluster.local', 'CNAME', dnsScopes.service('default', 'ext')],
    ['prod.svc.cluster.local', 'A', dnsScopes.namespace('prod')],
    ['nosuch.svc.cluster.local', 'A', dnsScopes.namespace('nosuch')],
    ['prod.pod.cluster.local', 'A', dnsScopes.namespace('prod')],
    ['10-42-0-5.default.pod.cluster.local', 'A', dnsScopes.zone],
    ['svc.cluster.local', 'A', dnsScopes.zone],
    ['cluster.local', 'SOA', dnsScopes.zone],
    ['x.cluster.local', 'A', dnsScopes.zone],
    ['20.0.43.10.in-addr.arpa', 'PTR', dnsScopes.reverse],
  ];
  for (const [name, type, scope] of table) {
    const r = resolve(catalog, cfg, name, type);
    assert.equal(r.kind === 'answer' && r.scope, scope, `${name} ${type}`);
  }
});

test('scopesChangedBy: a Service or EndpointSlice event moves its Service scope and the reverse index; a Namespace its own', () => {
  assert.deepEqual(scopesChangedBy('Service', svc('prod', 'db', {})), [dnsScopes.service('prod', 'db'), dnsScopes.reverse]);
  assert.deepEqual(scopesChangedBy('EndpointSlice', slice('prod', 'db', [], [])), [dnsScopes.service('prod', 'db'), dnsScopes.reverse]);
  assert.deepEqual(scopesChangedBy('EndpointSlice', { addressType: 'IPv4', endpoints: [], metadata: { namespace: 'prod', name: 'orphan' } }), []);
  assert.deepEqual(scopesChangedBy('Namespace', { metadata: { name: 'prod' } }), [dnsScopes.namespace('prod')]);
});
