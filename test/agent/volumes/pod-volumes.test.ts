// PodVolumes on real temp dirs against a real API server (ConfigMaps, Secrets, TokenRequest, PVs and PVCs).
// tmpfs cases run as root only (skipped with a reason otherwise).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigMap, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { ApiClient } from '../../../src/client/client.js';
import * as resources from '../../../src/client/resources.js';
import { PodVolumes, VolumeSetupError, podMounts, type VolumeContext } from '../../../src/agent/volumes/index.js';
import { startTestServer, type TestServer } from '../../apiserver/harness.js';

const isRoot = process.getuid?.() === 0;
const ns = 'vol';
let server: TestServer;
let client: ApiClient;
let dataDir: string;
let ctx: VolumeContext;
let clock = Date.now();

before(async () => {
  server = await startTestServer();
  client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: ns });
  dataDir = mkdtempSync(join(tmpdir(), 'skiff-podvolumes-'));
  ctx = { client, nodeName: 'n1', dataDir, now: () => clock };
  await client.create(resources.namespaces, { metadata: { name: ns } });
  await client.create(resources.serviceAccounts, { metadata: { name: 'default' } }, { namespace: ns });
  await client.create(resources.configMaps, { metadata: { name: 'kube-root-ca.crt' }, data: { 'ca.crt': server.ca } }, { namespace: ns });
  await client.create(resources.configMaps, { metadata: { name: 'app' }, data: { 'app.conf': 'v=1', other: 'o' }, binaryData: { 'blob.bin': Buffer.from([0, 1, 2]).toString('base64') } }, { namespace: ns });
  await client.create(resources.secrets, { metadata: { name: 'creds' }, data: { user: Buffer.from('admin').toString('base64') } }, { namespace: ns });
  const node = await client.create(resources.nodes, { metadata: { name: 'n1' } });
  await client.updateStatus(resources.nodes, { ...node, status: { addresses: [{ type: 'InternalIP', address: '10.1.2.3' }], allocatable: { cpu: '2', memory: '1Gi' } } });
});

after(async () => {
  client.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function createPod(name: string, spec: Partial<Pod['spec']>): Promise<Pod> {
  return client.create(resources.pods, { metadata: { name, labels: { app: 'web' } }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }], ...spec } }, { namespace: ns });
}

