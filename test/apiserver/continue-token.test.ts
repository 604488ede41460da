import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeContinue, encodeContinue } from '../../src/apiserver/rest/continue-token.js';
import { depthExceeds } from '../../src/apiserver/server.js';
import { StatusError } from '../../src/api/errors.js';

test('continue tokens round-trip', () => {
  const t = { revision: 42, startAfter: 'default/web-1' };
  assert.deepEqual(decodeContinue(encodeContinue(t)), t);
});

test('bad continue tokens are 400', () => {
  for (const bad of ['!!!', Buffer.from('{}').toString('base64url'), Buffer.from('{"v":"meta.k8s.io/v1","rv":0,"start":"a"}').toString('base64url'), Buffer.from('{"v":"meta.k8s.io/v1","rv":3,"start":"../x"}').toString('base64url')]) {
    assert.throws(() => decodeContinue(bad), (e) => e instanceof StatusError && e.code === 400, bad);
  }
});

test('depth check is iterative and exact', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.equal(depthExceeds(deep, 1000), true);
  // root object (1) → a (2) → b array (3) → { c } (4)
  assert.equal(depthExceeds({ a: { b: [1, 2, { c: 3 }] } }, 4), false);
  assert.equal(depthExceeds({ a: { b: [1, 2, { c: 3 }] } }, 3), true);
  assert.equal(depthExceeds({ a: { b: [1, 2, { c: {} }] } }, 4), true);
});
