import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/types.js';
import { resourceQuotaStrategy } from '../../../src/api/kinds/core.js';
import { isScopeValidForResource, validateResourceQuota } from '../../../src/api/kinds/resource-quota.js';

const quota = (spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'default' }, spec, ...(status ? { status } : {}) }) as KubeObject;

const exists = (scopeName: string) => ({ scopeName, operator: 'Exists' });
const EXIST_ONLY =
  "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity";

const cases: Array<{ name: string; spec: Record<string, unknown>; status?: Record<string, unknown>; want: Array<[string, string]> }> = [
  { name: 'plain hard limits', spec: { hard: { pods: '10', 'requests.cpu': '2', 'count/deployments.apps': '3', 'requests.nvidia.com/gpu': '1' } }, want: [] },
  { name: 'every pod scope with pods and compute', spec: { hard: { pods: '5', 'limits.memory': '1Gi' }, scopes: ['Terminating', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'] }, want: [] },
  { name: 'BestEffort with pods only', spec: { hard: { pods: '5' }, scopes: ['BestEffort'] }, want: [] },
  {
    name: 'BestEffort with compute resources',
    spec: { hard: { pods: '5', cpu: '1' }, scopes: ['BestEffort'] },
    want: [['spec.scopes', 'Invalid value: []core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource']],
  },
  {
    name: 'a scope on a non-pod resource',
    spec: { hard: { services: '1' }, scopes: ['NotTerminating'] },
    want: [['spec.scopes', 'Invalid value: []core.ResourceQuotaScope{"NotTerminating"}: unsupported scope applied to resource']],
  },
  { name: 'non-standard resources are not checked against scopes', spec: { hard: { 'count/jobs.batch': '1' }, scopes: ['Terminating'] }, want: [] },
  {
    name: 'unknown scope',
    spec: { hard: { pods: '1' }, scopes: ['Sometimes'] },
    want: [['spec.scopes', 'Invalid value: []core.ResourceQuotaScope{"Sometimes"}: unsupported scope']],
  },
  {
    name: 'conflicting BestEffort/NotBestEffort',
    spec: { hard: { pods: '1' }, scopes: ['BestEffort', 'NotBestEffort'] },
    want: [['spec.scopes', 'Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: conflicting scopes']],
  },
  {
    name: 'conflicting Terminating/NotTerminating',
    spec: { hard: { pods: '1' }, scopes: ['NotTerminating', 'Terminating'] },
    want: [['spec.scopes', 'Invalid value: []core.ResourceQuotaScope{"NotTerminating", "Terminating"}: conflicting scopes']],
  },
  { name: 'selector: PriorityClass In', spec: { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } }, want: [] },
  { name: 'selector: PriorityClass DoesNotExist', spec: { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'DoesNotExist' }] } }, want: [] },
  {
    name: 'selector: In without values',
    spec: { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In' }] } },
    want: [['spec.scopeSelector.matchExpressions.values', "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"]],
  },
  {
    name: 'selector: Exists with values',
    spec: { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'Exists', values: ['a'] }] } },
    want: [['spec.scopeSelector.matchExpressions.values', 'Invalid value: []string{"a"}: must be no value when `operator` is \'Exist\' or \'DoesNotExist\' for scope selector']],
  },
  {
    name: 'selector: Terminating with In',
    spec: { scopeSelector: { matchExpressions: [{ scopeName: 'Terminating', operator: 'In', values: ['x'] }] } },
    want: [['spec.scopeSelector.matchExpressions.operator', `Invalid value: "In": ${EXIST_ONLY}`]],
  },
  {
    name: 'selector: CrossNamespacePodAffinity with DoesNotExist',
    spec: { scopeSelector: { matchExpressions: [{ scopeName: 'CrossNamespacePodAffinity', operator: 'DoesNotExist' }] } },
    want: [['spec.scopeSelector.matchExpressions.operator', `Invalid value: "DoesNotExist": ${EXIST_ONLY}`]],
  },
  {
    name: 'selector: bad operator',
    spec: { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'Gt', values: ['1'] }] } },
    want: [['spec.scopeSelector.matchExpressions.operator', 'Invalid value: "Gt": not a valid selector operator']],
  },
  {
    name: 'selector: unknown scope',
    spec: { scopeSelector: { matchExpressions: [{ scopeName: 'Nope', operator: 'Exists' }] } },
    want: [['spec.scopeSelector.matchExpressions.scopeName', 'Invalid value: "Nope": unsupported scope']],
  },
  {
    name: 'selector: conflicting scopes',
    spec: { scopeSelector: { matchExpressions: [exists('BestEffort'), exists('NotBestEffort')] } },
    want: [['spec.scopeSelector.matchExpressions', 'Invalid value: []core.ResourceQuotaScope(nil): conflicting scopes']],
  },
  {
    name: 'selector: scope not valid for a resource',
    spec: { hard: { 'requests.storage': '1Gi' }, scopeSelector: { matchExpressions: [exists('BestEffort')] } },
    want: [
      [
        'spec.scopeSelector.matchExpressions',
        'Invalid value: &core.ScopeSelector{MatchExpressions:[]core.ScopedResourceSelectorRequirement{core.ScopedResourceSelectorRequirement{ScopeName:"BestEffort", Operator:"Exists", Values:[]string(nil)}}}: unsupported scope applied to resource',
      ],
    ],
  },
  {
    name: 'unknown unqualified resource',
    spec: { hard: { gpus: '1' } },
    want: [['spec.hard[gpus]', 'Invalid value: "gpus": must be a standard resource for quota']],
  },
  {
    name: 'fractional count',
    spec: { hard: { pods: '1500m' } },
    want: [['spec.hard[pods]', 'Invalid value: 1500m: must be an integer']],
  },
  {
    name: 'negative quantity',
    spec: { hard: { cpu: '-1' } },
    want: [['spec.hard[cpu]', 'Invalid value: "-1": must be greater than or equal to 0']],
  },
  {
    name: 'status names are checked too',
    spec: { hard: { pods: '1' } },
    status: { used: { widgets: '1' } },
    want: [['status.used[widgets]', 'Invalid value: "widgets": must be a standard resource for quota']],
  },
];

