// shareUntouched (status patches): the result equals the fully copied one, the document is never changed,
// members the patch leaves alone are the document's own objects, and metadata is always the result's own.
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
];

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
