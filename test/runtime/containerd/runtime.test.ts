// The containerd Runtime against a real containerd that the test starts in a temp directory: images built
// at test time and imported, sandboxes with a CNI bridge network, containers, logs, exec, port-forward,
// OOM kills, exit codes, pulls from a loopback docker-registry (with and without basic auth), stats, and
// nothing left behind after cleanupAll. Needs root, containerd, runc, CNI plugins, umoci, skopeo.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { ContainerConfig, PodSandboxConfig } from '../../../src/runtime/runtime.js';
import { primaryAddress } from '../../../src/agent/host-facts.js';
import { ContainerdRuntime, masqueradeComment } from '../../../src/runtime/containerd/containerd-runtime.js';
import { masqueradeRuleArgs } from '../../../src/runtime/containerd/masquerade.js';
import { execFileSync } from 'node:child_process';
import { credentialsForImage, pullWithCredentials } from '../../../src/runtime/registry-auth.js';
import { processRunning } from '../../../src/runtime/containerd/daemon.js';
import { importArchive } from '../../../src/runtime/containerd/image-build.js';
import { cgroupRoots, mountsUnder, removeCgroup, taskProcesses } from '../../../src/runtime/containerd/leftovers.js';
import { netnsDir, netnsDirStep } from '../../../src/network/cni/netns-dir.js';
import { buildTestImage, containerdSkipReason, startRegistry, unusedPodCidr, type TestImage, type TestRegistry } from '../../support/images.js';

const skip = containerdSkipReason(['docker-registry', 'htpasswd']);
if (skip) console.log(`# skipping containerd runtime tests: ${skip}`);

const suffix = randomBytes(3).toString('hex');
const bridge = `sk7t${suffix}`;
const podCidr = unusedPodCidr();
const cgroupTop = `skiff-t${suffix}`;
const imageName = 'skiff.test/busybox:1';

