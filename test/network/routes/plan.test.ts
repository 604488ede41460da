import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { diffPodRoutes, planPodRoutes, podRoutesRuleset, podRoutesTable, routeKey } from '../../../src/network/routes/plan.js';

const node = (name: string, ip: string | undefined, podCIDR: string | undefined, extra: Partial<Node['metadata']> = {}): Node => ({
  metadata: { name, ...extra },
  spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {},
  status: { addresses: [{ type: 'Hostname', address: name }, ...(ip ? [{ type: 'InternalIP', address: ip }] : [])] },
});

test('planPodRoutes: a route to every other node pod CIDR via its InternalIP', () => {
  const cases: { name: string; nodes: Node[]; local?: string[]; want: string[] }[] = [
    { name: 'two peers', nodes: [node('a', '10.9.0.2', '10.42.0.0/24'), node('b', '10.9.0.3', '10.42.1.0/24'), node('c', '10.9.0.4', '10.42.2.0/24')], want: ['10.42.1.0/24 via 10.9.0.3', '10.42.2.0/24 via 10.9.0.4'] },
    { name: 'no pod CIDR yet / no InternalIP', nodes: [node('b', '10.9.0.3', undefined), node('c', undefined, '10.42.2.0/24')], want: [] },
    { name: 'a peer on this host (local or loopback address) needs none', nodes: [node('b', '10.9.0.2', '10.42.1.0/24'), node('c', '127.0.0.1', '10.42.2.0/24')], local: ['10.9.0.2'], want: [] },
    { name: 'terminating node', nodes: [node('b', '10.9.0.3', '10.42.1.0/24', { deletionTimestamp: '2026-01-01T00:00:00Z' })], want: [] },
    { name: 'host bits cleared; a CIDR claimed twice goes to the first by name', nodes: [node('c', '10.9.0.4', '10.42.1.0/24'), node('b', '10.9.0.3', '10.42.1.7/24')], want: ['10.42.1.0/24 via 10.9.0.3'] },
    { name: 'IPv6 InternalIP ignored', nodes: [node('b', 'fd00::3', '10.42.1.0/24')], want: [] },
  ];
  for (const c of cases) {
    assert.deepEqual(planPodRoutes(c.nodes, 'a', c.local ?? ['10.9.0.2']).map(routeKey), c.want, c.name);
  }
});

test('diffPodRoutes: new, moved and gone destinations', () => {
  const wanted = planPodRoutes([node('b', '10.9.0.3', '10.42.1.0/24'), node('c', '10.9.0.5', '10.42.2.0/24')], 'a', []);
  const d = diffPodRoutes(
    [
      { dest: '10.42.1.0/24', via: '10.9.0.3' },
      { dest: '10.42.2.0/24', via: '10.9.0.4' },
      { dest: '10.42.3.0/24', via: '10.9.0.6' },
    ],
    wanted,
  );
  assert.deepEqual(d.put.map(routeKey), ['10.42.2.0/24 via 10.9.0.5']);
  assert.deepEqual(d.remove.map(routeKey), ['10.42.3.0/24 via 10.9.0.6']);
  assert.deepEqual(diffPodRoutes([], []), { put: [], remove: [] });
});

test('podRoutesRuleset: identity source NAT from this node pod CIDR to the others, ahead of the masquerade', () => {
  assert.equal(podRoutesTable('node-1.example'), 'skiff_routes_node_1_example');
  assert.equal(
    podRoutesRuleset('t', '10.42.0.0/24', ['10.42.1.0/24', '10.42.2.0/24']),
    [
      'table ip t {}',
      'delete table ip t',
      'table ip t {',
      '  chain keep-pod-source {',
      '    type nat hook postrouting priority srcnat - 10; policy accept;',
      '    ip saddr 10.42.0.0/24 ip daddr { 10.42.1.0/24, 10.42.2.0/24 } snat to ip saddr',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  assert.doesNotMatch(podRoutesRuleset('t', undefined, ['10.42.1.0/24']), /snat/);
});
