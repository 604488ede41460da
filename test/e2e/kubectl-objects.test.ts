// The real kubectl against a real `skiff up`: create, apply (client- and server-side), get in every output
// form, describe, edit, patch (all types), label, annotate, scale, diff. Objects only (no controllers needed).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, e2eSkipReason } from './harness.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping kubectl e2e: ${skip}`);

const deployment = (replicas: number, image = 'nginx:1.27', extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: e2e
  labels:
    app: web
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: main
        image: ${image}
        ports:
        - containerPort: 80
${extra}`;

describe('kubectl against skiff up', { skip }, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start();
    await c.k(['create', 'namespace', 'e2e']);
  });
  after(async () => {
    await c?.stop();
  });

  test('version reports v1.32', async () => {
    const out = await c.k(['version', '-o', 'json']);
    assert.match(JSON.parse(out).serverVersion.gitVersion, /^v1\.32\./);
  });

  test('api-resources and api-versions list the built-in groups', async () => {
    const res = await c.k(['api-resources']);
    for (const r of ['deployments', 'pods', 'configmaps', 'customresourcedefinitions', 'horizontalpodautoscalers', 'leases', 'endpointslices']) {
      assert.match(res, new RegExp(`\\b${r}\\b`), r);
    }
    assert.match(res, /deploy\s+apps\/v1\s+true\s+Deployment/);
    const versions = await c.k(['api-versions']);
    for (const v of ['v1', 'apps/v1', 'batch/v1', 'autoscaling/v2', 'autoscaling/v1', 'policy/v1', 'rbac.authorization.k8s.io/v1', 'apiextensions.k8s.io/v1']) {
      assert.ok(versions.split('\n').includes(v), v);
    }
  });

  test('client-side apply: create, unchanged, configured', async () => {
    const f = c.writeFile('deploy.yaml', deployment(2));
    assert.match(await c.k(['apply', '-f', f]), /deployment.apps\/web created/);
    assert.match(await c.k(['apply', '-f', f]), /deployment.apps\/web unchanged/);
    const f3 = c.writeFile('deploy3.yaml', deployment(3));
    assert.match(await c.k(['apply', '-f', f3]), /deployment.apps\/web configured/);
    assert.equal(await c.k(['-n', 'e2e', 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}']), '3');
    // Defaults as upstream.
    const obj = JSON.parse(await c.k(['-n', 'e2e', 'get', 'deploy', 'web', '-o', 'json', '--show-managed-fields']));
    assert.equal(obj.spec.strategy.type, 'RollingUpdate');
    assert.equal(obj.spec.strategy.rollingUpdate.maxSurge, '25%');
    assert.equal(obj.spec.revisionHistoryLimit, 10);
    assert.equal(obj.spec.progressDeadlineSeconds, 600);
    assert.equal(obj.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
    assert.equal(obj.spec.template.spec.containers[0].terminationMessagePath, '/dev/termination-log');
    assert.equal(obj.spec.template.spec.restartPolicy, 'Always');
    assert.equal(obj.spec.template.spec.dnsPolicy, 'ClusterFirst');
    assert.equal(obj.spec.template.spec.schedulerName, 'default-scheduler');
    assert.equal(obj.metadata.generation, 2);
    assert.ok(obj.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    assert.ok(obj.metadata.managedFields.some((m: { manager: string }) => m.manager === 'kubectl-client-side-apply'));
  });

  test('server-side apply: create, re-apply, change, conflict and force', async () => {
    const cm = (v: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ssa
  namespace: e2e
data:
  key: "${v}"
`;
    const f1 = c.writeFile('ssa1.yaml', cm('one'));
    assert.match(await c.k(['apply', '--server-side', '-f', f1]), /configmap\/ssa serverside-applied/);
    assert.match(await c.k(['apply', '--server-side', '-f', f1]), /configmap\/ssa serverside-applied/);
    const rv1 = await c.k(['-n', 'e2e', 'get', 'cm', 'ssa', '-o', 'jsonpath={.metadata.resourceVersion}']);
    await c.k(['apply', '--server-side', '-f', f1]);
    assert.equal(await c.k(['-n', 'e2e', 'get', 'cm', 'ssa', '-o', 'jsonpath={.metadata.resourceVersion}']), rv1, 'unchanged apply must not write');
    const f2 = c.writeFile('ssa2.yaml', cm('two'));
    await c.k(['apply', '--server-side', '-f', f2]);
    assert.equal(await c.k(['-n', 'e2e', 'get', 'cm', 'ssa', '-o', 'jsonpath={.data.key}']), 'two');
    // Another manager takes the field; applying again conflicts until forced.
    await c.k(['-n', 'e2e', 'patch', 'cm', 'ssa', '--type=merge', '-p', '{"data":{"key":"other"}}', '--field-manager=someone-else']);
    const r = await c.kubectl(['apply', '--server-side', '-f', f2]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /conflict/i);
    assert.match(r.stderr, /someone-else/);
    await c.k(['apply', '--server-side', '--force-conflicts', '-f', f2]);
    assert.equal(await c.k(['-n', 'e2e', 'get', 'cm', 'ssa', '-o', 'jsonpath={.data.key}']), 'two');
  });

  test('create: generic kinds and AlreadyExists', async () => {
    await c.k(['-n', 'e2e', 'create', 'configmap', 'settings', '--from-literal=mode=fast', '--from-literal=level=3']);
    await c.k(['-n', 'e2e', 'create', 'secret', 'generic', 'creds', '--from-literal=password=s3cret']);
    const secret = JSON.parse(await c.k(['-n', 'e2e', 'get', 'secret', 'creds', '-o', 'json']));
    assert.equal(Buffer.from(secret.data.password, 'base64').toString(), 's3cret');
    assert.equal(secret.type, 'Opaque');
    const r = await c.kubectl(['-n', 'e2e', 'create', 'configmap', 'settings', '--from-literal=a=b']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /configmaps "settings" already exists/);
    const f = c.writeFile('settings.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: e2e\n');
    const fromFile = await c.kubectl(['create', '-f', f]);
    assert.match(fromFile.stderr, /Error from server \(AlreadyExists\): error when creating ".*settings.yaml": configmaps "settings" already exists/);
  });

  test('get: table, wide, labels, selectors, -A, json, yaml, jsonpath', async () => {
    await c.k(['-n', 'e2e', 'create', 'configmap', 'sel-a', '--from-literal=x=1']);
    await c.k(['-n', 'e2e', 'create', 'configmap', 'sel-b', '--from-literal=x=1']);
    await c.k(['-n', 'e2e', 'label', 'configmap', 'sel-a', 'tier=front', 'team=blue']);
    await c.k(['-n', 'e2e', 'label', 'configmap', 'sel-b', 'tier=back']);
    const table = await c.k(['-n', 'e2e', 'get', 'configmaps']);
    assert.match(table.split('\n')[0], /^NAME\s+DATA\s+AGE/);
    assert.match(await c.k(['-n', 'e2e', 'get', 'deploy']), /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/);
    assert.match(await c.k(['-n', 'e2e', 'get', 'deploy', '-o', 'wide']), /CONTAINERS\s+IMAGES\s+SELECTOR/);
    const labeled = await c.k(['-n', 'e2e', 'get', 'cm', '-l', 'tier=front', '--show-labels']);
    assert.match(labeled, /sel-a.*team=blue,tier=front/);
    assert.doesNotMatch(labeled, /sel-b/);
    const setBased = await c.k(['-n', 'e2e', 'get', 'cm', '-l', 'tier in (front,back),!missing', '-o', 'name']);
    assert.deepEqual(setBased.trim().split('\n').sort(), ['configmap/sel-a', 'configmap/sel-b']);
    const byField = await c.k(['-n', 'e2e', 'get', 'cm', '--field-selector', 'metadata.name=sel-b', '-o', 'name']);
    assert.equal(byField.trim(), 'configmap/sel-b');
    const all = await c.k(['get', 'cm', '-A']);
    assert.match(all.split('\n')[0], /^NAMESPACE\s+NAME\s+DATA\s+AGE/);
    assert.match(all, /^e2e\s+sel-a\s/m);
    const ns = await c.k(['get', 'ns']);
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'e2e']) assert.match(ns, new RegExp(`^${n}\\s+Active`, 'm'));
    const y = await c.k(['-n', 'e2e', 'get', 'cm', 'sel-a', '-o', 'yaml']);
    assert.match(y, /^kind: ConfigMap$/m);
    assert.match(y, /resourceVersion: "\d+"/);
    assert.equal(await c.k(['-n', 'e2e', 'get', 'cm', 'sel-a', '-o', 'jsonpath={.data.x}']), '1');
    const bad = await c.kubectl(['-n', 'e2e', 'get', 'cm', '-l', 'tier in (front']);
    assert.notEqual(bad.code, 0);
    const badField = await c.kubectl(['-n', 'e2e', 'get', 'cm', '--field-selector', 'spec.nothing=1']);
    assert.notEqual(badField.code, 0);
    assert.match(badField.stderr, /field label not supported/);
  });

  test('describe shows the object', async () => {
    const out = await c.k(['-n', 'e2e', 'describe', 'deployment', 'web']);
    assert.match(out, /^Name:\s+web$/m);
    assert.match(out, /^Namespace:\s+e2e$/m);
    assert.match(out, /StrategyType:\s+RollingUpdate/);
    assert.match(await c.k(['-n', 'e2e', 'describe', 'cm', 'settings']), /mode/);
  });

  test('patch: strategic, merge, json; label; annotate', async () => {
    await c.k(['-n', 'e2e', 'patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"main","image":"nginx:1.28"}]}}}}']);
    const obj = JSON.parse(await c.k(['-n', 'e2e', 'get', 'deploy', 'web', '-o', 'json']));
    assert.equal(obj.spec.template.spec.containers.length, 1, 'strategic merge keeps one container merged by name');
    assert.equal(obj.spec.template.spec.containers[0].image, 'nginx:1.28');
    assert.equal(obj.spec.template.spec.containers[0].ports[0].containerPort, 80);
    await c.k(['-n', 'e2e', 'patch', 'deploy', 'web', '--type=merge', '-p', '{"spec":{"minReadySeconds":5}}']);
    await c.k(['-n', 'e2e', 'patch', 'deploy', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/revisionHistoryLimit","value":4}]']);
    const after = JSON.parse(await c.k(['-n', 'e2e', 'get', 'deploy', 'web', '-o', 'json']));
    assert.equal(after.spec.minReadySeconds, 5);
    assert.equal(after.spec.revisionHistoryLimit, 4);
    const failed = await c.kubectl(['-n', 'e2e', 'patch', 'deploy', 'web', '--type=json', '-p', '[{"op":"test","path":"/spec/replicas","value":99}]']);
    assert.notEqual(failed.code, 0);
    await c.k(['-n', 'e2e', 'label', 'deploy', 'web', 'env=prod']);
    await c.k(['-n', 'e2e', 'annotate', 'deploy', 'web', 'owner=team-a']);
    const labeled = JSON.parse(await c.k(['-n', 'e2e', 'get', 'deploy', 'web', '-o', 'json']));
    assert.equal(labeled.metadata.labels.env, 'prod');
    assert.equal(labeled.metadata.annotations.owner, 'team-a');
    await c.k(['-n', 'e2e', 'label', 'deploy', 'web', 'env-']);
    assert.equal(JSON.parse(await c.k(['-n', 'e2e', 'get', 'deploy', 'web', '-o', 'json'])).metadata.labels.env, undefined);
    const overwrite = await c.kubectl(['-n', 'e2e', 'label', 'deploy', 'web', 'app=other']);
    assert.notEqual(overwrite.code, 0, 'label without --overwrite must not change an existing label');
  });

  test('scale stores spec.replicas through the scale subresource', async () => {
    assert.match(await c.k(['-n', 'e2e', 'scale', 'deployment', 'web', '--replicas=7']), /scaled/);
    assert.equal(await c.k(['-n', 'e2e', 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}']), '7');
    const r = await c.kubectl(['-n', 'e2e', 'scale', 'deployment', 'web', '--replicas=-1']);
    assert.notEqual(r.code, 0);
  });

  test('edit with a non-interactive EDITOR', async () => {
    const editor = c.writeFile('editor.sh', '#!/bin/sh\nsed -i "s/mode: fast/mode: slow/" "$1"\n');
    await import('node:fs').then((fs) => fs.chmodSync(editor, 0o755));
    const r = await c.kubectl(['-n', 'e2e', 'edit', 'configmap', 'settings'], { env: { EDITOR: editor, KUBE_EDITOR: editor } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await c.k(['-n', 'e2e', 'get', 'cm', 'settings', '-o', 'jsonpath={.data.mode}']), 'slow');
  });

  test('diff shows a pending change and exits 1', async () => {
    const f = c.writeFile('diff.yaml', deployment(9));
    const r = await c.kubectl(['diff', '-f', f]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /replicas: 9/);
  });

  test('explain reads the OpenAPI schema', async () => {
    const out = await c.k(['explain', 'deployment.spec.strategy']);
    assert.match(out, /KIND:\s+Deployment/);
    assert.match(out, /rollingUpdate/);
    assert.match(await c.k(['explain', 'pods.spec.containers.image']), /FIELD:\s+image/);
  });

  test('auth can-i answers yes for the admin', async () => {
    assert.equal((await c.k(['auth', 'can-i', 'get', 'pods'])).trim(), 'yes');
    assert.equal((await c.k(['auth', 'can-i', 'create', 'deployments', '-n', 'e2e'])).trim(), 'yes');
  });

  test('validation: invalid names, unknown fields (strict), wrong types', async () => {
    const badName = c.writeFile('badname.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n  namespace: e2e\n');
    const r1 = await c.kubectl(['create', '-f', badName]);
    assert.notEqual(r1.code, 0);
    assert.match(r1.stderr, /Invalid value: "Bad_Name"/);
    const unknown = c.writeFile('unknown.yaml', deployment(1, 'nginx', '').replace('replicas: 1', 'replicas: 1\n  bogusField: true').replace('name: web', 'name: web-unknown'));
    const r2 = await c.kubectl(['create', '-f', unknown]);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /unknown field "spec.bogusField"/);
    const wrongType = c.writeFile('wrongtype.yaml', deployment(1).replace('replicas: 1', 'replicas: "three"').replace('name: web', 'name: web-type'));
    const r3 = await c.kubectl(['create', '-f', wrongType, '--validate=false']);
    assert.notEqual(r3.code, 0);
    const noNs = await c.kubectl(['-n', 'does-not-exist', 'create', 'configmap', 'x']);
    assert.notEqual(noNs.code, 0);
    assert.match(noNs.stderr, /namespaces "does-not-exist" not found/);
  });
});
