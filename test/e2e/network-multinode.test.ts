// Pod networking across nodes (process runtime, root): `skiff server` and two `skiff agent`s, each in its own
// network namespace on one link (network-nodes-lab.ts). A pod on one node reaches a pod on the other by its
// IP and through a Service's ClusterIP, over the routes each agent programs to the other's pod CIDR. Then
// `kubectl drain` of a node serving a Deployment (readiness probe, preStop sleep, PodDisruptionBudget) under
// load from a pod on the other node: no request fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { e2eSkipReason } from './harness.js';
import { NodesLab, clusterCidr, serviceCidr } from './network-nodes-lab.js';
import { loadgen, webDeployment, type PodLoadResult } from './network-load.js';

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const skip = e2eSkipReason() ?? (root ? undefined : 'needs root (network namespaces, pod networks, routes)') ?? (existsSync('/usr/bin/nsenter') ? undefined : 'nsenter not installed');
if (skip) console.log(`# skipping multi-node network e2e: ${skip}`);

const node = process.execPath;
const marker = `skiff-e2e-multinode-${process.pid}`;
const server = `require('http').createServer((q,s)=>s.end(process.env.HOSTNAME+' '+q.socket.remoteAddress.replace('::ffff:',''))).listen(8080) // ${marker}`;
const idle = `setInterval(()=>{},1e9) // ${marker}`;
const pod = (name: string, nodeName: string, script: string, labels = '{}') => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: ${labels}}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  nodeSelector: {kubernetes.io/hostname: ${nodeName}}
  containers:
  - name: c
    image: node:20
    command: [${JSON.stringify(node)}, "-e", ${JSON.stringify(script)}]
    ports: [{containerPort: 8080, name: http}]
---`;
const fetchScript = (url: string) => `require('http').get(${JSON.stringify(url)},{timeout:5000},s=>{let b='';s.on('data',d=>b+=d);s.on('end',()=>console.log(b))}).on('error',e=>{console.error(e.message);process.exit(1)})`;

describe('pods on different nodes reach each other', { skip }, () => {
  const lab = new NodesLab();
  before(async () => {
    try {
      await lab.start(2);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${lab.log}`);
    }
  });
  after(async () => {
    await lab.stop();
  });

  test('nodes get pod CIDRs from the cluster CIDR; Services get addresses from --service-cidr', async () => {
    const cidrs = (await lab.k(['get', 'nodes', '-o', 'jsonpath={.items[*].spec.podCIDR}'])).trim().split(' ');
    assert.equal(cidrs.length, 2);
    for (const c of cidrs) assert.match(c, new RegExp(`^${clusterCidr.split('.').slice(0, 2).join('\\.')}\\.`));
    assert.equal((await lab.k(['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}'])).trim(), serviceCidr.replace(/0\/24$/, '1'));
  });

  test('by pod IP and through a ClusterIP', async () => {
    await lab.k(['apply', '-f', '-'], pod('web', lab.nodeName(1), server, '{app: web}') + pod('client', lab.nodeName(0), idle) + `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
`);
    await lab.k(['wait', '--for=condition=Ready', 'pod/web', 'pod/client', '--timeout=90s']);
    const webIP = (await lab.k(['get', 'pod', 'web', '-o', 'jsonpath={.status.podIP}'])).trim();
    const clientIP = (await lab.k(['get', 'pod', 'client', '-o', 'jsonpath={.status.podIP}'])).trim();
    const clusterIP = (await lab.k(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    assert.match(clusterIP, /^10\.234\.0\./);

    const direct = await lab.kubectl(['exec', 'client', '--', node, '-e', fetchScript(`http://${webIP}:8080/`)]);
    assert.equal(direct.code, 0, `${direct.stderr}\n${lab.log}`);
    // The answer comes from the pod on the other node, which saw the client pod's own address.
    assert.equal(direct.stdout.trim(), `web ${clientIP}`);

    const viaService = await lab.kubectl(['exec', 'client', '--', node, '-e', fetchScript(`http://${clusterIP}/`)]);
    assert.equal(viaService.code, 0, `${viaService.stderr}\n${lab.log}`);
    assert.equal(viaService.stdout.trim(), `web ${clientIP}`);
  });

  test('kubectl drain moves a Deployment to the other node with no failed request', async () => {
    await lab.k(['delete', 'pod', 'web', '--grace-period=1', '--wait=true']);
    await lab.k(['apply', '-f', '-'], `${webDeployment(4, server)}---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 3
  selector: {matchLabels: {app: web}}
`);
    await lab.k(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    const nodesOf = async () => (await lab.k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].spec.nodeName}'])).trim().split(' ');
    assert.ok((await nodesOf()).includes(lab.nodeName(1)), `the scheduler spreads replicas over both nodes: ${await nodesOf()}`);

    const stopFile = `/tmp/skiff-e2e-drain-stop-${lab.tag}`;
    const clusterIP = (await lab.k(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const load = lab.kubectl(['exec', 'client', '--', node, '-e', loadgen(`http://${clusterIP}/`, 2_000, 150, stopFile)], { timeoutMs: 200_000 });
    await new Promise((r) => setTimeout(r, 1000));
    const drain = await lab.kubectl(['drain', lab.nodeName(1), '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=120s'], { timeoutMs: 150_000 });
    assert.equal(drain.code, 0, `${drain.stderr}${drain.stdout}`);
    await lab.k(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    await lab.k(['exec', 'client', '--', 'touch', stopFile]);
    const r = await load;
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout.trim()) as PodLoadResult;
    console.log(`ClusterIP from a pod on ${lab.nodeName(0)} while ${lab.nodeName(1)} drains: ${res.ok} ok, ${res.failed} failed`);
    assert.ok(res.ok >= 2_000, JSON.stringify(res));
    assert.equal(res.failed, 0, JSON.stringify(res));
    assert.deepEqual([...new Set(await nodesOf())], [lab.nodeName(0)]);
    await lab.k(['exec', 'client', '--', 'rm', '-f', stopFile]);
  });
});
