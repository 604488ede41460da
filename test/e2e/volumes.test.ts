// Pod inputs with kubectl against `skiff up` and its local node (process runtime, root: volumes appear at
// their mountPath in the container's mount namespace): env from ConfigMap/Secret/downward API/service
// variables with $(VAR) expansion, configMap/secret/downwardAPI/emptyDir volumes, the injected
// kube-api-access token that authenticates as the pod's service account, a ConfigMap update reaching the
// running pod, and a PVC of the default local-path class whose data survives pod replacement.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, e2eSkipReason } from './harness.js';
import { eventually } from './wait.js';

const skip = e2eSkipReason() ?? (process.getuid?.() === 0 ? undefined : 'volumes appear at their mountPath only in the process runtime\'s mount namespaces, which need root');
if (skip) console.log(`# skipping volumes e2e: ${skip}`);

const pvc = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 100Mi}}}
`;

const pod = (name: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: inputs}}
spec:
  terminationGracePeriodSeconds: 1
  # The process runtime cannot yet mount at /var/run/secrets/... where /var/run is a symlink on the host; the
  # same projected sources (bound token, kube-root-ca.crt, namespace) are mounted explicitly instead.
  automountServiceAccountToken: false
  containers:
  - name: app
    image: busybox
    command: ["/bin/sh", "-c", "echo boot-$(GREETING)-$(POD_NAME) >> /skiff-e2e/data/boot.log; exec sleep 3600"]
    env:
    - {name: GREETING, valueFrom: {configMapKeyRef: {name: app-config, key: greeting}}}
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: app-secret, key: password}}}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: MEM_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: URL, value: "https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)"}
    envFrom:
    - {configMapRef: {name: app-config}, prefix: CFG_}
    resources: {limits: {memory: 256Mi}}
    volumeMounts:
    - {name: cfg, mountPath: /skiff-e2e/cfg}
    - {name: sec, mountPath: /skiff-e2e/sec}
    - {name: info, mountPath: /skiff-e2e/info}
    - {name: scratch, mountPath: /skiff-e2e/scratch}
    - {name: data, mountPath: /skiff-e2e/data}
    - {name: api, mountPath: /skiff-e2e/sa, readOnly: true}
  volumes:
  - {name: cfg, configMap: {name: app-config}}
  - {name: sec, secret: {secretName: app-secret, defaultMode: 0400}}
  - {name: info, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}}
  - {name: scratch, emptyDir: {}}
  - {name: data, persistentVolumeClaim: {claimName: data}}
  - name: api
    projected:
      sources:
      - serviceAccountToken: {path: token, expirationSeconds: 3607}
      - configMap: {name: kube-root-ca.crt, items: [{key: ca.crt, path: ca.crt}]}
      - downwardAPI: {items: [{path: namespace, fieldRef: {fieldPath: metadata.namespace}}]}
`;

