// PodMetrics lists: the spliced JSON equals the objects' JSON whatever the selection, items come in
// (namespace, name) order, a pod's label change reaches the cached fragments, samples of an earlier pod are
// left out; and the server's render path sends pre-encoded JSON only for plain JSON answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { listPodMetrics, type ObjectLookup } from '../../src/metrics/resource-metrics.js';
import { metricsResourceTypes } from '../../src/metrics/api.js';
import { MetricsSnapshot } from '../../src/metrics/snapshot.js';
import type { PodSample } from '../../src/metrics/summary.js';
import { encode, PreEncodedJson, shapeResponse } from '../../src/apiserver/render.js';

const sample = (namespace: string, name: string, uid: string, cpuNano: number): PodSample => ({
  namespace,
  name,
  uid,
  timestampMs: Date.UTC(2026, 0, 1, 12, 0, 0),
  windowMs: 15_000,
  containers: [{ name: 'app', cpuNano, memoryBytes: 64 * 1024 * 1024 }],
});

const podObject = (namespace: string, name: string, uid: string, labels?: Record<string, string>): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name, uid, ...(labels ? { labels } : {}) } }) as KubeObject;

function fixture() {
  const snapshot = new MetricsSnapshot();
  const pods = new Map<string, KubeObject>();
  const add = (node: string, list: [string, string, string, number, Record<string, string>?][]) => {
    for (const [ns, name, uid, , labels] of list) pods.set(`${ns}/${name}`, podObject(ns, name, uid, labels));
    snapshot.replaceNode(node, undefined, list.map(([ns, name, uid, cpu]) => sample(ns, name, uid, cpu)));
  };
  add('n1', [
    ['web', 'b', 'u-b', 250e6, { app: 'web' }],
    ['web', 'a', 'u-a', 50e6, { app: 'web', tier: 'front' }],
    ['db', 'z', 'u-z', 10e6],
  ]);
  add('n2', [
    ['web', 'c', 'u-c', 1e9, { app: 'other' }],
    ['alpha', 'stale', 'u-old', 5e6],
  ]);
  // A pod that replaced the sampled one under the same name.
  pods.set('alpha/stale', podObject('alpha', 'stale', 'u-new'));
  const objects: ObjectLookup = { node: () => undefined, pod: (ns, name) => pods.get(`${ns}/${name}`) };
  return { snapshot, pods, objects };
}

const now = Date.UTC(2026, 0, 1, 12, 0, 7, 500);
/** The JSON text of a pre-encoded answer (a string, or bytes from the list body cache). */
const jsonOf = (p: PreEncodedJson): string => {
  const j = p.json();
  return typeof j === 'string' ? j : Buffer.from(j.buffer, j.byteOffset, j.byteLength).toString('utf8');
};
const names = (list: { items: KubeObject[] }) => list.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`);

const cases: { name: string; namespace: string; query: Record<string, string>; want: string[] }[] = [
  { name: 'all namespaces, ordered, earlier pod left out', namespace: '', query: {}, want: ['db/z', 'web/a', 'web/b', 'web/c'] },
  { name: 'one namespace', namespace: 'web', query: {}, want: ['web/a', 'web/b', 'web/c'] },
  { name: 'label selector', namespace: 'web', query: { labelSelector: 'app=web' }, want: ['web/a', 'web/b'] },
  { name: 'set-based selector', namespace: '', query: { labelSelector: 'app in (web,other),tier!=front' }, want: ['web/b', 'web/c'] },
  { name: 'field selector', namespace: '', query: { fieldSelector: 'metadata.name=b' }, want: ['web/b'] },
  { name: 'nothing matches', namespace: 'none', query: {}, want: [] },
];

for (const c of cases) {
  test(`PodMetrics list: ${c.name}`, () => {
    const { snapshot, objects } = fixture();
    const list = listPodMetrics(snapshot, objects, c.namespace, new URLSearchParams(c.query), now);
    const value = list.value() as { items: KubeObject[] };
    assert.deepEqual(names(value), c.want);
    assert.equal(jsonOf(list), JSON.stringify(value));
    assert.deepEqual(JSON.parse(jsonOf(list)), value);
  });
}

test('PodMetrics list: index candidates come sorted like a scan', () => {
  const { snapshot, objects } = fixture();
  const indexed: ObjectLookup = { ...objects, podCandidates: () => ['b', 'a', 'gone'] };
  const list = listPodMetrics(snapshot, indexed, 'web', new URLSearchParams({ labelSelector: 'app=web' }), now);
  assert.deepEqual(names(list.value() as { items: KubeObject[] }), ['web/a', 'web/b']);
});

test('PodMetrics list: cached JSON follows label changes and the clock, not a stale rendering', () => {
  const { snapshot, pods, objects } = fixture();
  const first = JSON.parse(jsonOf(listPodMetrics(snapshot, objects, 'web', new URLSearchParams(), now))) as { items: KubeObject[] };
  assert.equal(first.items[0]!.metadata.creationTimestamp, '2026-01-01T12:00:07Z');
  assert.deepEqual(first.items[1]!.metadata.labels, { app: 'web' });
  pods.set('web/b', podObject('web', 'b', 'u-b', { app: 'web', version: '2' }));
  const later = listPodMetrics(snapshot, objects, 'web', new URLSearchParams(), now + 60_000);
  const second = JSON.parse(jsonOf(later)) as { items: KubeObject[] };
  assert.deepEqual(second.items[1]!.metadata.labels, { app: 'web', version: '2' });
  assert.equal(second.items[1]!.metadata.creationTimestamp, '2026-01-01T12:01:07Z');
  assert.equal(jsonOf(later), JSON.stringify(later.value()));
});

test('PodMetrics list: a pod that leaves the snapshot leaves the ordered listing', () => {
  const { snapshot, objects } = fixture();
  snapshot.replaceNode('n1', undefined, [sample('web', 'b', 'u-b', 1), sample('web', 'aa', 'u-aa', 1)]);
  const list = listPodMetrics(snapshot, objects, '', new URLSearchParams(), now);
  assert.deepEqual(names(list.value() as { items: KubeObject[] }), ['web/aa', 'web/b', 'web/c']);
});

test('render: pre-encoded JSON is sent for object/JSON answers; tables, metadata and YAML use the value', () => {
  const [, podsRt] = metricsResourceTypes();
  const value = { kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items: [] };
  let built = 0;
  const pre = new PreEncodedJson(() => '{"spliced":true}', () => (built++, value));
  assert.equal(encode(shapeResponse(podsRt!, pre, { kind: 'object' }, 'Metadata'), 'json').body, '{"spliced":true}');
  assert.equal(built, 0);
  assert.equal(encode(shapeResponse(podsRt!, pre, { kind: 'object' }, 'Metadata'), 'yaml').body, 'kind: PodMetricsList\napiVersion: metrics.k8s.io/v1beta1\nmetadata: {}\nitems: []\n');
  const table = shapeResponse(podsRt!, pre, { kind: 'table', version: 'v1' }, 'None') as { kind: string; rows: unknown[] };
  assert.equal(table.kind, 'Table');
  assert.deepEqual(table.rows, []);
  const meta = shapeResponse(podsRt!, pre, { kind: 'partial', version: 'v1', list: true }, 'Metadata') as { kind: string };
  assert.equal(meta.kind, 'PartialObjectMetadataList');
});
