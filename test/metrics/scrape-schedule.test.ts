// The collector's staggering of node requests (metrics-server's: random start within min(8 ms × nodes, 4 s)).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scrapeSchedule } from '../../src/metrics/collector.js';

const seq = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};
const nodes = (n: number) => Array.from({ length: n }, (_, i) => `n${i}`);

const cases: { name: string; nodes: string[]; stagger: boolean; random: () => number; want: [string, number][] | ((got: { node: string; atMs: number }[]) => void) }[] = [
  { name: 'no nodes', nodes: [], stagger: true, random: Math.random, want: [] },
  { name: 'not staggered: all at once, in order', nodes: nodes(3), stagger: false, random: seq(0.9, 0.1, 0.5), want: [['n0', 0], ['n1', 0], ['n2', 0]] },
  // 3 nodes spread over 24 ms, earliest first.
  { name: 'three nodes over 24 ms', nodes: nodes(3), stagger: true, random: seq(0.9, 0.1, 0.5), want: [['n1', 2], ['n2', 12], ['n0', 21]] },
  { name: 'fifty nodes: within 400 ms', nodes: nodes(50), stagger: true, random: seq(0.9999), want: (got) => assert.ok(got.every((g) => g.atMs === 399)) },
  { name: 'thousands of nodes: within 4 s', nodes: nodes(2000), stagger: true, random: seq(0, 0.9999), want: (got) => assert.deepEqual([got[0]!.atMs, got[got.length - 1]!.atMs], [0, 3999]) },
];

for (const c of cases) {
  test(`scrapeSchedule: ${c.name}`, () => {
    const got = scrapeSchedule(c.nodes, c.stagger, c.random);
    assert.equal(got.length, c.nodes.length);
    if (typeof c.want === 'function') c.want(got);
    else assert.deepEqual(got.map((g) => [g.node, g.atMs]), c.want);
  });
}
