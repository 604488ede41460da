import { test } from 'node:test';
import assert from 'node:assert/strict';
import { negotiate, patchType, wantsAggregatedDiscovery } from '../../src/apiserver/negotiation.js';
import { StatusError } from '../../src/api/errors.js';

const kubectlTable = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const kubectlDiscovery = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

test('negotiate: what kubectl sends', () => {
  assert.deepEqual(negotiate(kubectlTable), { shape: { kind: 'table', version: 'v1' }, encoding: 'json' });
  assert.deepEqual(negotiate('application/json'), { shape: { kind: 'object' }, encoding: 'json' });
  assert.deepEqual(negotiate('application/json, */*'), { shape: { kind: 'object' }, encoding: 'json' });
  assert.deepEqual(negotiate('application/vnd.kubernetes.protobuf,application/json'), { shape: { kind: 'object' }, encoding: 'json' });
  assert.deepEqual(negotiate('application/vnd.kubernetes.protobuf, */*'), { shape: { kind: 'object' }, encoding: 'json' });
  assert.deepEqual(negotiate(undefined), { shape: { kind: 'object' }, encoding: 'json' });
  assert.deepEqual(negotiate('application/yaml'), { shape: { kind: 'object' }, encoding: 'yaml' });
  assert.deepEqual(negotiate('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io'), {
    shape: { kind: 'partial', version: 'v1', list: true },
    encoding: 'json',
  });
});

test('negotiate: protobuf only is 406', () => {
  assert.throws(() => negotiate('application/vnd.kubernetes.protobuf'), (e) => e instanceof StatusError && e.code === 406);
  assert.throws(() => negotiate('text/html'), (e) => e instanceof StatusError && e.code === 406);
});

test('aggregated discovery detection', () => {
  assert.equal(wantsAggregatedDiscovery(kubectlDiscovery), 'v2');
  assert.equal(wantsAggregatedDiscovery('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList'), 'v2beta1');
  assert.equal(wantsAggregatedDiscovery('application/json'), undefined);
  assert.equal(wantsAggregatedDiscovery(undefined), undefined);
});

test('patch types', () => {
  assert.equal(patchType('application/json-patch+json'), 'json');
  assert.equal(patchType('application/merge-patch+json; charset=utf-8'), 'merge');
  assert.equal(patchType('application/strategic-merge-patch+json'), 'strategic');
  assert.equal(patchType('application/apply-patch+yaml'), 'apply');
  assert.throws(() => patchType('application/json'), (e) => e instanceof StatusError && e.code === 415);
});
