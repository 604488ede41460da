// The garbage collector against a real in-process API server: background, foreground and orphan
// propagation, owners that are gone before the collector starts, cluster-scoped owners and owners in another
// namespace.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Node, Secret } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import * as resources from '../../../src/client/resources.js';
import { eventually, getOrUndefined, startEnv, type ControllerEnv } from '../support.js';

let env: ControllerEnv;

before(async () => {
  env = await startEnv({ controllers: ['garbagecollector'], gc: { workers: 4, resyncPeriodMs: 2000 } }, async (client) => {
    // An owner deleted while no collector runs: its dependent must be found and removed at start.
    const owner = await client.create(resources.configMaps, { metadata: { name: 'early-owner', namespace: 'default' } });
    await client.create(resources.configMaps, { metadata: { name: 'early-dependent', namespace: 'default', ownerReferences: [refTo(owner)] } });
    await client.delete(resources.configMaps, 'early-owner', { namespace: 'default', propagationPolicy: 'Orphan' }).catch(() => undefined);
    // Orphan adds a finalizer nobody removes yet; force the owner out by dropping it.
    await client.patch(resources.configMaps, 'early-owner', { metadata: { finalizers: null } }, 'merge', { namespace: 'default' }).catch(() => undefined);
  });
});

after(async () => {
  if (process.env['GC_TEST_LOGS']) console.log(env?.logs.join('\n'));
  await env?.close();
});

function refTo(o: { apiVersion?: string; kind?: string; metadata?: { name?: string; uid?: string } }, extra: Partial<OwnerReference> = {}): OwnerReference {
  return { apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata!.name!, uid: o.metadata!.uid!, ...extra };
}

const cm = (name: string, ns = 'default') => getOrUndefined(env.client.get<ConfigMap>(resources.configMaps, name, { namespace: ns }));
const secret = (name: string) => getOrUndefined(env.client.get<Secret>(resources.secrets, name, { namespace: 'default' }));

test('a dependent whose owner vanished before the collector started is deleted', async () => {
  await eventually(() => cm('early-dependent'), (o) => o === undefined, 'early-dependent deleted');
});

test('background: deleting an owner deletes its dependents', async () => {
  const c = env.client;
  const owner = await c.create(resources.configMaps, { metadata: { name: 'bg-owner' } });
  await c.create(resources.configMaps, { metadata: { name: 'bg-dep-cm', ownerReferences: [refTo(owner)] } });
  await c.create(resources.secrets, { metadata: { name: 'bg-dep-secret', ownerReferences: [refTo(owner)] }, stringData: { a: 'b' } });
  const unrelated = await c.create<ConfigMap>(resources.configMaps, { metadata: { name: 'bg-unrelated' } });
  // Give the graph a moment to see the dependents; nothing must happen to them while the owner lives.
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(await cm('bg-dep-cm'));

  await c.delete(resources.configMaps, 'bg-owner', { propagationPolicy: 'Background' });
  await eventually(async () => [await cm('bg-dep-cm'), await secret('bg-dep-secret')], (v) => v.every((x) => x === undefined), 'dependents deleted');
  assert.equal((await cm('bg-unrelated'))?.metadata?.uid, unrelated.metadata!.uid);
});

test('background: a dependent with another live owner only loses the dangling reference', async () => {
  const c = env.client;
  const a = await c.create(resources.configMaps, { metadata: { name: 'two-owner-a' } });
  const b = await c.create<ConfigMap>(resources.configMaps, { metadata: { name: 'two-owner-b' } });
  await c.create(resources.configMaps, { metadata: { name: 'two-owner-dep', ownerReferences: [refTo(a), refTo(b)] } });
  await c.delete(resources.configMaps, 'two-owner-a');
  const dep = await eventually(() => cm('two-owner-dep'), (o) => (o?.metadata?.ownerReferences ?? []).length === 1, 'reference to a removed');
  assert.equal(dep!.metadata!.ownerReferences![0]!.uid, b.metadata!.uid);
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(await cm('two-owner-dep'), 'dependent kept');
});

test('foreground: the owner stays until blocking dependents are gone', async () => {
  const c = env.client;
  const owner = await c.create(resources.configMaps, { metadata: { name: 'fg-owner' } });
  await c.create(resources.configMaps, {
    metadata: { name: 'fg-blocking', finalizers: ['example.com/hold'], ownerReferences: [refTo(owner, { blockOwnerDeletion: true })] },
  });
  await c.create(resources.configMaps, { metadata: { name: 'fg-plain', ownerReferences: [refTo(owner)] } });
  await new Promise((r) => setTimeout(r, 200));

  await c.delete(resources.configMaps, 'fg-owner', { propagationPolicy: 'Foreground' });
  await eventually(() => cm('fg-plain'), (o) => o === undefined, 'non-blocking dependent deleted');
  const blocking = await eventually(() => cm('fg-blocking'), (o) => !!o?.metadata?.deletionTimestamp, 'blocking dependent marked for deletion');
  assert.deepEqual(blocking!.metadata!.finalizers, ['example.com/hold']);
  // The owner waits (with its foregroundDeletion finalizer) while the blocking dependent exists.
  await new Promise((r) => setTimeout(r, 300));
  const waiting = await cm('fg-owner');
  assert.ok(waiting?.metadata?.deletionTimestamp, 'owner still present, terminating');
  assert.ok(waiting!.metadata!.finalizers?.includes('foregroundDeletion'));

  await c.patch(resources.configMaps, 'fg-blocking', { metadata: { finalizers: null } }, 'merge');
  await eventually(async () => [await cm('fg-blocking'), await cm('fg-owner')], (v) => v.every((x) => x === undefined), 'dependent and owner gone');
});

