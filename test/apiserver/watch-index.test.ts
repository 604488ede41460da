// Watches the watch cache indexes (a kubelet's spec.nodeName=<node>, the scheduler's spec.nodeName=, a
// named object) see exactly what an unindexed filtered watch would: binding moves a pod from the
// unscheduled watch (DELETED) to its node's (ADDED); other nodes' watches stay silent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { startTestServer, type TestServer } from './harness.js';

let s: TestServer;
const NS = 'idx';
before(async () => {
  s = await startTestServer();
  assert.equal((await s.request('POST', '/api/v1/namespaces', { body: { metadata: { name: NS } } })).status, 201);
});
after(async () => {
  await s?.close();
});

interface Watch {
  events: { type: string; name: string; node: string }[];
  stop(): void;
}

/** Opens a watch and records its events until stopped. */
function openWatch(path: string): Promise<Watch> {
  return new Promise((resolve, reject) => {
    const events: Watch['events'] = [];
    const req = request({ host: '127.0.0.1', port: s.port, path, headers: { Authorization: `Bearer ${s.token}`, Accept: 'application/json' }, ca: s.ca }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const e = JSON.parse(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          if (e.type !== 'BOOKMARK') events.push({ type: e.type, name: e.object.metadata.name, node: e.object.spec?.nodeName ?? '' });
        }
      });
      resolve({ events, stop: () => req.destroy() });
    });
    req.on('error', (err) => (events.length === 0 ? reject(err) : undefined));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('node, unscheduled and named watches get their own events only', async () => {
  const P = `/api/v1/namespaces/${NS}/pods`;
  const rv = (await s.request('GET', P)).json().metadata.resourceVersion;
  const q = (sel: string) => `/api/v1/pods?watch=true&resourceVersion=${rv}&fieldSelector=${encodeURIComponent(sel)}`;
  const watches = {
    unscheduled: await openWatch(q('spec.nodeName=')),
    n1: await openWatch(q('spec.nodeName=n1')),
    n2: await openWatch(q('spec.nodeName=n2')),
    n1AndName: await openWatch(q('spec.nodeName=n1,metadata.name=b')),
    named: await openWatch(`${P}?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Da`),
    all: await openWatch(`${P}?watch=true&resourceVersion=${rv}`),
  };
  await sleep(100);
  const pod = (name: string) => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'pause' }] } });
  for (const name of ['a', 'b']) assert.equal((await s.request('POST', P, { body: pod(name) })).status, 201);
  const bind = (name: string, node: string) =>
    s.request('POST', `${P}/${name}/binding`, { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: node } } });
  assert.equal((await bind('a', 'n1')).status, 201);
  assert.equal((await bind('b', 'n1')).status, 201);
  assert.equal((await s.request('DELETE', `${P}/a?gracePeriodSeconds=0`)).status, 200);

  // Watches from a resourceVersion replay history, then go live: wait until the unfiltered one saw all.
  for (let i = 0; i < 100 && watches.all.events.length < 5; i++) await sleep(20);
  await sleep(50);
  const seen = Object.fromEntries(Object.entries(watches).map(([k, w]) => [k, w.events.map((e) => `${e.type} ${e.name}@${e.node}`)]));
  for (const w of Object.values(watches)) w.stop();
  assert.deepEqual(seen.unscheduled, ['ADDED a@', 'ADDED b@', 'DELETED a@', 'DELETED b@']);
  assert.deepEqual(seen.n1, ['ADDED a@n1', 'ADDED b@n1', 'DELETED a@n1']);
  assert.deepEqual(seen.n2, []);
  assert.deepEqual(seen.n1AndName, ['ADDED b@n1']);
  assert.deepEqual(seen.named, ['ADDED a@', 'MODIFIED a@n1', 'DELETED a@n1']);
  assert.equal(seen.all!.length, 5);
});

test('the same watches started before the writes (live dispatch, no replay)', async () => {
  const P = `/api/v1/namespaces/${NS}/pods`;
  const q = (sel: string) => `/api/v1/pods?watch=true&fieldSelector=${encodeURIComponent(sel)}`;
  const n3 = await openWatch(q('spec.nodeName=n3'));
  const n4 = await openWatch(q('spec.nodeName=n4'));
  const named = await openWatch(`${P}/c?watch=true`);
  await sleep(200);
  assert.equal((await s.request('POST', P, { body: { metadata: { name: 'c' }, spec: { containers: [{ name: 'c', image: 'pause' }] } } })).status, 201);
  assert.equal((await s.request('POST', `${P}/c/binding`, { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'c' }, target: { kind: 'Node', name: 'n3' } } })).status, 201);
  for (let i = 0; i < 100 && n3.events.length < 1; i++) await sleep(20);
  await sleep(50);
  for (const w of [n3, n4, named]) w.stop();
  assert.deepEqual(n3.events.map((e) => `${e.type} ${e.name}@${e.node}`), ['ADDED c@n3']);
  assert.deepEqual(n4.events, []);
  assert.deepEqual(named.events.map((e) => `${e.type} ${e.name}@${e.node}`), ['ADDED c@', 'MODIFIED c@n3']);
});
