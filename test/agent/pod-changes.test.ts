import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { updateNeedsSync } from '../../src/agent/pod-changes.js';

const base: Pod = {
  metadata: { name: 'p', namespace: 'default', uid: 'u1', resourceVersion: '1', labels: { app: 'a' }, annotations: { x: '1' } },
  spec: { nodeName: 'n', containers: [{ name: 'app', image: 'i', command: ['sleep', '1'] }] },
  status: { phase: 'Pending' },
};
const meta = (m: Partial<NonNullable<Pod['metadata']>>): Pod => ({ ...base, metadata: { ...base.metadata, ...m } });

test('updateNeedsSync: spec, labels, annotations, deletion and uid changes sync; a status-only change does not (unless readiness gates)', () => {
  const cases: [string, Pod, boolean][] = [
    ['status only (the agent wrote Running)', { ...base, status: { phase: 'Running', podIP: '10.0.0.2', conditions: [{ type: 'Ready', status: 'True' }] } }, false],
    ['resourceVersion and managedFields only', meta({ resourceVersion: '2', managedFields: [{ manager: 'skiff-agent' }] }), false],
    ['label', meta({ labels: { app: 'b' } }), true],
    ['annotation added', meta({ annotations: { x: '1', y: '2' } }), true],
    ['spec (image)', { ...base, spec: { ...base.spec!, containers: [{ ...base.spec!.containers[0]!, image: 'j' }] } }, true],
    ['deletionTimestamp', meta({ deletionTimestamp: '2026-01-01T00:00:00Z' }), true],
    ['deletionGracePeriodSeconds', meta({ deletionGracePeriodSeconds: 0 }), true],
    ['another pod of that name', meta({ uid: 'u2' }), true],
  ];
  for (const [name, cur, want] of cases) assert.equal(updateNeedsSync(base, cur), want, name);
  const gated: Pod = { ...base, spec: { ...base.spec!, readinessGates: [{ conditionType: 'example.com/ready' }] } };
  assert.equal(updateNeedsSync(gated, { ...gated, status: { phase: 'Pending', conditions: [{ type: 'example.com/ready', status: 'True' }] } }), true, 'a readiness gate condition changed');
  assert.equal(updateNeedsSync(gated, { ...gated, status: { phase: 'Running' } }), false, 'readiness gates, conditions unchanged');
});