test('foreground: a chain is deleted bottom-up (dependents with dependents go in the foreground)', async () => {
  const c = env.client;
  const top = await c.create(resources.configMaps, { metadata: { name: 'chain-top' } });
  const mid = await c.create(resources.configMaps, { metadata: { name: 'chain-mid', ownerReferences: [refTo(top, { blockOwnerDeletion: true })] } });
  await c.create(resources.configMaps, {
    metadata: { name: 'chain-leaf', finalizers: ['example.com/hold'], ownerReferences: [refTo(mid, { blockOwnerDeletion: true })] },
  });
  await new Promise((r) => setTimeout(r, 200));
  await c.delete(resources.configMaps, 'chain-top', { propagationPolicy: 'Foreground' });
  const midNow = await eventually(() => cm('chain-mid'), (o) => !!o?.metadata?.deletionTimestamp, 'mid deleting');
  assert.ok(midNow!.metadata!.finalizers?.includes('foregroundDeletion'), 'mid deleted in the foreground');
  assert.ok(await cm('chain-top'), 'top waits for mid');
  await eventually(() => cm('chain-leaf'), (o) => !!o?.metadata?.deletionTimestamp, 'leaf deleting');
  await c.patch(resources.configMaps, 'chain-leaf', { metadata: { finalizers: null } }, 'merge');
  await eventually(async () => [await cm('chain-leaf'), await cm('chain-mid'), await cm('chain-top')], (v) => v.every((x) => x === undefined), 'chain gone');
});

test('orphan: dependents stay and lose their reference to the owner', async () => {
  const c = env.client;
  const owner = await c.create(resources.configMaps, { metadata: { name: 'orphan-owner' } });
  const other = await c.create(resources.configMaps, { metadata: { name: 'orphan-other-owner' } });
  await c.create(resources.configMaps, { metadata: { name: 'orphan-dep-1', ownerReferences: [refTo(owner)] } });
  await c.create(resources.secrets, { metadata: { name: 'orphan-dep-2', ownerReferences: [refTo(owner), refTo(other)] } });
  await new Promise((r) => setTimeout(r, 200));

  await c.delete(resources.configMaps, 'orphan-owner', { propagationPolicy: 'Orphan' });
  await eventually(() => cm('orphan-owner'), (o) => o === undefined, 'owner deleted after orphaning');
  const d1 = await cm('orphan-dep-1');
  const d2 = await secret('orphan-dep-2');
  assert.ok(d1, 'dependent 1 kept');
  assert.equal(d1!.metadata!.ownerReferences, undefined);
  assert.deepEqual(d2!.metadata!.ownerReferences!.map((r) => r.name), ['orphan-other-owner']);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(await cm('orphan-dep-1'), 'still there later');
});

test('cluster-scoped owners may own namespaced dependents', async () => {
  const c = env.client;
  const node = await c.create<Node>(resources.nodes, { metadata: { name: 'gc-node-1' } });
  await c.create(resources.configMaps, { metadata: { name: 'node-dep', ownerReferences: [refTo(node)] } });
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(await cm('node-dep'), 'kept while the node exists');
  await c.delete(resources.nodes, 'gc-node-1');
  await eventually(() => cm('node-dep'), (o) => o === undefined, 'dependent of the node deleted');
});

test('a namespaced owner in another namespace does not count: the dependent is collected', async () => {
  const c = env.client;
  await c.create(resources.namespaces, { metadata: { name: 'gc-other' } });
  const owner = await c.create(resources.configMaps, { metadata: { name: 'cross-owner', namespace: 'gc-other' } });
  await c.create(resources.configMaps, { metadata: { name: 'cross-dep', namespace: 'default', ownerReferences: [refTo(owner)] } });
  await eventually(() => cm('cross-dep'), (o) => o === undefined, 'cross-namespace dependent deleted');
  assert.ok(await cm('cross-owner', 'gc-other'), 'owner untouched');
});

test('custom resources: a CRD created later is watched, and its objects are collected', async () => {
  const c = env.client;
  await c.create(resources.customResourceDefinitions, {
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      scope: 'Namespaced',
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  });
  const widgets = { group: 'example.com', version: 'v1', resource: 'widgets', namespaced: true, kind: 'Widget' };
  const owner = await eventually(
    () => c.create(widgets, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w-owner', namespace: 'default' } }).catch(() => undefined),
    (o) => o !== undefined,
    'CRD served',
  );
  // A custom resource as dependent of a configmap, and a configmap as dependent of a custom resource.
  const cmOwner = await c.create(resources.configMaps, { metadata: { name: 'widget-cm-owner' } });
  await c.create(widgets, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w-dep', namespace: 'default', ownerReferences: [refTo(cmOwner)] } });
  await c.create(resources.configMaps, { metadata: { name: 'widget-dep', ownerReferences: [refTo(owner!)] } });
  await new Promise((r) => setTimeout(r, 300));

  await c.delete(widgets, 'w-owner', { namespace: 'default' });
  await eventually(() => cm('widget-dep'), (o) => o === undefined, 'configmap owned by a widget deleted');
  await c.delete(resources.configMaps, 'widget-cm-owner');
  await eventually(() => getOrUndefined(c.get(widgets, 'w-dep', { namespace: 'default' })), (o) => o === undefined, 'widget owned by a configmap deleted');
});
