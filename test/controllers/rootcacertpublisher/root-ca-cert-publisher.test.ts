import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import * as resources from '../../../src/client/resources.js';
import { publishAction, rootCaDescription } from '../../../src/controllers/rootcacertpublisher/root-ca-cert-publisher.js';
import { eventually, getOrUndefined, startEnv, type ControllerEnv } from '../support.js';

const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

test('publishAction (pure)', () => {
  const ns = { metadata: { name: 'a' } };
  const good: ConfigMap = { metadata: { name: 'kube-root-ca.crt', annotations: { 'kubernetes.io/description': rootCaDescription } }, data: { 'ca.crt': ca } };
  assert.equal(publishAction(ns, undefined, ca).kind, 'create');
  assert.equal(publishAction(ns, good, ca).kind, 'none');
  assert.equal(publishAction(ns, { ...good, data: { 'ca.crt': 'old' } }, ca).kind, 'update');
  assert.equal(publishAction(ns, { ...good, data: { 'ca.crt': ca, extra: 'x' } }, ca).kind, 'update');
  assert.equal(publishAction(ns, { ...good, metadata: { name: 'kube-root-ca.crt' } }, ca).kind, 'update');
  assert.equal(publishAction({ metadata: { name: 'a', deletionTimestamp: '2024-01-01T00:00:00Z' } }, undefined, ca).kind, 'none');
  assert.equal(publishAction(undefined, undefined, ca).kind, 'none');
});

let env: ControllerEnv;
before(async () => {
  env = await startEnv({ controllers: ['root-ca-cert-publisher'], rootCA: ca });
});
after(() => env.close());

test('every namespace gets kube-root-ca.crt; deleted or edited copies are restored', async () => {
  await env.client.create(resources.namespaces, { metadata: { name: 'team-a' } });
  const get = () => getOrUndefined(env.client.get<ConfigMap>(resources.configMaps, 'kube-root-ca.crt', { namespace: 'team-a' }));
  const cm = await eventually(get, (c) => !!c, 'published');
  assert.equal(cm!.data!['ca.crt'], ca);
  assert.equal(cm!.metadata!.annotations!['kubernetes.io/description'], rootCaDescription);
  assert.ok(await eventually(() => getOrUndefined(env.client.get<ConfigMap>(resources.configMaps, 'kube-root-ca.crt', { namespace: 'default' })), (c) => !!c, 'default too'));

  await env.client.update(resources.configMaps, { ...cm!, data: { 'ca.crt': 'tampered' } }, { namespace: 'team-a' });
  await eventually(get, (c) => c?.data?.['ca.crt'] === ca, 'corrected');
  await env.client.delete(resources.configMaps, 'kube-root-ca.crt', { namespace: 'team-a' });
  await eventually(get, (c) => c?.data?.['ca.crt'] === ca, 'recreated');
});
