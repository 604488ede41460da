// The real kubectl's typed clients send protobuf bodies (create generators, autoscale, auth can-i, create
// token, drain) with no JSON retry: each command here must succeed against `skiff up` and the object must
// read back as kubectl meant it. `run` and `expose` (JSON senders) ride along as regressions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, e2eSkipReason } from './harness.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping kubectl protobuf e2e: ${skip}`);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- `kubectl get -o json` output, probed field by field
type Obj = Record<string, any>;

describe('kubectl protobuf request bodies against skiff up', { skip }, () => {
  let c: Cluster;
  const ns = ['-n', 'pb'];
  const get = async (...args: string[]): Promise<Obj> => JSON.parse(await c.k(['get', ...args, '-o', 'json'])) as Obj;

  before(async () => {
    c = await Cluster.start();
    await c.k(['create', 'namespace', 'pb']);
  });
  after(async () => {
    await c?.stop();
  });

  test('create namespace', async () => {
    await c.k(['create', 'namespace', 'pb-two']);
    const o = await get('namespace', 'pb-two');
    assert.equal(o.metadata.name, 'pb-two');
    assert.equal(o.status.phase, 'Active');
  });

  test('create configmap keeps empty values', async () => {
    await c.k(['create', 'configmap', 'cm', ...ns, '--from-literal=a=1', '--from-literal=empty=']);
    assert.deepEqual((await get('configmap', 'cm', ...ns)).data, { a: '1', empty: '' });
  });

  test('create secret generic keeps binary data byte for byte', async () => {
    const file = c.writeFile('bin', '');
    const bytes = Buffer.from([0, 1, 2, 0x7f, 0x80, 0xfe, 0xff, 0x0a]);
    writeFileSync(file, bytes);
    await c.k(['create', 'secret', 'generic', 's', ...ns, '--from-literal=k=v', `--from-file=bin=${file}`]);
    const s = await get('secret', 's', ...ns);
    assert.equal(s.type, 'Opaque');
    assert.deepEqual(Buffer.from(s.data.bin, 'base64'), bytes);
    assert.equal(Buffer.from(s.data.k, 'base64').toString(), 'v');
  });

  test('create deployment with --replicas=0 and with a command', async () => {
    await c.k(['create', 'deployment', 'd0', ...ns, '--image=nginx:1.27', '--replicas=0', '--port=80']);
    const d0 = await get('deployment', 'd0', ...ns);
    assert.equal(d0.spec.replicas, 0);
    assert.deepEqual(d0.spec.selector, { matchLabels: { app: 'd0' } });
    assert.deepEqual(d0.spec.template.spec.containers[0].ports, [{ containerPort: 80, protocol: 'TCP' }]);
    await c.k(['create', 'deployment', 'd', ...ns, '--image=busybox', '--replicas=2', '--', 'sleep', '3600']);
    const d = await get('deployment', 'd', ...ns);
    assert.equal(d.spec.replicas, 2);
    assert.deepEqual(d.spec.template.spec.containers[0].command, ['sleep', '3600']);
    assert.equal(d.spec.strategy.type, 'RollingUpdate');
  });

  test('create service clusterip and nodeport', async () => {
    await c.k(['create', 'service', 'clusterip', 'svc', ...ns, '--tcp=80:8080']);
    const s = await get('service', 'svc', ...ns);
    assert.equal(s.spec.type, 'ClusterIP');
    assert.deepEqual(s.spec.ports.map((p: Obj) => [p.port, p.targetPort, p.protocol]), [[80, 8080, 'TCP']]);
    await c.k(['create', 'service', 'nodeport', 'np', ...ns, '--tcp=80:http', '--node-port=30081']);
    const np = await get('service', 'np', ...ns);
    assert.equal(np.spec.type, 'NodePort');
    assert.equal(np.spec.ports[0].nodePort, 30081);
    assert.equal(np.spec.ports[0].targetPort, 'http');
  });

  test('create job and cronjob', async () => {
    await c.k(['create', 'job', 'j', ...ns, '--image=busybox', '--', 'echo', 'hi']);
    const j = await get('job', 'j', ...ns);
    assert.deepEqual(j.spec.template.spec.containers[0].command, ['echo', 'hi']);
    assert.equal(j.spec.template.spec.restartPolicy, 'Never');
    await c.k(['create', 'cronjob', 'cj', ...ns, '--image=busybox', '--schedule=*/5 * * * *', '--', 'echo', 'hi']);
    const cj = await get('cronjob', 'cj', ...ns);
    assert.equal(cj.spec.schedule, '*/5 * * * *');
    assert.equal(cj.spec.jobTemplate.spec.template.spec.restartPolicy, 'OnFailure');
  });

  test('create role, rolebinding, clusterrole, clusterrolebinding, serviceaccount', async () => {
    await c.k(['create', 'serviceaccount', 'sa', ...ns]);
    assert.equal((await get('serviceaccount', 'sa', ...ns)).metadata.name, 'sa');
    await c.k(['create', 'role', 'r', ...ns, '--verb=get,list', '--resource=pods,deployments.apps']);
    assert.deepEqual((await get('role', 'r', ...ns)).rules, [
      { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['get', 'list'], apiGroups: ['apps'], resources: ['deployments'] },
    ]);
    await c.k(['create', 'rolebinding', 'rb', ...ns, '--role=r', '--user=alice', '--serviceaccount=pb:sa']);
    const rb = await get('rolebinding', 'rb', ...ns);
    assert.deepEqual(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' });
    assert.deepEqual(
      rb.subjects.map((s: Obj) => [s.kind, s.apiGroup || '', s.name, s.namespace]),
      [
        ['User', 'rbac.authorization.k8s.io', 'alice', undefined],
        ['ServiceAccount', '', 'sa', 'pb'],
      ],
    );
    await c.k(['create', 'clusterrole', 'pb-cr', '--verb=get', '--non-resource-url=/logs/*']);
    assert.deepEqual((await get('clusterrole', 'pb-cr')).rules, [{ verbs: ['get'], nonResourceURLs: ['/logs/*'] }]);
    await c.k(['create', 'clusterrolebinding', 'pb-crb', '--clusterrole=pb-cr', '--group=devs']);
    assert.deepEqual((await get('clusterrolebinding', 'pb-crb')).subjects, [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' }]);
  });

  test('create quota, priorityclass, poddisruptionbudget, ingress', async () => {
    // Its own namespace: a cpu/memory quota makes every later pod without requests there fail, as upstream.
    await c.k(['create', 'namespace', 'pb-quota']);
    await c.k(['create', 'quota', 'q', '-n', 'pb-quota', '--hard=cpu=1,memory=1G,pods=2']);
    assert.deepEqual((await get('resourcequota', 'q', '-n', 'pb-quota')).spec.hard, { cpu: '1', memory: '1G', pods: '2' });
    await c.k(['create', 'priorityclass', 'pb-pc', '--value=1000', '--description=test', '--preemption-policy=Never']);
    const pc = await get('priorityclass', 'pb-pc');
    assert.deepEqual([pc.value, pc.description, pc.preemptionPolicy], [1000, 'test', 'Never']);
    await c.k(['create', 'priorityclass', 'pb-zero', '--value=0']);
    assert.equal((await get('priorityclass', 'pb-zero')).value, 0);
    await c.k(['create', 'poddisruptionbudget', 'pdb1', ...ns, '--selector=app=d', '--min-available=1']);
    assert.equal((await get('pdb', 'pdb1', ...ns)).spec.minAvailable, 1);
    await c.k(['create', 'poddisruptionbudget', 'pdb2', ...ns, '--selector=app=d', '--max-unavailable=50%']);
    assert.equal((await get('pdb', 'pdb2', ...ns)).spec.maxUnavailable, '50%');
    await c.k(['create', 'ingress', 'ing', ...ns, '--class=nginx', '--rule=foo.com/bar*=svc:80,tls=my-cert']);
    const ing = await get('ingress', 'ing', ...ns);
    assert.equal(ing.spec.ingressClassName, 'nginx');
    assert.deepEqual(ing.spec.rules[0].http.paths[0], { path: '/bar', pathType: 'Prefix', backend: { service: { name: 'svc', port: { number: 80 } } } });
    assert.deepEqual(ing.spec.tls, [{ hosts: ['foo.com'], secretName: 'my-cert' }]);
  });

  test('run, expose, autoscale', async () => {
    await c.k(['run', 'x', ...ns, '--image=busybox', '--restart=Never', '--labels=a=b', '--env=K=V', '--', 'sleep', '10']);
    const pod = await get('pod', 'x', ...ns);
    assert.deepEqual(pod.metadata.labels, { a: 'b' });
    assert.deepEqual(pod.spec.containers[0].env, [{ name: 'K', value: 'V' }]);
    assert.deepEqual(pod.spec.containers[0].args, ['sleep', '10']);
    await c.k(['expose', 'deployment', 'd0', ...ns, '--port=80', '--target-port=8080', '--name=d0-svc']);
    assert.deepEqual((await get('service', 'd0-svc', ...ns)).spec.selector, { app: 'd0' });
    await c.k(['autoscale', 'deployment', 'd', ...ns, '--min=2', '--max=5', '--cpu-percent=70']);
    const hpa = JSON.parse(await c.k(['get', 'horizontalpodautoscalers.v1.autoscaling', 'd', ...ns, '-o', 'json'])) as Obj;
    assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas, hpa.spec.targetCPUUtilizationPercentage], [2, 5, 70]);
    assert.deepEqual(hpa.spec.scaleTargetRef, { kind: 'Deployment', name: 'd', apiVersion: 'apps/v1' });
  });

  test('create token (TokenRequest)', async () => {
    const r = await c.kubectl(['create', 'token', 'sa', ...ns, '--duration=1h', '--audience=a1']);
    assert.equal(r.code, 0, r.stderr);
    const token = r.stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
    assert.deepEqual(claims.aud, ['a1']);
    assert.equal(claims.sub, 'system:serviceaccount:pb:sa');
    assert.equal(claims.exp - claims.iat, 3600);
    // A token for the API server's own audience authenticates kubectl as the service account.
    const apiToken = (await c.k(['create', 'token', 'sa', ...ns])).trim();
    const tokenOnly = ['--kubeconfig', c.writeFile('token-only.yaml', ''), '--server', `https://127.0.0.1:${c.port}`, '--certificate-authority', join(c.dataDir, 'tls', 'ca.crt'), '--token', apiToken];
    const who = JSON.parse(await c.k(['auth', 'whoami', ...tokenOnly, '-o', 'json']));
    assert.equal(who.status.userInfo.username, 'system:serviceaccount:pb:sa');
  });

  test('drain: DeleteOptions with --grace-period=0 deletes at once', async () => {
    await c.k(['create', '-f', c.writeFile('node.json', '{"apiVersion":"v1","kind":"Node","metadata":{"name":"pb-node"}}')]);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'victim', namespace: 'pb' }, spec: { nodeName: 'pb-node', containers: [{ name: 'main', image: 'busybox' }] } };
    await c.k(['create', '-f', c.writeFile('victim.json', JSON.stringify(pod))]);
    const out = await c.k(['drain', 'pb-node', '--force', '--grace-period=0', '--timeout=20s']);
    assert.match(out, /pod\/victim (deleted|evicted)/);
    assert.match(out, /node\/pb-node drained/);
    const r = await c.kubectl(['get', 'pod', 'victim', ...ns]);
    assert.match(r.stderr, /NotFound/);
    assert.equal((await get('node', 'pb-node')).spec.unschedulable, true);
  });

  test('auth can-i', async () => {
    assert.equal((await c.k(['auth', 'can-i', 'list', 'deployments.apps', ...ns, '--subresource=scale'])).trim(), 'yes');
  });
});
