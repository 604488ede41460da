// The node agent against a real API server and the real process runtime (host network, no isolation, so it
// runs anywhere): node registration and lease, a pod Ready through its readiness probe, CrashLoopBackOff
// restarts, liveness restarts, init containers in order, a pod without command, graceful deletion, and an
// agent restart that adopts the running pod. Every process, sandbox and temp dir is cleaned up.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigMap, Event, Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { ApiClient, resources } from '../../src/client/index.js';
import { cgroupRootFor, startAgent, type Agent } from '../../src/agent/agent.js';
import { ProcessRuntime } from '../../src/runtime/process/index.js';
import { startTestServer, type TestServer } from '../apiserver/harness.js';
import { eventually, getOrUndefined } from '../controllers/support.js';
import { freePort } from '../e2e/harness.js';

const nodeName = 'agent-test-node';
let server: TestServer;
let client: ApiClient;
let dir: string;
let agent: Agent | undefined;
let runtime: ProcessRuntime | undefined;
const logs: string[] = [];

async function start(): Promise<Agent> {
  // The agent's cgroup root, as node.ts gives it, so cleanupAll removes the QoS cgroups its pods leave.
  runtime = await ProcessRuntime.open({ stateDir: join(dir, 'runtime'), isolation: 'none', hostIPs: ['127.0.0.1'], cgroupRoot: cgroupRootFor(join(dir, 'agent')) });
  return startAgent({
    client,
    nodeName,
    dataDir: join(dir, 'agent'),
    runtime,
    clusterDns: { servers: [], domain: 'cluster.local', host: { nameservers: [], searches: [], options: [] } },
    nodeIP: '127.0.0.1',
    reservation: { cpuMillis: 0, memoryBytes: 0, ephemeralStorageBytes: 0 },
    syncFrequencyMs: 1000,
    // As node.ts passes degraded service networking (here: what a non-root node reports).
    warnings: [{ reason: 'UserspaceProxy', message: 'service proxy runs in userspace on loopback' }],
    log: (l) => logs.push(l),
  });
}

const node = process.execPath;
const pod = (name: string, spec: Partial<NonNullable<Pod['spec']>>): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { nodeName, terminationGracePeriodSeconds: 2, containers: [], ...spec },
});

const getPod = (name: string) => getOrUndefined(client.get<Pod>(resources.pods, name, { namespace: 'default' }));

