import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFleet, planFleet, type SimNodeEntry } from '../../../src/runtime/sim/fleet-config.js';

const desired = (o: Record<string, SimNodeEntry>) => new Map(Object.entries(o));

test('planFleet: what to do to reach the desired fleet', () => {
  const cases: [string, Map<string, SimNodeEntry>, { name: string; stopped: boolean }[], string[]][] = [
    ['nothing to do', desired({ a: {} }), [{ name: 'a', stopped: false }], []],
    ['add missing', desired({ a: {}, b: { cpu: '8' } }), [{ name: 'a', stopped: false }], ['add b']],
    ['add already stopped', desired({ c: { state: 'stopped' } }), [], ['add c (stopped)']],
    ['remove extra', desired({}), [{ name: 'a', stopped: false }], ['remove a']],
    ['stop', desired({ a: { state: 'stopped' } }), [{ name: 'a', stopped: false }], ['stop a']],
    ['restart', desired({ a: { state: 'running' } }), [{ name: 'a', stopped: true }], ['restart a']],
  ];
  for (const [name, want, running, expected] of cases) {
    const got = planFleet(want, running).map((a) => (a.type === 'add' ? `add ${a.spec.name}${a.stopped ? ' (stopped)' : ''}` : `${a.type} ${a.name}`));
    assert.deepEqual(got, expected, name);
  }
});

test('parseFleet reports invalid entries instead of applying them', () => {
  const { entries, errors } = parseFleet({ good: '{"cpu":"2"}', bad: 'not json', list: '[1]' });
  assert.deepEqual([...entries.keys()], ['good']);
  assert.equal(errors.length, 2);
});
