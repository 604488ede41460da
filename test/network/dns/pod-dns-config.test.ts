// Pods' resolv.conf per dnsPolicy + dnsConfig, and /etc/hosts with hostname, subdomain and hostAliases,
// as the kubelet writes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseResolvConf, podDnsConfig, renderResolvConf, searchCandidates } from '../../../src/network/dns/pod-dns-config.js';
import { podHostsFile } from '../../../src/network/dns/hosts-file.js';

const host = parseResolvConf('# host\nnameserver 192.0.2.53\nnameserver 192.0.2.54 # second\nsearch corp.example. lab.example\noptions timeout:2 rotate\n');
const pod = (spec: Partial<NonNullable<Pod['spec']>>, ns = 'team'): Pod => ({ metadata: { name: 'p', namespace: ns, uid: 'u1' }, spec: { containers: [], ...spec } });

test('parseResolvConf reads nameservers, the search line without trailing dots, options', () => {
  assert.deepEqual(host, { nameservers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['timeout:2', 'rotate'] });
});

const cases: Array<{ name: string; pod: Pod; clusterDns?: string[]; want: { nameservers: string[]; searches: string[]; options: string[] }; warnings?: number }> = [
  {
    name: 'ClusterFirst (default): cluster DNS, namespace search path then the host searches, ndots:5',
    pod: pod({}),
    want: { nameservers: ['10.43.0.10'], searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example'], options: ['ndots:5'] },
  },
  {
    name: 'ClusterFirst with hostNetwork behaves as Default',
    pod: pod({ dnsPolicy: 'ClusterFirst', hostNetwork: true }),
    want: { nameservers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['timeout:2', 'rotate'] },
  },
  {
    name: 'ClusterFirstWithHostNet uses cluster DNS on the host network',
    pod: pod({ dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true }),
    want: { nameservers: ['10.43.0.10'], searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example'], options: ['ndots:5'] },
  },
  {
    name: 'Default: the host configuration',
    pod: pod({ dnsPolicy: 'Default' }),
    want: { nameservers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['timeout:2', 'rotate'] },
  },
  {
    name: 'None + dnsConfig: only what the pod says',
    pod: pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.2.3.4'], searches: ['ns1.svc.cluster-domain.example', 'my.dns.search.suffix'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }),
    want: { nameservers: ['1.2.3.4'], searches: ['ns1.svc.cluster-domain.example', 'my.dns.search.suffix'], options: ['ndots:2', 'edns0'] },
  },
  {
    name: 'ClusterFirst + dnsConfig: appended, duplicates dropped, options override by name',
    pod: pod({ dnsConfig: { nameservers: ['10.43.0.10', '9.9.9.9'], searches: ['cluster.local', 'extra.example'], options: [{ name: 'ndots', value: '1' }, { name: 'single-request' }] } }),
    want: {
      nameservers: ['10.43.0.10', '9.9.9.9'],
      searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example', 'extra.example'],
      options: ['ndots:1', 'single-request'],
    },
  },
  {
    name: 'more than 3 nameservers are cut to 3 with a warning',
    pod: pod({ dnsPolicy: 'Default', dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2'] } }),
    want: { nameservers: ['192.0.2.53', '192.0.2.54', '1.1.1.1'], searches: ['corp.example', 'lab.example'], options: ['timeout:2', 'rotate'] },
    warnings: 1,
  },
  {
    name: 'ClusterFirst without a known cluster DNS falls back to the host, with a warning',
    pod: pod({}),
    clusterDns: [],
    want: { nameservers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['timeout:2', 'rotate'] },
    warnings: 1,
  },
];

for (const c of cases) {
  test(c.name, () => {
    const got = podDnsConfig(c.pod, c.clusterDns ?? ['10.43.0.10'], 'cluster.local', host);
    assert.deepEqual({ nameservers: got.nameservers, searches: got.searches, options: got.options }, c.want);
    assert.equal(got.warnings.length, c.warnings ?? 0, got.warnings.join('; '));
  });
}

test('search paths beyond 32 are dropped with a warning', () => {
  const searches = Array.from({ length: 40 }, (_, i) => `s${i}.example`);
  const got = podDnsConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches } }), [], 'cluster.local', host);
  assert.equal(got.searches.length, 32);
  assert.match(got.warnings[0]!, /^Search Line limits were exceeded/);
});

test('renderResolvConf', () => {
  assert.equal(
    renderResolvConf({ nameservers: ['10.43.0.10'], searches: ['a.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] }),
    'search a.svc.cluster.local svc.cluster.local\nnameserver 10.43.0.10\noptions ndots:5\n',
  );
});

test('hosts file: managed header, pod IP with FQDN when subdomain is set, hostAliases', () => {
  const p: Pod = {
    metadata: { name: 'web-0', namespace: 'default' },
    spec: { containers: [], hostname: 'web-0', subdomain: 'web', hostAliases: [{ ip: '127.0.0.1', hostnames: ['foo.local', 'bar.local'] }, { ip: '10.1.2.3', hostnames: ['foo.remote'] }] },
  };
  assert.equal(
    podHostsFile({ pod: p, podIPs: ['10.42.0.7'], clusterDomain: 'cluster.local' }),
    '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n' +
      '10.42.0.7\tweb-0.web.default.svc.cluster.local\tweb-0\n' +
      '\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n10.1.2.3\tfoo.remote\n',
  );
  const plain = podHostsFile({ pod: { metadata: { name: 'nginx', namespace: 'default' }, spec: { containers: [] } }, podIPs: ['10.200.0.4'], clusterDomain: 'cluster.local' });
  assert.ok(plain.endsWith('fe00::2\tip6-allrouters\n10.200.0.4\tnginx\n'));
});

test('hosts file for host-network pods: the host file plus aliases', () => {
  const p: Pod = { metadata: { name: 'h', namespace: 'default' }, spec: { containers: [], hostNetwork: true, hostAliases: [{ ip: '10.9.9.9', hostnames: ['x'] }] } };
  assert.equal(
    podHostsFile({ pod: p, podIPs: ['192.0.2.1'], clusterDomain: 'cluster.local', hostHostsFile: '127.0.0.1 localhost\n192.0.2.1 node1' }),
    '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n192.0.2.1 node1\n\n# Entries added by HostAliases.\n10.9.9.9\tx\n',
  );
});

test('searchCandidates follows glibc res_search: ndots decides whether the name as written goes first', () => {
  const conf = { nameservers: ['10.43.0.10'], searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] };
  const table: Array<[string, typeof conf, string[]]> = [
    ['web', conf, ['web.team.svc.cluster.local', 'web.svc.cluster.local', 'web.cluster.local', 'web']],
    ['web.other', conf, ['web.other.team.svc.cluster.local', 'web.other.svc.cluster.local', 'web.other.cluster.local', 'web.other']],
    ['web.team.svc.cluster.local.', conf, ['web.team.svc.cluster.local']],
    ['a.b.c.d.e.f', conf, ['a.b.c.d.e.f', 'a.b.c.d.e.f.team.svc.cluster.local', 'a.b.c.d.e.f.svc.cluster.local', 'a.b.c.d.e.f.cluster.local']],
    ['example.com', { ...conf, options: [] }, ['example.com', 'example.com.team.svc.cluster.local', 'example.com.svc.cluster.local', 'example.com.cluster.local']],
    ['host', { ...conf, searches: [], options: [] }, ['host']],
  ];
  for (const [name, c, want] of table) assert.deepEqual(searchCandidates(name, c), want, name);
});