for (const c of cases) {
  test(`ResourceQuota validation: ${c.name}`, () => {
    const got = validateResourceQuota(quota(c.spec, c.status)).map((e) => [e.field, e.message]);
    assert.deepEqual(got, c.want);
  });
}

test('ResourceQuota update: scopes are immutable (order does not matter)', () => {
  const old = quota({ hard: { pods: '1' }, scopes: ['Terminating', 'BestEffort'] });
  assert.deepEqual(validateResourceQuota(quota({ hard: { pods: '2' }, scopes: ['BestEffort', 'Terminating'] }), old), []);
  const got = validateResourceQuota(quota({ hard: { pods: '2' }, scopes: ['BestEffort'] }), old);
  assert.deepEqual(got.map((e) => [e.field, e.message]), [['spec.scopes', 'Invalid value: []core.ResourceQuotaScope{"BestEffort"}: field is immutable']]);
});

test('ResourceQuota strategy runs the validation (update with the old object)', () => {
  const bad = quota({ hard: { pods: '1' }, scopes: ['BestEffort', 'NotBestEffort'] });
  assert.equal(resourceQuotaStrategy.validate!(bad, {}).length, 1);
  assert.equal(resourceQuotaStrategy.validate!(quota({ hard: { pods: '1' } }), { old: quota({ hard: { pods: '1' }, scopes: ['Terminating'] }) }).length, 1);
});

const validity: Array<[string, string, boolean]> = [
  ['Terminating', 'pods', true],
  ['Terminating', 'requests.cpu', true],
  ['Terminating', 'requests.storage', false],
  ['BestEffort', 'pods', true],
  ['BestEffort', 'memory', false],
  ['PriorityClass', 'limits.cpu', true],
  ['CrossNamespacePodAffinity', 'secrets', false],
  ['Unknown', 'secrets', true],
];
for (const [scope, resource, want] of validity) {
  test(`isScopeValidForResource(${scope}, ${resource}) = ${want}`, () => assert.equal(isScopeValidForResource(scope, resource), want));
}
