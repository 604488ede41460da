import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { findMatchingVolume, mismatch, defaultStorageClass } from '../../../src/controllers/persistentvolume/matching.js';
import { decideClaim, decideVolume, type ClaimInputs } from '../../../src/controllers/persistentvolume/decisions.js';
import { decideProvision, localPathStorageClass } from '../../../src/controllers/persistentvolume/local-path-provisioner.js';

const pv = (name: string, size: string, o: { modes?: string[]; cls?: string; labels?: Record<string, string>; claim?: { name: string; uid?: string }; phase?: string; node?: string; mode?: string } = {}): PersistentVolume => ({
  metadata: { name, labels: o.labels },
  spec: {
    capacity: { storage: size },
    accessModes: o.modes ?? ['ReadWriteOnce'],
    storageClassName: o.cls,
    volumeMode: o.mode as 'Filesystem' | undefined,
    claimRef: o.claim ? { namespace: 'ns', name: o.claim.name, uid: o.claim.uid } : undefined,
    ...(o.node ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [o.node] }] }] } } } : {}),
  },
  status: { phase: (o.phase ?? 'Available') as 'Available' },
});
const pvc = (size: string, o: { modes?: string[]; cls?: string | null; selector?: Record<string, string>; annotations?: Record<string, string>; volumeName?: string } = {}): PersistentVolumeClaim => ({
  metadata: { name: 'data', namespace: 'ns', uid: 'claim-uid', annotations: o.annotations },
  spec: {
    accessModes: o.modes ?? ['ReadWriteOnce'],
    resources: { requests: { storage: size } },
    ...(o.cls === null ? {} : { storageClassName: o.cls ?? '' }),
    ...(o.selector ? { selector: { matchLabels: o.selector } } : {}),
    ...(o.volumeName ? { volumeName: o.volumeName } : {}),
  },
});

test('volume matching: class, capacity, access modes, selector, pre-binding, node affinity, smallest wins', () => {
  const cases: [string, PersistentVolume, PersistentVolumeClaim, string | undefined][] = [
    ['fits', pv('a', '1Gi'), pvc('1Gi'), undefined],
    ['too small', pv('a', '512Mi'), pvc('1Gi'), 'too small'],
    ['other class', pv('a', '1Gi', { cls: 'fast' }), pvc('1Gi'), 'different class'],
    ['access modes', pv('a', '1Gi'), pvc('1Gi', { modes: ['ReadWriteMany'] }), 'access modes'],
    ['RWO+RWX volume serves RWO', pv('a', '1Gi', { modes: ['ReadWriteOnce', 'ReadWriteMany'] }), pvc('1Gi'), undefined],
    ['selector', pv('a', '1Gi', { labels: { tier: 'a' } }), pvc('1Gi', { selector: { tier: 'b' } }), 'selector'],
    ['selector ok', pv('a', '1Gi', { labels: { tier: 'b' } }), pvc('1Gi', { selector: { tier: 'b' } }), undefined],
    ['bound elsewhere', pv('a', '1Gi', { claim: { name: 'other', uid: 'x' }, phase: 'Bound' }), pvc('1Gi'), 'bound to another claim'],
    ['pre-bound to us', pv('a', '1Gi', { claim: { name: 'data' } }), pvc('1Gi'), undefined],
    ['released', pv('a', '1Gi', { phase: 'Released' }), pvc('1Gi'), 'phase Released'],
    ['block vs filesystem', pv('a', '1Gi', { mode: 'Block' }), pvc('1Gi'), 'different volumeMode'],
  ];
  for (const [name, v, c, want] of cases) assert.equal(mismatch(v, c), want, name);
  const vols = [pv('big', '10Gi'), pv('small', '2Gi'), pv('tiny', '1Gi', { cls: 'x' }), pv('mid', '5Gi')];
  assert.equal(findMatchingVolume(pvc('1500Mi'), vols)?.metadata?.name, 'small');
  assert.equal(findMatchingVolume(pvc('1Gi'), [...vols, pv('mine', '20Gi', { claim: { name: 'data' } })])?.metadata?.name, 'mine', 'pre-bound first');
  assert.equal(findMatchingVolume(pvc('1Gi'), [pv('n1', '1Gi', { node: 'n1' })], { metadata: { name: 'n2', labels: { 'kubernetes.io/hostname': 'n2' } } }), undefined);
  assert.equal(findMatchingVolume(pvc('1Gi'), [pv('n1', '1Gi', { node: 'n1' })], { metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } } })?.metadata?.name, 'n1');
});

test('default storage class: annotated, newest wins', () => {
  const sc = (name: string, ts: string, def: boolean): StorageClass => ({ metadata: { name, creationTimestamp: ts, annotations: def ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} }, provisioner: 'x' });
  assert.equal(defaultStorageClass([sc('a', '2024-01-01T00:00:00Z', true), sc('b', '2024-02-01T00:00:00Z', true), sc('c', '2024-03-01T00:00:00Z', false)])?.metadata?.name, 'b');
  assert.equal(defaultStorageClass([sc('c', '2024-03-01T00:00:00Z', false)]), undefined);
});

