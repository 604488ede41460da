// The text the kernel data paths write: nftables rule sets and their incremental transactions, and the
// iptables-restore equivalent — balancing, affinity, masquerade conditions, reject/drop for Services
// without endpoints, and that an unchanged sync writes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { buildRuleset, chainNames, fullTransaction, partialTransaction, tableSkeleton } from '../../../src/network/proxy/nft-ruleset.js';
import { buildIptRuleset, iptablesRestoreInput, iptPrefix } from '../../../src/network/proxy/iptables.js';
import { serviceRoutes, type ServicePortRoute } from '../../../src/network/proxy/service-ports.js';

function routes(opts: { eps: number; spec?: Partial<NonNullable<Service['spec']>>; name?: string; notReady?: number[] }): ServicePortRoute[] {
  const name = opts.name ?? 'web';
  const svc: Service = { metadata: { namespace: 'default', name }, spec: { clusterIP: '10.43.0.20', ports: [{ name: 'http', port: 80, nodePort: 30080 }], ...opts.spec } };
  const slice: EndpointSlice = {
    addressType: 'IPv4',
    metadata: { namespace: 'default', name: `${name}-1`, labels: { 'kubernetes.io/service-name': name } },
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: Array.from({ length: opts.eps }, (_, i) => ({ addresses: [`10.42.0.${i + 1}`], nodeName: 'n1', conditions: { ready: !(opts.notReady ?? []).includes(i) } })),
  };
  return serviceRoutes(svc, [slice], 'n1');
}

const cfg = { table: 'skiff-t1', clusterCIDR: '10.42.0.0/16' };

test('nft: a Service port maps its cluster IP to a chain that DNATs through a numgen-indexed endpoint map', () => {
  const rs = buildRuleset(cfg, routes({ eps: 3 }));
  const [r] = routes({ eps: 3 });
  const svcChain = chainNames.service(r!);
  assert.equal(rs.maps['service-ips'].get('10.43.0.20 . tcp . 80'), `goto ${svcChain}`);
  assert.deepEqual(rs.chains.get(svcChain), [
    'ip daddr 10.43.0.20 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
    'meta l4proto tcp dnat ip to numgen random mod 3 map { 0 : 10.42.0.1 . 8080, 1 : 10.42.0.2 . 8080, 2 : 10.42.0.3 . 8080 }',
  ]);
  assert.equal(rs.chains.size, 1, 'no per-endpoint chains without affinity');
  assert.deepEqual([...rs.maps.hairpin.keys()], ['10.42.0.1 . 10.42.0.1', '10.42.0.2 . 10.42.0.2', '10.42.0.3 . 10.42.0.3']);
  assert.equal(rs.maps['service-nodeports'].size, 0, 'ClusterIP: no NodePort');
  const one = buildRuleset(cfg, routes({ eps: 1 }));
  assert.equal([...one.chains.values()][0]![1], 'meta l4proto tcp dnat to 10.42.0.1:8080');
});

test('nft: round-robin, masquerade-all and no pod CIDR', () => {
  const rr = buildRuleset({ table: 't', balance: 'round-robin', masqueradeAll: true }, routes({ eps: 2 }));
  const chain = [...rr.chains.values()][0]!;
  assert.equal(chain[0], 'ip daddr 10.43.0.20 tcp dport 80 jump mark-for-masquerade');
  assert.match(chain[1]!, / numgen inc mod 2 map /);
  const none = buildRuleset({ table: 't' }, routes({ eps: 2 }));
  assert.equal([...none.chains.values()][0]!.length, 1, 'no masquerade rule without a pod CIDR');
});

test('nft: ClientIP affinity adds a chain and a timed set per endpoint, checked before balancing and refreshed on use', () => {
  const rs = buildRuleset(cfg, routes({ eps: 2, spec: { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } } }));
  assert.equal(rs.sets.size, 2);
  for (const decl of rs.sets.values()) assert.equal(decl, '{ type ipv4_addr; flags dynamic,timeout; timeout 600s; }');
  const svc = [...rs.chains.entries()].find(([n]) => n.startsWith('svc-'))![1];
  assert.match(svc[1]!, /^ip saddr @aff-\S+ goto ep-\S+__10\.42\.0\.1\/8080$/);
  assert.match(svc[3]!, /^numgen random mod 2 vmap \{ 0 : goto ep-/);
  const ep = [...rs.chains.entries()].find(([n]) => n.startsWith('ep-'))![1];
  assert.match(ep[0]!, /^update @aff-\S+ \{ ip saddr \}$/);
  assert.equal(ep[1], 'meta l4proto tcp dnat to 10.42.0.1:8080');
});

test('nft: NodePort goes through an external chain that masquerades; no endpoints → reject maps', () => {
  const rs = buildRuleset(cfg, routes({ eps: 1, spec: { type: 'NodePort' } }));
  const ext = rs.maps['service-nodeports'].get('tcp . 30080')!;
  assert.match(ext, /^goto ext-/);
  assert.deepEqual(rs.chains.get(ext.slice(5))!.slice(0, 1), ['jump mark-for-masquerade']);
  const empty = buildRuleset(cfg, routes({ eps: 1, notReady: [0], spec: { type: 'NodePort' } }));
  assert.equal(empty.maps['no-endpoint-services'].get('10.43.0.20 . tcp . 80'), 'goto reject-chain');
  assert.equal(empty.maps['no-endpoint-nodeports'].get('tcp . 30080'), 'goto reject-chain');
  assert.equal(empty.chains.size, 0);
});

