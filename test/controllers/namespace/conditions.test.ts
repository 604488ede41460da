import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyOutcome, failureConditions, updateConditions, type DeletionOutcome } from '../../../src/controllers/namespace/conditions.js';

const t0 = new Date('2024-01-01T00:00:00.123Z');
const t1 = new Date('2024-01-01T00:01:00Z');

function outcome(o: Partial<DeletionOutcome>): DeletionOutcome {
  return { ...emptyOutcome(), ...o };
}

test('a clean pass sets the five ok conditions (status False, upstream reasons)', () => {
  const { conditions, changed } = updateConditions(undefined, failureConditions(emptyOutcome(), t0), t0);
  assert.equal(changed, true);
  assert.deepEqual(
    conditions.map((c) => [c.type, c.status, c.reason, c.message]),
    [
      ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered', 'All resources successfully discovered'],
      ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
      ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
      ['NamespaceContentRemaining', 'False', 'ContentRemoved', 'All content successfully removed'],
      ['NamespaceFinalizersRemaining', 'False', 'ContentRemoved', 'All content successfully removed'],
    ],
  );
  assert.equal(conditions[0]!.lastTransitionTime, '2024-01-01T00:00:00Z');
});

test('failure conditions carry upstream reasons and messages', () => {
  const cases: { name: string; o: Partial<DeletionOutcome>; type: string; reason: string; message: string }[] = [
    {
      name: 'remaining content, sorted',
      o: { remainingByResource: new Map([['pods.', 2], ['configmaps.', 1]]) },
      type: 'NamespaceContentRemaining',
      reason: 'SomeResourcesRemain',
      message: 'Some resources are remaining: configmaps. has 1 resource instances, pods. has 2 resource instances',
    },
    {
      name: 'remaining finalizers',
      o: { remainingByFinalizer: new Map([['example.com/hold', 3]]) },
      type: 'NamespaceFinalizersRemaining',
      reason: 'SomeFinalizerRemain',
      message: 'Some finalizers are remaining: example.com/hold in 3 resource instances',
    },
    {
      name: 'partial discovery failure',
      o: { discoveryError: { message: 'unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: boom', failedGroups: 1 } },
      type: 'NamespaceDeletionDiscoveryFailure',
      reason: 'DiscoveryFailed',
      message: 'Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: boom',
    },
    {
      name: 'total discovery failure',
      o: { discoveryError: { message: 'connection refused' } },
      type: 'NamespaceDeletionDiscoveryFailure',
      reason: 'DiscoveryFailed',
      message: 'connection refused',
    },
    {
      name: 'group version parse failure',
      o: { groupVersionError: 'unexpected GroupVersion string: a/b/c' },
      type: 'NamespaceDeletionGroupVersionParsingFailure',
      reason: 'GroupVersionParsingFailed',
      message: 'unexpected GroupVersion string: a/b/c',
    },
    {
      name: 'content deletion errors, sorted',
      o: { deleteContentErrors: ['z failed', 'a failed'] },
      type: 'NamespaceDeletionContentFailure',
      reason: 'ContentDeletionFailed',
      message: 'Failed to delete all resource types, 2 remaining: a failed, z failed',
    },
  ];
  for (const c of cases) {
    const { conditions } = updateConditions(undefined, failureConditions(outcome(c.o), t0), t0);
    const got = conditions.find((x) => x.type === c.type)!;
    assert.deepEqual([got.status, got.reason, got.message], ['True', c.reason, c.message], c.name);
  }
});

test('lastTransitionTime moves only when the status flips; unchanged conditions need no write', () => {
  const first = updateConditions(undefined, failureConditions(outcome({ remainingByResource: new Map([['configmaps.', 1]]) }), t0), t0);
  const same = updateConditions(first.conditions, failureConditions(outcome({ remainingByResource: new Map([['configmaps.', 1]]) }), t1), t1);
  assert.equal(same.changed, false);
  const msg = updateConditions(first.conditions, failureConditions(outcome({ remainingByResource: new Map([['configmaps.', 2]]) }), t1), t1);
  assert.equal(msg.changed, true);
  const c1 = msg.conditions.find((c) => c.type === 'NamespaceContentRemaining')!;
  assert.equal(c1.lastTransitionTime, '2024-01-01T00:00:00Z');
  const cleared = updateConditions(first.conditions, failureConditions(emptyOutcome(), t1), t1);
  const c2 = cleared.conditions.find((c) => c.type === 'NamespaceContentRemaining')!;
  assert.deepEqual([c2.status, c2.lastTransitionTime], ['False', '2024-01-01T00:01:00Z']);
  // The input is not modified (it may be a shared informer object).
  assert.equal(first.conditions.find((c) => c.type === 'NamespaceContentRemaining')!.status, 'True');
});

test('conditions of other types are kept', () => {
  const { conditions } = updateConditions([{ type: 'Custom', status: 'True' }], [], t0);
  assert.equal(conditions[0]!.type, 'Custom');
  assert.equal(conditions.length, 6);
});
