// Lists as clients see them (src/apiserver/rest/read.ts): where each combination of resourceVersion,
// resourceVersionMatch, limit and continue is read from (table), upstream's ListOptions validation, and
// against a real server: pages that stay one snapshot whether the cache or the store's history serves them,
// exact and legacy-exact reads of an older revision, label-selected pagination, and 410 for a continuation
// whose revision was compacted even when the cache still holds that state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listParams, listSource, type ListSource } from '../../src/apiserver/rest/read.js';
import { encodeContinue } from '../../src/apiserver/rest/continue-token.js';
import { StatusError } from '../../src/api/errors.js';
import { startTestServer, type TestServer } from './harness.js';

describe('listSource', () => {
  const token = encodeContinue({ revision: 40, startAfter: 'ns/a' });
  const cases: [query: string, consistentCacheReads: boolean, want: ListSource][] = [
    ['', true, { from: 'cache', waitFor: 'current' }],
    ['limit=500', true, { from: 'cache', waitFor: 'current' }],
    ['limit=1&labelSelector=app%3Dx', true, { from: 'cache', waitFor: 'current' }],
    ['limit=500', false, { from: 'store' }],
    ['', false, { from: 'store' }],
    ['resourceVersion=0', true, { from: 'cache', waitFor: undefined }],
    ['resourceVersion=0&limit=5', true, { from: 'cache', waitFor: undefined }],
    ['resourceVersion=0', false, { from: 'cache', waitFor: undefined }],
    ['resourceVersion=12', true, { from: 'cache', waitFor: 12 }],
    ['resourceVersion=12&resourceVersionMatch=NotOlderThan', true, { from: 'cache', waitFor: 12 }],
    ['resourceVersion=12&resourceVersionMatch=NotOlderThan&limit=5', true, { from: 'cache', waitFor: 12 }],
    // Upstream's legacy exact match: a resourceVersion with a limit and no match.
    ['resourceVersion=12&limit=5', true, { from: 'at', revision: 12 }],
    ['resourceVersion=12&resourceVersionMatch=Exact', true, { from: 'at', revision: 12 }],
    ['resourceVersion=12&resourceVersionMatch=Exact&limit=5', false, { from: 'at', revision: 12 }],
    [`continue=${token}&limit=5`, true, { from: 'at', revision: 40 }],
    [`continue=${token}`, false, { from: 'at', revision: 40 }],
  ];
  for (const [query, consistent, want] of cases) {
    test(`${query || '(no parameters)'}${consistent ? '' : ' without consistent cache reads'}`, () => {
      assert.deepEqual(listSource(listParams(new URLSearchParams(query)), consistent), want);
    });
  }
});

