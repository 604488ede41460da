// CRD printer columns: the JSONPath subset upstream supports for additionalPrinterColumns, and typed cells
// (integer, number, boolean, date as age, string as JSONPath text) as apiextensions' tableconvertor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/types.js';
import { crdTableConvertor } from '../../../src/api/tables/index.js';
import { evaluateJsonPath, parseJsonPath } from '../../../src/api/tables/jsonpath.js';

const NOW = new Date('2024-06-01T12:00:00Z');
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();

const widget = {
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name: 'w1', creationTimestamp: ago(90 * 1000), labels: { 'app.kubernetes.io/name': 'shop', tier: 'fe' } },
  spec: { replicas: 3, ratio: 0.75, enabled: true, size: '10Gi', ports: [80, 443, 8080], tags: { b: 2, a: 1 }, empty: null },
  status: {
    conditions: [
      { type: 'Synced', status: 'True', lastTransitionTime: ago(3600 * 1000) },
      { type: 'Ready', status: 'False', reason: 'Waiting', observed: 2 },
    ],
    items: [{ name: 'a', n: 1 }, { name: 'b', n: 5 }, { name: 'c', n: 9 }],
  },
};

test('jsonpath: fields, indexes, slices, wildcards, filters, escapes, recursion', () => {
  const cases: [string, unknown[]][] = [
    ['.spec.replicas', [3]],
    ['{.spec.replicas}', [3]],
    ['$.spec.replicas', [3]],
    ['.spec.missing', []],
    ['.spec.replicas.deeper', []],
    ['.spec.ports[0]', [80]],
    ['.spec.ports[-1]', [8080]],
    ['.spec.ports[5]', []],
    ['.spec.ports[1:]', [443, 8080]],
    ['.spec.ports[0:3:2]', [80, 8080]],
    ['.spec.ports[*]', [80, 443, 8080]],
    ['.spec.ports[0,2]', [80, 8080]],
    ['.spec.tags.*', [1, 2]],
    [".spec['replicas']", [3]],
    ['.metadata.labels.app\\.kubernetes\\.io/name', ['shop']],
    [".metadata.labels['app.kubernetes.io/name']", ['shop']],
    ['.status.conditions[?(@.type=="Ready")].status', ['False']],
    [".status.conditions[?(@.type=='Synced')].lastTransitionTime", [widget.status.conditions[0].lastTransitionTime]],
    ['.status.conditions[?(@.type!="Ready")].type', ['Synced']],
    ['.status.conditions[?(@.reason)].reason', ['Waiting']],
    ['.status.items[?(@.n > 3)].name', ['b', 'c']],
    ['.status.items[?(@.n<=5)].name', ['a', 'b']],
    ['.status.conditions[*].type', ['Synced', 'Ready']],
    ['..observed', [2]],
    ['.spec.empty', [null]],
  ];
  for (const [path, want] of cases) assert.deepEqual(evaluateJsonPath(parseJsonPath(path), widget), want, path);
  assert.throws(() => parseJsonPath('spec.replicas'));
  assert.throws(() => parseJsonPath('.spec.ports[abc]'));
  assert.throws(() => parseJsonPath('.spec.ports[0'));
  assert.throws(() => evaluateJsonPath(parseJsonPath('.spec[?(@.x=="y")]'), widget));
  assert.throws(() => evaluateJsonPath(parseJsonPath('.status.conditions[?(@.observed=="2")]'), widget));
});

test('crd table: columns from additionalPrinterColumns', () => {
  const t = crdTableConvertor([
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Readiness' },
    { name: 'Size', type: 'string', format: 'byte', jsonPath: '.spec.size', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ]);
  assert.deepEqual(t.columns, [
    t.columns[0],
    { name: 'Replicas', type: 'integer', description: 'Custom resource definition column (in JSONPath format): .spec.replicas', priority: 0 },
    { name: 'Ready', type: 'string', description: 'Readiness', priority: 0 },
    { name: 'Size', type: 'string', format: 'byte', description: 'Custom resource definition column (in JSONPath format): .spec.size', priority: 1 },
    { name: 'Age', type: 'date', description: 'Custom resource definition column (in JSONPath format): .metadata.creationTimestamp', priority: 0 },
  ]);
  assert.equal(t.columns[0].name, 'Name');
  assert.equal(t.columns[0].format, 'name');
  assert.deepEqual(t.row(widget as unknown as KubeObject, NOW), ['w1', 3, 'False', '10Gi', '90s']);
});

test('crd table: typed cells as upstream cellForJSONValue', () => {
  const cases: [string, string, unknown][] = [
    ['integer', '.spec.replicas', 3],
    ['integer', '.spec.ratio', 0],
    ['integer', '.spec.size', null],
    ['number', '.spec.ratio', 0.75],
    ['number', '.spec.replicas', 3],
    ['boolean', '.spec.enabled', true],
    ['boolean', '.spec.replicas', null],
    ['date', '.status.conditions[0].lastTransitionTime', '60m'],
    ['date', '.spec.size', '<invalid>'],
    ['date', '.spec.replicas', null],
    ['string', '.spec.replicas', '3'],
    ['string', '.spec.ratio', '0.75'],
    ['string', '.spec.enabled', 'true'],
    ['string', '.spec.tags', '{"a":1,"b":2}'],
    ['string', '.spec.ports', '[80,443,8080]'],
    ['string', '.spec.missing', null],
    ['string', '.spec.empty', null],
    ['string', '.status.conditions[*].type', 'Synced'],
    ['string', '.spec[?(@.x=="y")]', null],
  ];
  for (const [type, jsonPath, want] of cases) {
    const t = crdTableConvertor([{ name: 'C', type, jsonPath }]);
    assert.deepEqual(t.row(widget as unknown as KubeObject, NOW), ['w1', want], `${type} ${jsonPath}`);
  }
  const emptyDate = { ...widget, spec: { when: '' } };
  assert.deepEqual(crdTableConvertor([{ name: 'W', type: 'date', jsonPath: '.spec.when' }]).row(emptyDate as unknown as KubeObject, NOW), ['w1', '<unknown>']);
});

test('crd table: no printer columns means NAME and AGE; a bad path ends the column list', () => {
  const plain = crdTableConvertor([]);
  assert.deepEqual(plain.columns.map((c) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);
  assert.match(plain.columns[1].description, /^CreationTimestamp is a timestamp/);
  assert.deepEqual(plain.row(widget as unknown as KubeObject, NOW), ['w1', '90s']);

  const broken = crdTableConvertor([
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Bad', type: 'string', jsonPath: '.spec[' },
    { name: 'After', type: 'string', jsonPath: '.spec.size' },
  ]);
  assert.deepEqual(broken.columns.map((c) => c.name), ['Name', 'Replicas']);
  assert.deepEqual(broken.row(widget as unknown as KubeObject, NOW), ['w1', 3]);
});
