import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalSummaries } from '../../src/metrics/local-summaries.js';
import type { Summary } from '../../src/metrics/summary.js';

const doc = (name: string) => ({ node: { nodeName: name }, pods: [] }) as unknown as Summary;

test('lookup finds the nodes under a registered endpoint prefix, and nothing else', async () => {
  const local = new LocalSummaries();
  local.add('https://127.0.0.1:4000/nodes/', (names) => names.map((name) => (name === 'gone' ? undefined : doc(name))));
  const cases: { endpoint: string; want: unknown }[] = [
    { endpoint: 'https://127.0.0.1:4000/nodes/sim-1', want: { summary: doc('sim-1') } },
    { endpoint: 'https://127.0.0.1:4000/nodes/zone%2Fa', want: { summary: doc('zone/a') } },
    { endpoint: 'https://127.0.0.1:4000/nodes/gone', want: { notFound: 'node "gone" not found' } },
    { endpoint: 'https://127.0.0.1:4000/nodes/', want: undefined },
    { endpoint: 'https://127.0.0.1:4000/nodes/a/b', want: undefined },
    { endpoint: 'https://127.0.0.1:4001/nodes/sim-1', want: undefined },
    { endpoint: 'https://10.0.0.5:10250', want: undefined },
  ];
  const found = await local.lookup(cases.map((c) => c.endpoint));
  for (const c of cases) {
    assert.deepEqual(found.get(c.endpoint), c.want, c.endpoint);
    assert.equal(local.serves(c.endpoint), c.want !== undefined, c.endpoint);
  }
});

test('a batch costs one call per source, in the order asked, and an asynchronous source works as a synchronous one', async () => {
  const local = new LocalSummaries();
  const calls: string[][] = [];
  local.add('https://h:1/nodes/', (names) => {
    calls.push(names);
    return names.map(doc);
  });
  local.add('https://h:2/nodes/', async (names) => {
    calls.push(names);
    return names.map((n) => (n === 'b-2' ? null : doc(n)));
  });
  const found = await local.lookup(['https://h:1/nodes/a-1', 'https://h:2/nodes/b-1', 'https://h:1/nodes/a-2', 'https://h:2/nodes/b-2']);
  assert.deepEqual(calls, [['a-1', 'a-2'], ['b-1', 'b-2']]);
  assert.deepEqual(found.get('https://h:1/nodes/a-2'), { summary: doc('a-2') });
  assert.deepEqual(found.get('https://h:2/nodes/b-1'), { summary: doc('b-1') });
  assert.deepEqual(found.get('https://h:2/nodes/b-2'), { notFound: 'node "b-2" not found' });
});

test('a source that cannot answer fails the lookup', async () => {
  const local = new LocalSummaries();
  local.add('https://h:1/nodes/', async () => {
    throw new Error('the fleet is restarting');
  });
  await assert.rejects(local.lookup(['https://h:1/nodes/x']), /the fleet is restarting/);
  assert.equal((await local.lookup(['https://elsewhere:1/nodes/x'])).size, 0);
});

test('the undo removes only its own registration', async () => {
  const local = new LocalSummaries();
  const undoOld = local.add('https://h:1/nodes/', (names) => names.map(() => doc('old')));
  local.add('https://h:1/nodes/', (names) => names.map(() => doc('new')));
  undoOld();
  assert.deepEqual((await local.lookup(['https://h:1/nodes/x'])).get('https://h:1/nodes/x'), { summary: doc('new') });
});
