// The real kubectl against a real `skiff up`: watches (-w), deletes (cascade options, --wait, wait
// --for=delete), kustomize, CRDs with custom resources, and a restart that keeps objects and resourceVersions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, e2eSkipReason, kubectlPath } from './harness.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping kubectl e2e: ${skip}`);

const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wg]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
    additionalPrinterColumns:
    - name: Size
      type: string
      jsonPath: .spec.size
    - name: Replicas
      type: integer
      jsonPath: .spec.replicas
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size:
                type: string
                enum: [small, large]
              replicas:
                type: integer
                minimum: 0
                default: 1
          status:
            type: object
            properties:
              replicas:
                type: integer
`;

describe('kubectl lifecycle against skiff up', { skip }, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start();
    await c.k(['create', 'namespace', 'life']);
  });
  after(async () => {
    await c?.stop();
  });

  test('get -w streams changes as they happen', async () => {
    const child = spawn(kubectlPath, ['-n', 'life', 'get', 'configmaps', '-w', '--request-timeout=0'], {
      env: { ...process.env, HOME: c.home, KUBECONFIG: c.kubeconfig },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => /NAME/.test(out) || /kube-root-ca|No resources/.test(out), 10_000).catch(() => undefined);
      await c.k(['-n', 'life', 'create', 'configmap', 'watched', '--from-literal=a=b']);
      await waitFor(() => /watched\s+1\s/.test(out), 10_000);
      await c.k(['-n', 'life', 'patch', 'configmap', 'watched', '--type=merge', '-p', '{"data":{"c":"d"}}']);
      await waitFor(() => /watched\s+2\s/.test(out), 10_000);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('delete with --wait, wait --for=delete, cascade=background', async () => {
    await c.k(['-n', 'life', 'create', 'configmap', 'gone', '--from-literal=a=b']);
    assert.match(await c.k(['-n', 'life', 'delete', 'configmap', 'gone', '--wait=true']), /configmap "gone" deleted/);
    const r = await c.kubectl(['-n', 'life', 'get', 'configmap', 'gone']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /NotFound/);
    await c.k(['-n', 'life', 'create', 'configmap', 'later', '--from-literal=a=b']);
    const waiter = c.kubectl(['-n', 'life', 'wait', '--for=delete', 'configmap/later', '--timeout=30s']);
    await new Promise((r) => setTimeout(r, 500));
    await c.k(['-n', 'life', 'delete', 'configmap', 'later', '--cascade=background']);
    const w = await waiter;
    assert.equal(w.code, 0, w.stderr);
    const missing = await c.kubectl(['-n', 'life', 'delete', 'configmap', 'never-existed']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NotFound/);
  });

  test('cascading deletes: orphan, foreground, background (garbage collector)', async () => {
    const owned = async (owner: string, dependent: string, block = false) => {
      const uid = JSON.parse(await c.k(['-n', 'life', 'create', 'configmap', owner, '-o', 'json'])).metadata.uid;
      const dep = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: dependent, namespace: 'life', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner, uid, blockOwnerDeletion: block }] } };
      await c.k(['create', '-f', '-'], JSON.stringify(dep));
    };
    await owned('owner-o', 'dep-o');
    await c.k(['-n', 'life', 'delete', 'configmap', 'owner-o', '--cascade=orphan', '--timeout=30s']);
    const orphan = JSON.parse(await c.k(['-n', 'life', 'get', 'configmap', 'dep-o', '-o', 'json']));
    assert.equal(orphan.metadata.ownerReferences, undefined, 'orphaned dependent lost its owner reference');
    await owned('owner-f', 'dep-f', true);
    await c.k(['-n', 'life', 'delete', 'configmap', 'owner-f', '--cascade=foreground', '--timeout=30s']);
    assert.match((await c.kubectl(['-n', 'life', 'get', 'configmap', 'dep-f'])).stderr, /NotFound/);
    assert.match((await c.kubectl(['-n', 'life', 'get', 'configmap', 'owner-f'])).stderr, /NotFound/);
    await owned('owner-b', 'dep-b');
    await c.k(['-n', 'life', 'delete', 'configmap', 'owner-b']);
    await waitForAsync(async () => /NotFound/.test((await c.kubectl(['-n', 'life', 'get', 'configmap', 'dep-b'])).stderr), 20_000);
  });

  test('deleting a namespace deletes its contents, then the namespace', async () => {
    await c.k(['create', 'namespace', 'doomed']);
    await c.k(['-n', 'doomed', 'create', 'configmap', 'x', '--from-literal=a=b']);
    await c.k(['-n', 'doomed', 'create', 'deployment', 'd', '--image=nginx']);
    await c.k(['delete', 'namespace', 'doomed', '--timeout=60s']);
    assert.match((await c.kubectl(['get', 'namespace', 'doomed'])).stderr, /NotFound/);
  });

  test('finalizers hold a deleted object until removed', async () => {
    await c.k(['-n', 'life', 'create', 'configmap', 'held', '--from-literal=a=b']);
    await c.k(['-n', 'life', 'patch', 'configmap', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}']);
    await c.k(['-n', 'life', 'delete', 'configmap', 'held', '--wait=false']);
    const held = JSON.parse(await c.k(['-n', 'life', 'get', 'configmap', 'held', '-o', 'json']));
    assert.ok(held.metadata.deletionTimestamp, 'deletionTimestamp set');
    await c.k(['-n', 'life', 'patch', 'configmap', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    const r = await c.kubectl(['-n', 'life', 'get', 'configmap', 'held']);
    assert.match(r.stderr, /NotFound/);
  });

  test('kustomize: apply -k', async () => {
    const dir = join(c.home, 'kust');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'kustomization.yaml'), 'namespace: life\nnamePrefix: k-\ncommonLabels:\n  managed: kustomize\nresources:\n- cm.yaml\nconfigMapGenerator:\n- name: gen\n  literals:\n  - color=blue\n');
    writeFileSync(join(dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: base\ndata:\n  a: b\n');
    const out = await c.k(['apply', '-k', dir]);
    assert.match(out, /configmap\/k-base created/);
    const listed = await c.k(['-n', 'life', 'get', 'cm', '-l', 'managed=kustomize', '-o', 'name']);
    assert.match(listed, /configmap\/k-base/);
    assert.match(listed, /configmap\/k-gen-/);
  });

  test('CRD: served, validated, defaulted, printed, scaled', async () => {
    const f = c.writeFile('crd.yaml', crd);
    await c.k(['apply', '-f', f]);
    await c.k(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=30s']);
    assert.match(await c.k(['api-resources', '--api-group=example.com']), /widgets\s+wg\s+example.com\/v1\s+true\s+Widget/);
    const w = c.writeFile('widget.yaml', 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: life\nspec:\n  size: small\n');
    await c.k(['apply', '-f', w]);
    const obj = JSON.parse(await c.k(['-n', 'life', 'get', 'widget', 'w1', '-o', 'json']));
    assert.equal(obj.spec.replicas, 1, 'schema default applied');
    const table = await c.k(['-n', 'life', 'get', 'wg']);
    assert.match(table, /^NAME\s+SIZE\s+REPLICAS\s*$/m, 'explicit printer columns replace the default Age column, as upstream');
    assert.match(table, /w1\s+small\s+1\s/);
    const bad = c.writeFile('bad-widget.yaml', 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w2\n  namespace: life\nspec:\n  size: huge\n');
    const r = await c.kubectl(['apply', '-f', bad]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec.size: Unsupported value: "huge"/);
    await c.k(['-n', 'life', 'scale', 'widget', 'w1', '--replicas=4']);
    assert.equal(await c.k(['-n', 'life', 'get', 'widget', 'w1', '-o', 'jsonpath={.spec.replicas}']), '4');
    assert.match(await c.k(['explain', 'widgets.spec.size']), /FIELD:\s+size/);
    await c.k(['delete', 'crd', 'widgets.example.com', '--wait=true', '--timeout=30s']);
    const gone = await c.kubectl(['-n', 'life', 'get', 'widgets']);
    assert.notEqual(gone.code, 0);
  });

  test('restart keeps objects and their resourceVersions', async () => {
    await c.k(['-n', 'life', 'create', 'configmap', 'durable', '--from-literal=k=v']);
    const before = JSON.parse(await c.k(['-n', 'life', 'get', 'configmap', 'durable', '-o', 'json']));
    assert.equal(await c.halt('SIGTERM'), 0, 'clean exit on SIGTERM');
    await c.boot();
    const afterRestart = JSON.parse(await c.k(['-n', 'life', 'get', 'configmap', 'durable', '-o', 'json']));
    assert.equal(afterRestart.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.equal(afterRestart.metadata.uid, before.metadata.uid);
    assert.deepEqual(afterRestart.data, { k: 'v' });
    // New writes continue above the old revisions.
    await c.k(['-n', 'life', 'create', 'configmap', 'after-restart']);
    const rv = Number(await c.k(['-n', 'life', 'get', 'configmap', 'after-restart', '-o', 'jsonpath={.metadata.resourceVersion}']));
    assert.ok(rv > Number(before.metadata.resourceVersion));
  });
});

async function waitForAsync(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
