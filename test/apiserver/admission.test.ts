import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { resolvePriority } from '../../src/apiserver/admission/priority.js';
import { defaultTolerations } from '../../src/apiserver/admission/default-tolerations.js';

const pc = (name: string, value: number, extra: Partial<PriorityClass> = {}): PriorityClass => ({ metadata: { name }, value, ...extra });

test('priority resolution', () => {
  const classes = [pc('high', 1000), pc('low', 10, { preemptionPolicy: 'Never' })];
  const cases: [string, { spec: { priorityClassName?: string; containers: never[] } }, PriorityClass[], unknown][] = [
    ['named class', { spec: { priorityClassName: 'high', containers: [] } }, classes, { priority: 1000, preemptionPolicy: 'PreemptLowerPriority' }],
    ['class with Never', { spec: { priorityClassName: 'low', containers: [] } }, classes, { priority: 10, preemptionPolicy: 'Never' }],
    ['unknown class', { spec: { priorityClassName: 'nope', containers: [] } }, classes, { missing: 'nope' }],
    ['no class, no default', { spec: { containers: [] } }, classes, { priority: 0, preemptionPolicy: 'PreemptLowerPriority' }],
    ['global default (lowest of several)', { spec: { containers: [] } }, [pc('d1', 50, { globalDefault: true }), pc('d2', 5, { globalDefault: true })], { priority: 5, preemptionPolicy: 'PreemptLowerPriority', className: 'd2' }],
    ['global default: the first of equal lowest ones', { spec: { containers: [] } }, [pc('d1', 50, { globalDefault: true }), pc('d2', 5, { globalDefault: true }), pc('x', 1), pc('d3', 5, { globalDefault: true, preemptionPolicy: 'Never' })], { priority: 5, preemptionPolicy: 'PreemptLowerPriority', className: 'd2' }],
  ];
  for (const [name, pod, cls, want] of cases) assert.deepEqual(resolvePriority(pod, cls), want, name);
});

test('default tolerations', () => {
  const nr = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
  const ur = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
  assert.deepEqual(defaultTolerations(undefined), [nr, ur]);
  assert.deepEqual(defaultTolerations([{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }]), [ur]);
  assert.deepEqual(defaultTolerations([{ operator: 'Exists' }]), [], 'a toleration of everything covers both');
  assert.deepEqual(defaultTolerations([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }]), [nr, ur], 'NoSchedule does not cover NoExecute');
  assert.deepEqual(defaultTolerations(null as never), [nr, ur], 'null holds none');
  assert.deepEqual(defaultTolerations([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }]), [nr], 'no effect covers NoExecute');
  assert.deepEqual(defaultTolerations([], 60), [{ ...nr, tolerationSeconds: 60 }, { ...ur, tolerationSeconds: 60 }]);
});

test('the chain leaves out plugins that do not handle a write, keeping the order of the rest', async () => {
  const { Admission } = await import('../../src/apiserver/admission/admission.js');
  const calls: string[] = [];
  const admission = new Admission();
  const plugin = (name: string, handles?: (r: string, op: string, sub: string) => boolean) => ({
    name,
    ...(handles ? { handles: (rt: { resource: string }, op: string, sub: string) => handles(rt.resource, op, sub) } : {}),
    mutate: () => void calls.push(`${name}.mutate`),
    validate: () => void calls.push(`${name}.validate`),
  });
  admission.register(plugin('all') as never);
  admission.register(plugin('podCreate', (r, op, sub) => r === 'pods' && op === 'CREATE' && !sub) as never);
  admission.register(plugin('anyUpdate', (_r, op) => op === 'UPDATE') as never);
  const attrs = (resource: string, operation: 'CREATE' | 'UPDATE', subresource = '') =>
    ({ rt: { group: '', resource }, operation, subresource, namespace: 'ns', name: 'n', user: { username: 'u', groups: [] }, dryRun: false }) as never;
  const run = async (a: never) => {
    calls.length = 0;
    await admission.mutate(a);
    await admission.validate(a);
    return [...calls];
  };
  assert.deepEqual(await run(attrs('pods', 'CREATE')), ['all.mutate', 'podCreate.mutate', 'all.validate', 'podCreate.validate']);
  assert.deepEqual(await run(attrs('pods', 'UPDATE', 'status')), ['all.mutate', 'anyUpdate.mutate', 'all.validate', 'anyUpdate.validate']);
  assert.deepEqual(await run(attrs('leases', 'UPDATE')), ['all.mutate', 'anyUpdate.mutate', 'all.validate', 'anyUpdate.validate']);
  assert.deepEqual(await run(attrs('pods', 'CREATE')), ['all.mutate', 'podCreate.mutate', 'all.validate', 'podCreate.validate'], 'cached chains stay right');
  admission.register(plugin('late') as never);
  assert.deepEqual(await run(attrs('leases', 'UPDATE')), ['all.mutate', 'anyUpdate.mutate', 'late.mutate', 'all.validate', 'anyUpdate.validate', 'late.validate'], 'a new plugin joins every chain');
});
