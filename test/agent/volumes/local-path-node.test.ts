// The node half of local-path: the root annotation, and Released Delete volumes of this node removed (data
// first, then the PV), never anything outside the root or of another node.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, PersistentVolume } from 'kubernetes-types/core/v1.js';
import { ApiClient } from '../../../src/client/client.js';
import * as resources from '../../../src/client/resources.js';
import { shouldReclaim, startLocalPathNode, type LocalPathNode } from '../../../src/agent/volumes/local-path-node.js';
import { startTestServer, type TestServer } from '../../apiserver/harness.js';
import { eventually, getOrUndefined } from '../../controllers/support.js';

let server: TestServer;
let client: ApiClient;
let dataDir: string;
let lp: LocalPathNode;

before(async () => {
  server = await startTestServer();
  client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' });
  dataDir = mkdtempSync(join(tmpdir(), 'skiff-localpath-'));
  lp = await startLocalPathNode({ client, nodeName: 'n1', dataDir });
  await client.create(resources.nodes, { metadata: { name: 'n1' } });
});
after(async () => {
  await lp.stop();
  client.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const volume = (name: string, path: string, node: string, policy: 'Delete' | 'Retain' = 'Delete'): PersistentVolume => ({
  metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': 'rancher.io/local-path', 'local.path.provisioner/selected-node': node } },
  spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: policy, hostPath: { path, type: 'DirectoryOrCreate' } },
});

test('shouldReclaim (pure)', () => {
  const root = '/d/storage';
  const released = (v: PersistentVolume) => ({ ...v, status: { phase: 'Released' as const } });
  assert.equal(shouldReclaim(released(volume('a', '/d/storage/a', 'n1')), 'n1', root), true);
  assert.equal(shouldReclaim(volume('a', '/d/storage/a', 'n1'), 'n1', root), false, 'not released');
  assert.equal(shouldReclaim(released(volume('a', '/d/storage/a', 'n2')), 'n1', root), false, 'other node');
  assert.equal(shouldReclaim(released(volume('a', '/d/storage/a', 'n1', 'Retain')), 'n1', root), false, 'Retain');
  assert.equal(shouldReclaim(released(volume('a', '/etc', 'n1')), 'n1', root), false, 'outside the root');
  assert.equal(shouldReclaim(released(volume('a', '/d/storage/../x', 'n1')), 'n1', root), false, 'escapes the root');
});

test('the node publishes its root; released Delete volumes lose their data and their PV', async () => {
  const node = await eventually(() => getOrUndefined(client.get<Node>(resources.nodes, 'n1')), (n) => !!n?.metadata?.annotations?.['skiff.dev/local-path-root'], 'root annotation');
  assert.equal(node!.metadata!.annotations!['skiff.dev/local-path-root'], lp.root);
  const dir = join(lp.root, 'pvc-1_ns_data');
  mkdirSync(dir);
  writeFileSync(join(dir, 'file'), 'x');
  const keep = join(lp.root, 'pvc-2_ns_keep');
  mkdirSync(keep);
  const a = await client.create(resources.persistentVolumes, volume('pvc-1', dir, 'n1'));
  const b = await client.create(resources.persistentVolumes, volume('pvc-2', keep, 'n1', 'Retain'));
  await client.updateStatus(resources.persistentVolumes, { ...b, status: { phase: 'Released' } });
  assert.ok(existsSync(dir), 'bound or available volumes are left alone');
  await client.updateStatus(resources.persistentVolumes, { ...a, status: { phase: 'Released' } });
  await eventually(() => getOrUndefined(client.get(resources.persistentVolumes, 'pvc-1')), (v) => v === undefined, 'PV deleted');
  assert.equal(existsSync(dir), false);
  assert.ok(existsSync(keep));
  assert.ok(await getOrUndefined(client.get(resources.persistentVolumes, 'pvc-2')));
});
