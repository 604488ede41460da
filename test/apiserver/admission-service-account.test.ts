// The ServiceAccount admission plugin: pure mutation cases, and what a created pod looks like.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { admitPodServiceAccount, tokenVolumeSource } from '../../src/apiserver/admission/service-account.js';
import { startTestServer, type TestServer } from './harness.js';

const mountPath = '/var/run/secrets/kubernetes.io/serviceaccount';
const pod = (spec: Partial<Pod['spec']> = {}, annotations?: Record<string, string>): Pod => ({
  metadata: { name: 'p', namespace: 'ns', ...(annotations ? { annotations } : {}) },
  spec: { containers: [{ name: 'a' }, { name: 'b', volumeMounts: [{ name: 'mine', mountPath }] }], initContainers: [{ name: 'i' }], ...spec },
});

test('admission mutation cases', () => {
  const cases: { name: string; pod: Pod; sa?: { automountServiceAccountToken?: boolean }; volume: boolean; mounts: Record<string, boolean>; saName: string }[] = [
    { name: 'defaults', pod: pod(), sa: {}, volume: true, mounts: { a: true, b: false, i: true }, saName: 'default' },
    { name: 'named account kept', pod: pod({ serviceAccountName: 'builder' }), sa: {}, volume: true, mounts: { a: true, b: false, i: true }, saName: 'builder' },
    { name: 'pod opts out', pod: pod({ automountServiceAccountToken: false }), sa: {}, volume: false, mounts: { a: false, b: false, i: false }, saName: 'default' },
    { name: 'account opts out', pod: pod(), sa: { automountServiceAccountToken: false }, volume: false, mounts: { a: false, b: false, i: false }, saName: 'default' },
    { name: 'pod overrides account', pod: pod({ automountServiceAccountToken: true }), sa: { automountServiceAccountToken: false }, volume: true, mounts: { a: true, b: false, i: true }, saName: 'default' },
    { name: 'mirror pod untouched', pod: pod({}, { 'kubernetes.io/config.mirror': 'x' }), sa: {}, volume: false,
      mounts: { a: false, b: false, i: false }, saName: '' },
    { name: 'account does not exist: no token volume', pod: pod(), volume: false, mounts: { a: false, b: false, i: false }, saName: 'default' },
  ];
  for (const c of cases) {
    admitPodServiceAccount(c.pod, c.sa, () => 'xyz42');
    const vols = (c.pod.spec!.volumes ?? []).filter((v) => v.name === 'kube-api-access-xyz42');
    assert.equal(vols.length, c.volume ? 1 : 0, c.name);
    if (c.volume) assert.deepEqual(vols[0]!.projected, tokenVolumeSource(), c.name);
    for (const ctr of [...c.pod.spec!.containers, ...(c.pod.spec!.initContainers ?? [])]) {
      const m = (ctr.volumeMounts ?? []).find((vm) => vm.name === 'kube-api-access-xyz42');
      assert.equal(!!m, c.mounts[ctr.name], `${c.name}: ${ctr.name}`);
      if (m) assert.deepEqual(m, { name: 'kube-api-access-xyz42', readOnly: true, mountPath });
    }
    assert.equal(c.pod.spec!.serviceAccountName ?? '', c.saName, c.name);
  }
});

test('an existing kube-api-access volume is reused', () => {
  const p = pod({ volumes: [{ name: 'kube-api-access-abcde', projected: tokenVolumeSource() }] });
  admitPodServiceAccount(p, {}, () => 'xyz42');
  assert.deepEqual(p.spec!.volumes!.map((v) => v.name), ['kube-api-access-abcde']);
  assert.equal(p.spec!.containers[0]!.volumeMounts![0]!.name, 'kube-api-access-abcde');
});

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

test('created pods carry the token volume as upstream', async () => {
  const bare = (await s.request('POST', '/api/v1/namespaces/default/pods', { body: { metadata: { name: 'bare' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } })).json();
  assert.equal(bare.spec.serviceAccountName, 'default');
  assert.equal(bare.spec.volumes, undefined, 'no default account yet: no token volume');
  assert.equal((await s.request('POST', '/api/v1/namespaces/default/serviceaccounts', { body: { metadata: { name: 'default' } } })).status, 201);
  const r = await s.request('POST', '/api/v1/namespaces/default/pods', { body: { metadata: { name: 'web' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
  assert.equal(r.status, 201, r.body);
  const created = r.json();
  assert.equal(created.spec.serviceAccountName, 'default');
  assert.equal(created.spec.serviceAccount, 'default');
  const vol = created.spec.volumes.find((v: { name: string }) => v.name.startsWith('kube-api-access-'));
  assert.match(vol.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.deepEqual(vol.projected.sources[0], { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } });
  assert.deepEqual(created.spec.containers[0].volumeMounts, [{ name: vol.name, readOnly: true, mountPath }]);
});
