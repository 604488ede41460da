import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../../src/api/errors.js';
import type { JsonValue } from '../../../src/api/types.js';
import { applyMergePatch } from '../../../src/apiserver/patch/merge-patch.js';

describe('applyMergePatch', () => {
  // RFC 7386 Appendix A, plus kubectl's scale/label bodies.
  const cases: { name: string; doc: JsonValue; patch: JsonValue; want: JsonValue }[] = [
    { name: 'replace a member', doc: { a: 'b' }, patch: { a: 'c' }, want: { a: 'c' } },
    { name: 'add a member', doc: { a: 'b' }, patch: { b: 'c' }, want: { a: 'b', b: 'c' } },
    { name: 'null deletes', doc: { a: 'b' }, patch: { a: null }, want: {} },
    { name: 'null deletes one of two', doc: { a: 'b', b: 'c' }, patch: { a: null }, want: { b: 'c' } },
    { name: 'array replaces', doc: { a: ['b'] }, patch: { a: 'c' }, want: { a: 'c' } },
    { name: 'scalar replaced by array', doc: { a: 'c' }, patch: { a: ['b'] }, want: { a: ['b'] } },
    { name: 'nested merge and delete', doc: { a: { b: 'c' } }, patch: { a: { b: 'd', c: null } }, want: { a: { b: 'd' } } },
    { name: 'arrays are not merged', doc: { a: [{ b: 'c' }] }, patch: { a: [1] }, want: { a: [1] } },
    { name: 'nulls inside new values are dropped', doc: {}, patch: { a: { bb: { ccc: null } } }, want: { a: { bb: {} } } },
    {
      name: 'null members inside lists of a new value are dropped, null elements kept, order kept',
      doc: { a: 1 },
      patch: { l: [null, { x: null, y: 1, z: [null, { w: null, v: 2 }] }, 3], m: { p: null, q: 'r', s: { t: null } } },
      want: { a: 1, l: [null, { y: 1, z: [null, { v: 2 }] }, 3], m: { q: 'r', s: {} } },
    },
    { name: 'non-object patch replaces the document', doc: { a: 'foo' }, patch: ['c'], want: ['c'] },
    { name: 'kubectl scale', doc: { spec: { replicas: 1, x: 1 } }, patch: { spec: { replicas: 3 } }, want: { spec: { replicas: 3, x: 1 } } },
    {
      name: 'kubectl label --overwrite and removal',
      doc: { metadata: { labels: { a: '1', b: '2' } } },
      patch: { metadata: { labels: { a: '9', b: null } } },
      want: { metadata: { labels: { a: '9' } } },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const before = JSON.stringify(c.doc);
      assert.deepEqual(applyMergePatch(c.doc, c.patch), c.want);
      assert.equal(JSON.stringify(c.doc), before, 'input must not be mutated');
    });
  }

  it('a null patch is a bad request', () => {
    assert.throws(() => applyMergePatch({}, null), (e: unknown) => e instanceof StatusError && e.code === 400);
  });
});
