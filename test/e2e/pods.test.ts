// Real pods with kubectl against `skiff up` and its local node (process runtime): a Deployment of a small
// HTTP server becomes Ready through its readiness probe and answers; a crashing container restarts with
// upstream's back-off (10 s, then 20 s: CrashLoopBackOff); a failing liveness probe restarts a container;
// init containers run in order; a container without command says why it cannot run; and after deletion and
// after `skiff up` stops, no process of any pod is left.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Cluster, e2eSkipReason } from './harness.js';
import { eventually } from './wait.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping pods e2e: ${skip}`);

const node = process.execPath;
/** A marker in every pod's command line, so the test can find (and count) their processes on the host. */
const marker = `skiff-e2e-pods-${process.pid}`;

const server = `require('http').createServer((q,s)=>{if(q.url==='/crash')process.exit(1);s.end('hello from '+process.env.HOSTNAME)}).listen(8080) // ${marker}`;

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 5
      containers:
      - name: app
        image: node:20
        command: [${JSON.stringify(node)}, "-e", ${JSON.stringify(server)}]
        ports: [{containerPort: 8080, name: http}]
        readinessProbe: {httpGet: {port: http, path: /}, periodSeconds: 1}
`;

function podsWithMarker(): number[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function curl(url: string): string {
  return execFileSync('curl', ['-s', '--max-time', '5', url], { encoding: 'utf8' });
}

describe('pods on the local node', { skip }, () => {
  let c: Cluster;
  const pod = async (name: string) => JSON.parse(await c.k(['get', 'pod', name, '-o', 'json']));

  before(async () => {
    c = await Cluster.start();
  });
  after(async () => {
    await c?.stop();
  });

  test('the node is Ready and says which runtime it uses', async () => {
    await c.k(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=30s']);
    const nodes = JSON.parse(await c.k(['get', 'nodes', '-o', 'json'])).items;
    assert.equal(nodes.length, 1);
    assert.equal(nodes[0].metadata.labels['node-role.kubernetes.io/control-plane'], 'true');
    assert.match(nodes[0].metadata.labels['skiff.dev/runtime'], /^(process|containerd)$/);
    assert.match(nodes[0].spec.podCIDR, /^10\.2[45]\d\.\d+\.0\/24$/);
  });

  test('a Deployment becomes Ready through its readiness probe and serves', async () => {
    await c.k(['apply', '-f', '-'], deployment);
    await c.k(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    const pods = JSON.parse(await c.k(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items;
    assert.equal(pods.length, 2);
    for (const p of pods) {
      assert.equal(p.status.phase, 'Running');
      assert.ok(p.status.podIP);
      assert.equal(curl(`http://${p.status.podIP}:8080/`), `hello from ${p.metadata.name}`);
    }
  });

  test('a container that dies is restarted; repeated crashes back off 10 s, then 20 s', async () => {
    const name = JSON.parse(await c.k(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items[0].metadata.name;
    const ip = (await pod(name)).status.podIP;
    try {
      curl(`http://${ip}:8080/crash`);
    } catch {
      // the server exits before answering
    }
    await eventually('first restart', async () => (await pod(name)).status.containerStatuses[0].restartCount === 1 || undefined, 30_000);
    const crash = `
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  automountServiceAccountToken: false
  containers:
  - name: app
    image: busybox
    command: [${JSON.stringify(node)}, "-e", "setTimeout(()=>process.exit(2),300) // ${marker}"]
`;
    await c.k(['apply', '-f', '-'], crash);
    const first = await eventually('CrashLoopBackOff 10s', async () => {
      const cs = (await pod('crash')).status.containerStatuses?.[0];
      return cs?.state?.waiting?.reason === 'CrashLoopBackOff' && /^back-off 10s /.test(cs.state.waiting.message) ? cs : undefined;
    }, 30_000);
    assert.equal(first.lastState.terminated.exitCode, 2);
    const second = await eventually('CrashLoopBackOff 20s', async () => {
      const cs = (await pod('crash')).status.containerStatuses?.[0];
      return cs?.state?.waiting?.reason === 'CrashLoopBackOff' && /^back-off 20s /.test(cs.state.waiting.message) ? cs : undefined;
    }, 45_000);
    assert.ok(second.restartCount > first.restartCount);
    const table = await c.k(['get', 'pod', 'crash']);
    assert.match(table, /CrashLoopBackOff/);
    const events = await c.k(['get', 'events', '--field-selector', 'involvedObject.name=crash', '-o', 'json']);
    assert.ok(JSON.parse(events).items.some((e: { reason: string }) => e.reason === 'BackOff'));
    await c.k(['delete', 'pod', 'crash', '--wait=true', '--timeout=30s']);
  });

  test('a failing liveness probe restarts the container', async () => {
    const live = `
apiVersion: v1
kind: Pod
metadata: {name: live}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: busybox
    command: [${JSON.stringify(node)}, "-e", "setInterval(()=>{},1000) // ${marker}"]
    livenessProbe: {tcpSocket: {port: 9}, periodSeconds: 1, failureThreshold: 2}
`;
    await c.k(['apply', '-f', '-'], live);
    await eventually('liveness restart', async () => ((await pod('live')).status.containerStatuses?.[0]?.restartCount ?? 0) >= 1 || undefined, 40_000);
    const describe = await c.k(['describe', 'pod', 'live']);
    assert.match(describe, /Liveness probe failed/);
    assert.match(describe, /failed liveness probe, will be restarted/);
    await c.k(['delete', 'pod', 'live', '--wait=true', '--timeout=30s']);
  });

  test('init containers run in order before the app container', async () => {
    const step = (n: string) => `[${JSON.stringify(node)}, "-e", "console.log('init ${n}') // ${marker}"]`;
    const init = `
apiVersion: v1
kind: Pod
metadata: {name: init}
spec:
  automountServiceAccountToken: false
  restartPolicy: Never
  initContainers:
  - {name: one, image: busybox, command: ${step('one')}}
  - {name: two, image: busybox, command: ${step('two')}}
  containers:
  - {name: app, image: busybox, command: ${step('app')}}
`;
    await c.k(['apply', '-f', '-'], init);
    const p = await eventually('init pod Succeeded', async () => {
      const x = await pod('init');
      return x.status.phase === 'Succeeded' ? x : undefined;
    }, 30_000);
    const times = p.status.initContainerStatuses.map((s: { state: { terminated: { finishedAt: string; reason: string } } }) => s.state.terminated);
    assert.deepEqual(times.map((t: { reason: string }) => t.reason), ['Completed', 'Completed']);
    assert.ok(times[0].finishedAt <= times[1].finishedAt);
    assert.ok(times[1].finishedAt <= p.status.containerStatuses[0].state.terminated.startedAt);
    await c.k(['delete', 'pod', 'init', '--wait=true', '--timeout=30s']);
  });

  test('a pod resolves the kubernetes Service through cluster DNS and reaches it through the service proxy', async () => {
    const probe = [
      "require('dns').lookup('kubernetes.default.svc.cluster.local',{family:4},(e,a)=>{",
      "if(e){console.error('dns '+e.message);process.exit(1)}",
      "const s=require('net').connect(443,a,()=>{console.log('connected '+a);process.exit(0)});",
      "s.on('error',x=>{console.error('connect '+a+' '+x.message);process.exit(2)})})",
      `// ${marker}`,
    ].join('');
    const dns = `
apiVersion: v1
kind: Pod
metadata: {name: dns}
spec:
  automountServiceAccountToken: false
  restartPolicy: Never
  containers:
  - name: app
    image: busybox
    terminationMessagePolicy: FallbackToLogsOnError
    command: [${JSON.stringify(node)}, "-e", ${JSON.stringify(probe)}]
`;
    await c.k(['apply', '-f', '-'], dns);
    const p = await eventually('dns pod finished', async () => {
      const x = await pod('dns');
      return x.status.phase === 'Succeeded' || x.status.phase === 'Failed' ? x : undefined;
    }, 30_000);
    assert.equal(p.status.phase, 'Succeeded', JSON.stringify(p.status.containerStatuses?.[0]?.state));
    await c.k(['delete', 'pod', 'dns', '--wait=true', '--timeout=30s']);
  });

  test('the message a container writes to its terminationMessagePath is reported', async () => {
    const write = `require('fs').writeFileSync('/dev/termination-log','all done') // ${marker}`;
    const msg = `
apiVersion: v1
kind: Pod
metadata: {name: msg}
spec:
  automountServiceAccountToken: false
  restartPolicy: Never
  containers:
  - {name: app, image: busybox, command: [${JSON.stringify(node)}, "-e", ${JSON.stringify(write)}]}
`;
    await c.k(['apply', '-f', '-'], msg);
    const p = await eventually('msg pod finished', async () => {
      const x = await pod('msg');
      return x.status.phase === 'Succeeded' || x.status.phase === 'Failed' ? x : undefined;
    }, 30_000);
    const t = p.status.containerStatuses[0].state.terminated;
    assert.equal(t.reason, 'Completed', JSON.stringify(t));
    assert.equal(t.message, 'all done');
    await c.k(['delete', 'pod', 'msg', '--wait=true', '--timeout=30s']);
  });

  test('a container without command says why it cannot run', async () => {
    const nocmd = `
apiVersion: v1
kind: Pod
metadata: {name: nocmd}
spec:
  automountServiceAccountToken: false
  containers:
  - {name: app, image: nginx}
`;
    await c.k(['apply', '-f', '-'], nocmd);
    const nodeRuntime = JSON.parse(await c.k(['get', 'nodes', '-o', 'json'])).items[0].metadata.labels['skiff.dev/runtime'];
    if (nodeRuntime !== 'process') return; // containerd runs images
    const w = await eventually('waiting reason', async () => (await pod('nocmd')).status.containerStatuses?.[0]?.state?.waiting?.message && (await pod('nocmd')).status.containerStatuses[0].state.waiting, 30_000);
    assert.equal(w.reason, 'CreateContainerError');
    assert.match(w.message, /cannot run container images/);
    await c.k(['delete', 'pod', 'nocmd', '--wait=true', '--timeout=30s']);
  });

  test('skiff up killed with SIGKILL and started again adopts the running pods', async () => {
    const before = JSON.parse(await c.k(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items.map((p: { status: { containerStatuses: { containerID: string }[] } }) => p.status.containerStatuses[0]!.containerID).sort();
    await c.halt('SIGKILL');
    await c.boot();
    await c.k(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=30s']);
    await new Promise((r) => setTimeout(r, 2000));
    const pods = JSON.parse(await c.k(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items;
    const after = pods.map((p: { status: { containerStatuses: { containerID: string }[] } }) => p.status.containerStatuses[0]!.containerID).sort();
    if (JSON.stringify(after) !== JSON.stringify(before)) {
      // Say why a container was replaced: the pods' events and what the server logged after the restart.
      console.log(await c.k(['get', 'events', '--sort-by=.lastTimestamp']));
      console.log(JSON.stringify(pods.map((p: { metadata: unknown; status: unknown }) => ({ metadata: p.metadata, status: p.status })), null, 1));
      console.log(c.log.split('\n').slice(-80).join('\n'));
    }
    assert.deepEqual(after, before);
    for (const p of pods) assert.equal(curl(`http://${p.status.podIP}:8080/`), `hello from ${p.metadata.name}`);
  });

  test('deleting the Deployment leaves no pod process behind; so does stopping skiff up', async () => {
    await c.k(['delete', 'deployment', 'web', '--wait=true', '--timeout=30s']);
    await eventually('web pods gone', async () => JSON.parse(await c.k(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items.length === 0 || undefined, 30_000);
    await eventually('no pod processes', async () => podsWithMarker().length === 0 || undefined, 15_000);
    // A pod still running when the cluster stops is taken down with it.
    await c.k(['apply', '-f', '-'], deployment.replace('replicas: 2', 'replicas: 1'));
    await c.k(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    assert.ok(podsWithMarker().length > 0);
    assert.equal(await c.halt('SIGTERM'), 0);
    assert.deepEqual(podsWithMarker(), []);
  });
});