test('nft: externalTrafficPolicy Local short-circuits cluster and node traffic, drops when nothing is local', () => {
  const r = routes({ eps: 2, spec: { type: 'NodePort', externalTrafficPolicy: 'Local' } });
  r[0]!.localEndpoints = [];
  const rs = buildRuleset(cfg, r);
  const ext = rs.chains.get(rs.maps['service-nodeports'].get('tcp . 30080')!.slice(5))!;
  assert.deepEqual(ext.map((x) => x.replace(/svc-\S+/, 'SVC')), ['ip saddr 10.42.0.0/16 goto SVC', 'fib saddr type local jump mark-for-masquerade', 'fib saddr type local goto SVC', 'drop']);
});

test('nft: partial transactions touch only what changed, in an order nft accepts', () => {
  const a = buildRuleset(cfg, [...routes({ eps: 3 }), ...routes({ eps: 1, name: 'other' })]);
  assert.equal(partialTransaction(cfg, a, a), '', 'nothing changed, nothing written');
  const b = buildRuleset(cfg, [...routes({ eps: 2 }), ...routes({ eps: 1, name: 'other' })]);
  const tx = partialTransaction(cfg, a, b).trim().split('\n');
  assert.deepEqual(
    tx.map((l) => l.replace(/svc-\S+/, 'SVC')),
    [
      'flush chain ip skiff-t1 SVC',
      'add rule ip skiff-t1 SVC ip daddr 10.43.0.20 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
      'add rule ip skiff-t1 SVC meta l4proto tcp dnat ip to numgen random mod 2 map { 0 : 10.42.0.1 . 8080, 1 : 10.42.0.2 . 8080 }',
      'delete element ip skiff-t1 hairpin { 10.42.0.3 . 10.42.0.3 }',
    ],
  );
  const sticky = { sessionAffinity: 'ClientIP' as const };
  const c = buildRuleset(cfg, routes({ eps: 2, spec: sticky }));
  const gone = partialTransaction(cfg, c, buildRuleset(cfg, [])).trim().split('\n');
  const delElement = gone.findIndex((l) => l.startsWith('delete element ip skiff-t1 service-ips'));
  const delChain = gone.findIndex((l) => l.startsWith('delete chain'));
  const delSet = gone.findIndex((l) => l.startsWith('delete set'));
  assert.ok(delElement >= 0 && delChain > delElement && delSet > delChain, 'map elements go before the chains they point to, sets after the rules using them');
});

test('nft: the full transaction recreates the table from scratch', () => {
  const tx = fullTransaction(cfg, buildRuleset(cfg, routes({ eps: 1 })));
  assert.ok(tx.startsWith('add table ip skiff-t1\ndelete table ip skiff-t1\ntable ip skiff-t1 {'));
  assert.match(tx, /add element ip skiff-t1 service-ips \{ 10\.43\.0\.20 \. tcp \. 80 : goto svc-/);
  assert.match(tableSkeleton({ table: 'x' }), /fib daddr type local ip daddr != 127\.0\.0\.0\/8 meta l4proto/);
  assert.match(tableSkeleton({ table: 'x', localhostNodePorts: true }), /ct status & dnat == 0 drop/);
});

test('iptables: same plan with statistic balancing, recent affinity, REJECT in filter, short chain names', () => {
  const P = iptPrefix('t1');
  const rs = buildIptRuleset({ chainPrefix: 't1', clusterCIDR: '10.42.0.0/16' }, routes({ eps: 3, spec: { sessionAffinity: 'ClientIP' } }));
  for (const t of [rs.nat, rs.filter]) for (const n of t.keys()) assert.ok(n.length <= 28, `${n} fits iptables' 28 characters`);
  const services = rs.nat.get(`${P}-SERVICES`)!;
  assert.match(services[0]!, new RegExp(`^-d 10\\.43\\.0\\.20/32 -p tcp -m tcp --dport 80 -j ${P}-SVC-`));
  const svc = rs.nat.get(services[0]!.split(' -j ')[1]!)!;
  assert.match(svc[0]!, /! -s 10\.42\.0\.0\/16 -j SKIFF\w+-MARK-MASQ$/);
  assert.match(svc[1]!, /--rcheck --seconds 10800 --reap -j /);
  assert.deepEqual(
    svc.slice(4).map((r) => r.replace(/ ?-j \S+$/, '')),
    ['-m statistic --mode random --probability 0.3333333333', '-m statistic --mode random --probability 0.5000000000', ''],
  );
  const empty = buildIptRuleset({ chainPrefix: 't1' }, routes({ eps: 1, notReady: [0] }));
  assert.deepEqual(empty.filter.get(`${P}-CHECK`), ['-m conntrack --ctstate NEW -d 10.43.0.20/32 -p tcp -m tcp --dport 80 -j REJECT']);
});

test('iptables: restore input declares changed chains and removes stale ones', () => {
  const c = { chainPrefix: 't1' };
  const a = buildIptRuleset(c, routes({ eps: 2 }));
  assert.equal(iptablesRestoreInput(a, a), '');
  const b = buildIptRuleset(c, routes({ eps: 1 }));
  const input = iptablesRestoreInput(a, b);
  assert.match(input, /^\*nat\n/);
  assert.match(input, /\n-X SKIFF\w+-SEP-\w+\n/);
  assert.doesNotMatch(input, /\*filter/, 'filter table unchanged');
});
