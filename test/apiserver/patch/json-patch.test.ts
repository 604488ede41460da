import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../../src/api/errors.js';
import type { JsonValue } from '../../../src/api/types.js';
import { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from '../../../src/apiserver/patch/json-patch.js';

const doc = (): JsonValue => ({
  metadata: { name: 'x', labels: { app: 'web' } },
  spec: { replicas: 1, list: ['a', 'b', 'c'], template: { image: 'nginx' } },
});

describe('applyJsonPatch: successful operations', () => {
  const cases: { name: string; patch: unknown; expect: (d: any) => void }[] = [
    { name: 'add a field', patch: [{ op: 'add', path: '/metadata/labels/tier', value: 'fe' }], expect: (d) => assert.equal(d.metadata.labels.tier, 'fe') },
    { name: 'add into an array by index', patch: [{ op: 'add', path: '/spec/list/1', value: 'z' }], expect: (d) => assert.deepEqual(d.spec.list, ['a', 'z', 'b', 'c']) },
    { name: 'append with -', patch: [{ op: 'add', path: '/spec/list/-', value: 'd' }], expect: (d) => assert.deepEqual(d.spec.list, ['a', 'b', 'c', 'd']) },
    { name: 'negative index counts from the end (upstream)', patch: [{ op: 'remove', path: '/spec/list/-1' }], expect: (d) => assert.deepEqual(d.spec.list, ['a', 'b']) },
    { name: 'remove a field', patch: [{ op: 'remove', path: '/metadata/labels/app' }], expect: (d) => assert.deepEqual(d.metadata.labels, {}) },
    { name: 'replace a value', patch: [{ op: 'replace', path: '/spec/replicas', value: 3 }], expect: (d) => assert.equal(d.spec.replicas, 3) },
    {
      name: 'replace of a missing key in an existing object adds it (upstream quirk)',
      patch: [{ op: 'replace', path: '/metadata/labels/new', value: 'v' }],
      expect: (d) => assert.equal(d.metadata.labels.new, 'v'),
    },
    {
      name: 'move',
      patch: [{ op: 'move', from: '/spec/template/image', path: '/spec/image' }],
      expect: (d) => {
        assert.equal(d.spec.image, 'nginx');
        assert.equal(d.spec.template.image, undefined);
      },
    },
    { name: 'copy', patch: [{ op: 'copy', from: '/metadata/labels', path: '/spec/labels' }], expect: (d) => assert.deepEqual(d.spec.labels, { app: 'web' }) },
    { name: 'test then replace', patch: [{ op: 'test', path: '/spec/replicas', value: 1 }, { op: 'replace', path: '/spec/replicas', value: 2 }], expect: (d) => assert.equal(d.spec.replicas, 2) },
    { name: 'escaped keys (~1 and ~0)', patch: [{ op: 'add', path: '/metadata/labels/a~1b~0c', value: 'x' }], expect: (d) => assert.equal(d.metadata.labels['a/b~c'], 'x') },
    {
      name: "kubectl rollout undo's body",
      patch: [
        { op: 'replace', path: '/spec/template', value: { image: 'nginx:old' } },
        { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': '2' } },
      ],
      expect: (d) => {
        assert.deepEqual(d.spec.template, { image: 'nginx:old' });
        assert.deepEqual(d.metadata.annotations, { 'deployment.kubernetes.io/revision': '2' });
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const input = doc();
      const before = JSON.stringify(input);
      const out = applyJsonPatch(input, c.patch);
      c.expect(out);
      assert.equal(JSON.stringify(input), before, 'input must not be mutated');
    });
  }
});

describe('applyJsonPatch: failures answer as kube-apiserver', () => {
  const failing: { name: string; patch: unknown; code: number; reason: string; message: string; cause?: string }[] = [
    {
      name: 'failed test',
      patch: [{ op: 'test', path: '/spec/replicas', value: 5 }],
      code: 422,
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
      cause: 'testing value /spec/replicas failed: test failed',
    },
    {
      name: 'remove of a missing key',
      patch: [{ op: 'remove', path: '/metadata/labels/nope' }],
      code: 422,
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
      cause: "error in remove for path: '/metadata/labels/nope': Unable to remove nonexistent key: nope: missing value",
    },
    {
      name: 'remove below a missing path',
      patch: [{ op: 'remove', path: '/spec/nope/deeper' }],
      code: 422,
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
      cause: 'remove operation does not apply: doc is missing path: "/spec/nope/deeper": missing value',
    },
    {
      name: 'replace below a missing path',
      patch: [{ op: 'replace', path: '/spec/nope/deeper', value: 1 }],
      code: 422,
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
      cause: 'replace operation does not apply: doc is missing path: /spec/nope/deeper: missing value',
    },
    {
      name: 'replace past the end of a list',
      patch: [{ op: 'replace', path: '/spec/list/9', value: 1 }],
      code: 422,
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
      cause: 'replace operation does not apply: doc is missing key: /spec/list/9: missing value',
    },
    {
      name: 'add past the end of a list',
      patch: [{ op: 'add', path: '/spec/list/7', value: 1 }],
      code: 422,
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
      cause: "error in add for path: '/spec/list/7': Unable to access invalid index: 7: invalid index referenced",
    },
    {
      name: 'unknown op',
      patch: [{ op: 'frobnicate', path: '/spec' }],
      code: 422,
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
      cause: 'Unexpected kind: frobnicate',
    },
    {
      name: 'missing op',
      patch: [{ path: '/spec' }],
      code: 422,
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
      cause: 'Unexpected kind: unknown',
    },
    {
      name: 'not a list of operations',
      patch: { op: 'add' },
      code: 400,
      reason: 'BadRequest',
      message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    },
    {
      name: 'an operation that is not an object',
      patch: ['add'],
      code: 400,
      reason: 'BadRequest',
      message: 'json: cannot unmarshal string into Go value of type jsonpatch.Operation',
    },
    {
      name: 'too many operations',
      patch: Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '/spec/replicas', value: 1 })),
      code: 413,
      reason: 'RequestEntityTooLarge',
      message: `Request entity too large: The allowed maximum operations in a JSON patch is 10000, got ${MAX_JSON_PATCH_OPERATIONS + 1}`,
    },
  ];
  for (const c of failing) {
    it(c.name, () => {
      assert.throws(
        () => applyJsonPatch(doc(), c.patch),
        (e: unknown) => {
          assert.ok(e instanceof StatusError, `expected StatusError, got ${String(e)}`);
          assert.equal(e.code, c.code);
          assert.equal(e.reason, c.reason);
          assert.equal(e.message, c.message);
          if (c.cause) assert.equal(e.details?.causes?.[0]?.message, c.cause);
          return true;
        },
      );
    });
  }

  it('stops exponential copy growth', () => {
    const patch = Array.from({ length: 40 }, (_, i) => ({ op: 'copy', from: '/a', path: `/a/k${i}` }));
    assert.throws(
      () => applyJsonPatch({ a: { v: 'x'.repeat(100) } }, patch),
      (e: unknown) => e instanceof StatusError && e.code === 422 && /accumulated size/.test(e.details?.causes?.[0]?.message ?? ''),
    );
  });

  it('rejects absurdly deep values with 400 instead of overflowing', () => {
    let deep: JsonValue = 1;
    for (let i = 0; i < 5000; i++) deep = [deep];
    assert.throws(
      () => applyJsonPatch({}, [{ op: 'add', path: '/x', value: deep }]),
      (e: unknown) => e instanceof StatusError && e.code === 400,
    );
  });
});
