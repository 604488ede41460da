// Quota arithmetic (table-driven): usage per object, scopes, pod constraints, used recomputation and the
// admission decision with upstream's messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, ResourceQuota } from 'kubernetes-types/core/v1.js';
import { calculateUsed, countedKinds, fromUsage, objectUsage, podConstraintError, scopesMatch } from '../../../src/controllers/resourcequota/evaluate.js';
import { evaluateQuotas } from '../../../src/apiserver/admission/resource-quota.js';

const pods = { group: '', resource: 'pods' };
const pod = (name: string, res: { requests?: Record<string, string>; limits?: Record<string, string> }[], extra: Partial<Pod['spec']> = {}, phase?: string): Pod => ({
  metadata: { name, namespace: 'ns' },
  spec: { containers: res.map((r, i) => ({ name: `c${i}`, image: 'x', resources: r })), ...extra },
  ...(phase ? { status: { phase } } : {}),
});
const quota = (name: string, hard: Record<string, string>, used?: Record<string, string>, spec: Partial<ResourceQuota['spec']> = {}): ResourceQuota => ({
  metadata: { name, namespace: 'ns', resourceVersion: '1' },
  spec: { hard, ...spec },
  ...(used ? { status: { hard, used } } : {}),
});

test('objectUsage', () => {
  const cases: [string, { group: string; resource: string }, unknown, Record<string, string>][] = [
    ['pod with requests and limits, two containers', pods, pod('p', [{ requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m' } }, { requests: { cpu: '250m' } }]), {
      'count/pods': '1', pods: '1', cpu: '350m', 'requests.cpu': '350m', memory: '64Mi', 'requests.memory': '64Mi', 'limits.cpu': '200m',
    }],
    ['init container larger than the sum', pods, pod('p', [{ requests: { cpu: '100m' } }], { initContainers: [{ name: 'i', image: 'x', resources: { requests: { cpu: '1' } } }] }), {
      'count/pods': '1', pods: '1', cpu: '1', 'requests.cpu': '1',
    }],
    ['terminal pod only counts as an object', pods, pod('p', [{ requests: { cpu: '1' } }], {}, 'Succeeded'), { 'count/pods': '1' }],
    ['NodePort service', { group: '', resource: 'services' }, { spec: { type: 'NodePort', ports: [{ port: 1 }, { port: 2 }] } }, {
      'count/services': '1', services: '1', 'services.loadbalancers': '0', 'services.nodeports': '2',
    }],
    ['PVC with class', { group: '', resource: 'persistentvolumeclaims' }, { spec: { storageClassName: 'fast', resources: { requests: { storage: '1Gi' } } } }, {
      'count/persistentvolumeclaims': '1', persistentvolumeclaims: '1', 'requests.storage': '1Gi',
      'fast.storageclass.storage.k8s.io/persistentvolumeclaims': '1', 'fast.storageclass.storage.k8s.io/requests.storage': '1Gi',
    }],
    ['deployment', { group: 'apps', resource: 'deployments' }, {}, { 'count/deployments.apps': '1' }],
    ['configmap', { group: '', resource: 'configmaps' }, {}, { 'count/configmaps': '1', configmaps: '1' }],
  ];
  for (const [name, gr, obj, want] of cases) assert.deepEqual(fromUsage(objectUsage(gr, obj, 0)), want, name);
});

test('scopes', () => {
  const be = pod('be', [{}]);
  const burst = pod('b', [{ requests: { cpu: '1' } }], { activeDeadlineSeconds: 10, priorityClassName: 'high' });
  const cases: [string, Partial<ResourceQuota['spec']>, Pod, boolean][] = [
    ['BestEffort matches best-effort pod', { scopes: ['BestEffort'] }, be, true],
    ['BestEffort skips burstable', { scopes: ['BestEffort'] }, burst, false],
    ['NotBestEffort', { scopes: ['NotBestEffort'] }, burst, true],
    ['Terminating', { scopes: ['Terminating'] }, burst, true],
    ['NotTerminating', { scopes: ['NotTerminating'] }, burst, false],
    ['PriorityClass In', { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } }, burst, true],
    ['PriorityClass In, no class', { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } }, be, false],
    ['PriorityClass NotIn', { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'NotIn', values: ['high'] }] } }, be, true],
    ['all scopes must hold', { scopes: ['Terminating', 'BestEffort'] }, burst, false],
  ];
  for (const [name, spec, p, want] of cases) assert.equal(scopesMatch(quota('q', { pods: '1' }, undefined, spec), pods, p), want, name);
  assert.equal(scopesMatch(quota('q', { configmaps: '1' }, undefined, { scopes: ['BestEffort'] }), { group: '', resource: 'configmaps' }, {}), false, 'scopes only apply to pods');
});