describe('listParams validation (upstream ValidateListOptions)', () => {
  const invalid: [query: string, message: string][] = [
    ['resourceVersionMatch=Exact', 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided'],
    ['resourceVersion=0&resourceVersionMatch=Exact', 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"'],
    ['resourceVersion=3&resourceVersionMatch=Bogus', 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Bogus": supported values: "Exact", "NotOlderThan", ""'],
  ];
  for (const [query, message] of invalid) {
    test(query, () => {
      assert.throws(
        () => listParams(new URLSearchParams(query)),
        (e: unknown) => e instanceof StatusError && e.code === 422 && e.reason === 'Invalid' && e.message === message,
      );
    });
  }
  test('a match with a continue token is forbidden', () => {
    const q = new URLSearchParams({ resourceVersionMatch: 'NotOlderThan', continue: encodeContinue({ revision: 3, startAfter: 'a' }) });
    assert.throws(() => listParams(q), (e: unknown) => e instanceof StatusError && e.code === 422 && /forbidden when continue is provided/.test(e.message));
  });
  test('valid combinations pass', () => {
    for (const q of ['', 'limit=0', 'resourceVersion=0', 'resourceVersion=5&resourceVersionMatch=NotOlderThan', 'resourceVersion=0&resourceVersionMatch=NotOlderThan']) {
      assert.doesNotThrow(() => listParams(new URLSearchParams(q)), q);
    }
  });
});

describe('paginated lists against a server', () => {
  let s: TestServer;
  const NS = 'paging';
  const CM = `/api/v1/namespaces/${NS}/configmaps`;
  const names = (list: { items: { metadata: { name: string } }[] }) => list.items.map((i) => i.metadata.name);
  const get = async (path: string) => {
    const res = await s.request('GET', path);
    assert.equal(res.status, 200, res.body);
    return res.json();
  };
  const cm = (name: string, labels: Record<string, string>, v = '1') => ({ metadata: { name, labels }, data: { v } });

  before(async () => {
    s = await startTestServer();
    assert.equal((await s.request('POST', '/api/v1/namespaces', { body: { metadata: { name: NS } } })).status, 201);
    for (let i = 0; i < 6; i++) {
      const res = await s.request('POST', CM, { body: cm(`c${i}`, { parity: i % 2 === 0 ? 'even' : 'odd' }) });
      assert.equal(res.status, 201, res.body);
    }
  });
  after(async () => {
    await s?.close();
  });

  test('pages without writes in between: remainingItemCount, one revision, every item once', async () => {
    const first = await get(`${CM}?limit=2`);
    assert.deepEqual(names(first), ['c0', 'c1']);
    assert.equal(first.metadata.remainingItemCount, 4);
    const second = await get(`${CM}?limit=2&continue=${first.metadata.continue}`);
    assert.deepEqual(names(second), ['c2', 'c3']);
    assert.equal(second.metadata.resourceVersion, first.metadata.resourceVersion);
    assert.equal(second.metadata.remainingItemCount, 2);
    const third = await get(`${CM}?limit=2&continue=${second.metadata.continue}`);
    assert.deepEqual(names(third), ['c4', 'c5']);
    assert.equal(third.metadata.continue, undefined);
    assert.equal(third.metadata.remainingItemCount, undefined);
  });

  test('writes between pages do not show in later pages (the cache undoes them from its history)', async () => {
    const first = await get(`${CM}?limit=3`);
    assert.deepEqual(names(first), ['c0', 'c1', 'c2']);
    const rv = first.metadata.resourceVersion;
    assert.equal((await s.request('POST', CM, { body: cm('c3a', {}) })).status, 201);
    assert.equal((await s.request('DELETE', `${CM}/c4`)).status, 200);
    const c5 = await get(`${CM}/c5`);
    c5.data.v = '2';
    assert.equal((await s.request('PUT', `${CM}/c5`, { body: c5 })).status, 200);
    const rest = await get(`${CM}?limit=10&continue=${first.metadata.continue}`);
    assert.deepEqual(names(rest), ['c3', 'c4', 'c5']);
    assert.equal(rest.metadata.resourceVersion, rv);
    assert.equal(rest.items[2].data.v, '1');
    // A fresh list sees the writes.
    assert.deepEqual(names(await get(CM)), ['c0', 'c1', 'c2', 'c3', 'c3a', 'c5']);
  });

  test('Exact and legacy exact (resourceVersion with a limit) read the older revision', async () => {
    const before = await get(CM);
    const rv = before.metadata.resourceVersion;
    // Unchanged since rv: served at rv.
    const same = await get(`${CM}?resourceVersion=${rv}&resourceVersionMatch=Exact`);
    assert.deepEqual(names(same), names(before));
    assert.equal(same.metadata.resourceVersion, rv);
    assert.equal((await s.request('DELETE', `${CM}/c0`)).status, 200);
    const exact = await get(`${CM}?resourceVersion=${rv}&resourceVersionMatch=Exact`);
    assert.deepEqual(names(exact), names(before));
    assert.equal(exact.metadata.resourceVersion, rv);
    const legacy = await get(`${CM}?resourceVersion=${rv}&limit=2`);
    assert.deepEqual(names(legacy), names(before).slice(0, 2));
    assert.equal(legacy.metadata.resourceVersion, rv);
    const notOlder = await get(`${CM}?resourceVersion=${rv}&resourceVersionMatch=NotOlderThan&limit=100`);
    assert.ok(!names(notOlder).includes('c0'));
    assert.ok(Number(notOlder.metadata.resourceVersion) > Number(rv));
  });

  test('label-selected pages fill up with matches and carry no remainingItemCount', async () => {
    const seen: string[] = [];
    let cont = '';
    for (let i = 0; i < 10; i++) {
      const page = await get(`${CM}?labelSelector=parity%3Dodd&limit=1${cont ? `&continue=${cont}` : ''}`);
      seen.push(...names(page));
      assert.equal(page.metadata.remainingItemCount, undefined);
      if (!page.metadata.continue) break;
      cont = page.metadata.continue;
    }
    assert.deepEqual(seen, ['c1', 'c3', 'c5']);
  });

  test('a continuation whose revision was compacted is 410 even when the cache still holds that state', async () => {
    const first = await get(`${CM}?limit=1`);
    // Writes elsewhere advance the revision without changing config maps; then compact past the token.
    for (let i = 0; i < 3; i++) assert.equal((await s.request('POST', `/api/v1/namespaces/${NS}/secrets`, { body: { metadata: { name: `s${i}` } } })).status, 201);
    await s.store.compact(await s.store.currentRevision());
    const res = await s.request('GET', `${CM}?limit=1&continue=${first.metadata.continue}`);
    assert.equal(res.status, 410);
    assert.equal(res.json().reason, 'Expired');
  });
});

describe('continuations older than the watch cache history', () => {
  let s: TestServer;
  const CM = '/api/v1/namespaces/default/configmaps';
  before(async () => {
    s = await startTestServer({ watchCacheCapacity: 2 });
    for (let i = 0; i < 4; i++) assert.equal((await s.request('POST', CM, { body: { metadata: { name: `o${i}` }, data: { v: '1' } } })).status, 201);
  });
  after(async () => {
    await s?.close();
  });

  test('are read from the store history at their revision', async () => {
    const first = (await s.request('GET', `${CM}?limit=2`)).json();
    assert.deepEqual(first.items.map((i: any) => i.metadata.name), ['o0', 'o1']);
    // More writes than the cache keeps events for: o2 changes, o3 goes, o2a appears.
    const o2 = (await s.request('GET', `${CM}/o2`)).json();
    o2.data.v = '2';
    assert.equal((await s.request('PUT', `${CM}/o2`, { body: o2 })).status, 200);
    assert.equal((await s.request('DELETE', `${CM}/o3`)).status, 200);
    assert.equal((await s.request('POST', CM, { body: { metadata: { name: 'o2a' } } })).status, 201);
    const rest = (await s.request('GET', `${CM}?limit=5&continue=${first.metadata.continue}`)).json();
    assert.deepEqual(rest.items.map((i: any) => `${i.metadata.name}=${i.data?.v}`), ['o2=1', 'o3=1']);
    assert.equal(rest.metadata.resourceVersion, first.metadata.resourceVersion);
  });
});
