// Server lists for clusters behind several API servers: parsing `--server` values and trying servers in
// order, skipping only the unreachable ones. Table-driven; no network.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstReachable, isUnreachable, parseServerList } from '../../src/client/server-list.js';
import { TransportError } from '../../src/client/errors.js';

test('parseServerList', () => {
  const ok: [string, string[]][] = [
    ['https://a:6443', ['https://a:6443']],
    ['https://a:6443/, https://b:6443,,https://a:6443', ['https://a:6443', 'https://b:6443']],
    ['http://127.0.0.1:8080', ['http://127.0.0.1:8080']],
  ];
  for (const [v, want] of ok) assert.deepEqual(parseServerList(v), want, v);
  const bad: [string, RegExp][] = [
    ['', /no server given/],
    [' , ', /no server given/],
    ['a:6443', /not an http\(s\) URL|not a URL/],
    ['ftp://a', /not an http\(s\) URL/],
    ['https://a:6443,nope', /nope is not a URL/],
  ];
  for (const [v, re] of bad) assert.throws(() => parseServerList(v), re, v);
});

test('isUnreachable', () => {
  const errno = (code: string) => Object.assign(new Error(code), { code });
  const table: [unknown, boolean][] = [
    [errno('ECONNREFUSED'), true],
    [errno('EHOSTUNREACH'), true],
    [errno('ECONNRESET'), true],
    [new Error('timed out'), true],
    [new TransportError('connect', 'refused', 'ECONNREFUSED'), true],
    [new TransportError('protocol', 'bad'), false],
    [new Error('https://a refused the join token'), false],
    [errno('EACCES'), false],
    [undefined, false],
  ];
  for (const [err, want] of table) assert.equal(isUnreachable(err), want, String((err as Error)?.message));
});

test('firstReachable skips unreachable servers only', async () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  const tried: string[] = [];
  const got = await firstReachable(['a', 'b', 'c'], async (s) => {
    tried.push(s);
    if (s === 'a') throw refused;
    return `answer from ${s}`;
  });
  assert.equal(got, 'answer from b');
  assert.deepEqual(tried, ['a', 'b']);
  await assert.rejects(firstReachable(['a', 'b'], async (s) => { throw s === 'a' ? refused : new Error('refused the join token'); }), /join token/);
  await assert.rejects(firstReachable(['a', 'b'], async () => { throw refused; }), /ECONNREFUSED/);
});
