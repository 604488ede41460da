import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Endpoint } from 'kubernetes-types/discovery/v1.js';
import { desiredEndpointGroups, planSlices, type EndpointGroup } from '../../../src/controllers/endpointslice/desired.js';
import { pod, service } from '../endpoints/fixtures.js';

const ep = (n: string): Endpoint => ({ addresses: [`10.0.0.${n}`], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', name: `p${n}`, uid: `u${n}` } });
const slice = (name: string, ports: EndpointGroup['ports'], eps: Endpoint[]): EndpointSlice => ({ metadata: { name }, addressType: 'IPv4', ports, endpoints: eps });
const P80 = [{ name: '', port: 80, protocol: 'TCP' }];
const group = (ports: EndpointGroup['ports'], names: string[]) => new Map([[ports.map((p) => `${p.name}/${p.port}/${p.protocol}/`).join(','), { ports, endpoints: names.map(ep) }]]);

test('desired groups: conditions and per-pod port sets', () => {
  const g = desiredEndpointGroups(service({ ports: [{ name: 'web', port: 80, targetPort: 'http', protocol: 'TCP' }] }), [
    pod('a', { ip: '10.0.0.1', ports: [{ name: 'http', containerPort: 8080 }] }),
    pod('b', { ip: '10.0.0.2', ports: [{ name: 'http', containerPort: 9090 }], deleting: true }),
    pod('c', { ip: '10.0.0.3', ports: [{ name: 'http', containerPort: 8080 }], ready: false }),
  ]);
  const byPort = [...g.values()].map((x) => [x.ports[0]!.port, x.endpoints.map((e) => [e.targetRef!.name, e.conditions])]);
  assert.deepEqual(byPort, [
    [8080, [['a', { ready: true, serving: true, terminating: false }], ['c', { ready: false, serving: false, terminating: false }]]],
    [9090, [['b', { ready: false, serving: true, terminating: true }]]],
  ]);
});

test('slice plans', () => {
  const names = (n: number, from = 0) => Array.from({ length: n }, (_, i) => String(from + i));
  const cases: { name: string; existing: EndpointSlice[]; desired: Map<string, EndpointGroup>; max?: number; want: { create: number[]; update: [string, number][]; delete: string[] } }[] = [
    { name: 'no slices, no endpoints: placeholder', existing: [], desired: new Map(), want: { create: [0], update: [], delete: [] } },
    { name: 'placeholder kept', existing: [slice('a', [], [])], desired: new Map(), want: { create: [], update: [], delete: [] } },
    { name: 'endpoints replace the placeholder', existing: [slice('a', [], [])], desired: group(P80, ['1']), want: { create: [1], update: [], delete: ['a'] } },
    { name: 'unchanged slice: nothing', existing: [slice('a', P80, [ep('1'), ep('2')])], desired: group(P80, ['1', '2']), want: { create: [], update: [], delete: [] } },
    { name: 'new endpoint fills free room', existing: [slice('a', P80, [ep('1')])], desired: group(P80, ['1', '2']), want: { create: [], update: [['a', 2]], delete: [] } },
    { name: '250 endpoints: 100 + 100 + 50', existing: [], desired: group(P80, names(250)), want: { create: [100, 100, 50], update: [], delete: [] } },
    { name: 'all gone: one placeholder left', existing: [slice('a', P80, [ep('1')]), slice('b', P80, [ep('2')])], desired: new Map(), want: { create: [], update: [['a', 0]], delete: ['b'] } },
    { name: 'max 2', existing: [slice('a', P80, [ep('1'), ep('2')])], desired: group(P80, ['1', '2', '3']), max: 2, want: { create: [1], update: [], delete: [] } },
  ];
  for (const c of cases) {
    const p = planSlices(c.existing, c.desired, c.max);
    assert.deepEqual(
      { create: p.create.map((g) => g.endpoints.length), update: p.update.map((u) => [u.slice.metadata!.name!, u.endpoints.length]), delete: p.delete.map((s) => s.metadata!.name!) },
      c.want,
      c.name,
    );
  }
});
