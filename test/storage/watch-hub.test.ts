// WatchHub (storage/sqlite/watch-hub.ts): each subscriber gets exactly the events under its prefix, in
// revision order, after its catch-up — whether its prefix is a directory ("/registry/pods/", found by the
// key's directories) or any other string (tested one by one) — and nothing once it is closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatchHub } from '../../src/storage/sqlite/watch-hub.js';
import type { WatchEvent } from '../../src/storage/store.js';

const put = (key: string, rev: number): WatchEvent => ({ type: 'put', kv: { key, value: 'v', createRevision: rev, modRevision: rev } });
const del = (key: string, rev: number): WatchEvent => ({ type: 'delete', key, revision: rev, prev: { key, value: 'v', createRevision: 1, modRevision: rev - 1 } });
const tick = () => new Promise((r) => setImmediate(r));

const keys = ['/registry/pods/ns1/a', '/registry/pods/ns2/b', '/registry/podtemplates/ns1/t', '/registry/leases/n/l', '/other/x', '/registry/pods/ns1/a'];

test('each subscriber gets exactly the events under its prefix, in order', async () => {
  const prefixes = ['/registry/pods/', '/registry/', '/registry/pods/ns1/', '/registry/pod', '', '/', '/registry/pods/ns1/a', '/registry/pods/ns1/a/', '/nothing/'];
  const hub = new WatchHub();
  const got = new Map<string, string[]>();
  const progress = new Map<string, number>();
  for (const p of prefixes) {
    got.set(p, []);
    hub.subscribe(p, 0, [], {
      onEvent: (e) => got.get(p)!.push(`${e.type === 'put' ? e.kv.key : e.key}@${e.type === 'put' ? e.kv.modRevision : e.revision}`),
      onError: (err) => assert.fail(err),
      onProgress: (r) => progress.set(p, r),
    });
  }
  // A second subscriber on the same directory gets the same events.
  const twin: string[] = [];
  hub.subscribe('/registry/pods/', 0, [], { onEvent: (e) => twin.push(e.type === 'put' ? e.kv.key : e.key), onError: (err) => assert.fail(err) });
  await tick();
  keys.forEach((k, i) => hub.publish(i === keys.length - 1 ? del(k, i + 1) : put(k, i + 1)));
  await tick();
  for (const p of prefixes) {
    const expected = keys.map((k, i) => `${k}@${i + 1}`).filter((e) => e.startsWith(p));
    assert.deepEqual(got.get(p), expected, `prefix "${p}"`);
  }
  assert.deepEqual(twin, keys.filter((k) => k.startsWith('/registry/pods/')));
  assert.equal(progress.get('/nothing/'), keys.length, 'others are told how far the store got');
});

test('after its catch-up and its start revision, and nothing once closed', async () => {
  const hub = new WatchHub();
  const got: number[] = [];
  const w = hub.subscribe('/registry/pods/', 2, [put('/registry/pods/ns/a', 2)], { onEvent: (e) => got.push(e.type === 'put' ? e.kv.modRevision : e.revision), onError: (err) => assert.fail(err) });
  const other: number[] = [];
  const w2 = hub.subscribe('/registry/po', 0, [], { onEvent: (e) => other.push(e.type === 'put' ? e.kv.modRevision : e.revision), onError: (err) => assert.fail(err) });
  hub.publish(put('/registry/pods/ns/a', 2)); // covered by the catch-up
  hub.publish(put('/registry/pods/ns/a', 3));
  await tick();
  w.close();
  w2.close();
  assert.equal(hub.size, 0);
  hub.publish(put('/registry/pods/ns/a', 4));
  await tick();
  assert.deepEqual(got, [2, 3]);
  assert.deepEqual(other, [2, 3]);
});

test('a subscriber that throws is ended with onError; the others carry on', async () => {
  const hub = new WatchHub();
  const errors: string[] = [];
  const got: string[] = [];
  hub.subscribe('/registry/pods/', 0, [], {
    onEvent: () => {
      throw new Error('boom');
    },
    onError: (err) => errors.push(err.message),
  });
  hub.subscribe('/registry/pods/', 0, [], { onEvent: (e) => got.push(e.type === 'put' ? e.kv.key : e.key), onError: (err) => assert.fail(err) });
  await tick();
  hub.publish(put('/registry/pods/ns/a', 1));
  hub.publish(put('/registry/pods/ns/b', 2));
  await tick();
  assert.deepEqual(errors, ['boom']);
  assert.deepEqual(got, ['/registry/pods/ns/a', '/registry/pods/ns/b']);
  assert.equal(hub.size, 1);
});
