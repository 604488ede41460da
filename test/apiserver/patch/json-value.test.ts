import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertJson, cloneJson } from '../../../src/apiserver/patch/json-value.js';

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

describe('assertJson', () => {
  const nest = (levels: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { a: v };
    return v;
  };
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic['self'] = { back: cyclic };
  const shared = { x: 1 };
  const cases: [string, unknown, string | undefined][] = [
    ['scalars and containers', { a: [1, 'x', true, null, { b: -0.5 }], c: {} }, undefined],
    ['a value shared twice (not a cycle)', { a: shared, b: [shared] }, undefined],
    ['1000 levels', nest(1000), undefined],
    ['1001 levels', nest(1001), 'exceeded max depth of 1000'],
    ['a cycle', cyclic, 'exceeded max depth of 1000'],
    ['NaN', { a: NaN }, 'invalid number'],
    ['Infinity in a list', [1, Infinity], 'invalid number'],
    ['a function', { f: () => 1 }, 'not a JSON value'],
    ['undefined in a list', [undefined], 'not a JSON value'],
  ];
  for (const [name, v, error] of cases) {
    it(name, () => {
      if (error === undefined) assertJson(v, 'patch');
      else assert.throws(() => assertJson(v, 'patch'), (e: Error) => e.message === `patch: ${error}`);
    });
  }
});
