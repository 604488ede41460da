import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Expectations, expectationsTimeoutMs, ownedPodHandlers } from '../../src/controllers/expectations.js';

const pod = (name: string, terminating = false): Pod => ({
  metadata: { name, namespace: 'ns', ...(terminating ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
});

type Step =
  | ['expect', number, string[]]
  | ['raise', number, string[]]
  | ['created']
  | ['deleted', string]
  | ['advance', number]
  | ['forget'];

const cases: Array<{ name: string; steps: Step[]; satisfied: boolean; pending?: { add: number; del: number } }> = [
  { name: 'no record', steps: [], satisfied: true, pending: { add: 0, del: 0 } },
  { name: 'creations outstanding', steps: [['expect', 2, []], ['created']], satisfied: false, pending: { add: 1, del: 0 } },
  { name: 'all creations seen', steps: [['expect', 2, []], ['created'], ['created']], satisfied: true },
  { name: 'extra creation events do not go below zero', steps: [['expect', 1, []], ['created'], ['created'], ['raise', 1, []]], satisfied: false, pending: { add: 1, del: 0 } },
  { name: 'deletion outstanding', steps: [['expect', 0, ['a', 'b']], ['deleted', 'a']], satisfied: false, pending: { add: 0, del: 1 } },
  { name: 'the same deletion seen twice counts once', steps: [['expect', 0, ['a', 'b']], ['deleted', 'a'], ['deleted', 'a']], satisfied: false },
  { name: 'unexpected pod deletions are ignored', steps: [['expect', 0, ['a']], ['deleted', 'z']], satisfied: false },
  { name: 'all deletions seen', steps: [['expect', 0, ['a', 'b']], ['deleted', 'b'], ['deleted', 'a']], satisfied: true },
  { name: 'expect replaces', steps: [['expect', 3, ['a']], ['expect', 1, []], ['created']], satisfied: true },
  { name: 'raise adds', steps: [['expect', 1, []], ['raise', 1, ['a']], ['created']], satisfied: false, pending: { add: 1, del: 1 } },
  { name: 'raise without a record starts one', steps: [['raise', 0, ['a']]], satisfied: false, pending: { add: 0, del: 1 } },
  { name: 'expired at the TTL', steps: [['expect', 1, []], ['advance', expectationsTimeoutMs + 1]], satisfied: true },
  { name: 'not expired before the TTL', steps: [['expect', 1, []], ['advance', expectationsTimeoutMs]], satisfied: false },
  { name: 'raise after expiry starts afresh', steps: [['expect', 5, []], ['advance', expectationsTimeoutMs + 1], ['raise', 1, []]], satisfied: false, pending: { add: 1, del: 0 } },
  { name: 'forgotten', steps: [['expect', 1, ['a']], ['forget']], satisfied: true },
];

for (const c of cases) {
  test(`expectations: ${c.name}`, () => {
    let t = 1000;
    const e = new Expectations(() => t);
    for (const s of c.steps) {
      if (s[0] === 'expect') e.expect('ns/owner', s[1], s[2].map((n) => pod(n)));
      else if (s[0] === 'raise') e.raise('ns/owner', s[1], s[2].map((n) => pod(n)));
      else if (s[0] === 'created') e.creationObserved('ns/owner');
      else if (s[0] === 'deleted') e.deletionObserved('ns/owner', pod(s[1]));
      else if (s[0] === 'advance') t += s[1];
      else e.delete('ns/owner');
    }
    assert.equal(e.satisfied('ns/owner'), c.satisfied);
    if (c.pending) assert.deepEqual(e.pending('ns/owner'), c.pending);
    assert.ok(e.satisfied('ns/other'), 'other keys are unaffected');
  });
}

test('expectations take a Clock as well as a function', () => {
  let t = 0;
  const e = new Expectations({ now: () => t, setTimeout: () => ({ id: 0 }), clearTimeout: () => {} }, 10);
  e.expect('k', 1);
  assert.equal(e.satisfied('k'), false);
  t = 11;
  assert.equal(e.satisfied('k'), true);
});

test('ownedPodHandlers: creations on add, deletions on terminating add/update and delete, owner queued', () => {
  const e = new Expectations(() => 0);
  const queued: string[] = [];
  const h = ownedPodHandlers((p) => (p.metadata?.name === 'orphan' ? undefined : 'ns/owner'), e, (k) => queued.push(k));
  e.expect('ns/owner', 1, [pod('a'), pod('b'), pod('c')]);
  h.onAdd!(pod('new'), false);
  assert.deepEqual(e.pending('ns/owner'), { add: 0, del: 3 });
  h.onAdd!(pod('a', true), false);
  h.onUpdate!(pod('b'), pod('b', true));
  h.onUpdate!(pod('b', true), pod('b', true));
  assert.deepEqual(e.pending('ns/owner'), { add: 0, del: 1 });
  h.onDelete!(pod('c', true), { finalStateUnknown: false });
  assert.ok(e.satisfied('ns/owner'));
  h.onAdd!(pod('orphan'), false);
  assert.deepEqual(queued, ['ns/owner', 'ns/owner', 'ns/owner', 'ns/owner', 'ns/owner']);
});
