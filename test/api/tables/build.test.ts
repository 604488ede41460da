// Table assembly: the meta.k8s.io/v1 Table JSON kubectl receives — column definitions, rows with
// PartialObjectMetadata (or the full object, or none), list metadata, noHeaders, the default NAME / CREATED AT
// table and pod row conditions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/types.js';
import { buildTable, defaultTableConvertor, tableFor } from '../../../src/api/tables/index.js';

const NOW = new Date('2024-06-01T12:00:00Z');

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-1',
    namespace: 'default',
    uid: 'u-1',
    resourceVersion: '1040',
    creationTimestamp: '2024-06-01T11:55:00Z',
    labels: { app: 'web' },
  },
  spec: { containers: [{ name: 'web', image: 'nginx' }], nodeName: 'node-1' },
  status: {
    phase: 'Running',
    podIP: '10.42.0.7',
    podIPs: [{ ip: '10.42.0.7' }],
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [{ name: 'web', image: 'nginx', imageID: '', ready: true, restartCount: 0, state: { running: {} } }],
  },
} as unknown as KubeObject;

const base = { resourceVersion: '1040', apiVersionOfItems: 'v1', kindOfItems: 'Pod', now: NOW } as const;

test('pods table: kubectl-shaped JSON with PartialObjectMetadata rows', () => {
  const table = buildTable([pod], tableFor('', 'Pod'), { ...base, includeObject: 'Metadata' });
  const json = JSON.parse(JSON.stringify(table));
  assert.equal(json.kind, 'Table');
  assert.equal(json.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(json.metadata, { resourceVersion: '1040' });
  assert.deepEqual(json.columnDefinitions[0], {
    name: 'Name',
    type: 'string',
    format: 'name',
    description: json.columnDefinitions[0].description,
    priority: 0,
  });
  assert.deepEqual(json.columnDefinitions[1], {
    name: 'Ready',
    type: 'string',
    format: '',
    description: 'The aggregate readiness state of this pod for accepting traffic.',
    priority: 0,
  });
  assert.deepEqual(
    json.columnDefinitions.map((c: { name: string; priority: number }) => [c.name, c.priority]),
    [['Name', 0], ['Ready', 0], ['Status', 0], ['Restarts', 0], ['Age', 0], ['IP', 1], ['Node', 1], ['Nominated Node', 1], ['Readiness Gates', 1]],
  );
  assert.deepEqual(json.rows, [
    {
      cells: ['web-1', '1/1', 'Running', '0', '5m', '10.42.0.7', 'node-1', '<none>', '<none>'],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata },
    },
  ]);
});

test('includeObject=Object carries the whole object; None carries none', () => {
  const withObject = buildTable([{ ...pod, apiVersion: undefined, kind: undefined }], tableFor('', 'Pod'), { ...base, includeObject: 'Object' });
  const row = withObject.rows[0].object as KubeObject;
  assert.equal(row.apiVersion, 'v1');
  assert.equal(row.kind, 'Pod');
  assert.deepEqual(row.spec, pod.spec);
  const none = JSON.parse(JSON.stringify(buildTable([pod], tableFor('', 'Pod'), { ...base, includeObject: 'None' })));
  assert.deepEqual(Object.keys(none.rows[0]), ['cells']);
});

test('list metadata, noHeaders and empty lists', () => {
  const t = buildTable([], tableFor('apps', 'Deployment'), {
    ...base,
    includeObject: 'Metadata',
    continue: 'tok',
    remainingItemCount: 3,
    noHeaders: true,
  });
  assert.deepEqual(JSON.parse(JSON.stringify(t)), {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: '1040', continue: 'tok', remainingItemCount: 3 },
    columnDefinitions: null,
    rows: [],
  });
  assert.deepEqual(buildTable([], undefined, { ...base, includeObject: 'Metadata', resourceVersion: '' }).metadata, {});
});

test('default table: NAME and CREATED AT with the RFC3339 timestamp', () => {
  const role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'reader', namespace: 'default', creationTimestamp: '2024-05-01T10:00:00.123Z' },
  } as unknown as KubeObject;
  const t = buildTable([role, { metadata: { name: 'no-ts' } }], tableFor('rbac.authorization.k8s.io', 'Role'), {
    ...base,
    includeObject: 'Metadata',
    apiVersionOfItems: 'rbac.authorization.k8s.io/v1',
    kindOfItems: 'Role',
  });
  assert.deepEqual(
    t.columnDefinitions?.map((c) => [c.name, c.type, c.format, c.priority]),
    [['Name', 'string', 'name', 0], ['Created At', 'date', '', 0]],
  );
  assert.match(t.columnDefinitions?.[1].description ?? '', /^CreationTimestamp/);
  assert.deepEqual(t.rows.map((r) => r.cells), [['reader', '2024-05-01T10:00:00Z'], ['no-ts', '0001-01-01T00:00:00Z']]);
  assert.equal(defaultTableConvertor.columns.length, 2);
});

test('finished pods carry the Completed row condition', () => {
  const done = { ...pod, status: { phase: 'Succeeded' } } as unknown as KubeObject;
  const t = buildTable([pod, done], tableFor('', 'Pod'), { ...base, includeObject: 'None' });
  assert.equal(t.rows[0].conditions, undefined);
  assert.deepEqual(t.rows[1].conditions, [
    { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
  ]);
});

test('tableFor ignores inherited property names', () => {
  assert.equal(tableFor('', 'constructor'), undefined);
  assert.equal(tableFor('toString', 'Pod'), undefined);
  assert.equal(tableFor('example.com', 'Widget'), undefined);
});
