// Container images end to end: `skiff up --runtime containerd` (a containerd it starts and owns), kubectl as
// the client. An image built at test time is imported with `skiff images import`; a Deployment whose
// container has only an image (no command) becomes Ready and serves; logs, exec, cp and port-forward reach it;
// pods reach each other and a Service (cluster IP and DNS name);
// a memory limit ends in OOMKilled; a failing liveness probe restarts a container; a chatty container's log
// rotates (--container-log-max-size) and kubectl logs still reads it; a missing image shows ErrImagePull,
// then ImagePullBackOff, with the registry's error in the events, and an absent one with imagePullPolicy
// Never ErrImageNeverPull; an image is pulled by name from a docker-registry on 127.0.0.1 (imagePullPolicy
// Always), and from one with basic auth through imagePullSecrets (a `kubectl create secret docker-registry`)
// or the ServiceAccount's; a 3-replica image-only Deployment rolls to a new image with no failed request
// through its NodePort; and after `skiff up` stops, its containerd, shims, network namespaces and bridge are
// gone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, e2eSkipReason, freePort, nodeArgs, repoRoot } from './harness.js';
import { eventually } from './wait.js';
import { buildTestImage, containerdSkipReason, startRegistry, type TestImage, type TestRegistry } from '../support/images.js';
import { hostLoad } from '../support/load.js';
import { containerdPaths, processRunning } from '../../src/runtime/containerd/daemon.js';
import { CriClient } from '../../src/runtime/containerd/cri-client.js';
import { netnsPathFromInfo } from '../../src/runtime/containerd/cri-mapping.js';
import { taskProcesses } from '../../src/runtime/containerd/leftovers.js';

const run = promisify(execFile);
const skip = e2eSkipReason() ?? containerdSkipReason(['docker-registry']);
if (skip) console.log(`# skipping containerd e2e: ${skip}`);

const webImage = 'skiff.test/web:1';

/** An image-only Deployment of the test image serving on 8080 with a readiness probe; `extra` adds to it. */
const imageDeployment = (name: string, replicas: number, extra: { strategy?: string; grace?: number; container?: string } = {}) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}${extra.strategy ? `\n  strategy: ${extra.strategy}` : ''}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: ${extra.grace ?? 1}
      containers:
      - name: web
        image: ${webImage}
        imagePullPolicy: IfNotPresent
        ports: [{containerPort: 8080, name: http}]
        readinessProbe: {httpGet: {port: http, path: /}, periodSeconds: 1}${extra.container ? `\n        ${extra.container}` : ''}
