// Which HPAs select which pods (AmbiguousSelector): registration before the first sync selects nothing,
// pinned and unpinned selectors, namespaces, updates and deletion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HpaSelectors } from '../../../src/controllers/podautoscaler/hpa-selectors.js';
import { parseLabelSelector } from '../../../src/util/label-selector.js';

type Step = ['put', string, string, string | undefined] | ['delete', string];
const cases: { name: string; steps: Step[]; namespace: string; pods: Record<string, string>[]; want: string[] }[] = [
  { name: 'registered but never synced selects nothing', steps: [['put', 'a/h1', 'a', undefined]], namespace: 'a', pods: [{ app: 'web' }], want: [] },
  { name: 'one pinned selector', steps: [['put', 'a/h1', 'a', 'app=web']], namespace: 'a', pods: [{ app: 'web' }], want: ['a/h1'] },
  {
    name: 'two HPAs over the same pods, sorted',
    steps: [['put', 'a/h2', 'a', 'app=web'], ['put', 'a/h1', 'a', 'app=web,tier!=db']],
    namespace: 'a',
    pods: [{ app: 'web', tier: 'front' }],
    want: ['a/h1', 'a/h2'],
  },
  { name: 'unpinned selector is scanned', steps: [['put', 'a/h1', 'a', 'app=web'], ['put', 'a/h2', 'a', 'app in (web,api)']], namespace: 'a', pods: [{ app: 'web' }], want: ['a/h1', 'a/h2'] },
  { name: 'another namespace does not count', steps: [['put', 'a/h1', 'a', 'app=web'], ['put', 'b/h1', 'b', 'app=web'], ['put', 'b/h2', 'b', 'app']], namespace: 'a', pods: [{ app: 'web' }], want: ['a/h1'] },
  { name: 'a selector that no longer matches', steps: [['put', 'a/h1', 'a', 'app=web'], ['put', 'a/h2', 'a', 'app=web'], ['put', 'a/h2', 'a', 'app=api']], namespace: 'a', pods: [{ app: 'web' }], want: ['a/h1'] },
  { name: 'deleted HPA', steps: [['put', 'a/h1', 'a', 'app=web'], ['put', 'a/h2', 'a', 'app=web'], ['delete', 'a/h2']], namespace: 'a', pods: [{ app: 'web' }], want: ['a/h1'] },
  { name: 'any of several pods', steps: [['put', 'a/h1', 'a', 'app=web'], ['put', 'a/h2', 'a', 'tier=db']], namespace: 'a', pods: [{ app: 'web' }, { app: 'x', tier: 'db' }, {}], want: ['a/h1', 'a/h2'] },
];

for (const c of cases) {
  test(`HpaSelectors: ${c.name}`, () => {
    const s = new HpaSelectors();
    for (const step of c.steps) {
      if (step[0] === 'put') s.put(step[1], step[2], step[3] === undefined ? undefined : parseLabelSelector(step[3]));
      else s.delete(step[1]);
    }
    assert.deepEqual(s.selecting(c.namespace, c.pods.map((labels) => ({ labels }))), c.want);
  });
}

test('HpaSelectors: has() tracks registration', () => {
  const s = new HpaSelectors();
  assert.equal(s.has('a/h'), false);
  s.put('a/h', 'a', undefined);
  assert.equal(s.has('a/h'), true);
  s.delete('a/h');
  assert.equal(s.has('a/h'), false);
});
