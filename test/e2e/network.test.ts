// Service networking with kubectl against `skiff up` and its local node (process runtime, root): a client
// pod reaches every ready replica of a Deployment by the Service's short name and its full DNS name (pod
// resolv.conf → cluster DNS → ClusterIP → nftables → pods), a replica failing readiness gets no traffic,
// headless and StatefulSet names resolve, a NodePort answers on 127.0.0.1, and a LoadBalancer Service shows
// the node's address as its EXTERNAL-IP. The node runs the service proxy and cluster DNS itself
// (src/network/proxy/node-service-networking.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, e2eSkipReason } from './harness.js';
import { eventually } from './wait.js';

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const skip = e2eSkipReason() ?? (root ? undefined : 'needs root (pod network namespaces, nftables)');
if (skip) console.log(`# skipping network e2e: ${skip}`);

const node = process.execPath;
const marker = `skiff-e2e-net-${process.pid}`;
// Answers with its pod name; /ready decides readiness from a file the test can create with exec.
const server = `const fs=require('fs');require('http').createServer((q,s)=>{if(q.url==='/ready'){s.statusCode=fs.existsSync('/tmp/unready-'+process.env.HOSTNAME)?500:200;return s.end()}s.end(process.env.HOSTNAME)}).listen(8080) // ${marker}`;
const manifests = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 2
      containers:
      - name: app
        image: node:20
        command: [${JSON.stringify(node)}, "-e", ${JSON.stringify(server)}]
        ports: [{containerPort: 8080, name: http}]
        readinessProbe: {httpGet: {port: http, path: /ready}, periodSeconds: 1, failureThreshold: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-np}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-lb}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 8099, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: pg, port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 1
      containers:
      - name: db
        image: node:20
        command: [${JSON.stringify(node)}, "-e", "setInterval(()=>{},1e9) // ${marker}"]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: node:20
    command: [${JSON.stringify(node)}, "-e", "setInterval(()=>{},1e9) // ${marker}"]
`;

// Run inside the client pod: N sequential GETs, tally of who answered.
const tally = (url: string, n: number) =>
  `const h=require('http');const t={};let e=0;(async()=>{for(let i=0;i<${n};i++){await new Promise(r=>h.get(${JSON.stringify(url)},{agent:false,timeout:3000},s=>{let b='';s.on('data',d=>b+=d);s.on('end',()=>{t[b]=(t[b]||0)+1;r()})}).on('error',()=>{e++;r()}))}console.log(JSON.stringify({t,e}))})()`;
const lookup = (name: string) => `require('dns').lookup(${JSON.stringify(name)},{all:true},(e,a)=>console.log(JSON.stringify(e?{error:e.code}:a.map(x=>x.address).sort())))`;

describe('service networking on the local node', { skip }, () => {
  let c: Cluster;

  before(async () => {
    c = await Cluster.start();
    await c.k(['apply', '-f', '-'], manifests);
    await c.k(['wait', '--for=condition=Available', 'deployment/web', '--timeout=90s']);
    await c.k(['wait', '--for=condition=Ready', 'pod/client', 'pod/db-0', '--timeout=90s']);
  });
  after(async () => {
    await c?.stop();
  });

  const inClient = async (script: string) => JSON.parse((await c.k(['exec', 'client', '--', node, '-e', script])).trim());

  test('the client reaches every ready replica by short name and by FQDN', async () => {
    const pods = (await c.k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' ').sort();
    for (const url of ['http://web/', 'http://web.default.svc.cluster.local/']) {
      const r = await inClient(tally(url, 45));
      assert.equal(r.e, 0, JSON.stringify(r));
      assert.deepEqual(Object.keys(r.t).sort(), pods, `${url}: ${JSON.stringify(r.t)}`);
    }
  });

  test('a replica failing readiness receives no traffic', async () => {
    const [victim, ...rest] = (await c.k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' ').sort();
    await c.k(['exec', victim!, '--', node, '-e', `require('fs').writeFileSync('/tmp/unready-${victim}','')`]);
    await eventually('endpoint removed', async () => {
      const r = await inClient(tally('http://web/', 20));
      return !r.t[victim!] && r.e === 0 ? r : undefined;
    });
    const r = await inClient(tally('http://web/', 30));
    assert.deepEqual(Object.keys(r.t).sort(), rest);
    await c.k(['exec', victim!, '--', node, '-e', `require('fs').unlinkSync('/tmp/unready-${victim}')`]);
  });

  test('headless and StatefulSet pod names resolve to pod IPs', async () => {
    const ips = (await c.k(['get', 'pods', '-l', 'app=db', '-o', 'jsonpath={.items[*].status.podIP}'])).trim().split(' ').sort();
    assert.deepEqual(await inClient(lookup('db.default.svc.cluster.local')), ips);
    const db0 = (await c.k(['get', 'pod', 'db-0', '-o', 'jsonpath={.status.podIP}'])).trim();
    assert.deepEqual(await inClient(lookup('db-0.db.default.svc.cluster.local')), [db0]);
    assert.deepEqual(await inClient(lookup('nope.default.svc.cluster.local')), { error: 'ENOTFOUND' });
  });

  test('NodePort answers on 127.0.0.1 of the node; LoadBalancer shows the node address', async () => {
    const nodePort = (await c.k(['get', 'svc', 'web-np', '-o', 'jsonpath={.spec.ports[0].nodePort}'])).trim();
    const res = await fetch(`http://127.0.0.1:${nodePort}/`);
    assert.match(await res.text(), /^web-/);
    const internalIP = (await c.k(['get', 'nodes', '-o', 'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}'])).trim();
    const external = await eventually('EXTERNAL-IP', async () => (await c.k(['get', 'svc', 'web-lb', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'])).trim());
    assert.equal(external, internalIP);
    const table = await c.k(['get', 'svc', 'web-lb']);
    assert.match(table, new RegExp(`web-lb\\s+LoadBalancer\\s+\\S+\\s+${internalIP.replace(/\./g, '\\.')}\\s+8099:\\d+/TCP`));
  });
});
