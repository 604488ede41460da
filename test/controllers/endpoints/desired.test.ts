import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { pod, service } from './fixtures.js';
import { desiredEndpoints } from '../../../src/controllers/endpoints/desired.js';
import { endpointConditions, findPort, shouldPodBeInEndpoints } from '../../../src/controllers/endpoints/pod-endpoints.js';

test('endpoint conditions (ready / serving / terminating)', () => {
  const cases: { name: string; ready: boolean; deleting: boolean; publish: boolean; want: [boolean, boolean, boolean] }[] = [
    { name: 'ready pod', ready: true, deleting: false, publish: false, want: [true, true, false] },
    { name: 'not ready pod', ready: false, deleting: false, publish: false, want: [false, false, false] },
    { name: 'terminating ready pod', ready: true, deleting: true, publish: false, want: [false, true, true] },
    { name: 'terminating not ready', ready: false, deleting: true, publish: false, want: [false, false, true] },
    { name: 'publishNotReady, not ready', ready: false, deleting: false, publish: true, want: [true, false, false] },
    { name: 'publishNotReady, terminating', ready: true, deleting: true, publish: true, want: [true, true, true] },
  ];
  for (const c of cases) {
    const got = endpointConditions(pod('p', { ip: '1.1.1.1', ready: c.ready, deleting: c.deleting }), c.publish);
    assert.deepEqual([got.ready, got.serving, got.terminating], c.want, c.name);
  }
});

test('which pods are endpoints', () => {
  const cases: { name: string; p: Pod; includeTerminating: boolean; want: boolean }[] = [
    { name: 'running with IP', p: pod('a', { ip: '1.1.1.1' }), includeTerminating: false, want: true },
    { name: 'no IP yet', p: pod('a'), includeTerminating: false, want: false },
    { name: 'succeeded', p: pod('a', { ip: '1.1.1.1', phase: 'Succeeded' }), includeTerminating: true, want: false },
    { name: 'failed', p: pod('a', { ip: '1.1.1.1', phase: 'Failed' }), includeTerminating: true, want: false },
    { name: 'terminating, excluded', p: pod('a', { ip: '1.1.1.1', deleting: true }), includeTerminating: false, want: false },
    { name: 'terminating, included', p: pod('a', { ip: '1.1.1.1', deleting: true }), includeTerminating: true, want: true },
  ];
  for (const c of cases) assert.equal(shouldPodBeInEndpoints(c.p, c.includeTerminating), c.want, c.name);
});

test('named target ports resolve per pod', () => {
  const p = pod('a', { ports: [{ name: 'http', containerPort: 8080 }] });
  assert.equal(findPort(p, { port: 80, targetPort: 'http' }), 8080);
  assert.equal(findPort(p, { port: 80, targetPort: 'http', protocol: 'UDP' }), undefined);
  assert.equal(findPort(p, { port: 80, targetPort: 'metrics' }), undefined);
  assert.equal(findPort(p, { port: 80, targetPort: 9090 }), 9090);
  assert.equal(findPort(p, { port: 80 }), 80);
});

test('Endpoints subsets: ready vs notReady, port sets, headless without ports, publishNotReadyAddresses', () => {
  const pods = [
    pod('b', { ip: '10.0.0.2', ready: false, ports: [{ name: 'http', containerPort: 8080 }] }),
    pod('a', { ip: '10.0.0.10', node: 'n1', ports: [{ name: 'http', containerPort: 8080 }] }),
    pod('c', { ip: '10.0.0.3', ports: [{ name: 'http', containerPort: 9090 }] }),
    pod('d', { ip: '10.0.0.4', ports: [] }),
    pod('e', { ip: '10.0.0.5', deleting: true, ports: [{ name: 'http', containerPort: 8080 }] }),
    pod('f', {}),
  ];
  const { subsets } = desiredEndpoints(service({ ports: [{ name: 'web', port: 80, targetPort: 'http', protocol: 'TCP' }] }), pods);
  assert.deepEqual(subsets, [
    {
      addresses: [{ ip: '10.0.0.10', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } }],
      notReadyAddresses: [{ ip: '10.0.0.2', targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: 'uid-b' } }],
      ports: [{ name: 'web', port: 8080, protocol: 'TCP' }],
    },
    { addresses: [{ ip: '10.0.0.3', targetRef: { kind: 'Pod', namespace: 'default', name: 'c', uid: 'uid-c' } }], ports: [{ name: 'web', port: 9090, protocol: 'TCP' }] },
  ]);

  const headless = desiredEndpoints(service({ clusterIP: 'None', ports: [] }), [pod('h', { ip: '10.0.0.9', hostname: 'h0', subdomain: 'web' })]);
  assert.deepEqual(headless.subsets, [{ addresses: [{ ip: '10.0.0.9', hostname: 'h0', targetRef: { kind: 'Pod', namespace: 'default', name: 'h', uid: 'uid-h' } }] }]);

  const pub = desiredEndpoints(service({ publishNotReadyAddresses: true }), [pod('x', { ip: '10.0.0.7', ready: false }), pod('y', { ip: '10.0.0.8', deleting: true })]);
  assert.deepEqual(pub.subsets[0]!.addresses!.map((a) => a.ip), ['10.0.0.7', '10.0.0.8']);
  assert.equal(pub.subsets[0]!.notReadyAddresses, undefined);
});

test('Endpoints are capped at 1000 addresses, ready ones first', () => {
  const pods = Array.from({ length: 1005 }, (_, i) => pod(`p${i}`, { ip: `10.1.${i >> 8}.${i & 255}`, ready: i >= 5 }));
  const r = desiredEndpoints(service(), pods);
  assert.equal(r.truncated, true);
  assert.equal(r.subsets[0]!.addresses!.length, 1000);
  assert.equal(r.subsets[0]!.notReadyAddresses, undefined);
});
