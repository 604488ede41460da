// The cached body of selector-less PodMetrics lists: when it is reused, restamped or rebuilt (table), that a
// restamped body is exactly the list freshly encoded at the new second, that pod and snapshot changes reach
// the next list, that selectors and other namespaces never get another query's body, and that handed-out
// bodies are never modified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { decideBody, ListBodyCache, restamp, type BodyDecision, type BodyVersion } from '../../src/metrics/list-body-cache.js';
import { listPodMetrics, type ObjectLookup } from '../../src/metrics/resource-metrics.js';
import { MetricsSnapshot } from '../../src/metrics/snapshot.js';
import type { PodSample } from '../../src/metrics/summary.js';
import type { PreEncodedJson } from '../../src/apiserver/render.js';

const v = (snapshot: number, pods: number): BodyVersion => ({ snapshot, pods });
const at = '2026-01-01T12:00:07Z';
const next = '2026-01-01T12:00:08Z';

const decisions: { name: string; cached: Parameters<typeof decideBody>[0]; version: BodyVersion; stamp: string; want: BodyDecision }[] = [
  { name: 'nothing cached', cached: undefined, version: v(1, 1), stamp: at, want: 'rebuild' },
  { name: 'same versions, same second', cached: { version: v(1, 1), stamp: at, stampLength: 20 }, version: v(1, 1), stamp: at, want: 'reuse' },
  { name: 'same versions, next second', cached: { version: v(1, 1), stamp: at, stampLength: 20 }, version: v(1, 1), stamp: next, want: 'restamp' },
  { name: 'a scrape since', cached: { version: v(1, 1), stamp: at, stampLength: 20 }, version: v(2, 1), stamp: at, want: 'rebuild' },
  { name: 'a pod changed since', cached: { version: v(1, 1), stamp: at, stampLength: 20 }, version: v(1, 2), stamp: at, want: 'rebuild' },
  { name: 'both changed, another second', cached: { version: v(1, 1), stamp: at, stampLength: 20 }, version: v(3, 4), stamp: next, want: 'rebuild' },
  { name: 'a stamp of another width', cached: { version: v(1, 1), stamp: at, stampLength: 20 }, version: v(1, 1), stamp: '+10000-01-01T00:00:00Z', want: 'rebuild' },
];

for (const c of decisions) {
  test(`decideBody: ${c.name} → ${c.want}`, () => {
    assert.equal(decideBody(c.cached, c.version, c.stamp), c.want);
  });
}

test('restamp: a copy with every stamp replaced; the template is untouched', () => {
  const text = `[{"t":"${at}"},{"t":"${at}"}]`;
  const template = { bytes: Buffer.from(text), stampAt: [7, 36], stampLength: 20 };
  assert.equal(text.slice(7, 27), at);
  assert.equal(text.slice(36, 56), at);
  assert.equal(restamp(template, next).toString(), `[{"t":"${next}"},{"t":"${next}"}]`);
  assert.equal(template.bytes.toString(), text);
});

test('ListBodyCache: builds once per version, keeps at most maxEntries (least recently used leave)', () => {
  const cache = new ListBodyCache(2);
  let builds = 0;
  const build = (key: string) => (stamp: string) => (builds++, { bytes: Buffer.from(`${key}:${stamp}`), stampAt: [key.length + 1], stampLength: stamp.length });
  const a1 = cache.body('a', v(1, 1), at, build('a'));
  assert.equal(cache.body('a', v(1, 1), at, build('a')), a1);
  assert.equal(builds, 1);
  assert.equal(cache.body('a', v(1, 1), next, build('a')).toString(), `a:${next}`);
  assert.equal(a1.toString(), `a:${at}`, 'a body handed out is never modified');
  assert.equal(builds, 1);
  cache.body('b', v(1, 1), at, build('b'));
  cache.body('a', v(1, 1), next, build('a'));
  cache.body('c', v(1, 1), at, build('c'));
  assert.equal(cache.size, 2);
  assert.equal(builds, 3);
  cache.body('a', v(1, 1), next, build('a'));
  assert.equal(builds, 3, '"a" was used more recently than "b" and stayed');
  cache.body('b', v(1, 1), at, build('b'));
  assert.equal(builds, 4, '"b" had left');
});