describe('pod inputs on the local node', { skip }, () => {
  let c: Cluster;
  const exec = async (name: string, ...cmd: string[]) => (await c.k(['exec', name, '--', ...cmd])).trim();
  const running = (name: string) =>
    eventually(`${name} Running`, async () => {
      const p = JSON.parse(await c.k(['get', 'pod', name, '-o', 'json']));
      return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready ? p : undefined;
    }, 60_000);
  let pvPath = '';

  before(async () => {
    c = await Cluster.start();
    await c.k(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=30s']);
    await c.k(['create', 'configmap', 'app-config', '--from-literal=greeting=hello', '--from-literal=mode=fast']);
    await c.k(['create', 'secret', 'generic', 'app-secret', '--from-literal=password=s3cr3t']);
    await eventually('default service account and kube-root-ca.crt', async () => {
      const r = await c.kubectl(['get', 'serviceaccount/default', 'configmap/kube-root-ca.crt']);
      return r.code === 0;
    });
  });
  after(async () => {
    await c?.stop();
  });

  test('a pod gets its environment and volumes', async () => {
    await c.k(['apply', '-f', '-'], pvc + '---' + pod('inputs'));
    const p = await running('inputs');
    const env = await exec('inputs', 'env');
    const vars = Object.fromEntries(env.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(vars['GREETING'], 'hello');
    assert.equal(vars['PASSWORD'], 's3cr3t');
    assert.equal(vars['POD_NAME'], 'inputs');
    assert.equal(vars['MEM_MI'], '256');
    assert.equal(vars['CFG_mode'], 'fast');
    assert.equal(vars['URL'], `https://${vars['KUBERNETES_SERVICE_HOST']}:443`);
    assert.equal(await exec('inputs', 'cat', '/skiff-e2e/cfg/greeting'), 'hello');
    assert.equal(await exec('inputs', 'cat', '/skiff-e2e/sec/password'), 's3cr3t');
    assert.equal(await exec('inputs', 'stat', '-L', '-c', '%a', '/skiff-e2e/sec/password'), '400');
    assert.equal(await exec('inputs', 'cat', '/skiff-e2e/info/labels'), 'app="inputs"');
    assert.equal(await exec('inputs', 'cat', '/skiff-e2e/data/boot.log'), 'boot-hello-inputs');
    assert.equal(p.spec.serviceAccountName, 'default');
    assert.equal(await exec('inputs', 'cat', '/skiff-e2e/sa/namespace'), 'default');
    assert.match(await exec('inputs', 'cat', '/skiff-e2e/sa/ca.crt'), /^-----BEGIN CERTIFICATE-----/);
    const token = await exec('inputs', 'cat', '/skiff-e2e/sa/token');
    const tokenOnly = ['--kubeconfig', c.writeFile('token-only.yaml', ''), '--server', `https://127.0.0.1:${c.port}`, '--certificate-authority', join(c.dataDir, 'tls', 'ca.crt'), '--token', token];
    const who = JSON.parse(await c.k(['auth', 'whoami', ...tokenOnly, '-o', 'json']));
    assert.equal(who.status.userInfo.username, 'system:serviceaccount:default:default');
    assert.equal(who.status.userInfo.extra, undefined);
  });

  test('the claim was provisioned by local-path on the node that runs the pod', async () => {
    const claim = JSON.parse(await c.k(['get', 'pvc', 'data', '-o', 'json']));
    assert.equal(claim.status.phase, 'Bound');
    assert.equal(claim.spec.storageClassName, 'local-path');
    const pv = JSON.parse(await c.k(['get', 'pv', claim.spec.volumeName, '-o', 'json']));
    pvPath = pv.spec.hostPath.path;
    const nodeName = JSON.parse(await c.k(['get', 'pod', 'inputs', '-o', 'json'])).spec.nodeName;
    // The node published its local-path root (under its data directory) and the volume lives there.
    const root = JSON.parse(await c.k(['get', 'node', nodeName, '-o', 'json'])).metadata.annotations['skiff.dev/local-path-root'];
    assert.ok(root && root.startsWith(`${c.dataDir}/`), `local-path root ${root} under ${c.dataDir}`);
    assert.ok(pvPath.startsWith(`${root}/`), `${pvPath} under ${root}`);
    assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values, [nodeName]);
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');
  });

  test('a ConfigMap update reaches the running pod', async () => {
    await c.k(['patch', 'configmap', 'app-config', '-p', '{"data":{"greeting":"bonjour"}}']);
    // Labelling the pod syncs it at once (and shows the downward API refresh); the agent also resyncs on its own.
    await c.k(['label', 'pod', 'inputs', 'tier=web']);
    await eventually('new ConfigMap contents in the volume', async () => (await exec('inputs', 'cat', '/skiff-e2e/cfg/greeting')) === 'bonjour', 60_000);
    await eventually('new labels in the downward API volume', async () => (await exec('inputs', 'cat', '/skiff-e2e/info/labels')) === 'app="inputs"\ntier="web"', 30_000);
  });

  test('claim data survives pod replacement; deleting the claim deletes its volume', async () => {
    await c.k(['delete', 'pod', 'inputs', '--wait=true', '--timeout=30s']);
    await c.k(['apply', '-f', '-'], pod('inputs-2'));
    await running('inputs-2');
    assert.equal(await exec('inputs-2', 'cat', '/skiff-e2e/data/boot.log'), 'boot-hello-inputs\nboot-bonjour-inputs-2');
    const volumeName = JSON.parse(await c.k(['get', 'pvc', 'data', '-o', 'json'])).spec.volumeName;
    await c.k(['delete', 'pod', 'inputs-2', '--wait=true', '--timeout=30s']);
    await c.k(['delete', 'pvc', 'data', '--wait=true', '--timeout=30s']);
    await eventually('PV deleted', async () => (await c.kubectl(['get', 'pv', volumeName])).code !== 0, 30_000);
    // The node deleted the volume's data before the PV object (the local-path hand-off).
    assert.equal(existsSync(pvPath), false, `${pvPath} removed by the node`);
  });
});