`;

function curl(url: string): string {
  return execFileSync('curl', ['-s', '--max-time', '5', url], { encoding: 'utf8' });
}

describe('containerd runtime end to end', { skip, concurrency: false }, () => {
  let c: Cluster;
  let work: string;
  let image: TestImage;
  let registry: TestRegistry | undefined;
  let privateRegistry: TestRegistry | undefined;
  let daemonPid: number | undefined;
  let bridge: string;
  const pod = async (name: string) => JSON.parse(await c.k(['get', 'pod', name, '-o', 'json']));

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'skiff-e2e-ctd-'));
    const port = await freePort();
    bridge = nodeArgs(port)[nodeArgs(port).indexOf('--cni-bridge') + 1]!;
    [image, c] = await Promise.all([
      buildTestImage(join(work, 'web'), webImage, { files: [{ path: '/www/index.html', content: 'hello from an image\n' }], cmd: ['httpd', '-f', '-v', '-p', '8080', '-h', '/www'] }),
      Cluster.start({ port, extraArgs: ['--runtime', 'containerd', '--container-log-max-size', '64Ki', '--container-log-max-files', '3'] }),
    ]);
    const pidFile = join(c.dataDir, 'agent', 'runtime', 'containerd', 'containerd', 'containerd.pid');
    if (existsSync(pidFile)) daemonPid = Number(readFileSync(pidFile, 'utf8'));
  });

  after(async () => {
    await registry?.stop();
    await privateRegistry?.stop();
    await c?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the node runs containerd and says so', async () => {
    await c.k(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=30s']);
    const node = JSON.parse(await c.k(['get', 'nodes', '-o', 'json'])).items[0];
    assert.equal(node.metadata.labels['skiff.dev/runtime'], 'containerd');
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\/1\./);
    assert.ok(daemonPid && processRunning(daemonPid), 'skiff started its own containerd');
  });

  test('skiff images import, then an image-only Deployment becomes Ready and serves', async () => {
    const { stdout } = await run(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), 'images', 'import', image.archive, '--data-dir', c.dataDir]);
    assert.match(stdout, /^imported skiff\.test\/web:1$/m);
    const { stdout: ls } = await run(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), 'images', 'ls', '--data-dir', c.dataDir]);
    assert.match(ls, /^skiff\.test\/web\s+1\s/m);
    await c.k(['apply', '-f', '-'], imageDeployment('web', 2));
    await c.k(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    const pods = JSON.parse(await c.k(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items;
    assert.equal(pods.length, 2);
    for (const p of pods) {
      assert.equal(p.status.phase, 'Running');
      assert.match(p.status.containerStatuses[0].containerID, /^containerd:\/\/[0-9a-f]{64}$/);
      assert.match(p.status.containerStatuses[0].imageID, /sha256:[0-9a-f]{64}/);
      assert.equal(curl(`http://${p.status.podIP}:8080/`), 'hello from an image\n');
    }
  });

  test('logs, exec (with stdin), cp and port-forward reach the container', async () => {
    const name = JSON.parse(await c.k(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items[0].metadata.name;
    await eventually('httpd access log', async () => /response:200/.test(await c.k(['logs', name])));
    assert.equal(await c.k(['exec', name, '--', 'cat', '/www/index.html']), 'hello from an image\n');
    const r = await c.kubectl(['exec', name, '--', 'sh', '-c', 'exit 3']);
    assert.equal(r.code, 3);
    // stdin reaches the command and its end is seen (cat exits), which kubectl cp relies on.
    assert.equal((await c.kubectl(['exec', '-i', name, '--', 'cat'], { input: 'through stdin\n' })).stdout, 'through stdin\n');
    const local = c.writeFile('copied.txt', 'copied with kubectl cp\n');
    await c.k(['cp', local, `${name}:/tmp/copied.txt`]);
    assert.equal(await c.k(['exec', name, '--', 'cat', '/tmp/copied.txt']), 'copied with kubectl cp\n');
    const localPort = await freePort();
    const pf = spawn('/usr/bin/kubectl', ['port-forward', `pod/${name}`, `${localPort}:8080`], { env: { ...process.env, HOME: c.home, KUBECONFIG: c.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      pf.stdout.on('data', (d: Buffer) => (out += d.toString()));
      pf.stderr.on('data', (d: Buffer) => (out += d.toString()));
      await eventually('port-forward listening', async () => /Forwarding from 127\.0\.0\.1/.test(out));
      assert.equal(curl(`http://127.0.0.1:${localPort}/`), 'hello from an image\n', out);
    } finally {
      pf.kill('SIGTERM');
    }
  });

  test('pods reach each other and a Service by its cluster IP and DNS name', async () => {
    await c.k(['expose', 'deployment/web', '--port=80', '--target-port=8080']);
    const svcIP = JSON.parse(await c.k(['get', 'service', 'web', '-o', 'json'])).spec.clusterIP;
    const pods = JSON.parse(await c.k(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items;
    const [a, b] = [pods[0].metadata.name, pods[1].status.podIP];
    assert.equal(await c.k(['exec', a, '--', 'wget', '-q', '-O', '-', `http://${b}:8080/`]), 'hello from an image\n');
    await eventually('Service by cluster IP', async () => (await c.kubectl(['exec', a, '--', 'wget', '-q', '-O', '-', `http://${svcIP}/`])).stdout === 'hello from an image\n');
    await eventually('Service by DNS name', async () => (await c.kubectl(['exec', a, '--', 'wget', '-q', '-O', '-', 'http://web.default.svc.cluster.local/'])).stdout === 'hello from an image\n');
  });

  test('kubectl top shows the pods\' CPU and memory from containerd\'s stats', async () => {
    const out = await eventually('metrics', async () => {
      const r = await c.kubectl(['top', 'pod', '-l', 'app=web', '--no-headers']);
      return r.code === 0 && r.stdout.trim().split('\n').length === 2 ? r.stdout : undefined;
    }, 90_000);
    // An idle busybox httpd may well round to 0m and 0Mi; the figures come through, in kubectl's format.
    for (const line of out.trim().split('\n')) assert.match(line.trim(), /^web-\S+\s+\d+m\s+\d+Mi$/);
  });

  test('a container over its memory limit is OOMKilled', async () => {
    await c.k(['apply', '-f', '-'], `
apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  restartPolicy: Never
  containers:
  - name: hog
    image: ${webImage}
    command: [sh, -c, 'x=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; while :; do x="$x$x"; done']
    resources: {limits: {memory: 32Mi}}
`);
    const term = await eventually('OOMKilled', async () => (await pod('hog')).status.containerStatuses?.[0]?.state?.terminated, 90_000);
    assert.equal(term.reason, 'OOMKilled');
    assert.equal(term.exitCode, 137);
    assert.equal((await pod('hog')).status.phase, 'Failed');
  });

  test('a failing liveness probe restarts the container', async () => {
    await c.k(['apply', '-f', '-'], `
apiVersion: v1
kind: Pod
metadata: {name: unhealthy}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: ${webImage}
    imagePullPolicy: Never
    livenessProbe: {httpGet: {port: 8081, path: /}, periodSeconds: 1, failureThreshold: 2}
`);
    const cs = await eventually('a liveness restart', async () => {
      const s = (await pod('unhealthy')).status.containerStatuses?.[0];
      return s && s.restartCount >= 1 && s.lastState?.terminated ? s : undefined;
    }, 90_000);
    assert.equal(cs.lastState.terminated.exitCode, 137, JSON.stringify(cs.lastState));
    const events = JSON.parse(await c.k(['get', 'events', '--field-selector', 'involvedObject.name=unhealthy', '-o', 'json'])).items as { reason: string; message: string }[];
    assert.ok(events.some((e) => e.reason === 'Unhealthy' && /^Liveness probe failed: /.test(e.message)), JSON.stringify(events.map((e) => e.message)));
    assert.ok(events.some((e) => e.reason === 'Killing' && e.message === 'Container web failed liveness probe, will be restarted'), JSON.stringify(events.map((e) => e.message)));
    await c.k(['delete', 'pod', 'unhealthy', '--wait=false']);
  });

  test("a chatty container's log rotates and kubectl logs still reads it", async () => {
    await c.k(['apply', '-f', '-'], `
apiVersion: v1
kind: Pod
metadata: {name: chatty}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  containers:
  - name: talk
    image: ${webImage}
    imagePullPolicy: Never
    command: [sh, -c, 'i=0; while :; do i=$((i+1)); echo "line $i of a chatty container that fills its log quickly"; [ $((i % 200)) = 0 ] && sleep 0.1; done']
`);
    const uid = (await pod('chatty')).metadata.uid as string;
    const dir = join(c.dataDir, 'agent', 'pods', 'logs', `default_chatty_${uid}`, 'talk');
    const rotated = await eventually('rotated log files', async () => {
      const files = existsSync(dir) ? readdirSync(dir) : [];
      return files.some((f) => /^0\.log\.\d{8}-\d{6}\.gz$/.test(f)) ? files : undefined;
    }, 90_000);
    // At most 3 files (the current one included), the older rotated ones gzipped.
    assert.ok(rotated.length <= 3, rotated.join(', '));
    assert.ok(statSync(join(dir, '0.log')).size < 4 * 64 * 1024, 'the current file was started afresh');
    const tail = await c.k(['logs', 'chatty', '--tail=3']);
    const lines = tail.trim().split('\n');
    assert.equal(lines.length, 3, tail);
    for (const l of lines) assert.match(l, /^line \d+ of a chatty container/);
    await c.k(['delete', 'pod', 'chatty', '--wait=false']);
  });

  test('a missing image shows ErrImagePull, then ImagePullBackOff, with the registry error in the events', async () => {
    registry = await startRegistry(join(work, 'registry'));
    const missing = `${registry.host}/absent/image:1`;
    await c.k(['run', 'missing', `--image=${missing}`, '--restart=Never', '--overrides={"spec":{"automountServiceAccountToken":false,"terminationGracePeriodSeconds":1}}']);
    // What kubectl get pod shows in its STATUS column, in order.
    const seen: string[] = [];
    await eventually('ImagePullBackOff after ErrImagePull', async () => {
      const status = (await c.k(['get', 'pod', 'missing', '--no-headers'])).trim().split(/\s+/)[2] ?? '';
      if (seen[seen.length - 1] !== status) seen.push(status);
      return seen.includes('ErrImagePull') && status === 'ImagePullBackOff';
    }, 90_000);
    assert.ok(seen.indexOf('ErrImagePull') < seen.indexOf('ImagePullBackOff'), seen.join(' → '));
    const p = await pod('missing');
    assert.equal(p.status.containerStatuses[0].state.waiting.message, `Back-off pulling image "${missing}"`);
    const events = JSON.parse(await c.k(['get', 'events', '--field-selector', 'involvedObject.name=missing', '-o', 'json'])).items as { reason: string; message: string }[];
    const messages = JSON.stringify(events.map((e) => `${e.reason}: ${e.message}`));
    assert.ok(events.some((e) => e.reason === 'Failed' && e.message.startsWith(`Failed to pull image "${missing}": `) && /not found/.test(e.message)), messages);
    assert.ok(events.some((e) => e.reason === 'Failed' && e.message === 'Error: ErrImagePull'), messages);
    assert.ok(events.some((e) => e.reason === 'BackOff' && e.message === `Back-off pulling image "${missing}"`), messages);
    assert.ok(events.some((e) => e.reason === 'Failed' && e.message === 'Error: ImagePullBackOff'), messages);
  });

  test('imagePullPolicy Never with an absent image: ErrImageNeverPull', async () => {
    const absent = 'skiff.test/never-imported:1';
    await c.k(['run', 'never', `--image=${absent}`, '--image-pull-policy=Never', '--restart=Never', '--overrides={"spec":{"automountServiceAccountToken":false,"terminationGracePeriodSeconds":1}}']);
    const waiting = await eventually('ErrImageNeverPull', async () => {
      const w = (await pod('never')).status.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'ErrImageNeverPull' ? w : undefined;
    }, 60_000);
    assert.equal(waiting.message, `Container image "${absent}" is not present with pull policy of Never`);
    await c.k(['delete', 'pod', 'never', '--wait=false']);
  });

  test('an image is pulled by name from a registry (imagePullPolicy Always)', async () => {
    const ref = await registry!.push(image, 'team/web:pulled');
    await c.k(['run', 'pulled', `--image=${ref}`, '--image-pull-policy=Always', '--restart=Never', '--overrides={"spec":{"automountServiceAccountToken":false,"terminationGracePeriodSeconds":1}}']);
    await c.k(['wait', '--for=condition=Ready', 'pod/pulled', '--timeout=90s']);
    const events = JSON.parse(await c.k(['get', 'events', '--field-selector', 'involvedObject.name=pulled', '-o', 'json'])).items;
    assert.ok(events.some((e: { reason: string }) => e.reason === 'Pulled'));
    const p = await pod('pulled');
    assert.equal(p.status.containerStatuses[0].image, ref);
    assert.equal(curl(`http://${p.status.podIP}:8080/`), 'hello from an image\n');
  });

  test('a private registry: imagePullSecrets (or the ServiceAccount\'s) give the credentials', async () => {
    privateRegistry = await startRegistry(join(work, 'private'), { username: 'puller', password: 'pull-s3cret' });
    const ref = await privateRegistry.push(image, 'team/web:private');
    const overrides = (spec: object) => `--overrides=${JSON.stringify({ spec: { automountServiceAccountToken: false, terminationGracePeriodSeconds: 1, ...spec } })}`;
    // Without credentials the registry refuses.
    await c.k(['run', 'no-creds', `--image=${ref}`, '--image-pull-policy=Always', '--restart=Never', overrides({})]);
    const refused = await eventually('ErrImagePull without credentials', async () => {
      const w = (await pod('no-creds')).status.containerStatuses?.[0]?.state?.waiting;
      return w && /ErrImagePull|ImagePullBackOff/.test(w.reason) ? w : undefined;
    }, 60_000);
    assert.ok(refused);
    await c.k(['create', 'secret', 'docker-registry', 'regcred', `--docker-server=${privateRegistry.host}`, '--docker-username=puller', '--docker-password=pull-s3cret']);
    await c.k(['run', 'private', `--image=${ref}`, '--image-pull-policy=Always', '--restart=Never', overrides({ imagePullSecrets: [{ name: 'regcred' }] })]);
    await c.k(['wait', '--for=condition=Ready', 'pod/private', '--timeout=90s']);
    const events = JSON.parse(await c.k(['get', 'events', '--field-selector', 'involvedObject.name=private', '-o', 'json'])).items as { reason: string; message: string }[];
    const pulled = events.find((e) => e.reason === 'Pulled');
    assert.match(pulled?.message ?? '', new RegExp(`^Successfully pulled image "${ref.replace(/[.]/g, '\\.')}" in [0-9.]+m?s \\([0-9.]+m?s including waiting\\)\\. Image size: \\d+ bytes\\.$`));
    // The ServiceAccount's imagePullSecrets serve a pod that names none.
    await c.k(['create', 'serviceaccount', 'puller']);
    await c.k(['patch', 'serviceaccount', 'puller', '-p', '{"imagePullSecrets":[{"name":"regcred"}]}']);
    await c.k(['run', 'private-sa', `--image=${ref}`, '--image-pull-policy=Always', '--restart=Never', overrides({ serviceAccountName: 'puller' })]);
    await c.k(['wait', '--for=condition=Ready', 'pod/private-sa', '--timeout=90s']);
    await c.k(['delete', 'pod', 'no-creds', 'private', 'private-sa', '--wait=false']);
  });

  test('a 3-replica image-only Deployment rolls to a new image with no failed request', async () => {
    const next = await registry!.push(image, 'team/web:next');
    const strategy = '{type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}';
    // The preStop sleep lets the proxies drop the endpoint before the old pod stops serving.
    const roll = imageDeployment('roll', 3, { strategy, grace: 5, container: 'lifecycle: {preStop: {exec: {command: [sleep, "2"]}}}' });
    await c.k(['apply', '-f', '-'], `${roll}---
apiVersion: v1
kind: Service
metadata: {name: roll}
spec:
  type: NodePort
  selector: {app: roll}
  ports: [{port: 80, targetPort: http}]
`);
    await c.k(['rollout', 'status', 'deployment/roll', '--timeout=90s']);
    const nodePort = Number(await c.k(['get', 'svc', 'roll', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    await eventually('NodePort answers', async () => curl(`http://127.0.0.1:${nodePort}/`) === 'hello from an image\n');
    const before = (await c.k(['get', 'pods', '-l', 'app=roll', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' ');
    const stop = { now: false };
    const load = hostLoad(nodePort, 500, 180, stop);
    await c.k(['set', 'image', 'deployment/roll', `web=${next}`]);
    await c.k(['rollout', 'status', 'deployment/roll', '--timeout=150s']);
    stop.now = true;
    const r = await load;
    console.log(`# rolling update through the NodePort: ${r.ok} ok, ${r.failed} failed`);
    assert.equal(r.failed, 0, JSON.stringify(r));
    assert.ok(r.ok >= 500, JSON.stringify(r));
    // Old pods may still be terminating (preStop): the live ones are all new.
    const afterPods = (JSON.parse(await c.k(['get', 'pods', '-l', 'app=roll', '-o', 'json'])).items as { metadata: { name: string; deletionTimestamp?: string }; spec: { containers: { image: string }[] } }[]).filter((p) => !p.metadata.deletionTimestamp);
    assert.equal(afterPods.length, 3);
    assert.ok(!afterPods.some((p) => before.includes(p.metadata.name)), 'every replica was replaced');
    for (const p of afterPods) assert.equal(p.spec.containers[0]!.image, next);
  });

  test('after skiff up stops, its containerd, shims, pod network namespaces and bridge are gone', async () => {
    await c.k(['delete', 'pod', 'hog', 'missing', '--wait=true', '--timeout=50s']).catch((e: Error) => {
      // What the agent said about them: the reason the final delete did not come.
      const said = c.log.split('\n').filter((l) => /\b(hog|missing)\b/.test(l)).slice(-40).join('\n');
      throw new Error(`${e.message}\nserver log lines about them:\n${said}`);
    });
    const socket = join(c.dataDir, 'agent', 'runtime', 'containerd', 'containerd', 'containerd.sock');
    const cri = new CriClient(socket);
    const netns: string[] = [];
    const shims: number[] = [];
    try {
      for (const sb of (await cri.listPodSandbox()).items) {
        // A sandbox of a pod deleted just before may be gone by now.
        const st = await cri.podSandboxStatus(sb.id, true).catch(() => undefined);
        const ns = st && netnsPathFromInfo(st.info);
        if (ns) netns.push(ns);
      }
      shims.push(...taskProcesses(containerdPaths(join(c.dataDir, 'agent', 'runtime', 'containerd', 'containerd'))).flatMap((t) => [t.init, ...(t.shim ? [t.shim] : [])]));
    } finally {
      cri.close();
    }
    assert.ok(netns.length >= 3, `sandboxes of the running pods: ${netns.join(', ')}`);
    assert.ok(shims.length >= 6, 'pause and app processes with their shims');
    assert.equal(await c.halt('SIGTERM'), 0);
    assert.ok(daemonPid);
    assert.equal(processRunning(daemonPid), false, 'containerd stopped');
    for (const pid of shims) assert.equal(processRunning(pid), false, `process ${pid} stopped`);
    for (const ns of netns) assert.equal(existsSync(ns), false, `netns ${ns} removed`);
    assert.equal(existsSync(`/sys/class/net/${bridge}`), false, `bridge ${bridge} deleted`);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(c.dataDir));
    assert.deepEqual(mounts, []);
  });
});