test('configMap, secret, downwardAPI and the injected kube-api-access volume; mounts; sync; tearDown', async () => {
  const pod = await createPod('everything', {
    containers: [
      {
        name: 'c',
        image: 'x',
        volumeMounts: [
          { name: 'cfg', mountPath: '/etc/app' },
          { name: 'sec', mountPath: '/etc/sec' },
          { name: 'info', mountPath: '/etc/info' },
          { name: 'scratch', mountPath: '/scratch' },
          { name: 'scratch', mountPath: '/logs', subPath: 'logs' },
          { name: 'host', mountPath: '/host', readOnly: true, mountPropagation: 'HostToContainer' },
        ],
      },
    ],
    volumes: [
      { name: 'cfg', configMap: { name: 'app', items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o600 }, { key: 'blob.bin', path: 'blob.bin' }] } },
      { name: 'sec', secret: { secretName: 'creds', defaultMode: 0o400 } },
      { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } }] } },
      { name: 'scratch', emptyDir: {} },
      { name: 'host', hostPath: { path: join(dataDir, 'host-dir'), type: 'DirectoryOrCreate' } },
    ],
  });
  const vols = await PodVolumes.setUp(ctx, pod);
  const uid = pod.metadata!.uid!;
  const root = join(dataDir, 'pods', uid, 'volumes');
  const cfg = join(root, 'kubernetes.io~configmap', 'cfg');
  assert.equal(readFileSync(join(cfg, 'conf/app.conf'), 'utf8'), 'v=1');
  assert.equal(statSync(join(cfg, 'conf/app.conf')).mode & 0o777, 0o600);
  assert.deepEqual([...readFileSync(join(cfg, 'blob.bin'))], [0, 1, 2]);
  assert.equal(existsSync(join(cfg, 'other')), false, 'only the listed items');
  assert.equal(readlinkSync(join(cfg, 'conf')), '..data/conf');
  const sec = join(root, 'kubernetes.io~secret', 'sec');
  assert.equal(readFileSync(join(sec, 'user'), 'utf8'), 'admin');
  assert.equal(statSync(join(sec, 'user')).mode & 0o777, 0o400);
  const info = join(root, 'kubernetes.io~downward-api', 'info');
  assert.equal(readFileSync(join(info, 'labels'), 'utf8'), 'app="web"');
  assert.equal(readFileSync(join(info, 'mem'), 'utf8'), '1024');

  // The admission plugin injected kube-api-access-*; its token authenticates as the pod's service account.
  const apiVol = pod.spec!.volumes!.find((v) => v.name.startsWith('kube-api-access-'))!;
  const sa = join(root, 'kubernetes.io~projected', apiVol.name);
  assert.equal(readFileSync(join(sa, 'ca.crt'), 'utf8'), server.ca);
  assert.equal(readFileSync(join(sa, 'namespace'), 'utf8'), ns);
  const token = readFileSync(join(sa, 'token'), 'utf8');
  const who = await server.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, token });
  assert.equal(who.json().status.userInfo.username, `system:serviceaccount:${ns}:default`);
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
  assert.equal(claims['kubernetes.io'].pod.uid, uid);
  assert.equal(claims.exp - claims.iat, 3607);
  if (isRoot) assert.ok(podMounts(dataDir, uid).includes(sa), 'projected volumes live on tmpfs');

  const mounts = vols.mountsFor(pod.spec!.containers[0]!);
  const byPath = Object.fromEntries(mounts.map((m) => [m.containerPath, m]));
  assert.equal(byPath['/etc/app']!.readOnly, true, 'configMap volumes are always read-only');
  assert.equal(byPath['/scratch']!.readOnly, false);
  assert.equal(byPath['/logs']!.hostPath, join(root, 'kubernetes.io~empty-dir', 'scratch', 'logs'));
  assert.ok(statSync(byPath['/logs']!.hostPath).isDirectory(), 'subPath directory created');
  assert.equal(byPath['/host']!.readOnly, true);
  assert.equal(byPath['/host']!.propagation, 'hostToContainer');
  assert.equal(byPath['/var/run/secrets/kubernetes.io/serviceaccount']!.hostPath, sa);
  assert.ok(statSync(join(dataDir, 'host-dir')).isDirectory());

  // sync(): new ConfigMap contents and labels appear; the token is renewed after 80% of its lifetime.
  const cm = await client.get<ConfigMap>(resources.configMaps, 'app', { namespace: ns });
  await client.update(resources.configMaps, { ...cm, data: { ...cm.data, 'app.conf': 'v=2' } }, { namespace: ns });
  const relabeled = { ...pod, metadata: { ...pod.metadata, labels: { app: 'web', tier: 'x' } } };
  await vols.sync(relabeled);
  assert.equal(readFileSync(join(cfg, 'conf/app.conf'), 'utf8'), 'v=2');
  assert.equal(readFileSync(join(info, 'labels'), 'utf8'), 'app="web"\ntier="x"');
  assert.equal(readFileSync(join(sa, 'token'), 'utf8'), token, 'a fresh token is kept');
  clock += 3000 * 1000;
  await vols.sync(relabeled);
  assert.notEqual(readFileSync(join(sa, 'token'), 'utf8'), token, 'renewed at 80% of its lifetime');

  // A source that disappears keeps the last contents and fails sync(), without stopping the other volumes.
  await client.delete(resources.secrets, 'creds', { namespace: ns });
  const cm2 = await client.get<ConfigMap>(resources.configMaps, 'app', { namespace: ns });
  await client.update(resources.configMaps, { ...cm2, data: { ...cm2.data, 'app.conf': 'v=3' } }, { namespace: ns });
  await assert.rejects(vols.sync(relabeled), /MountVolume.SetUp failed for volume "sec" : secret "creds" not found/);
  assert.equal(readFileSync(join(sec, 'user'), 'utf8'), 'admin');
  assert.equal(readFileSync(join(cfg, 'conf/app.conf'), 'utf8'), 'v=3');

  await vols.tearDown();
  assert.equal(existsSync(join(dataDir, 'pods', uid, 'volumes')), false);
  assert.deepEqual(podMounts(dataDir, uid), []);
  assert.ok(existsSync(join(dataDir, 'host-dir')), 'hostPath contents are never removed');
});

test('missing sources fail with FailedMount and upstream messages; optional ones do not', async () => {
  const cases: [Pod['spec'] extends infer S ? (S extends { volumes?: infer V } ? V : never) : never, string][] = [
    [[{ name: 'a', configMap: { name: 'nope' } }], 'MountVolume.SetUp failed for volume "a" : configmap "nope" not found'],
    [[{ name: 'b', secret: { secretName: 'nope' } }], 'MountVolume.SetUp failed for volume "b" : secret "nope" not found'],
    [[{ name: 'c', configMap: { name: 'app', items: [{ key: 'missing', path: 'm' }] } }], 'MountVolume.SetUp failed for volume "c" : configmap references non-existent config key: missing'],
    [[{ name: 'd', persistentVolumeClaim: { claimName: 'nope' } }], 'MountVolume.SetUp failed for volume "d" : persistentvolumeclaim "nope" not found'],
    [[{ name: 'e', hostPath: { path: '/definitely/not/here', type: 'Directory' } }], 'MountVolume.SetUp failed for volume "e" : hostPath type check failed: /definitely/not/here is not a directory'],
  ];
  for (const [i, [volumes, msg]] of cases.entries()) {
    const pod = await createPod(`missing-${i}`, { automountServiceAccountToken: false, volumes });
    await assert.rejects(PodVolumes.setUp(ctx, pod), (e: unknown) => e instanceof VolumeSetupError && e.message === msg && e.reason === 'FailedMount', msg);
    assert.deepEqual(podMounts(dataDir, pod.metadata!.uid!), [], 'a failed set-up leaves no mount');
    await PodVolumes.tearDownPod(dataDir, pod.metadata!.uid!);
  }
  const pod = await createPod('optional', { automountServiceAccountToken: false, volumes: [{ name: 'o', configMap: { name: 'nope', optional: true } }, { name: 'p', secret: { secretName: 'nope', optional: true } }] });
  const vols = await PodVolumes.setUp(ctx, pod);
  await vols.tearDown();
});

