// The namespace controller against a real in-process API server: a deleted namespace is emptied (content
// with a finalizer is waited for, with the upstream status conditions) and then goes away.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Namespace } from 'kubernetes-types/core/v1.js';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import * as resources from '../../../src/client/resources.js';
import { remainingContentDelayMs } from '../../../src/controllers/namespace/namespace-controller.js';
import { eventually, getOrUndefined, startEnv, type ControllerEnv } from '../support.js';

let env: ControllerEnv;

before(async () => {
  env = await startEnv({ namespace: { workers: 2, remainingContentRequeueMs: 150 }, gc: { workers: 2 } });
});

after(async () => {
  await env?.close();
});

const deployment = (name: string): Deployment => ({
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
  },
});

const getNs = (name: string) => getOrUndefined(env.client.get<Namespace>(resources.namespaces, name));

test('a deleted namespace is emptied, waits for finalizers on its content, then goes away', async () => {
  const c = env.client;
  const namespace = 'doomed';
  await c.create(resources.namespaces, { metadata: { name: namespace } });
  for (let i = 0; i < 3; i++) await c.create(resources.configMaps, { metadata: { name: `cm-${i}` }, data: { i: String(i) } }, { namespace });
  await c.create(resources.secrets, { metadata: { name: 's' }, stringData: { k: 'v' } }, { namespace });
  await c.create(resources.deployments, deployment('web'), { namespace });
  await c.create(resources.configMaps, { metadata: { name: 'held', finalizers: ['example.com/hold'] } }, { namespace });

  await c.delete(resources.namespaces, namespace);
  // Everything without a finalizer goes; the held object stays, marked for deletion.
  await eventually(
    async () => ({
      cms: (await c.list<ConfigMap>(resources.configMaps, { namespace })).items.map((o) => o.metadata!.name),
      secrets: (await c.list(resources.secrets, { namespace })).items.length,
      deployments: (await c.list(resources.deployments, { namespace })).items.length,
    }),
    (v) => v.cms.join() === 'held' && v.secrets === 0 && v.deployments === 0,
    'content removed except the held object',
  );
  const held = await c.get<ConfigMap>(resources.configMaps, 'held', { namespace });
  assert.ok(held.metadata?.deletionTimestamp);

  const ns = await eventually(
    () => getNs(namespace),
    (n) => (n?.status?.conditions ?? []).some((x) => x.type === 'NamespaceFinalizersRemaining' && x.status === 'True'),
    'conditions report the remaining content',
  );
  assert.equal(ns!.status!.phase, 'Terminating');
  assert.deepEqual(ns!.spec!.finalizers, ['kubernetes']);
  const cond = (t: string) => ns!.status!.conditions!.find((x) => x.type === t)!;
  assert.deepEqual([cond('NamespaceContentRemaining').status, cond('NamespaceContentRemaining').reason, cond('NamespaceContentRemaining').message], [
    'True',
    'SomeResourcesRemain',
    'Some resources are remaining: configmaps. has 1 resource instances',
  ]);
  assert.deepEqual([cond('NamespaceFinalizersRemaining').reason, cond('NamespaceFinalizersRemaining').message], [
    'SomeFinalizerRemain',
    'Some finalizers are remaining: example.com/hold in 1 resource instances',
  ]);
  assert.equal(cond('NamespaceDeletionDiscoveryFailure').status, 'False');
  assert.equal(cond('NamespaceDeletionContentFailure').status, 'False');

  // Nothing new may be created meanwhile.
  await assert.rejects(c.create(resources.configMaps, { metadata: { name: 'late' } }, { namespace }), (e: { code?: number }) => e.code === 403);

  // The finalizer is removed by "its controller": the namespace finishes.
  await c.patch(resources.configMaps, 'held', { metadata: { finalizers: null } }, 'merge', { namespace });
  await eventually(() => getNs(namespace), (n) => n === undefined, 'namespace deleted');
});

test('an empty namespace is finalized at once; other namespaces are untouched', async () => {
  const c = env.client;
  await c.create(resources.namespaces, { metadata: { name: 'empty-doomed' } });
  await c.create(resources.namespaces, { metadata: { name: 'survivor' } });
  await c.create(resources.configMaps, { metadata: { name: 'keep' } }, { namespace: 'survivor' });
  const started = Date.now();
  await c.delete(resources.namespaces, 'empty-doomed');
  await eventually(() => getNs('empty-doomed'), (n) => n === undefined, 'empty namespace deleted');
  assert.ok(Date.now() - started < 5000);
  assert.ok(await c.get(resources.configMaps, 'keep', { namespace: 'survivor' }));
  assert.equal((await getNs('survivor'))?.status?.phase, 'Active');
});

test('remaining content is retried after about half its estimate, as upstream', () => {
  assert.equal(remainingContentDelayMs(15), 8000);
  assert.equal(remainingContentDelayMs(30), 16000);
  assert.equal(remainingContentDelayMs(0), 1000);
});
