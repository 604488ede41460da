import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoByText } from '../../src/util/text-memo.js';

test('memoByText answers as the function, computing each text once, undefined answers included', () => {
  const calls: string[] = [];
  const f = memoByText((s: string) => {
    calls.push(s);
    return s.startsWith('x') ? undefined : s.length;
  });
  const cases: [string, number | undefined][] = [
    ['100m', 4],
    ['x', undefined],
    ['', 0],
    ['100m', 4],
    ['x', undefined],
    ['64Mi', 4],
  ];
  for (const [text, want] of cases) assert.equal(f(text), want, text);
  assert.deepEqual(calls, ['100m', 'x', '', '64Mi']);
});

test('memoByText is bounded: full, it is emptied and refills', () => {
  const calls: string[] = [];
  const f = memoByText((s: string) => (calls.push(s), s.toUpperCase()), 2);
  assert.equal(f('a'), 'A');
  assert.equal(f('b'), 'B');
  assert.equal(f('a'), 'A');
  assert.deepEqual(calls, ['a', 'b']);
  assert.equal(f('c'), 'C'); // full: emptied, then c kept
  assert.equal(f('a'), 'A'); // computed again
  assert.equal(f('c'), 'C');
  assert.deepEqual(calls, ['a', 'b', 'c', 'a']);
});
