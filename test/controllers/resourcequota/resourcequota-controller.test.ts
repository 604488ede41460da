// The ResourceQuota controller against a real API server: status.hard follows spec.hard, status.used is
// recounted when pods change (terminal pods stop using compute quota) and on the periodic resync
// (count/<resource>.<group> kinds without an informer).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, ResourceQuota } from 'kubernetes-types/core/v1.js';
import * as resources from '../../../src/client/resources.js';
import { ResourceQuotaController, resourceQuotas } from '../../../src/controllers/resourcequota/resourcequota-controller.js';
import { eventually } from '../support.js';
import { startWithController, type SingleControllerEnv } from '../endpoints/env.js';

let env: SingleControllerEnv;
before(async () => {
  env = await startWithController((ctx) => {
    const c = new ResourceQuotaController({ client: ctx.client, informers: ctx.informers, log: ctx.log, resyncMs: 300 });
    return { start: () => c.start(), stop: () => c.stop() };
  });
});
after(async () => env?.close());

const status = (name: string) => env.client.get<ResourceQuota>(resourceQuotas, name).then((q) => q.status ?? {});

test('status follows spec and the objects in the namespace', async () => {
  const c = env.client;
  await c.create<Pod>(resources.pods, { metadata: { name: 'a' }, spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '250m', memory: '64Mi' } } }] } });
  const b = await c.create<Pod>(resources.pods, { metadata: { name: 'b' }, spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '500m' } } }] } });
  await c.create(resourceQuotas, { metadata: { name: 'q' }, spec: { hard: { pods: '10', 'requests.cpu': '4', 'count/pods': '20', 'count/deployments.apps': '2', secrets: '9' } } });
  let st = await eventually(() => status('q'), (s) => s.used?.['requests.cpu'] === '750m', 'initial usage');
  assert.deepEqual(st.hard, { 'count/deployments.apps': '2', 'count/pods': '20', pods: '10', 'requests.cpu': '4', secrets: '9' });
  assert.deepEqual(st.used, { 'count/deployments.apps': '0', 'count/pods': '2', pods: '2', 'requests.cpu': '750m', secrets: '0' });

  // A terminal pod keeps counting as an object but not as a running pod.
  await c.updateStatus<Pod>(resources.pods, { ...b, status: { phase: 'Succeeded' } });
  st = await eventually(() => status('q'), (s) => s.used?.['pods'] === '1', 'terminal pod released');
  assert.deepEqual(st.used, { 'count/deployments.apps': '0', 'count/pods': '2', pods: '1', 'requests.cpu': '250m', secrets: '0' });

  // count/deployments.apps is recounted on the periodic resync.
  await c.create(resources.deployments, { metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } });
  await eventually(() => status('q'), (s) => s.used?.['count/deployments.apps'] === '1', 'deployment counted');

  // Spec changes show in status.hard; removed names leave status.used.
  await c.patch(resourceQuotas, 'q', { spec: { hard: { pods: '3' } } }, 'merge');
  await c.patch(resourceQuotas, 'q', { spec: { hard: { 'count/pods': null, 'count/deployments.apps': null, secrets: null, 'requests.cpu': null } } }, 'merge');
  st = await eventually(() => status('q'), (s) => Object.keys(s.hard ?? {}).length === 1 && s.hard?.['pods'] === '3', 'hard follows spec');
  assert.deepEqual(st, { hard: { pods: '3' }, used: { pods: '1' } });
});