test('ListBodyCache: bodies not asked for within the idle time are dropped', () => {
  const cache = new ListBodyCache();
  const build = (stamp: string) => ({ bytes: Buffer.from(stamp), stampAt: [0], stampLength: stamp.length });
  cache.body('old', v(1, 1), at, build, 1_000);
  cache.body('recent', v(1, 1), at, build, 50_000);
  cache.body('old', v(1, 1), at, build, 1_000); // a reuse refreshes the use time too
  cache.dropIdle(100_000, 60_000);
  assert.equal(cache.size, 1);
  let built = 0;
  cache.body('recent', v(1, 1), at, (s) => (built++, build(s)), 100_000);
  assert.equal(built, 0, '"recent" stayed');
  cache.dropIdle(1_000_000, 60_000);
  assert.equal(cache.size, 0);
});

// ---- through listPodMetrics ----

const sample = (namespace: string, name: string, uid: string, cpuNano: number): PodSample => ({
  namespace,
  name,
  uid,
  timestampMs: Date.UTC(2026, 0, 1, 11, 59, 50),
  windowMs: 15_000,
  containers: [{ name: 'app', cpuNano, memoryBytes: 32 * 1024 * 1024 }, { name: 'sidecar', cpuNano: 1e6, memoryBytes: 1024 * 1024 }],
});

const podObject = (namespace: string, name: string, uid: string, labels?: Record<string, string>): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name, uid, ...(labels ? { labels } : {}) } }) as KubeObject;

const text = (p: PreEncodedJson): string => {
  const j = p.json();
  return typeof j === 'string' ? j : Buffer.from(j.buffer, j.byteOffset, j.byteLength).toString('utf8');
};

/** A snapshot and pod objects whose versions move as a MetricsApi's would. */
function world() {
  const snapshot = new MetricsSnapshot();
  const pods = new Map<string, KubeObject>();
  let podChanges = 0;
  const objects: ObjectLookup = { node: () => undefined, pod: (ns, name) => pods.get(`${ns}/${name}`) };
  const setPod = (o: KubeObject) => (pods.set(`${o.metadata.namespace}/${o.metadata.name}`, o), podChanges++);
  // A label value beyond ASCII: stamps sit at byte offsets, not character offsets.
  setPod(podObject('web', 'a', 'u-a', { app: 'web', note: 'café' }));
  setPod(podObject('web', 'b', 'u-b', { app: 'web' }));
  setPod(podObject('db', 'z', 'u-z'));
  snapshot.replaceNode('n1', undefined, [sample('web', 'b', 'u-b', 2e8), sample('web', 'a', 'u-a', 5e7), sample('db', 'z', 'u-z', 1e7)]);
  const cache = new ListBodyCache();
  const list = (ns: string, query: Record<string, string>, nowMs: number, withCache = true) =>
    listPodMetrics(snapshot, objects, ns, new URLSearchParams(query), nowMs, withCache ? { cache, version: v(snapshot.generation, podChanges) } : undefined);
  return { snapshot, setPod, list, pods };
}

const t0 = Date.UTC(2026, 0, 1, 12, 0, 7, 100);

test('cached list: the same bytes as the uncached list, reused within a second, restamped the next', () => {
  const w = world();
  for (const ns of ['', 'web', 'db', 'none']) {
    const first = w.list(ns, {}, t0);
    assert.equal(text(first), text(w.list(ns, {}, t0, false)), `namespace "${ns}"`);
    assert.equal(text(first), JSON.stringify(first.value()));
    assert.equal(w.list(ns, {}, t0 + 800).json(), first.json(), 'same second: the same buffer');
    const later = w.list(ns, {}, t0 + 1000);
    assert.equal(text(later), text(w.list(ns, {}, t0 + 1000, false)));
    const items = (JSON.parse(text(later)) as { items: KubeObject[] }).items;
    for (const i of items) assert.equal(i.metadata.creationTimestamp, '2026-01-01T12:00:08Z');
  }
  assert.equal((JSON.parse(text(w.list('web', {}, t0))) as { items: KubeObject[] }).items[0]!.metadata.labels!['note'], 'café');
});