describe('node agent with the process runtime', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-agent-test-'));
    server = await startTestServer({ dataDir: join(dir, 'server') });
    client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' }, { timeoutMs: 10_000 });
    agent = await start();
  });
  after(async () => {
    await agent?.stop({ removePods: true });
    await runtime?.cleanupAll();
    client?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers its Node (Ready, capacity, runtime label) and a Lease', async () => {
    const n = await eventually(() => getOrUndefined(client.get<Node>(resources.nodes, nodeName)), (n) => n?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True', 'node Ready');
    assert.equal(n!.metadata?.labels?.['skiff.dev/runtime'], 'process');
    assert.equal(n!.status?.capacity?.pods, '110');
    assert.match(n!.status?.nodeInfo?.containerRuntimeVersion ?? '', /^process:\/\//);
    const lease = await client.get<Lease>(resources.leases, nodeName, { namespace: 'kube-node-lease' });
    assert.equal(lease.spec?.holderIdentity, nodeName);
    const events = await eventually(
      async () => (await client.list<Event>(resources.events, { namespace: 'default', fieldSelector: `involvedObject.name=${nodeName}` })).items,
      (evs) => evs.some((e) => e.reason === 'NodeReady'),
      'NodeReady event',
    );
    assert.ok(events.some((e) => e.reason === 'Starting' && e.source?.component === 'kubelet' && e.source?.host === nodeName));
    // Degraded service networking is stated loudly: a Warning event and the Ready condition's message.
    assert.ok(events.some((e) => e.type === 'Warning' && e.reason === 'UserspaceProxy'));
    assert.match(n!.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '', /UserspaceProxy: service proxy runs in userspace on loopback/);
  });

  it('a pod becomes Ready through its readiness probe', async () => {
    const port = await freePort();
    const script = `require('http').createServer((q,s)=>s.end('ok')).listen(${port},'127.0.0.1')`;
    await client.create(resources.pods, pod('web', { hostNetwork: true, containers: [{ name: 'app', image: 'node', command: [node, '-e', script], readinessProbe: { httpGet: { port, path: '/' }, periodSeconds: 1 } }] }), { namespace: 'default' });
    const p = await eventually(() => getPod('web'), (p) => p?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True', 'web Ready');
    assert.equal(p!.status?.phase, 'Running');
    assert.equal(p!.status?.podIP, '127.0.0.1');
    assert.ok(p!.status?.containerStatuses?.[0]?.containerID?.startsWith('process://'));
  });

  it('a crashing container restarts with CrashLoopBackOff', async () => {
    await client.create(resources.pods, pod('crash', { containers: [{ name: 'app', image: 'node', command: [node, '-e', 'process.exit(3)'] }] }), { namespace: 'default' });
    const p = await eventually(() => getPod('crash'), (p) => p?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff', 'CrashLoopBackOff', 20_000);
    const c = p!.status!.containerStatuses![0]!;
    assert.ok((c.restartCount ?? 0) >= 1);
    assert.equal(c.lastState?.terminated?.exitCode, 3);
    assert.match(c.state?.waiting?.message ?? '', /^back-off 10s restarting failed container=app pod=crash_default/);
    const events = await client.list<Event>(resources.events, { namespace: 'default', fieldSelector: 'involvedObject.name=crash' });
    assert.ok(events.items.some((e) => e.reason === 'BackOff' && e.involvedObject.fieldPath === 'spec.containers{app}'));
  });

  it('a failing liveness probe restarts the container', async () => {
    await client.create(
      resources.pods,
      pod('live', { containers: [{ name: 'app', image: 'node', command: [node, '-e', 'setInterval(()=>{},1000)'], livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1 } }] }),
      { namespace: 'default' },
    );
    await eventually(() => getPod('live'), (p) => (p?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 'liveness restart', 20_000);
    const events = await client.list<Event>(resources.events, { namespace: 'default', fieldSelector: 'involvedObject.name=live' });
    assert.ok(events.items.some((e) => e.reason === 'Unhealthy' && /^Liveness probe failed/.test(e.message ?? '')));
    assert.ok(events.items.some((e) => e.reason === 'Killing' && /failed liveness probe, will be restarted/.test(e.message ?? '')));
  });

  it('init containers run in order, to completion, before the app container', async () => {
    const out = join(dir, 'order.txt');
    const w = (s: string) => [node, '-e', `require('fs').appendFileSync(${JSON.stringify(out)}, ${JSON.stringify(s)})`];
    await client.create(
      resources.pods,
      pod('init', { restartPolicy: 'Never', initContainers: [{ name: 'one', image: 'x', command: w('1') }, { name: 'two', image: 'x', command: w('2') }], containers: [{ name: 'app', image: 'x', command: w('3') }] }),
      { namespace: 'default' },
    );
    const p = await eventually(() => getPod('init'), (p) => p?.status?.phase === 'Succeeded', 'init pod Succeeded', 15_000);
    assert.equal(readFileSync(out, 'utf8'), '123');
    assert.deepEqual(p!.status?.initContainerStatuses?.map((c) => c.state?.terminated?.reason), ['Completed', 'Completed']);
  });

  it('a container without command fails with a clear reason', async () => {
    await client.create(resources.pods, pod('nocmd', { containers: [{ name: 'app', image: 'nginx' }] }), { namespace: 'default' });
    const p = await eventually(() => getPod('nocmd'), (p) => !!p?.status?.containerStatuses?.[0]?.state?.waiting?.message, 'waiting message');
    const w = p!.status!.containerStatuses![0]!.state!.waiting!;
    assert.equal(w.reason, 'CreateContainerError');
    assert.match(w.message ?? '', /cannot run container images/);
  });

  it('postStart runs after the start; on deletion preStop runs before SIGTERM', async () => {
    const f = join(dir, 'hooks.txt');
    const armed = join(dir, 'hooks-armed');
    const app = `process.on('SIGTERM',()=>{require('fs').appendFileSync(${JSON.stringify(f)},'term\\n');process.exit(0)});require('fs').writeFileSync(${JSON.stringify(armed)},'');setInterval(()=>{},1000)`;
    await client.create(
      resources.pods,
      pod('hooks', {
        containers: [
          {
            name: 'app',
            image: 'node',
            command: [node, '-e', app],
            lifecycle: { postStart: { exec: { command: ['sh', '-c', `echo post >> ${f}`] } }, preStop: { exec: { command: ['sh', '-c', `echo pre >> ${f}`] } } },
          },
        ],
      }),
      { namespace: 'default' },
    );
    await eventually(() => getPod('hooks'), (p) => p?.status?.phase === 'Running', 'hooks Running');
    await eventually(() => (existsSync(f) ? readFileSync(f, 'utf8') : ''), (t) => t === 'post\n', 'postStart ran');
    await eventually(() => existsSync(armed), (x) => x, 'SIGTERM handler installed');
    await client.delete(resources.pods, 'hooks', { namespace: 'default' });
    await eventually(() => getPod('hooks'), (x) => x === undefined, 'hooks deleted', 15_000);
    assert.equal(readFileSync(f, 'utf8'), 'post\npre\nterm\n');
  });

  it('FallbackToLogsOnError: the end of the log becomes the termination message', async () => {
    await client.create(
      resources.pods,
      pod('msg', { restartPolicy: 'Never', containers: [{ name: 'app', image: 'node', terminationMessagePolicy: 'FallbackToLogsOnError', command: [node, '-e', "console.error('boom'); process.exit(4)"] }] }),
      { namespace: 'default' },
    );
    const p = await eventually(() => getPod('msg'), (p) => p?.status?.phase === 'Failed', 'msg Failed');
    const t = p!.status!.containerStatuses![0]!.state!.terminated!;
    assert.equal(t.exitCode, 4);
    assert.equal(t.reason, 'Error');
    assert.equal(t.message, 'boom');
  });

  it('a grpc readiness probe (grpc.health.v1) makes the pod Ready', async () => {
    const port = await freePort();
    const server = [
      "const g=require('@grpc/grpc-js');const s=new g.Server();const id=(b)=>b;",
      "s.addService({Check:{path:'/grpc.health.v1.Health/Check',requestStream:false,responseStream:false,requestSerialize:id,requestDeserialize:id,responseSerialize:id,responseDeserialize:id}},{Check:(c,cb)=>cb(null,Buffer.from([8,1]))});",
      `s.bindAsync('127.0.0.1:${port}',g.ServerCredentials.createInsecure(),()=>{});`,
    ].join('');
    await client.create(
      resources.pods,
      pod('grpc', { hostNetwork: true, containers: [{ name: 'app', image: 'node', workingDir: process.cwd(), command: [node, '-e', server], readinessProbe: { grpc: { port }, periodSeconds: 1 } }] }),
      { namespace: 'default' },
    );
    await eventually(() => getPod('grpc'), (p) => p?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True', 'grpc Ready', 15_000);
  });

  it('a pod past activeDeadlineSeconds is stopped and fails with DeadlineExceeded', async () => {
    await client.create(resources.pods, pod('deadline', { activeDeadlineSeconds: 1, containers: [{ name: 'app', image: 'node', command: [node, '-e', 'setInterval(()=>{},1000)'] }] }), { namespace: 'default' });
    const p = await eventually(() => getPod('deadline'), (p) => p?.status?.phase === 'Failed', 'deadline Failed', 15_000);
    assert.equal(p!.status?.reason, 'DeadlineExceeded');
    const c = await eventually(() => getPod('deadline'), (p) => !!p?.status?.containerStatuses?.[0]?.state?.terminated, 'container terminated', 10_000);
    assert.ok(c!.status!.containerStatuses![0]!.state!.terminated);
  });

  it('a changed ConfigMap reaches the pod\'s volume within the sync frequency', async () => {
    await client.create(resources.configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data: { greeting: 'one' } }, { namespace: 'default' });
    const p = await client.create(
      resources.pods,
      pod('cfgpod', { volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }], containers: [{ name: 'app', image: 'node', command: [node, '-e', 'setInterval(()=>{},1000)'], volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] }] }),
      { namespace: 'default' },
    );
    const file = join(dir, 'agent', 'pods', p.metadata!.uid!, 'volumes', 'kubernetes.io~configmap', 'cfg', 'greeting');
    await eventually(() => (existsSync(file) ? readFileSync(file, 'utf8') : ''), (t) => t === 'one', 'configMap projected');
    const cm = await client.get<ConfigMap>(resources.configMaps, 'cfg', { namespace: 'default' });
    await client.update(resources.configMaps, { ...cm, data: { greeting: 'two' } }, { namespace: 'default' });
    await eventually(() => readFileSync(file, 'utf8'), (t) => t === 'two', 'configMap update visible', 10_000);
    await client.delete(resources.pods, 'cfgpod', { namespace: 'default' });
  });

  it('an agent restart adopts the running pod instead of restarting it', async () => {
    const before = await getPod('web');
    const id = before!.status!.containerStatuses![0]!.containerID;
    await agent!.stop();
    await runtime!.close();
    agent = await start();
    await new Promise((r) => setTimeout(r, 1500));
    const after = await getPod('web');
    assert.equal(after!.status!.containerStatuses![0]!.containerID, id);
    assert.equal(after!.status!.containerStatuses![0]!.restartCount, 0);
    assert.equal(after!.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  });

  it('a pod deleted while the agent was down is torn down at its next start; the others stay', async () => {
    const gone = await client.create(resources.pods, pod('gone', { containers: [{ name: 'app', image: 'node', command: [node, '-e', 'setInterval(()=>{},1000)'] }] }), { namespace: 'default' });
    await eventually(() => getPod('gone'), (p) => p?.status?.phase === 'Running', 'gone running');
    const web = (await getPod('web'))!.status!.containerStatuses![0]!.containerID;
    await agent!.stop();
    await runtime!.close();
    await client.delete(resources.pods, 'gone', { namespace: 'default', gracePeriodSeconds: 0 });
    agent = await start();
    await eventually(async () => (await agent!.runtime.listPodSandboxes()).some((s) => s.uid === gone.metadata!.uid), (left) => !left, 'orphaned sandbox removed');
    assert.equal(existsSync(join(dir, 'agent', 'pods', gone.metadata!.uid!)), false, 'pod directory removed');
    assert.equal((await getPod('web'))!.status!.containerStatuses![0]!.containerID, web, 'the pod still bound here was adopted');
  });

  it('graceful deletion stops the containers and deletes the pod; nothing is left', async () => {
    const p = await getPod('web');
    await client.delete(resources.pods, 'web', { namespace: 'default' });
    await eventually(() => getPod('web'), (x) => x === undefined, 'web deleted', 15_000);
    const sandboxes = await agent!.runtime.listPodSandboxes();
    assert.ok(!sandboxes.some((s) => s.uid === p!.metadata!.uid), 'sandbox removed');
    assert.equal(existsSync(join(dir, 'agent', 'pods', p!.metadata!.uid!)), false, 'pod directory removed');
  });
});
