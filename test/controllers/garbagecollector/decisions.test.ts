import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import {
  classifyOwners,
  decideDeletingOwner,
  decideDependent,
  isDeletingDependents,
  isOrphaningDependents,
  ownerLookup,
  unblockedOwnerReferences,
  withoutFinalizer,
  withoutOwnerReferences,
  type DependentAction,
  type OwnerState,
} from '../../../src/controllers/garbagecollector/decisions.js';

const ref = (uid: string, extra: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: 'v1', kind: 'ConfigMap', name: `cm-${uid}`, uid, ...extra });
const absent: OwnerState = { kind: 'absent' };
const solid: OwnerState = { kind: 'present', deletingDependents: false };
const waiting: OwnerState = { kind: 'present', deletingDependents: true };

test('classifyOwners sorts references by the live state of their owners', () => {
  const states: Record<string, OwnerState> = { a: solid, b: absent, c: waiting, d: absent };
  const c = classifyOwners([ref('a'), ref('b'), ref('c'), ref('d')], (r) => states[r.uid]!);
  assert.deepEqual(c.solid.map((r) => r.uid), ['a']);
  assert.deepEqual(c.dangling.map((r) => r.uid), ['b', 'd']);
  assert.deepEqual(c.waiting.map((r) => r.uid), ['c']);
});

test('decideDependent (attemptToDeleteItem) table', () => {
  const cases: {
    name: string;
    owners: Record<string, OwnerState>;
    finalizers?: string[];
    hasDependents?: boolean;
    dependentDeletingDependents?: boolean;
    want: DependentAction['kind'] | DependentAction;
  }[] = [
    { name: 'all owners exist: keep', owners: { a: solid, b: solid }, want: 'none' },
    { name: 'one owner gone, another exists: drop the dangling reference', owners: { a: solid, b: absent }, want: { kind: 'removeOwnerReferences', uids: ['b'] } },
    {
      name: 'solid owner plus one waiting in the foreground: release the waiting owner',
      owners: { a: solid, c: waiting, b: absent },
      want: { kind: 'removeOwnerReferences', uids: ['b', 'c'] },
    },
    { name: 'only owner gone: background delete', owners: { b: absent }, want: { kind: 'delete', policy: 'Background', unblockOwnerReferences: false } },
    { name: 'all owners gone: background delete', owners: { b: absent, d: absent }, want: { kind: 'delete', policy: 'Background', unblockOwnerReferences: false } },
    {
      name: 'owners gone, object already has the orphan finalizer: honour it',
      owners: { b: absent },
      finalizers: ['orphan'],
      want: { kind: 'delete', policy: 'Orphan', unblockOwnerReferences: false },
    },
    {
      name: 'owners gone, object has foregroundDeletion: honour it',
      owners: { b: absent },
      finalizers: ['example.com/x', 'foregroundDeletion'],
      want: { kind: 'delete', policy: 'Foreground', unblockOwnerReferences: false },
    },
    {
      name: 'owner waits for us and we have no dependents: plain delete',
      owners: { c: waiting },
      want: { kind: 'delete', policy: 'Background', unblockOwnerReferences: false },
    },
    {
      name: 'owner waits for us and we have dependents: foreground so they go first',
      owners: { c: waiting },
      hasDependents: true,
      want: { kind: 'delete', policy: 'Foreground', unblockOwnerReferences: false },
    },
    {
      name: 'owner waits, a dependent of ours also deletes in the foreground: unblock first (cycle)',
      owners: { c: waiting, b: absent },
      hasDependents: true,
      dependentDeletingDependents: true,
      want: { kind: 'delete', policy: 'Foreground', unblockOwnerReferences: true },
    },
    { name: 'no references at all', owners: {}, want: 'none' },
  ];
  for (const c of cases) {
    const refs = Object.keys(c.owners).map((u) => ref(u));
    const got = decideDependent({
      owners: classifyOwners(refs, (r) => c.owners[r.uid]!),
      finalizers: c.finalizers ?? [],
      hasDependents: c.hasDependents ?? false,
      dependentDeletingDependents: c.dependentDeletingDependents ?? false,
    });
    if (typeof c.want === 'string') assert.equal(got.kind, c.want, c.name);
    else assert.deepEqual(got, c.want, c.name);
  }
});

test('ownerLookup: namespaced owners only in the dependent namespace; cluster-scoped owners from anywhere', () => {
  const cases = [
    { dependentNs: 'team-a', ownerNamespaced: true, want: { kind: 'lookup', namespace: 'team-a' } },
    { dependentNs: 'team-a', ownerNamespaced: false, want: { kind: 'lookup' } },
    { dependentNs: undefined, ownerNamespaced: false, want: { kind: 'lookup' } },
    { dependentNs: undefined, ownerNamespaced: true, want: 'invalid' },
  ] as const;
  for (const c of cases) {
    const got = ownerLookup(c.dependentNs, c.ownerNamespaced);
    if (c.want === 'invalid') assert.equal(got.kind, 'invalid', JSON.stringify(c));
    else assert.deepEqual(got, c.want, JSON.stringify(c));
  }
});

test('decideDeletingOwner: finalizer goes when no blocking dependent is left', () => {
  assert.deepEqual(decideDeletingOwner([]), { kind: 'removeFinalizer' });
  assert.deepEqual(decideDeletingOwner([{ id: 'x', blocking: false, deletingDependents: false }]), { kind: 'removeFinalizer' });
  assert.deepEqual(
    decideDeletingOwner([
      { id: 'x', blocking: true, deletingDependents: false },
      { id: 'y', blocking: true, deletingDependents: true },
      { id: 'z', blocking: false, deletingDependents: false },
    ]),
    { kind: 'wait', attemptToDelete: ['x'] },
  );
});

test('metadata predicates and list edits', () => {
  const ts = '2024-01-01T00:00:00Z';
  assert.equal(isDeletingDependents({ deletionTimestamp: ts, finalizers: ['foregroundDeletion'] }), true);
  assert.equal(isDeletingDependents({ finalizers: ['foregroundDeletion'] }), false);
  assert.equal(isOrphaningDependents({ deletionTimestamp: ts, finalizers: ['orphan'] }), true);
  assert.equal(isOrphaningDependents({ deletionTimestamp: ts, finalizers: [] }), false);

  assert.deepEqual(withoutOwnerReferences([ref('a'), ref('b')], ['b']), [ref('a')]);
  assert.equal(withoutOwnerReferences([ref('a')], ['z']), undefined);
  assert.deepEqual(unblockedOwnerReferences([ref('a', { blockOwnerDeletion: true }), ref('b')]), [ref('a', { blockOwnerDeletion: false }), ref('b')]);
  assert.equal(unblockedOwnerReferences([ref('a')]), undefined);
  assert.deepEqual(withoutFinalizer(['orphan', 'x'], 'orphan'), ['x']);
  assert.equal(withoutFinalizer(['x'], 'orphan'), undefined);
  assert.equal(withoutFinalizer(undefined, 'orphan'), undefined);
});