test('cached list: pod changes and new scrapes reach the next list', () => {
  const w = world();
  const names = (p: PreEncodedJson) => (JSON.parse(text(p)) as { items: KubeObject[] }).items.map((i) => `${i.metadata.namespace}/${i.metadata.name}:${JSON.stringify(i.metadata.labels ?? {})}`);
  assert.deepEqual(names(w.list('', {}, t0)), ['db/z:{}', 'web/a:{"app":"web","note":"café"}', 'web/b:{"app":"web"}']);
  // A label change (a new pod object) without a scrape.
  w.setPod(podObject('web', 'b', 'u-b', { app: 'web', version: '2' }));
  assert.deepEqual(names(w.list('web', {}, t0)), ['web/a:{"app":"web","note":"café"}', 'web/b:{"app":"web","version":"2"}']);
  // A pod replaced under the same name: the old pod's sample is not this pod's.
  w.setPod(podObject('db', 'z', 'u-z2'));
  assert.deepEqual(names(w.list('', {}, t0)), ['web/a:{"app":"web","note":"café"}', 'web/b:{"app":"web","version":"2"}']);
  // A scrape that brings a new pod and drops another.
  w.setPod(podObject('web', 'c', 'u-c', { app: 'other' }));
  w.snapshot.replaceNode('n1', undefined, [sample('web', 'c', 'u-c', 1e9), sample('web', 'a', 'u-a', 5e7)]);
  assert.deepEqual(names(w.list('web', {}, t0)), ['web/a:{"app":"web","note":"café"}', 'web/c:{"app":"other"}']);
  assert.equal(text(w.list('', {}, t0)), text(w.list('', {}, t0, false)));
});

test('cached list: selectors are answered from the pods, never from the cached whole list', () => {
  const w = world();
  w.list('web', {}, t0);
  const names = (p: PreEncodedJson) => (JSON.parse(text(p)) as { items: KubeObject[] }).items.map((i) => i.metadata.name);
  assert.deepEqual(names(w.list('web', { labelSelector: 'note' }, t0)), ['a']);
  assert.deepEqual(names(w.list('web', { fieldSelector: 'metadata.name=b' }, t0)), ['b']);
  assert.deepEqual(names(w.list('web', { labelSelector: '' }, t0)), ['a', 'b'], 'an empty selector selects all, as upstream');
  assert.equal(text(w.list('web', { labelSelector: 'app=web' }, t0)), text(w.list('web', { labelSelector: 'app=web' }, t0, false)));
});

test('cached list: text that JSON must escape is written as JSON.stringify writes it', () => {
  const snapshot = new MetricsSnapshot();
  const pod = podObject('odd', 'p', 'u-p', { 'example.com/note': 'quote " backslash \\ tab \t ünï 😀', empty: '' });
  const objects: ObjectLookup = { node: () => undefined, pod: () => pod };
  snapshot.replaceNode('n1', undefined, [{ ...sample('odd', 'p', 'u-p', 1), containers: [{ name: 'c"1', cpuNano: 123456789, memoryBytes: 1536 }] }]);
  const cache = new ListBodyCache();
  const cached = listPodMetrics(snapshot, objects, 'odd', new URLSearchParams(), t0, { cache, version: v(snapshot.generation, 1) });
  assert.equal(text(cached), JSON.stringify(cached.value()));
  const restamped = listPodMetrics(snapshot, objects, 'odd', new URLSearchParams(), t0 + 61_000, { cache, version: v(snapshot.generation, 1) });
  assert.equal(text(restamped), JSON.stringify(restamped.value()));
  assert.equal(text(listPodMetrics(snapshot, objects, 'odd', new URLSearchParams({ labelSelector: 'empty=' }), t0)), text(cached));
});