test('pod constraints', () => {
  const p = pod('p', [{ requests: { cpu: '1' } }, { limits: { memory: '1Gi' } }]);
  assert.equal(podConstraintError(p, ['pods']), undefined);
  assert.equal(podConstraintError(p, ['requests.cpu']), 'must specify requests.cpu for: c1');
  assert.equal(podConstraintError(p, ['limits.cpu', 'requests.memory']), 'must specify limits.cpu for: c0,c1; requests.memory for: c0,c1');
});

test('calculateUsed zero-fills tracked names and honours scopes', () => {
  const q = quota('q', { pods: '10', 'requests.cpu': '2', 'count/deployments.apps': '3', configmaps: '5' }, undefined, { scopes: ['NotTerminating'] });
  const items = [pod('a', [{ requests: { cpu: '500m' } }]), pod('b', [{ requests: { cpu: '1' } }], { activeDeadlineSeconds: 5 }), pod('c', [{ requests: { cpu: '1' } }], {}, 'Failed')];
  assert.deepEqual(countedKinds(Object.keys(q.spec!.hard!)).map((g) => `${g.group}/${g.resource}`).sort(), ['/configmaps', '/pods', 'apps/deployments']);
  // scoped quota: configmaps/deployments never match (scopes are pod-only) but are still zero-filled
  assert.deepEqual(fromUsage(calculateUsed(q, [{ gr: pods, items }, { gr: { group: '', resource: 'configmaps' }, items: [{}, {}] }, { gr: { group: 'apps', resource: 'deployments' }, items: [] }], 0)), {
    configmaps: '0', 'count/deployments.apps': '0', pods: '1', 'requests.cpu': '500m',
  });
  const plain = quota('q', { pods: '10', configmaps: '5' });
  assert.deepEqual(fromUsage(calculateUsed(plain, [{ gr: pods, items }, { gr: { group: '', resource: 'configmaps' }, items: [{}, {}] }], 0)), { configmaps: '2', pods: '2' });
});

test('admission decision', () => {
  const cm = { group: '', resource: 'configmaps' };
  const cases: [string, ResourceQuota[], { group: string; resource: string }, unknown, string | Record<string, Record<string, string>>][] = [
    ['within quota: charged', [quota('q', { pods: '2' }, { pods: '1' })], pods, pod('p', [{}]), { q: { pods: '2' } }],
    ['pods exceeded', [quota('q', { pods: '2' }, { pods: '2' })], pods, pod('p', [{}]), 'exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2'],
    ['only exceeded names are shown', [quota('q', { pods: '5', 'requests.cpu': '1' }, { pods: '1', 'requests.cpu': '800m' })], pods, pod('p', [{ requests: { cpu: '300m' } }]),
      'exceeded quota: q, requested: requests.cpu=300m, used: requests.cpu=800m, limited: requests.cpu=1'],
    ['missing limits', [quota('q', { 'limits.cpu': '2' }, { 'limits.cpu': '0' })], pods, pod('p', [{ requests: { cpu: '1' } }]), 'failed quota: q: must specify limits.cpu for: c0'],
    ['status not yet known', [{ ...quota('q', { pods: '2' }), status: { hard: { pods: '2' } } }], pods, pod('p', [{}]), 'status unknown for quota: q, resources: pods'],
    ['quota the controller has not seen yet restricts nothing (as upstream)', [quota('q', { pods: '0' })], pods, pod('p', [{}]), {}],
    ['quota on other kinds ignored', [quota('q', { configmaps: '0' }, { configmaps: '0' })], pods, pod('p', [{}]), {}],
    ['count/ names', [quota('q', { 'count/configmaps': '1' }, { 'count/configmaps': '1' })], cm, {}, 'exceeded quota: q, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1'],
    ['scoped quota does not apply', [quota('q', { pods: '0' }, { pods: '0' }, { scopes: ['BestEffort'] })], pods, pod('p', [{ requests: { cpu: '1' } }]), {}],
    ['first failing quota by name', [quota('b', { pods: '0' }, { pods: '0' }), quota('a', { pods: '0' }, { pods: '0' })], pods, pod('p', [{}]), 'exceeded quota: a, requested: pods=1, used: pods=0, limited: pods=0'],
  ];
  for (const [name, quotas, gr, obj, want] of cases) {
    const r = evaluateQuotas(quotas, gr, obj, 0);
    if (typeof want === 'string') assert.deepEqual(r, { error: want }, name);
    else {
      assert.ok('charges' in r, `${name}: ${JSON.stringify(r)}`);
      assert.deepEqual(Object.fromEntries(r.charges.map((c) => [c.quota.metadata!.name!, fromUsage(c.used)])), want, name);
    }
  }
});