describe('containerd runtime', { skip, concurrency: false }, () => {
  let dir: string;
  let rt: ContainerdRuntime;
  let image: TestImage;
  /** A second image (other content, so another image ID) for the registry tests: removing it spares `image`. */
  let pushed: TestImage;
  const registries: TestRegistry[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-ctd-'));
    // No pod CIDR yet, as for a node the IPAM controller has not given one: it comes with updatePodCIDR.
    rt = await ContainerdRuntime.start({ dir: join(dir, 'runtime'), bridge });
    image = await buildTestImage(join(dir, 'image'), imageName);
    await importArchive(rt.socket, image.archive);
    pushed = await buildTestImage(join(dir, 'image2'), 'skiff.test/pushed:1', { files: [{ path: '/etc/pushed', content: 'yes\n' }] });
  });

  after(async () => {
    for (const r of registries) await r.stop();
    if (rt) await rt.cleanupAll();
    // The levels above the pod cgroups belong to the agent; this test stands in for it.
    removeCgroup(cgroupTop);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function sandboxConfig(name: string, extra: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
    const uid = randomUUID();
    const logDirectory = join(dir, 'logs', `default_${name}_${uid}`);
    mkdirSync(logDirectory, { recursive: true });
    return {
      uid, name, namespace: 'default', attempt: 0, hostname: name,
      dns: { servers: ['10.43.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] },
      hostAliases: [{ ip: '10.9.9.9', hostnames: ['alias.example'] }],
      portMappings: [], hostNetwork: false, logDirectory,
      cgroupParent: `${cgroupTop}/kubepods/besteffort/pod${uid}`,
      labels: { 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': uid },
      annotations: {},
      ...extra,
    };
  }

  function containerConfig(name: string, command: string[], extra: Partial<ContainerConfig> = {}): ContainerConfig {
    return {
      name, attempt: 0, image: imageName, command, args: [], env: [{ name: 'GREETING', value: 'hello from env' }], mounts: [],
      logPath: `${name}/0.log`, tty: false, stdin: false, stdinOnce: false,
      resources: { cpuRequestMillis: 100 }, security: {},
      labels: { 'io.kubernetes.container.name': name }, annotations: { 'io.kubernetes.container.restartCount': '0' },
      ...extra,
    };
  }

  async function runPod(name: string, command: string[], extra: Partial<ContainerConfig> = {}, sbExtra: Partial<PodSandboxConfig> = {}) {
    const sb = sandboxConfig(name, sbExtra);
    const sandboxId = await rt.runPodSandbox(sb);
    const containerId = await rt.createContainer(sandboxId, containerConfig(name, command, extra), sb);
    await rt.startContainer(containerId);
    return { sb, sandboxId, containerId };
  }

  async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  function masqueradeRulePresent(): boolean {
    try {
      execFileSync('iptables', ['-w', '5', '-t', 'nat', '-C', 'POSTROUTING', ...masqueradeRuleArgs(podCidr, masqueradeComment(bridge))], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }

  async function removePod(sandboxId: string) {
    await rt.stopPodSandbox(sandboxId);
    await rt.removePodSandbox(sandboxId);
  }

  it('has set up `ip netns`\'s directory before binding any sandbox namespace under it', () => {
    // Else the first `ip netns add` of anything else hides the sandboxes' namespaces (network/cni/netns-dir.ts).
    assert.equal(netnsDirStep(readFileSync('/proc/self/mountinfo', 'utf8'), netnsDir), 'ready');
  });

  it('is network-ready once the node has a pod CIDR', async () => {
    const before = await rt.status();
    assert.equal(before.ready, true);
    assert.equal(before.networkReady, false);
    assert.ok(before.warnings.some((w) => w.startsWith('NetworkReady=false')), before.warnings.join('; '));
    await rt.updatePodCIDR(podCidr);
    await waitFor('NetworkReady', async () => ((await rt.status()).networkReady ? true : undefined));
    assert.equal(masqueradeRulePresent(), true, 'one masquerade rule for the pod CIDR');
  });

  it('runs a sandbox and a container: pod IP, DNS, hosts, env, CRI-format logs, labels', async () => {
    const { sb, sandboxId, containerId } = await runPod('web', ['sh', '-c', 'echo "$GREETING"; echo oops >&2; cat /etc/resolv.conf; cat /etc/hosts; hostname; sleep 3600']);
    const status = await rt.podSandboxStatus(sandboxId);
    assert.ok(status);
    assert.equal(status.state, 'ready');
    assert.equal(status.network, 'pod');
    assert.equal(status.uid, sb.uid);
    assert.equal(status.ips.length, 1);
    assert.equal(status.ips[0]!.split('.').slice(0, 3).join('.'), podCidr.split('.').slice(0, 3).join('.'), 'IP from the pod CIDR');
    assert.ok(status.netnsPath && existsSync(status.netnsPath), `netns ${status.netnsPath}`);
    const c = await waitFor('running', async () => {
      const s = await rt.containerStatus(containerId);
      return s?.state === 'running' ? s : undefined;
    });
    assert.equal(c.sandboxId, sandboxId);
    assert.equal(c.name, 'web');
    assert.equal(c.labels['io.kubernetes.container.name'], 'web');
    assert.equal(c.annotations['io.kubernetes.container.restartCount'], '0');
    assert.equal(c.logPath, join(sb.logDirectory, 'web/0.log'));
    const log = await waitFor('log lines', async () => {
      const text = existsSync(c.logPath) ? readFileSync(c.logPath, 'utf8') : '';
      return text.includes('\nweb\n') || /stdout F web$/m.test(text) ? text : undefined;
    });
    assert.match(log, /^\S+ stdout F hello from env$/m);
    assert.match(log, /^\S+ stderr F oops$/m);
    assert.match(log, /stdout F nameserver 10\.43\.0\.10$/m);
    assert.match(log, /stdout F search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m);
    assert.match(log, /stdout F options ndots:5$/m);
    assert.match(log, new RegExp(`stdout F ${status.ips[0]!.replace(/\./g, '\\.')}\\tweb$`, 'm'));
    assert.match(log, /stdout F 10\.9\.9\.9\talias\.example$/m);
    const listed = await rt.listContainers({ sandboxId });
    assert.deepEqual(listed.map((x) => x.id), [containerId]);
    // Listing answers from ListPodSandbox plus what the runtime learnt once about the sandbox's network.
    assert.deepEqual((await rt.listPodSandboxes()).find((s) => s.id === sandboxId), await rt.podSandboxStatus(sandboxId));
    await rt.stopContainer(containerId, 2);
    const stopped = await rt.containerStatus(containerId);
    assert.equal(stopped?.state, 'exited');
    await rt.removeContainer(containerId);
    assert.equal(await rt.containerStatus(containerId), undefined);
    await removePod(sandboxId);
    assert.equal(await rt.podSandboxStatus(sandboxId), undefined);
    // Idempotent as CRI: stopping and removing again succeed.
    await rt.stopPodSandbox(sandboxId);
    await rt.removePodSandbox(sandboxId);
  });

  it('runs a host-network pod: node address, host name, no netns of its own', async () => {
    const { sandboxId, containerId } = await runPod('hostnet', ['sleep', '3600'], {}, { hostNetwork: true });
    const status = (await rt.podSandboxStatus(sandboxId))!;
    assert.equal(status.network, 'host');
    assert.deepEqual(status.ips, [primaryAddress()]);
    assert.equal(status.netnsPath, undefined);
    await waitFor('running', async () => ((await rt.containerStatus(containerId))?.state === 'running' ? true : undefined));
    const r = await rt.execSync(containerId, ['hostname'], 5000);
    assert.equal(r.stdout.toString().trim(), hostname());
    await removePod(sandboxId);
  });

  it('execSync, streaming exec with exit codes, and port-forward', async () => {
    const { sandboxId, containerId } = await runPod('tools', ['sh', '-c', 'mkdir -p /www && echo served-by-httpd > /www/index.html && httpd -f -p 8080 -h /www'], {}, {});
    await waitFor('running', async () => ((await rt.containerStatus(containerId))?.state === 'running' ? true : undefined));
    const r = await rt.execSync(containerId, ['sh', '-c', 'echo out; echo err >&2; exit 3'], 5000);
    assert.equal(r.stdout.toString(), 'out\n');
    assert.equal(r.stderr.toString(), 'err\n');
    assert.equal(r.exitCode, 3);
    assert.equal(r.timedOut, false);
    const slow = await rt.execSync(containerId, ['sleep', '10'], 1000);
    assert.equal(slow.timedOut, true);

    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    const session = await rt.exec(containerId, ['sh', '-c', 'echo streamed; echo to-stderr >&2; exit 7'], { tty: false, stdout, stderr });
    assert.deepEqual(await session.done, { exitCode: 7 });
    assert.equal(out, 'streamed\n');
    assert.equal(err, 'to-stderr\n');

    const stdin = new PassThrough();
    let echoed = '';
    const out2 = new PassThrough();
    out2.on('data', (d: Buffer) => (echoed += d.toString()));
    // cat ends only when stdin does: the end of the caller's stream reaches the command as EOF.
    const s2 = await rt.exec(containerId, ['cat'], { tty: false, stdin, stdout: out2 });
    stdin.write('line through stdin\n');
    stdin.end('last line\n');
    assert.deepEqual(await s2.done, { exitCode: 0 });
    assert.equal(echoed, 'line through stdin\nlast line\n');
    // A TTY session: output comes back through the terminal (CRLF), resize reaches it.
    let ttyOut = '';
    const ttyStdout = new PassThrough();
    ttyStdout.on('data', (d: Buffer) => (ttyOut += d.toString()));
    const ttyIn = new PassThrough();
    const s3 = await rt.exec(containerId, ['sh', '-c', 'sleep 0.5; stty size; exit 4'], { tty: true, stdin: ttyIn, stdout: ttyStdout });
    s3.resize(100, 30);
    assert.deepEqual(await s3.done, { exitCode: 4 });
    assert.match(ttyOut, /30 100\r\n/);

    await waitFor('httpd listening', async () => ((await rt.execSync(containerId, ['sh', '-c', 'netstat -ltn | grep -q :8080'], 5000)).exitCode === 0 ? true : undefined));
    const conn = await rt.portForward(sandboxId, 8080);
    let body = '';
    conn.on('data', (d: Buffer) => (body += d.toString()));
    const ended = new Promise<void>((resolve, reject) => {
      conn.once('end', () => resolve());
      conn.once('close', () => resolve());
      conn.once('error', reject);
    });
    conn.write('GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n');
    await ended;
    assert.match(body, /^HTTP\/1\.[01] 200/);
    assert.match(body, /served-by-httpd/);
    conn.destroy();

    const stats = await waitFor('stats', async () => {
      const s = await rt.containerStats(containerId);
      return s && s.memoryWorkingSetBytes > 0 ? s : undefined;
    });
    assert.equal(stats.id, containerId);
    assert.equal(stats.sandboxId, sandboxId);
    assert.ok(stats.cpuUsageCoreNanoSeconds > 0);
    assert.ok((await rt.listContainerStats()).some((s) => s.id === containerId));
    await removePod(sandboxId);
  });

  it('attaches to a container\'s stdin and stdout, and reopens its log after rotation', async () => {
    const { sb, sandboxId, containerId } = await runPod('interactive', ['sh', '-c', 'while read line; do echo "got:$line"; done'], { stdin: true });
    await waitFor('running', async () => ((await rt.containerStatus(containerId))?.state === 'running' ? true : undefined));
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let seen = '';
    stdout.on('data', (d: Buffer) => (seen += d.toString()));
    const session = await rt.attach(containerId, { tty: false, stdin, stdout, stderr: new PassThrough() });
    stdin.write('first\n');
    await waitFor('attached output', async () => (seen.includes('got:first') ? true : undefined));
    const logPath = join(sb.logDirectory, 'interactive/0.log');
    await waitFor('log line', async () => (readFileSync(logPath, 'utf8').includes('stdout F got:first') ? true : undefined));
    // Rotation as the agent does it: rename, then ask the runtime to reopen.
    renameSync(logPath, `${logPath}.1`);
    await rt.reopenContainerLog(containerId);
    stdin.write('second\n');
    await waitFor('line in the new log file', async () => (existsSync(logPath) && readFileSync(logPath, 'utf8').includes('stdout F got:second') ? true : undefined));
    assert.doesNotMatch(readFileSync(`${logPath}.1`, 'utf8'), /got:second/);
    session.close();
    await session.done;
    await removePod(sandboxId);
  });

  it('applies the security context, mounts and resource limits', async () => {
    const vol = join(dir, 'vol-data');
    mkdirSync(vol, { recursive: true });
    writeFileSync(join(vol, 'greeting'), 'from a volume\n');
    const { sb, sandboxId, containerId } = await runPod('locked', ['sleep', '3600'], {
      mounts: [{ containerPath: '/data', hostPath: vol, readOnly: true }],
      resources: { cpuRequestMillis: 250, cpuLimitMillis: 500, memoryLimitBytes: 64 * 1024 * 1024 },
      security: { runAsUser: 65534, runAsGroup: 65534, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { add: [], drop: ['ALL'] } },
    });
    await waitFor('running', async () => ((await rt.containerStatus(containerId))?.state === 'running' ? true : undefined));
    const sh = async (cmd: string) => rt.execSync(containerId, ['sh', '-c', cmd], 5000);
    assert.equal((await sh('id -u; id -g')).stdout.toString(), '65534\n65534\n');
    assert.equal((await sh('cat /data/greeting')).stdout.toString(), 'from a volume\n');
    assert.notEqual((await sh('touch /data/x')).exitCode, 0, 'read-only volume');
    assert.notEqual((await sh('touch /rootfs-file')).exitCode, 0, 'read-only root filesystem');
    assert.match((await sh('grep -E "^(CapEff|NoNewPrivs)" /proc/self/status')).stdout.toString(), /CapEff:\s+0000000000000000\nNoNewPrivs:\s+1/);
    // The limits reach the container's cgroup under the pod's cgroup parent.
    const cpuRoot = cgroupRoots(readFileSync('/proc/self/mountinfo', 'utf8')).find((r) => existsSync(join(r, 'cpu.cfs_quota_us')) || r.endsWith('/cpu') || r.includes('cpu,'));
    if (cpuRoot) {
      const dirOf = join(cpuRoot, sb.cgroupParent, containerId);
      assert.equal(readFileSync(join(dirOf, 'cpu.cfs_quota_us'), 'utf8').trim(), '50000');
      assert.equal(readFileSync(join(dirOf, 'cpu.shares'), 'utf8').trim(), '256');
    }
    await removePod(sandboxId);
  });

  it('reports exit codes, and OOMKilled past the memory limit', async () => {
    const { sandboxId, containerId } = await runPod('fails', ['sh', '-c', 'exit 3']);
    const done = await waitFor('exited', async () => {
      const s = await rt.containerStatus(containerId);
      return s?.state === 'exited' ? s : undefined;
    });
    assert.equal(done.exitCode, 3);
    assert.equal(done.reason, 'Error');
    assert.ok(done.startedAtMs, 'startedAt set');
    assert.ok(done.finishedAtMs, 'finishedAt set');
    assert.ok(done.finishedAtMs >= done.startedAtMs, 'finished after started');
    await removePod(sandboxId);

    const ok = await runPod('completes', ['true']);
    const completed = await waitFor('exited', async () => {
      const s = await rt.containerStatus(ok.containerId);
      return s?.state === 'exited' ? s : undefined;
    });
    assert.equal(completed.exitCode, 0);
    assert.equal(completed.reason, 'Completed');
    await removePod(ok.sandboxId);

    // A 32 MiB limit and a shell that keeps doubling a string in memory.
    const oom = await runPod('hog', ['sh', '-c', 'x=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; while :; do x="$x$x"; done'], {
      resources: { cpuRequestMillis: 100, memoryLimitBytes: 32 * 1024 * 1024 },
    });
    // Through listContainers, which answers from the last status until the container's state changes.
    const killed = await waitFor('OOM kill', async () => {
      const s = (await rt.listContainers({ sandboxId: oom.sandboxId })).find((c) => c.id === oom.containerId);
      return s?.state === 'exited' ? s : undefined;
    }, 60_000);
    assert.equal(killed.reason, 'OOMKilled');
    assert.equal(killed.exitCode, 137);
    await removePod(oom.sandboxId);
  });

  it('fails to pull a missing image with the registry error', async () => {
    const reg = await startRegistry(join(dir, 'reg-empty'));
    registries.push(reg);
    await assert.rejects(rt.pullImage(`${reg.host}/nothing/here:1`), /rpc error: code = NotFound desc = .*not found/);
  });

  it('pulls from a loopback registry by name, lists, inspects and removes images', async () => {
    const reg = await startRegistry(join(dir, 'reg-open'));
    registries.push(reg);
    const ref = await reg.push(pushed, 'team/busybox:pulled');
    const imageRef = await rt.pullImage(ref);
    assert.match(imageRef, /^sha256:[0-9a-f]{64}$/);
    const info = await rt.imageStatus(ref);
    assert.ok(info);
    assert.ok(info.repoTags.includes(ref));
    assert.ok(info.sizeBytes > 0);
    assert.ok((await rt.listImages()).some((i) => i.repoTags.includes(ref)));
    const { sandboxId, containerId } = await runPod('pulled', ['sh', '-c', 'echo from-registry; sleep 3600'], { image: ref });
    const c = await waitFor('running', async () => {
      const s = await rt.containerStatus(containerId);
      return s?.state === 'running' ? s : undefined;
    });
    assert.equal(c.image, ref);
    await removePod(sandboxId);
    await rt.removeImage(ref);
    assert.equal(await rt.imageStatus(ref), undefined);
    await rt.removeImage(ref);
  });

  it('pulls from a registry with basic auth only with the right credentials', async () => {
    const reg = await startRegistry(join(dir, 'reg-auth'), { username: 'puller', password: 's3cret-pw' });
    registries.push(reg);
    const ref = await reg.push(pushed, 'private/busybox:1');
    await assert.rejects(rt.pullImage(ref), /401 Unauthorized|authorization failed|unauthorized/i);
    await assert.rejects(rt.pullImage(ref, { username: 'puller', password: 'wrong' }), /401 Unauthorized|authorization failed|unauthorized/i);
    const got = await rt.pullImage(ref, { username: 'puller', password: 's3cret-pw', serverAddress: reg.host });
    assert.match(got, /^sha256:/);
    await rt.removeImage(ref);
    // As from a pod's imagePullSecrets: a kubernetes.io/dockerconfigjson secret keyed by the registry.
    const secret = { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('puller:s3cret-pw').toString('base64') } } })).toString('base64') } };
    const creds = credentialsForImage(ref, [secret]);
    assert.equal(creds.length, 1);
    assert.equal(await pullWithCredentials((i, a) => rt.pullImage(i, a), ref, creds), got);
  });

  it('collects unused images by disk thresholds, keeping images in use and the pause image', async () => {
    const spare = await buildTestImage(join(dir, 'image3'), 'skiff.test/spare:1', { files: [{ path: '/etc/spare', content: 'x\n' }] });
    await importArchive(rt.socket, spare.archive);
    const { sandboxId } = await runPod('keeps-image', ['sleep', '3600']);
    // The real thresholds leave a disk below 85 % alone.
    const st = statfsSync(dir);
    if ((st.blocks - st.bavail) / st.blocks < 0.8) {
      const idle = await rt.garbageCollectImages();
      assert.equal(idle.toFreeBytes, 0);
      assert.deepEqual(idle.remove, []);
    }
    // Thresholds of 0 % make every unused image a candidate.
    const plan = await rt.garbageCollectImages({ highThresholdPercent: 0, lowThresholdPercent: 0, minAgeMs: 0 });
    assert.deepEqual(plan.errors, []);
    assert.equal(await rt.imageStatus('skiff.test/spare:1'), undefined, 'unused image removed');
    assert.ok(await rt.imageStatus(imageName), 'image of a container kept');
    assert.ok(await rt.imageStatus('skiff.local/pause:3.9'), 'pause image kept');
    await removePod(sandboxId);
  });

  it('leaves nothing behind after cleanupAll: processes, mounts, netns, cgroups, bridge', async () => {
    const { sandboxId } = await runPod('leftover', ['sleep', '3600']);
    const netns = (await rt.podSandboxStatus(sandboxId))!.netnsPath!;
    const daemonPid = rt.daemon!.pid;
    const tasks = taskProcesses(rt.daemon!.paths);
    assert.ok(tasks.length >= 2 && tasks.every((t) => t.shim), `sandbox and container with their shim: ${JSON.stringify(tasks)}`);
    await rt.cleanupAll();
    assert.equal(processRunning(daemonPid), false, 'containerd stopped');
    for (const pid of tasks.flatMap((t) => [t.init, t.shim!])) assert.equal(processRunning(pid), false, `process ${pid} gone`);
    assert.equal(existsSync(netns), false, `netns ${netns} removed`);
    assert.deepEqual(mountsUnder(readFileSync('/proc/self/mountinfo', 'utf8'), dir), []);
    for (const root of cgroupRoots(readFileSync('/proc/self/mountinfo', 'utf8'))) {
      assert.equal(existsSync(join(root, cgroupTop)), false, `cgroup ${root}/${cgroupTop} removed`);
    }
    assert.equal(existsSync(`/sys/class/net/${bridge}`), false, 'bridge deleted');
    assert.equal(masqueradeRulePresent(), false, 'masquerade rule removed');
    rt = undefined as unknown as ContainerdRuntime;
  });
});