test('claim decisions', () => {
  const local = localPathStorageClass();
  const immediate: StorageClass = { metadata: { name: 'fast' }, provisioner: 'example.com/fast', volumeBindingMode: 'Immediate' };
  const base = (c: PersistentVolumeClaim, extra: Partial<ClaimInputs> = {}): ClaimInputs => ({ pvc: c, volumes: [], classes: new Map([['local-path', local], ['fast', immediate]]), defaultClass: local, consumers: [], nodes: new Map(), ...extra });
  const scheduled: Pod = { metadata: { name: 'p' }, spec: { nodeName: 'node-1', containers: [], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }] } };
  const cases: [string, ClaimInputs, string, unknown?][] = [
    ['no class → default', base(pvc('1Gi', { cls: null })), 'assignDefaultClass', 'local-path'],
    ['WFFC without consumer', base(pvc('1Gi', { cls: 'local-path' })), 'waitForConsumer'],
    ['WFFC with a scheduled consumer', base(pvc('1Gi', { cls: 'local-path' }), { consumers: [scheduled] }), 'selectNode', 'node-1'],
    ['WFFC node selected → provision', base(pvc('1Gi', { cls: 'local-path', annotations: { 'volume.kubernetes.io/selected-node': 'node-1' } })), 'provision', 'rancher.io/local-path'],
    ['already handed over', base(pvc('1Gi', { cls: 'fast', annotations: { 'volume.kubernetes.io/storage-provisioner': 'example.com/fast' } })), 'none'],
    ['Immediate with a matching PV', base(pvc('1Gi', { cls: 'fast' }), { volumes: [pv('a', '1Gi', { cls: 'fast' })] }), 'bind', 'a'],
    ['no class, no PV', base(pvc('1Gi'), { defaultClass: undefined }), 'noVolume', 'no persistent volumes available for this claim and no storage class is set'],
    ['unknown class', base(pvc('1Gi', { cls: 'gold' })), 'noVolume', 'storageclass.storage.k8s.io "gold" not found'],
    ['bound, volume gone', base(pvc('1Gi', { volumeName: 'gone' })), 'lost'],
    ['bound, complete', base(pvc('1Gi', { volumeName: 'a' }), { volumes: [pv('a', '1Gi', { claim: { name: 'data', uid: 'claim-uid' } })] }), 'completeBound', 'a'],
  ];
  for (const [name, inputs, kind, detail] of cases) {
    const a = decideClaim(inputs);
    assert.equal(a.kind, kind, name);
    if (detail !== undefined) {
      const got = 'className' in a ? a.className : 'nodeName' in a ? a.nodeName : 'provisioner' in a ? a.provisioner : 'pv' in a ? a.pv.metadata?.name : 'message' in a ? a.message : undefined;
      assert.equal(got, detail, name);
    }
  }
});

test('volume decisions', () => {
  const claim = { metadata: { name: 'data', namespace: 'ns', uid: 'u1' }, spec: { volumeName: 'a' } };
  const bound = (policy: string, ann?: Record<string, string>, phase = 'Bound'): PersistentVolume => {
    const v = pv('a', '1Gi', { claim: { name: 'data', uid: 'u1' }, phase });
    v.spec!.persistentVolumeReclaimPolicy = policy as 'Delete';
    v.metadata!.annotations = ann;
    return v;
  };
  assert.deepEqual(decideVolume(pv('a', '1Gi', { phase: 'Pending' }), undefined), { kind: 'phase', phase: 'Available' });
  assert.deepEqual(decideVolume(bound('Retain', undefined, 'Available'), claim), { kind: 'phase', phase: 'Bound' });
  assert.deepEqual(decideVolume(bound('Retain'), claim), { kind: 'none' });
  assert.deepEqual(decideVolume(bound('Retain'), undefined), { kind: 'phase', phase: 'Released' });
  assert.deepEqual(decideVolume(bound('Retain'), { ...claim, metadata: { ...claim.metadata, uid: 'recreated' } }), { kind: 'phase', phase: 'Released' });
  assert.deepEqual(decideVolume(bound('Retain', undefined, 'Released'), undefined), { kind: 'none' });
  assert.deepEqual(decideVolume(bound('Delete', { 'pv.kubernetes.io/provisioned-by': 'rancher.io/local-path' }, 'Released'), undefined), { kind: 'awaitDeletion' });
  assert.equal(decideVolume(bound('Delete', undefined, 'Released'), undefined).kind, 'failed');
});

test('local-path provisioning decisions', () => {
  const cls = localPathStorageClass();
  const claim = pvc('2Gi', { cls: 'local-path', annotations: { 'volume.kubernetes.io/storage-provisioner': 'rancher.io/local-path', 'volume.kubernetes.io/selected-node': 'n1' } });
  const node = { metadata: { name: 'n1', annotations: { 'skiff.dev/local-path-root': '/data/agent/storage' } } };
  const d = decideProvision(claim, cls, node, false);
  assert.equal(d.kind, 'create');
  const created = (d as { pv: PersistentVolume }).pv;
  assert.equal(created.metadata?.name, 'pvc-claim-uid');
  assert.deepEqual(created.spec?.hostPath, { path: '/data/agent/storage/pvc-claim-uid_ns_data', type: 'DirectoryOrCreate' });
  assert.deepEqual(created.spec?.capacity, { storage: '2Gi' });
  assert.equal(created.spec?.persistentVolumeReclaimPolicy, 'Delete');
  assert.equal(created.spec?.claimRef?.uid, 'claim-uid');
  assert.deepEqual(created.spec?.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.values, ['n1']);
  assert.equal((decideProvision(claim, cls, undefined, false) as { pv: PersistentVolume }).pv.spec?.hostPath?.path, '/var/lib/skiff/storage/pvc-claim-uid_ns_data');
  assert.equal(decideProvision(claim, cls, node, true).kind, 'none', 'already provisioned');
  const noNode = pvc('1Gi', { cls: 'local-path', annotations: { 'volume.kubernetes.io/storage-provisioner': 'rancher.io/local-path' } });
  assert.equal(decideProvision(noNode, cls, undefined, false).kind, 'none', 'waits for the first consumer');
  assert.match((decideProvision(noNode, { ...cls, volumeBindingMode: 'Immediate' }, undefined, false) as { message: string }).message, /configuration error, no node was specified/);
});
