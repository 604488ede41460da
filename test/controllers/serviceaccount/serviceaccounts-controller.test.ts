import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Namespace } from 'kubernetes-types/core/v1.js';
import * as resources from '../../../src/client/resources.js';
import { missingServiceAccounts } from '../../../src/controllers/serviceaccount/serviceaccounts-controller.js';
import { registration } from '../../../src/controllers/serviceaccount/register.js';
import { eventually, getOrUndefined } from '../support.js';
import { fromRegistration, startWithController, type SingleControllerEnv } from '../endpoints/env.js';

test('missingServiceAccounts', () => {
  const ns = (o: Partial<Namespace['metadata']> = {}, phase?: string): Namespace => ({ metadata: { name: 'a', ...o }, status: phase ? { phase } : {} });
  const cases: { name: string; ns?: Namespace; have: string[]; want: string[] }[] = [
    { name: 'new namespace', ns: ns(), have: [], want: ['default'] },
    { name: 'already there', ns: ns(), have: ['default'], want: [] },
    { name: 'terminating by timestamp', ns: ns({ deletionTimestamp: '2024-01-01T00:00:00Z' }), have: [], want: [] },
    { name: 'terminating by phase', ns: ns({}, 'Terminating'), have: [], want: [] },
    { name: 'namespace gone', have: [], want: [] },
  ];
  for (const c of cases) assert.deepEqual(missingServiceAccounts(c.ns, new Set(c.have), ['default']), c.want, c.name);
});

let env: SingleControllerEnv;
before(async () => {
  env = await startWithController(fromRegistration(registration));
});
after(async () => env?.close());

test('every namespace gets a default ServiceAccount, recreated after deletion', async () => {
  const sa = () => getOrUndefined(env.client.get(resources.serviceAccounts, 'default', { namespace: 'team-a' }));
  await eventually(() => getOrUndefined(env.client.get(resources.serviceAccounts, 'default', { namespace: 'default' })), (s) => !!s, 'default/default');
  await env.client.create(resources.namespaces, { metadata: { name: 'team-a' } });
  const first = await eventually(sa, (s) => !!s, 'team-a/default');
  await env.client.delete(resources.serviceAccounts, 'default', { namespace: 'team-a' });
  await eventually(sa, (s) => !!s && s.metadata?.uid !== first!.metadata?.uid, 'recreated');
});
