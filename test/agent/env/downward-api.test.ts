import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { fieldRefValue, formatMap, goQuote, resourceFieldValue } from '../../../src/agent/env/downward-api.js';
import { ContainerConfigError } from '../../../src/agent/env/errors.js';

const pod: Pod = {
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web', tier: 'front' }, annotations: { note: 'say "hi"\n' } },
  spec: {
    nodeName: 'node-a',
    serviceAccountName: 'builder',
    containers: [
      { name: 'app', resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi', 'ephemeral-storage': '1Gi' } } },
      { name: 'side', resources: { requests: { cpu: '100m' } } },
    ],
  },
};
const host = { hostIPs: ['192.168.1.5', 'fd00::5'], podIPs: ['10.42.0.7', 'fd01::7'] };

test('fieldRef values', () => {
  const cases: [string, string][] = [
    ['metadata.name', 'web-1'],
    ['metadata.namespace', 'shop'],
    ['metadata.uid', 'u-1'],
    ["metadata.labels['app']", 'web'],
    ["metadata.labels['missing']", ''],
    ["metadata.annotations['note']", 'say "hi"\n'],
    ['metadata.labels', 'app="web"\ntier="front"'],
    ['metadata.annotations', 'note="say \\"hi\\"\\n"'],
    ['spec.nodeName', 'node-a'],
    ['spec.serviceAccountName', 'builder'],
    ['status.hostIP', '192.168.1.5'],
    ['status.hostIPs', '192.168.1.5,fd00::5'],
    ['status.podIP', '10.42.0.7'],
    ['status.podIPs', '10.42.0.7,fd01::7'],
  ];
  for (const [path, want] of cases) assert.equal(fieldRefValue({ fieldPath: path }, pod, host), want, path);
});

test('fieldRef errors carry upstream messages', () => {
  const cases: [string, string | undefined, string][] = [
    ['spec.containers', 'v1', 'field label not supported: spec.containers'],
    ['metadata.name', 'v2', 'unsupported pod version: v2'],
    ['spec.restartPolicy', 'v1', 'unsupported fieldPath: spec.restartPolicy'],
  ];
  for (const [fieldPath, apiVersion, msg] of cases) {
    assert.throws(() => fieldRefValue({ fieldPath, apiVersion }, pod, host), (e: unknown) => e instanceof ContainerConfigError && e.message === msg, fieldPath);
  }
});

test('goQuote and formatMap match Go %q', () => {
  assert.equal(goQuote('plain'), '"plain"');
  assert.equal(goQuote('tab\there'), '"tab\\there"');
  assert.equal(goQuote('bell\u0007 nul\u0000 del\u007f'), '"bell\\a nul\\x00 del\\x7f"');
  assert.equal(goQuote('ünï €'), '"ünï €"');
  assert.equal(formatMap({ b: '2', a: '1' }), 'a="1"\nb="2"');
  assert.equal(formatMap(undefined), '');
});

test('resourceFieldRef: ceil(value / divisor), limits default to allocatable', () => {
  const allocatable = { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' };
  const app = pod.spec!.containers[0]!;
  const cases: [string, string | undefined, string | undefined, string][] = [
    // resource, divisor, containerName, want
    ['limits.cpu', undefined, undefined, '1'],
    ['limits.cpu', '1m', undefined, '500'],
    ['requests.cpu', '1m', undefined, '250'],
    ['requests.cpu', undefined, undefined, '1'],
    ['limits.memory', undefined, undefined, String(128 * 1024 * 1024)],
    ['limits.memory', '1Mi', undefined, '128'],
    ['limits.memory', '1M', undefined, '135'],
    ['requests.memory', '1Mi', undefined, '64'],
    ['requests.ephemeral-storage', '1Gi', undefined, '1'],
    ['limits.ephemeral-storage', '1Gi', undefined, '100'],
    ['limits.cpu', '1m', 'side', '4000'],
    ['limits.memory', '1Gi', 'side', '8'],
    ['requests.cpu', '1m', 'side', '100'],
    ['requests.memory', undefined, 'side', '0'],
    ['limits.cpu', '0', undefined, '1'],
  ];
  for (const [resource, divisor, containerName, want] of cases) {
    assert.equal(resourceFieldValue({ resource, divisor, containerName }, pod, app, allocatable), want, `${resource}/${divisor}/${containerName}`);
  }
  assert.throws(() => resourceFieldValue({ resource: 'limits.gpu' }, pod, app, allocatable), /unsupported container resource : limits.gpu/);
  assert.throws(() => resourceFieldValue({ resource: 'limits.cpu', containerName: 'nope' }, pod, app, allocatable), /failed to find container whose name is nope/);
});

test('resourceFieldRef on a node that reports no allocatable reads 0 for unset limits', () => {
  const c: Container = { name: 'x' };
  assert.equal(resourceFieldValue({ resource: 'limits.memory' }, { spec: { containers: [c] } }, c, {}), '0');
});
