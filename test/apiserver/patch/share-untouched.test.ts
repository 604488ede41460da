// shareUntouched (status patches): the result equals the fully copied one, the document is never changed,
// members the patch leaves alone (at any depth) are the document's own objects, and metadata is always the
// result's own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JsonObject } from '../../../src/api/types.js';
import { applyStrategicMergePatch } from '../../../src/apiserver/patch/strategic-merge.js';
import { applyMergePatch } from '../../../src/apiserver/patch/merge-patch.js';
import { copyMembers } from '../../../src/apiserver/patch/json-value.js';
import { deploymentSchema, liveDeployment, resolver } from './fixtures.js';

const live = () => {
  const d = liveDeployment() as unknown as JsonObject;
  d['status'] = { replicas: 3, conditions: [{ type: 'Available', status: 'True' }] };
  return d;
};

test('copyMembers: named members and metadata copied, the rest shared', () => {
  const doc = live();
  const out = copyMembers(doc, ['status', 'absent']);
  assert.deepEqual(out, doc);
  assert.equal(out['spec'], doc['spec']);
  assert.notEqual(out['status'], doc['status']);
  assert.notEqual(out['metadata'], doc['metadata']);
  assert.equal('absent' in out, false);
});

const cases: { name: string; type: 'strategic' | 'merge'; patch: JsonObject; shared: string[] }[] = [
  { name: 'status merge', type: 'merge', patch: { status: { replicas: 4 } }, shared: ['spec'] },
  { name: 'status strategic with a list merged by key', type: 'strategic', patch: { status: { conditions: [{ type: 'Progressing', status: 'True' }] } }, shared: ['spec'] },
  { name: 'metadata and status', type: 'strategic', patch: { metadata: { labels: { a: 'b' } }, status: { replicas: 1 } }, shared: ['spec'] },
  { name: 'a directive naming a top-level list', type: 'strategic', patch: { '$setElementOrder/status': [], status: { replicas: 2 } } as JsonObject, shared: ['spec'] },
  { name: 'status deleted', type: 'merge', patch: { status: null } as JsonObject, shared: ['spec'] },
  { name: 'spec patched too: nothing shared', type: 'strategic', patch: { spec: { replicas: 9 }, status: { replicas: 9 } }, shared: [] },
  { name: 'top-level $patch: replace gives a full copy', type: 'strategic', patch: { $patch: 'replace', metadata: { name: 'x' } } as JsonObject, shared: [] },
  // Below the top level too, only what the patch descends into is copied (ownAlong).
  { name: 'metadata uid only (a kubelet status patch)', type: 'strategic', patch: { metadata: { uid: 'u-1' }, status: { replicas: 5 } }, shared: ['spec'] },
  { name: 'a nested list order directive', type: 'strategic', patch: { status: { '$setElementOrder/conditions': [{ type: 'Available' }], conditions: [{ type: 'Available', status: 'False' }] } } as JsonObject, shared: ['spec'] },
  { name: 'a nested $retainKeys', type: 'strategic', patch: { status: { $retainKeys: ['replicas'], replicas: 1 } } as JsonObject, shared: ['spec'] },
  { name: 'a nested $patch: replace', type: 'strategic', patch: { status: { $patch: 'replace', replicas: 1 } } as JsonObject, shared: ['spec'] },
  { name: 'a nested $patch: delete', type: 'strategic', patch: { status: { conditions: [{ type: 'Available', $patch: 'delete' }] } } as JsonObject, shared: ['spec'] },
  { name: 'a primitive list item deleted from metadata', type: 'strategic', patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } } as JsonObject, shared: ['spec', 'status'] },
  { name: 'a nested map merged two levels down', type: 'merge', patch: { metadata: { labels: { x: 'y' } }, status: { conditions: null } } as JsonObject, shared: ['spec'] },
  { name: 'a list replaced by a merge patch', type: 'merge', patch: { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, shared: ['spec'] },
];

test('shareUntouched shares nested members the patch leaves alone', () => {
  const doc = live();
  (doc['status'] as JsonObject)['nested'] = { a: { b: 1 }, c: [1] };
  const patch = { metadata: { uid: 'u-1' }, status: { replicas: 4, nested: { a: { b: 2 } } } };
  for (const out of [
    applyMergePatch(doc, structuredClone(patch), { shareUntouched: true }) as JsonObject,
    applyStrategicMergePatch(doc, structuredClone(patch), deploymentSchema, resolver, { shareUntouched: true }),
  ]) {
    const status = out['status'] as JsonObject;
    const was = doc['status'] as JsonObject;
    assert.notEqual(status, was);
    assert.equal(status['conditions'], was['conditions'], 'a list the patch does not name is shared');
    assert.equal((status['nested'] as JsonObject)['c'], (was['nested'] as JsonObject)['c']);
    assert.notEqual((status['nested'] as JsonObject)['a'], (was['nested'] as JsonObject)['a']);
    assert.deepEqual((status['nested'] as JsonObject)['a'], { b: 2 });
    assert.notEqual(out['metadata'], doc['metadata'], 'metadata is the result’s own');
    assert.equal((out['metadata'] as JsonObject)['labels'], (doc['metadata'] as JsonObject)['labels']);
  }
});

test('a "__proto__" key in a patch is data, never the prototype (no pollution of Object.prototype)', () => {
  for (const shareUntouched of [false, true]) {
    const patch = () => JSON.parse('{"__proto__": {"polluted": 1}, "status": {"__proto__": {"polluted": 2}}}') as JsonObject;
    const merged = applyMergePatch(live(), patch(), { shareUntouched }) as JsonObject;
    const strategic = applyStrategicMergePatch(live(), patch(), deploymentSchema, resolver, { shareUntouched });
    for (const out of [merged, strategic]) {
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
      assert.equal(Object.getPrototypeOf(out), Object.prototype);
      assert.deepEqual(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, { polluted: 1 });
      assert.deepEqual(Object.getOwnPropertyDescriptor(out['status'], '__proto__')?.value, { polluted: 2 });
    }
  }
});

test('shareUntouched gives the same result and leaves the document alone', () => {
  for (const c of cases) {
    const apply = (doc: JsonObject, shareUntouched: boolean) =>
      (c.type === 'strategic' ? applyStrategicMergePatch(doc, structuredClone(c.patch), deploymentSchema, resolver, { shareUntouched }) : applyMergePatch(doc, structuredClone(c.patch), { shareUntouched })) as JsonObject;
    const outcome = (doc: JsonObject, share: boolean): { ok?: JsonObject; err?: string } => {
      try {
        return { ok: apply(doc, share) };
      } catch (err) {
        return { err: String(err) };
      }
    };
    const full = outcome(live(), false);
    const doc = live();
    const before = JSON.stringify(doc);
    const result = outcome(doc, true);
    assert.equal(JSON.stringify(doc), before, `${c.name}: document unchanged`);
    if (full.err !== undefined || result.err !== undefined) {
      assert.equal(result.err, full.err, `${c.name}: both fail alike`);
      continue;
    }
    const shared = result.ok!;
    assert.deepEqual(shared, full.ok, c.name);
    for (const k of c.shared) assert.equal(shared[k], doc[k], `${c.name}: ${k} shared`);
    for (const k of Object.keys(shared)) if (!c.shared.includes(k) && typeof shared[k] === 'object' && shared[k] !== null) assert.notEqual(shared[k], doc[k], `${c.name}: ${k} own`);
  }
});
