// Table-driven tests of the StatefulSet controller's decisions: identities, claims, revisions per
// ordinal, and the sync step for OrderedReady / Parallel, scale-down and rolling updates.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import { claimsFor, ordinalOf, podFor, revisionFor, syncStep } from '../../../src/controllers/statefulset/decisions.js';

const set = (spec: Partial<NonNullable<StatefulSet['spec']>> = {}): StatefulSet => ({
  metadata: { name: 'web', namespace: 'default', uid: 'u' },
  spec: {
    replicas: 3,
    serviceName: 'nginx',
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    ...spec,
  },
});

type St = 'ready' | 'pending' | 'failed' | 'terminating';
const pod = (ord: number, st: St = 'ready', rev = 'new'): Pod => ({
  metadata: { name: `web-${ord}`, labels: { 'controller-revision-hash': rev }, deletionTimestamp: st === 'terminating' ? '2024-01-01T00:00:00Z' : undefined },
  status: { phase: st === 'failed' ? 'Failed' : st === 'pending' ? 'Pending' : 'Running', conditions: [{ type: 'Ready', status: st === 'ready' ? 'True' : 'False' }] },
});
const pods = (...ps: Pod[]) => new Map(ps.map((p) => [Number(p.metadata!.name!.split('-')[1]), p]));
const names = (r: { create: number[]; delete: Pod[] }) => ({ create: r.create, delete: r.delete.map((p) => p.metadata?.name) });

describe('statefulset decisions', () => {
  it('identity, volumes and claims', () => {
    const s = set();
    const p = podFor(s, s.spec!.template, 2, 'abc');
    assert.equal(p.metadata?.name, 'web-2');
    assert.equal(p.spec?.hostname, 'web-2');
    assert.equal(p.spec?.subdomain, 'nginx');
    assert.deepEqual(p.spec?.volumes, [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-2' } }]);
    assert.equal(p.metadata?.labels?.['statefulset.kubernetes.io/pod-name'], 'web-2');
    assert.equal(p.metadata?.labels?.['apps.kubernetes.io/pod-index'], '2');
    assert.equal(p.metadata?.labels?.['controller-revision-hash'], 'abc');
    const [c] = claimsFor(s, 2);
    assert.equal(c!.metadata?.name, 'data-web-2');
    assert.deepEqual(c!.metadata?.labels, { app: 'web' });
    assert.equal(c!.metadata?.ownerReferences, undefined);
    const [owned] = claimsFor(set({ persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' } }), 0);
    assert.equal(owned!.metadata?.ownerReferences?.[0]?.kind, 'StatefulSet');
    assert.equal(ordinalOf(s, pod(7)), 7);
    assert.equal(ordinalOf(s, { metadata: { name: 'web-07' } }), undefined);
    assert.equal(ordinalOf(s, { metadata: { name: 'webby-1' } }), undefined);
  });

  it('revision per ordinal honours the partition', () => {
    const s = set({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
    assert.equal(revisionFor(s, 1, 'old', 'new'), 'current');
    assert.equal(revisionFor(s, 2, 'old', 'new'), 'update');
    assert.equal(revisionFor(set({ updateStrategy: { type: 'OnDelete' } }), 0, 'old', 'new'), 'update');
  });

  it('sync step', () => {
    const ordered = set();
    const parallel = set({ podManagementPolicy: 'Parallel' });
    const cases: Array<[string, StatefulSet, Map<number, Pod>, { create: number[]; delete: (string | undefined)[] }]> = [
      ['OrderedReady starts with web-0 only', ordered, pods(), { create: [0], delete: [] }],
      ['OrderedReady waits for web-0 to be ready', ordered, pods(pod(0, 'pending')), { create: [], delete: [] }],
      ['OrderedReady then web-1', ordered, pods(pod(0)), { create: [1], delete: [] }],
      ['Parallel creates all at once', parallel, pods(), { create: [0, 1, 2], delete: [] }],
      ['a failed pod is replaced', ordered, pods(pod(0), pod(1, 'failed'), pod(2)), { create: [], delete: ['web-1'] }],
      ['missing middle ordinal recreated', ordered, pods(pod(0), pod(2)), { create: [1], delete: [] }],
      ['scale down: highest first, one at a time', set({ replicas: 1 }), pods(pod(0), pod(1), pod(2)), { create: [], delete: ['web-2'] }],
      ['scale down waits for the terminating pod', set({ replicas: 1 }), pods(pod(0), pod(1), pod(2, 'terminating')), { create: [], delete: [] }],
      ['Parallel scale down deletes all condemned', set({ replicas: 1, podManagementPolicy: 'Parallel' }), pods(pod(0), pod(1), pod(2)), { create: [], delete: ['web-2', 'web-1'] }],
      ['rolling update: highest old pod first', ordered, pods(pod(0, 'ready', 'old'), pod(1, 'ready', 'old'), pod(2, 'ready', 'old')), { create: [], delete: ['web-2'] }],
      ['rolling update waits while one is unavailable', parallel, pods(pod(0, 'ready', 'old'), pod(1, 'ready', 'old'), pod(2, 'pending')), { create: [], delete: [] }],
      [
        'rolling update stops at the partition',
        set({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }),
        pods(pod(0, 'ready', 'old'), pod(1, 'ready', 'old'), pod(2)),
        { create: [], delete: [] },
      ],
      [
        'maxUnavailable 2 rolls two at once',
        set({ podManagementPolicy: 'Parallel', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } }),
        pods(pod(0, 'ready', 'old'), pod(1, 'ready', 'old'), pod(2, 'ready', 'old')),
        { create: [], delete: ['web-2', 'web-1'] },
      ],
      ['OnDelete never deletes for an update', set({ updateStrategy: { type: 'OnDelete' } }), pods(pod(0, 'ready', 'old'), pod(1, 'ready', 'old'), pod(2, 'ready', 'old')), { create: [], delete: [] }],
      ['ordinals.start', set({ ordinals: { start: 5 }, replicas: 2 }), pods(), { create: [5], delete: [] }],
    ];
    for (const [name, s, ps, want] of cases) assert.deepEqual(names(syncStep({ set: s, pods: ps, updateRevision: 'new' })), want, name);
  });
});
