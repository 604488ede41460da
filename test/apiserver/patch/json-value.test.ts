import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cloneJson } from '../../../src/apiserver/patch/json-value.js';

describe('cloneJson', () => {
  it('copies every level: changing the copy never reaches the original', () => {
    const orig = { a: { b: [1, { c: 'x' }, null] }, d: true, e: 0 };
    const copy = cloneJson(orig);
    assert.deepEqual(copy, orig);
    (copy.a.b[1] as { c: string }).c = 'y';
    copy.a.b.push(2);
    assert.deepEqual(orig, { a: { b: [1, { c: 'x' }, null] }, d: true, e: 0 });
  });

  it('drops keys whose value is undefined, as JSON does, and keeps key order', () => {
    const copy = cloneJson({ z: 1, gone: undefined, a: { inner: undefined, k: 'v' } });
    assert.deepEqual(Object.keys(copy), ['z', 'a']);
    assert.equal(JSON.stringify(copy), '{"z":1,"a":{"k":"v"}}');
  });

  it('an own "__proto__" key (as JSON.parse makes) stays a data key and sets no prototype', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Record<string, unknown>;
    const copy = cloneJson(parsed);
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.equal((copy as { polluted?: boolean }).polluted, undefined);
    assert.equal(JSON.stringify(copy), JSON.stringify(parsed));
  });

  it('scalars and null come back as they are', () => {
    for (const v of [null, 0, -1.5, '', 's', true, false]) assert.equal(cloneJson(v), v);
  });
});
