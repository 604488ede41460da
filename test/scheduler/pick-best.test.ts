// pickBest (schedule-one.ts): the highest score wins; equal highest scores are picked uniformly at random with
// one draw.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pickBest } from '../../src/scheduler/schedule-one.js';

const sc = (...xs: number[]) => xs.map((score) => ({ score }));

describe('pickBest', () => {
  const cases: { name: string; scores: number[]; draw: number; want: number }[] = [
    { name: 'one node', scores: [7], draw: 0.9, want: 0 },
    { name: 'a single highest score, wherever it is', scores: [1, 5, 3], draw: 0.9, want: 1 },
    { name: 'highest last', scores: [1, 2, 3], draw: 0, want: 2 },
    { name: 'negative scores', scores: [-3, -1, -2], draw: 0.5, want: 1 },
    { name: 'ties: a draw of 0 takes the first of them', scores: [4, 9, 1, 9, 9], draw: 0, want: 1 },
    { name: 'ties: the second of three', scores: [4, 9, 1, 9, 9], draw: 0.34, want: 3 },
    { name: 'ties: a draw just below 1 takes the last', scores: [4, 9, 1, 9, 9], draw: 0.9999, want: 4 },
    { name: 'a tie below the highest score does not count', scores: [2, 2, 8, 2], draw: 0.99, want: 2 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(pickBest(sc(...c.scores), () => c.draw), c.want));

  it('draws once per decision, however many ties, and none without a tie', () => {
    let draws = 0;
    pickBest(sc(...new Array<number>(500).fill(100)), () => (draws++, 0.5));
    assert.equal(draws, 1);
    pickBest(sc(1, 2, 3), () => (draws++, 0.5));
    assert.equal(draws, 1);
  });

  it('every tied node is equally likely (draws spread evenly over [0, 1))', () => {
    const scores = sc(5, 9, 9, 1, 9, 9, 0);
    const counts = new Map<number, number>();
    const n = 4000;
    for (let j = 0; j < n; j++) {
      const i = pickBest(scores, () => (j + 0.5) / n);
      counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    assert.deepEqual([...counts].sort((a, b) => a[0] - b[0]), [[1, 1000], [2, 1000], [4, 1000], [5, 1000]]);
  });
});