test('a bound claim mounts its PV path (created for DirectoryOrCreate); an unbound claim waits', async () => {
  const pvPath = join(dataDir, 'pv-data');
  await client.create(resources.persistentVolumes, {
    metadata: { name: 'pv1' },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: pvPath, type: 'DirectoryOrCreate' } },
  });
  const pvc = await client.create<PersistentVolumeClaim>(resources.persistentVolumeClaims, { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }, { namespace: ns });
  const pod = await createPod('claim', { automountServiceAccountToken: false, containers: [{ name: 'c', image: 'x', volumeMounts: [{ name: 'd', mountPath: '/data' }] }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data', readOnly: true } }] });
  await assert.rejects(PodVolumes.setUp(ctx, pod), /PVC vol\/data has non-bound phase \("Pending"\) or empty pvc.Spec.VolumeName \(""\)/);
  const bound = await client.update<PersistentVolumeClaim>(resources.persistentVolumeClaims, { ...pvc, spec: { ...pvc.spec, volumeName: 'pv1' } }, { namespace: ns });
  await client.updateStatus(resources.persistentVolumeClaims, { ...bound, status: { phase: 'Bound' } }, { namespace: ns });
  const vols = await PodVolumes.setUp(ctx, pod);
  const [m] = vols.mountsFor(pod.spec!.containers[0]!);
  assert.deepEqual(m, { containerPath: '/data', hostPath: pvPath, readOnly: true, propagation: 'private' });
  assert.ok(statSync(pvPath).isDirectory());
  await vols.tearDown();
  assert.ok(existsSync(pvPath), 'claim data outlives the pod');
});

test('subPath and subPathExpr mounts; bad subPaths and unknown volumes are container config errors', async () => {
  const pod = await createPod('subpaths', {
    automountServiceAccountToken: false,
    containers: [
      {
        name: 'c',
        image: 'x',
        env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'DIR', value: 'logs' }],
        volumeMounts: [{ name: 'work', mountPath: '/work', subPathExpr: '$(DIR)/$(POD)' }],
      },
    ],
    volumes: [{ name: 'work', emptyDir: {} }],
  });
  const vols = await PodVolumes.setUp(ctx, pod);
  const base = join(dataDir, 'pods', pod.metadata!.uid!, 'volumes', 'kubernetes.io~empty-dir', 'work');
  assert.deepEqual(vols.mountsFor(pod.spec!.containers[0]!), [{ containerPath: '/work', hostPath: join(base, 'logs', 'subpaths'), readOnly: false, propagation: 'private' }]);
  assert.ok(statSync(join(base, 'logs', 'subpaths')).isDirectory());
  assert.throws(() => vols.mountsFor({ name: 'bad', volumeMounts: [{ name: 'work', mountPath: '/x', subPath: '../escape' }] }), /failed to prepare subPath for volumeMount "work" of container "bad"/);
  assert.throws(() => vols.mountsFor({ name: 'bad', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }), /cannot find volume "nope" to mount into container "bad"/);
  await vols.tearDown();
});

test('emptyDir sizeLimit on disk is checked and reported', async () => {
  const pod = await createPod('sized', { automountServiceAccountToken: false, volumes: [{ name: 'small', emptyDir: { sizeLimit: '64Ki' } }] });
  const vols = await PodVolumes.setUp(ctx, pod);
  const dir = join(dataDir, 'pods', pod.metadata!.uid!, 'volumes', 'kubernetes.io~empty-dir', 'small');
  assert.deepEqual((await vols.emptyDirUsage()).map((u) => u.message), [undefined]);
  writeFileSync(join(dir, 'big'), Buffer.alloc(256 * 1024, 1));
  const [u] = await vols.emptyDirUsage();
  assert.ok(u!.usedBytes >= 256 * 1024);
  assert.equal(u!.limitBytes, 64 * 1024);
  assert.equal(u!.message, 'Usage of EmptyDir volume "small" exceeds the limit "64Ki". ');
  await vols.tearDown();
});

test('emptyDir medium Memory is a tmpfs of sizeLimit', { skip: isRoot ? false : 'needs root to mount tmpfs' }, async () => {
  const pod = await createPod('memory', { automountServiceAccountToken: false, volumes: [{ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }] });
  const vols = await PodVolumes.setUp(ctx, pod);
  const dir = join(dataDir, 'pods', pod.metadata!.uid!, 'volumes', 'kubernetes.io~empty-dir', 'shm');
  assert.deepEqual(podMounts(dataDir, pod.metadata!.uid!), [dir]);
  assert.throws(() => writeFileSync(join(dir, 'too-big'), Buffer.alloc(2 * 1024 * 1024)), /ENOSPC/);
  await vols.tearDown();
  assert.deepEqual(podMounts(dataDir, pod.metadata!.uid!), []);
  assert.equal(existsSync(dir), false);
});
