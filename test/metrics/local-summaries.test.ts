import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalSummaries } from '../../src/metrics/local-summaries.js';
import type { Summary } from '../../src/metrics/summary.js';

const doc = (name: string) => ({ node: { nodeName: name }, pods: [] }) as unknown as Summary;

test('lookup finds the node under a registered endpoint prefix, and nothing else', () => {
  const local = new LocalSummaries();
  local.add('https://127.0.0.1:4000/nodes/', (name) => (name === 'gone' ? undefined : doc(name)));
  const cases: { endpoint: string; want: unknown }[] = [
    { endpoint: 'https://127.0.0.1:4000/nodes/sim-1', want: { summary: doc('sim-1') } },
    { endpoint: 'https://127.0.0.1:4000/nodes/zone%2Fa', want: { summary: doc('zone/a') } },
    { endpoint: 'https://127.0.0.1:4000/nodes/gone', want: { notFound: 'node "gone" not found' } },
    { endpoint: 'https://127.0.0.1:4000/nodes/', want: undefined },
    { endpoint: 'https://127.0.0.1:4000/nodes/a/b', want: undefined },
    { endpoint: 'https://127.0.0.1:4001/nodes/sim-1', want: undefined },
    { endpoint: 'https://10.0.0.5:10250', want: undefined },
  ];
  for (const c of cases) assert.deepEqual(local.lookup(c.endpoint), c.want, c.endpoint);
});

test('the undo removes only its own registration', () => {
  const local = new LocalSummaries();
  const undoOld = local.add('https://h:1/nodes/', () => doc('old'));
  local.add('https://h:1/nodes/', () => doc('new'));
  undoOld();
  assert.deepEqual(local.lookup('https://h:1/nodes/x'), { summary: doc('new') });
});
