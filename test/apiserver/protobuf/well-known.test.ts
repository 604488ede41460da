import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goDuration, wellKnown } from '../../../src/apiserver/protobuf/well-known.js';
import { Malformed, readFields } from '../../../src/apiserver/protobuf/wire.js';
import { key, lenField, varint } from './encode.js';

test('goDuration prints like Go time.Duration.String()', () => {
  const table: [bigint, string][] = [
    [0n, '0s'],
    [1n, '1ns'],
    [1_100n, '1.1µs'],
    [2_200_000n, '2.2ms'],
    [1_000_000_000n, '1s'],
    [1_500_000_000n, '1.5s'],
    [60_000_000_000n, '1m0s'],
    [3_600_000_000_000n, '1h0m0s'],
    [3_723_500_000_000n, '1h2m3.5s'],
    [-90_000_000_000n, '-1m30s'],
    [9_223_372_036_854_775_807n, '2562047h47m16.854775807s'],
    [-9_223_372_036_854_775_808n, '-2562047h47m16.854775808s'],
  ];
  for (const [ns, want] of table) assert.equal(goDuration(ns), want, String(ns));
});

const conv = (name: string, bytes: number[]) => wellKnown.get(name)!(readFields(Uint8Array.from(bytes)));
const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

test('Time, MicroTime and Duration messages', () => {
  const ts = (s: number, n = 0) => [...key(1, 0), ...varint(s), ...key(2, 0), ...varint(n)];
  const table: [string, number[], unknown][] = [
    [`${META}.Time`, ts(1714979289, 999_999_999), '2024-05-06T07:08:09Z'],
    [`${META}.Time`, [], undefined],
    [`${META}.Time`, ts(-62135596800), undefined],
    [`${META}.Time`, ts(-1), '1969-12-31T23:59:59Z'],
    [`${META}.Time`, ts(253402300799), '9999-12-31T23:59:59Z'],
    [`${META}.MicroTime`, ts(1714979289, 1_000), '2024-05-06T07:08:09.000001Z'],
    [`${META}.MicroTime`, ts(1714979289, 123_456_789), '2024-05-06T07:08:09.123456Z'],
    [`${META}.Duration`, [...key(1, 0), ...varint(15_000_000_000)], '15s'],
    [`${META}.Duration`, [], '0s'],
    ['k8s.io.apimachinery.pkg.api.resource.Quantity', lenField(1, [0x31, 0x30, 0x30, 0x6d]), '100m'],
    ['k8s.io.apimachinery.pkg.api.resource.Quantity', [], '0'],
    ['k8s.io.apimachinery.pkg.util.intstr.IntOrString', [...key(1, 0), 0, ...key(2, 0), ...varint(-3)], -3],
    ['k8s.io.apimachinery.pkg.util.intstr.IntOrString', [...key(1, 0), 1, ...lenField(3, [0x78])], 'x'],
    ['k8s.io.apimachinery.pkg.runtime.RawExtension', [], undefined],
    ['k8s.io.apimachinery.pkg.runtime.RawExtension', lenField(1, [...Buffer.from('{"a":[1]}')]), { a: [1] }],
    [`${META}.Verbs`, [...lenField(1, [0x67]), ...lenField(1, [])], ['g', '']],
  ];
  for (const [name, bytes, want] of table) assert.deepEqual(conv(name, bytes), want, `${name} ${bytes.join(',')}`);
  assert.throws(() => conv(`${META}.Time`, ts(253402300800)), Malformed);
  assert.throws(() => conv(`${META}.Time`, lenField(1, [1])), Malformed);
});
