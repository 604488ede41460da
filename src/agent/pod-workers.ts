// The node's pod workers (the kubelet's syncPod): one reconcile per pod key at a time, driven by the pod
// informer, the runtime relist (pleg.ts) and probe verdicts. A sync brings the runtime in line with the pod:
// sandbox and volumes, init containers one by one to completion, then app containers, restarts per
// restartPolicy with the CrashLoopBackOff back-off, liveness restarts, graceful termination (preStop,
// SIGTERM, SIGKILL after the grace period, then the pod deleted with grace 0 as the kubelet does), and a
// status write through pods/status when the computed status changed. Status decisions live in
// pod-status.ts, back-off in restart-backoff.ts, image pulls in image-pull.ts, runtime shapes in runtime-config.ts.
import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus, Mount, PodSandboxConfig, PodSandboxStatus, Runtime } from '../runtime/runtime.js';
import { isConflict, isNotFound, resources, type ApiClient } from '../client/index.js';
import { activeDeadlineLeftMs, computePodStatus, deadlineExceeded, podStatusChanged, type ContainerView } from './pod-status.js';
import { RestartBackoff, goDuration } from './restart-backoff.js';
import {
  containerConfig,
  containerTypeLabel,
  podDirectory,
  podLogDirectory,
  podUidLabel,
  sandboxConfig,
  terminationMessageFile,
  type AgentLayout,
  type ClusterDns,
} from './runtime-config.js';
import { runHook } from './lifecycle-hooks.js';
import { ImagePuller } from './image-pull.js';
import { ProbeManager, type RunningContainer } from './probes/probe-manager.js';
import { killingMessage, type ProbeKind } from './probes/probe-state.js';
import type { PodInputs, PodVolumesHandle } from './pod-inputs.js';
import { PodVolumes } from './volumes/index.js';

export type EventFn = (pod: Pod, container: string | undefined, type: 'Normal' | 'Warning', reason: string, message: string) => void;

export interface PodWorkersOptions {
  client: ApiClient;
  runtime: Runtime;
  nodeName: string;
  layout: AgentLayout;
  dns: ClusterDns;
  inputs: PodInputs;
  hostIPs: () => string[];
  event: EventFn;
  log: (line: string) => void;
  /** Ask for another sync of a pod key (the work queue). */
  enqueue: (key: string, afterMs?: number) => void;
}

interface PodState {
  uid: string;
  pod: Pod;
  startTimeMs: number;
  sandboxes: PodSandboxStatus[];
  sandboxConfig?: PodSandboxConfig;
  volumes?: PodVolumesHandle;
  /** Agent-decided waiting reasons per container name. */
  waiting: Map<string, { reason: string; message?: string }>;
  /** Container instances to kill (liveness/startup failure, failed postStart). */
  kill: Map<string, { reason: 'liveness' | 'startup' | 'postStart' }>;
  /** Termination messages read per container id. */
  messages: Map<string, string>;
  /** The pod failed as a whole (activeDeadlineSeconds). */
  failed?: { reason: string; message: string };
  deleted?: boolean;
}

const minimumGracePeriodSeconds = 2;
/** Grace period cap when the whole node shuts down (`skiff up` exiting). */
const shutdownGraceSeconds = 3;
const fieldManager = 'skiff-agent';

export const keyOfPod = (pod: { metadata?: { namespace?: string; name?: string } }) => `${pod.metadata?.namespace}/${pod.metadata?.name}`;

/** Containers of one kind and name, newest first. */
function instances(all: ContainerStatus[], kind: 'init' | 'app', name: string): ContainerStatus[] {
  return all
    .filter((c) => c.name === name && (c.labels[containerTypeLabel] ?? 'app') === kind)
    .sort((a, b) => b.attempt - a.attempt || b.createdAtMs - a.createdAtMs);
}

export class PodWorkers {
  private readonly states = new Map<string, PodState>();
  private readonly backoff = new RestartBackoff();
  private readonly images: ImagePuller;
  readonly probes: ProbeManager;

  constructor(private readonly o: PodWorkersOptions) {
    this.images = new ImagePuller({ client: o.client, runtime: o.runtime, event: o.event, hasImages: o.runtime.name === 'containerd' });
    this.probes = new ProbeManager({
      runtime: o.runtime,
      onChange: (key) => o.enqueue(key),
      onFailure: (key, container, id, kind) => this.requestKill(key, container, id, kind),
      event: (pod, container, type, reason, message) => o.event(pod, container, type, reason, message),
    });
  }

  /** Sandboxes found in the runtime at start (adoption): attached to the pods they belong to. */
  adopt(key: string, pod: Pod, sandboxes: PodSandboxStatus[]): void {
    const st = this.stateFor(key, pod);
    for (const s of sandboxes) if (!st.sandboxes.some((x) => x.id === s.id)) st.sandboxes.push(s);
    st.sandboxes.sort((a, b) => b.attempt - a.attempt);
    if (pod.status?.startTime) st.startTimeMs = Date.parse(pod.status.startTime) || st.startTimeMs;
  }

  keys(): string[] {
    return [...this.states.keys()];
  }

  uidOf(key: string): string | undefined {
    return this.states.get(key)?.uid;
  }

  private stateFor(key: string, pod: Pod): PodState {
    let st = this.states.get(key);
    if (!st || st.uid !== pod.metadata?.uid) {
      st = { uid: pod.metadata!.uid!, pod, startTimeMs: Date.now(), sandboxes: [], waiting: new Map(), kill: new Map(), messages: new Map() };
      this.states.set(key, st);
    }
    st.pod = pod;
    return st;
  }

  private requestKill(key: string, container: string, id: string, kind: ProbeKind): void {
    const st = this.states.get(key);
    if (!st) return;
    st.kill.set(id, { reason: kind === 'readiness' ? 'liveness' : kind });
    this.o.event(st.pod, container, 'Normal', 'Killing', killingMessage(kind, container));
    this.o.enqueue(key);
  }

  /**
   * One sync of a pod key. `pod` is the informer's current object (undefined = gone from the API).
   * Returns when to look again (ms), if a timer is needed.
   */
  async sync(key: string, pod: Pod | undefined): Promise<number | undefined> {
    const old = this.states.get(key);
    if (old && (!pod || pod.metadata?.uid !== old.uid)) {
      // Deleted from the API (or replaced by a pod of the same name): tear the old one down.
      await this.killPod(old, this.gracePeriod(old.pod));
      await this.removePod(key, old);
    }
    if (!pod) return undefined;
    const st = this.stateFor(key, pod);
    if (pod.metadata?.deletionTimestamp) return this.terminate(key, st);
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
      await this.killPod(st, this.gracePeriod(pod));
      this.probes.remove(key);
      return undefined;
    }
    return this.syncRunning(key, st);
  }

  private gracePeriod(pod: Pod): number {
    return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  }

  private async listContainers(st: PodState): Promise<ContainerStatus[]> {
    const out: ContainerStatus[] = [];
    for (const sb of st.sandboxes) out.push(...(await this.o.runtime.listContainers({ sandboxId: sb.id })));
    return out;
  }

  private async refreshSandboxes(st: PodState): Promise<void> {
    const fresh: PodSandboxStatus[] = [];
    for (const sb of st.sandboxes) {
      const s = await this.o.runtime.podSandboxStatus(sb.id);
      if (s) fresh.push(s);
    }
    st.sandboxes = fresh.sort((a, b) => b.attempt - a.attempt);
  }

  private async syncRunning(key: string, st: PodState): Promise<number | undefined> {
    const pod = st.pod;
    const rt = this.o.runtime;
    let requeue: number | undefined;
    const soon = (ms: number) => {
      requeue = requeue === undefined ? ms : Math.min(requeue, ms);
    };
    await this.refreshSandboxes(st);
    let sandbox = st.sandboxes.find((s) => s.state === 'ready');
    let containers = await this.listContainers(st);

    // activeDeadlineSeconds: past it, every container is killed and the pod fails (reason DeadlineExceeded).
    const left = activeDeadlineLeftMs(pod, st.startTimeMs, Date.now());
    if (left !== undefined && left <= 0) {
      if (!st.failed) this.o.event(pod, undefined, 'Normal', deadlineExceeded.reason, deadlineExceeded.message);
      st.failed = deadlineExceeded;
      await this.killPod(st, this.gracePeriod(pod));
      this.probes.remove(key);
      await this.writeStatus(key, st, await this.listContainers(st));
      return undefined;
    }
    if (left !== undefined) soon(left);

    // Volumes first: a pod whose volumes cannot be set up stays in ContainerCreating (event FailedMount).
    if (!st.volumes) {
      try {
        st.volumes = await this.o.inputs.setUpVolumes(pod);
      } catch (e) {
        this.o.event(pod, undefined, 'Warning', 'FailedMount', (e as Error).message);
        await this.writeStatus(key, st, containers);
        return 10_000;
      }
    } else {
      await st.volumes.sync(pod).catch((e: unknown) => this.o.log(`agent: pod ${key}: refreshing volumes: ${(e as Error).message}`));
    }

    if (!sandbox) {
      const attempt = st.sandboxes.length ? st.sandboxes[0]!.attempt + 1 : 0;
      // A sandbox that died takes its containers with it (upstream kills and re-creates them).
      for (const c of containers) if (c.state === 'running') await rt.stopContainer(c.id, 0).catch(() => undefined);
      if (st.sandboxes.length) this.o.event(pod, undefined, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
      const { dnsWarnings, ...config } = sandboxConfig(pod, attempt, this.o.layout, this.o.dns);
      for (const w of dnsWarnings) this.o.event(pod, undefined, 'Warning', 'DNSConfigForming', w);
      try {
        mkdirSync(config.logDirectory, { recursive: true });
        const id = await rt.runPodSandbox(config);
        const s = await rt.podSandboxStatus(id);
        if (!s) throw new Error(`sandbox ${id} vanished after creation`);
        st.sandboxes.unshift(s);
        sandbox = s;
        st.sandboxConfig = config;
      } catch (e) {
        this.o.event(pod, undefined, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`);
        await this.writeStatus(key, st, containers);
        return 10_000;
      }
    }
    if (!st.sandboxConfig) {
      const { dnsWarnings: _w, ...config } = sandboxConfig(pod, sandbox.attempt, this.o.layout, this.o.dns);
      st.sandboxConfig = config;
    }

    // Containers marked for killing (liveness/startup failed, postStart failed).
    for (const c of containers) {
      const k = st.kill.get(c.id);
      if (!k) continue;
      st.kill.delete(c.id);
      if (c.state !== 'running') continue;
      const spec = this.specOf(pod, c);
      const probe = k.reason === 'liveness' ? spec?.livenessProbe : k.reason === 'startup' ? spec?.startupProbe : undefined;
      await this.killContainer(st, c, probe?.terminationGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30, false);
    }
    if (st.kill.size) st.kill.clear();
    containers = await this.listContainers(st);

    const policy = pod.spec?.restartPolicy ?? 'Always';
    const now = Date.now();
    // Init containers, in order, each to completion.
    let initDone = true;
    for (const c of pod.spec?.initContainers ?? []) {
      const [latest] = instances(containers, 'init', c.name);
      if (c.restartPolicy === 'Always') {
        // Sidecar: starts in order and keeps running beside the app containers.
        if (!latest || latest.state === 'exited') {
          const r = await this.startOrBackOff(key, st, sandbox, c, 'init', latest, now);
          if (r !== undefined) soon(r);
          initDone = false;
          break;
        }
        if (latest.state !== 'running') {
          initDone = false;
          break;
        }
        continue;
      }
      if (latest?.state === 'exited' && (latest.exitCode ?? 0) === 0) continue;
      initDone = false;
      if (latest?.state === 'running' || latest?.state === 'created') break;
      if (latest?.state === 'exited' && policy === 'Never') break; // the pod has failed
      const r = await this.startOrBackOff(key, st, sandbox, c, 'init', latest, now);
      if (r !== undefined) soon(r);
      break;
    }

    if (initDone) {
      for (const c of pod.spec?.containers ?? []) {
        const [latest] = instances(containers, 'app', c.name);
        if (latest?.state === 'running' || latest?.state === 'created') {
          st.waiting.delete(c.name);
          continue;
        }
        if (latest?.state === 'exited') {
          const code = latest.exitCode ?? 0;
          const restart = policy === 'Always' || (policy === 'OnFailure' && code !== 0);
          if (!restart) {
            st.waiting.delete(c.name);
            continue;
          }
        }
        const r = await this.startOrBackOff(key, st, sandbox, c, 'app', latest, now);
        if (r !== undefined) soon(r);
      }
    }

    containers = await this.listContainers(st);
    this.syncProbes(key, st, containers);
    await this.writeStatus(key, st, containers);
    return requeue;
  }

  private specOf(pod: Pod, c: ContainerStatus): Container | undefined {
    const kind = c.labels[containerTypeLabel] ?? 'app';
    return (kind === 'init' ? pod.spec?.initContainers : pod.spec?.containers)?.find((x) => x.name === c.name);
  }

  /** Starts the next instance of a container, or reports CrashLoopBackOff while its back-off lasts. */
  private async startOrBackOff(key: string, st: PodState, sandbox: PodSandboxStatus, c: Container, kind: 'init' | 'app', latest: ContainerStatus | undefined, now: number): Promise<number | undefined> {
    const pod = st.pod;
    if (latest?.state === 'exited') {
      const bkey = `${st.uid}/${kind}/${c.name}`;
      const d = this.backoff.decide(bkey, latest.finishedAtMs ?? now, now);
      if (!d.restartNow) {
        const message = `back-off ${goDuration(d.backoffMs)} restarting failed container=${c.name} pod=${pod.metadata?.name}_${pod.metadata?.namespace}(${st.uid})`;
        const prev = st.waiting.get(c.name);
        if (prev?.reason !== 'CrashLoopBackOff' || prev.message !== message) {
          this.o.event(pod, c.name, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${pod.metadata?.name}_${pod.metadata?.namespace}(${st.uid})`);
        }
        st.waiting.set(c.name, { reason: 'CrashLoopBackOff', message });
        return d.waitMs;
      }
    }
    const r = await this.startContainer(key, st, sandbox, c, kind, latest);
    return r;
  }

  private async startContainer(key: string, st: PodState, sandbox: PodSandboxStatus, c: Container, kind: 'init' | 'app', latest: ContainerStatus | undefined): Promise<number | undefined> {
    const rt = this.o.runtime;
    const pod = st.pod;
    const attempt = latest ? latest.attempt + 1 : 0;
    const pulled = await this.images.ensure(pod, c);
    if (!pulled.ok) {
      if (!pulled.keep) st.waiting.set(c.name, { reason: pulled.reason, message: pulled.message });
      return pulled.retryMs;
    }
    // The pod's IPs are known from the sandbox: env (status.podIP) must see them, as upstream passes them.
    const withIPs: Pod = { ...pod, status: { ...(pod.status ?? {}), ...(sandbox.ips.length ? { podIP: sandbox.ips[0], podIPs: sandbox.ips.map((ip) => ({ ip })) } : {}) } };
    let resolved;
    let volumeMounts: Mount[];
    try {
      resolved = await this.o.inputs.resolveEnv(withIPs, c);
      volumeMounts = st.volumes?.mountsFor(c) ?? [];
    } catch (e) {
      const err = e as Error & { reason?: string };
      if (err.name === 'ContainerConfigError') {
        st.waiting.set(c.name, { reason: 'CreateContainerConfigError', message: err.message });
        this.o.event(pod, c.name, 'Warning', 'Failed', `Error: ${err.message}`);
        return 10_000;
      }
      throw e;
    }
    for (const w of resolved.warnings ?? []) this.o.event(pod, c.name, 'Warning', w.reason, w.message);
    const mounts: Mount[] = [...volumeMounts];
    const msgPath = c.terminationMessagePath ?? '/dev/termination-log';
    const msgFile = terminationMessageFile(this.o.layout, st.uid, c.name, attempt);
    mkdirSync(dirname(msgFile), { recursive: true });
    writeFileSync(msgFile, '');
    if (!mounts.some((m) => m.containerPath === msgPath)) mounts.push({ containerPath: msgPath, hostPath: msgFile, readOnly: false });
    const config = containerConfig(pod, c, kind, attempt, resolved, mounts);
    let id: string;
    try {
      id = await rt.createContainer(sandbox.id, config, st.sandboxConfig!);
    } catch (e) {
      st.waiting.set(c.name, { reason: 'CreateContainerError', message: (e as Error).message });
      this.o.event(pod, c.name, 'Warning', 'Failed', `Error: ${(e as Error).message}`);
      return 10_000;
    }
    this.o.event(pod, c.name, 'Normal', 'Created', `Created container ${c.name}`);
    try {
      await rt.startContainer(id);
    } catch (e) {
      st.waiting.set(c.name, { reason: 'RunContainerError', message: (e as Error).message });
      this.o.event(pod, c.name, 'Warning', 'Failed', `Error: ${(e as Error).message}`);
      return 10_000;
    }
    st.waiting.delete(c.name);
    this.o.event(pod, c.name, 'Normal', 'Started', `Started container ${c.name}`);
    // Keep the newest exited instance (logs --previous, lastState); remove older ones.
    const all = instances(await rt.listContainers({ sandboxId: sandbox.id }), kind, c.name);
    for (const old of all.slice(2)) if (old.state === 'exited') await rt.removeContainer(old.id).catch(() => undefined);
    const postStart = c.lifecycle?.postStart;
    if (postStart) {
      const err = await runHook('PostStart', postStart, { runtime: rt, containerId: id, container: c, pod, host: sandbox.ips[0] ?? this.o.hostIPs()[0] ?? '127.0.0.1' }, (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000);
      if (err) {
        this.o.event(pod, c.name, 'Warning', 'FailedPostStartHook', err);
        st.kill.set(id, { reason: 'postStart' });
        return 0;
      }
    }
    return undefined;
  }

  /** preStop (bounded by the grace period), then stop with what is left of it (at least 2 s). */
  private async killContainer(st: PodState, c: ContainerStatus, graceSeconds: number, runPreStop = true): Promise<void> {
    const spec = this.specOf(st.pod, c);
    this.o.event(st.pod, c.name, 'Normal', 'Killing', `Stopping container ${c.name}`);
    let grace = graceSeconds;
    const preStop = spec?.lifecycle?.preStop;
    if (preStop && runPreStop && c.state === 'running') {
      const t0 = Date.now();
      const sandbox = st.sandboxes.find((s) => s.id === c.sandboxId);
      const err = await Promise.race([
        runHook('PreStop', preStop, { runtime: this.o.runtime, containerId: c.id, container: spec!, pod: st.pod, host: sandbox?.ips[0] ?? '127.0.0.1' }, grace * 1000),
        new Promise<string>((r) => setTimeout(() => r(''), grace * 1000).unref()),
      ]);
      if (err) this.o.event(st.pod, c.name, 'Warning', 'FailedPreStopHook', err);
      grace = Math.max(minimumGracePeriodSeconds, grace - Math.ceil((Date.now() - t0) / 1000));
    }
    await this.o.runtime.stopContainer(c.id, grace);
  }

  /** Stops every running container (in parallel) and the sandboxes. */
  private async killPod(st: PodState, graceSeconds: number): Promise<void> {
    const containers = await this.listContainers(st).catch(() => [] as ContainerStatus[]);
    const running = containers.filter((c) => c.state === 'running' || c.state === 'created');
    // App containers first, then sidecars and other init containers (upstream's termination order).
    const app = running.filter((c) => (c.labels[containerTypeLabel] ?? 'app') === 'app');
    const init = running.filter((c) => c.labels[containerTypeLabel] === 'init');
    await Promise.all(app.map((c) => this.killContainer(st, c, graceSeconds)));
    await Promise.all(init.map((c) => this.killContainer(st, c, graceSeconds)));
    for (const sb of st.sandboxes) if (sb.state === 'ready') await this.o.runtime.stopPodSandbox(sb.id);
  }

  private async removePod(key: string, st: PodState): Promise<void> {
    await this.reclaim(key, st);
    this.backoff.gc(Date.now(), `${st.uid}/`);
    this.images.forget(st.uid);
    if (this.states.get(key) === st) this.states.delete(key);
  }

  /** Removes the pod's sandboxes, volumes and files (what upstream waits for before the final delete). */
  private async reclaim(key: string, st: PodState): Promise<void> {
    this.probes.remove(key);
    for (const sb of st.sandboxes) {
      await this.o.runtime.stopPodSandbox(sb.id).catch(() => undefined);
      await this.o.runtime.removePodSandbox(sb.id);
    }
    // Also when set-up failed half-way (st.volumes unset): whatever was mounted under the pod goes.
    await (st.volumes ? st.volumes.tearDown() : PodVolumes.tearDownPod(this.o.layout.dataDir, st.uid)).catch((e: unknown) =>
      this.o.log(`agent: pod ${key}: tearing down volumes: ${(e as Error).message}`),
    );
    rmSync(podDirectory(this.o.layout, st.uid), { recursive: true, force: true });
    rmSync(podLogDirectory(this.o.layout, st.pod), { recursive: true, force: true });
    st.sandboxes = [];
    st.volumes = undefined;
  }

  /**
   * Graceful deletion: kill everything within the grace period, report, reclaim the sandboxes and volumes,
   * then delete with grace 0 (upstream deletes once the pod's resources are reclaimed).
   */
  private async terminate(key: string, st: PodState): Promise<undefined> {
    const pod = st.pod;
    this.probes.remove(key);
    await this.killPod(st, this.gracePeriod(pod));
    const containers = await this.listContainers(st).catch(() => [] as ContainerStatus[]);
    await this.writeStatus(key, st, containers, true).catch((e: unknown) => {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    });
    await this.reclaim(key, st);
    try {
      await this.o.client.delete(resources.pods, pod.metadata!.name!, { namespace: pod.metadata!.namespace, gracePeriodSeconds: 0, preconditions: { uid: st.uid } });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
    await this.removePod(key, st);
    return undefined;
  }

  private syncProbes(key: string, st: PodState, containers: ContainerStatus[]): void {
    const running = new Map<string, RunningContainer>();
    for (const c of st.pod.spec?.containers ?? []) {
      const [latest] = instances(containers, 'app', c.name);
      if (latest?.state === 'running') running.set(c.name, { id: latest.id, startedAtMs: latest.startedAtMs ?? latest.createdAtMs, container: c });
    }
    const sandbox = st.sandboxes.find((s) => s.state === 'ready');
    this.probes.sync(key, st.pod, sandbox?.ips[0] ?? this.o.hostIPs()[0] ?? '127.0.0.1', running);
  }

  /** Termination message: the file the container wrote, else (FallbackToLogsOnError) the log's tail. */
  private withMessage(st: PodState, c: Container | undefined, s: ContainerStatus): ContainerStatus {
    if (s.state !== 'exited' || !c) return s;
    let msg = st.messages.get(s.id);
    if (msg === undefined) {
      msg = '';
      try {
        msg = readFileSync(terminationMessageFile(this.o.layout, st.uid, c.name, s.attempt), 'utf8').slice(0, 4096);
      } catch {
        // no file: no message
      }
      if (!msg && c.terminationMessagePolicy === 'FallbackToLogsOnError' && (s.exitCode ?? 0) !== 0) msg = logTail(s.logPath, 80, 2048);
      st.messages.set(s.id, msg);
    }
    return msg ? { ...s, message: msg } : s;
  }

  private views(st: PodState, containers: ContainerStatus[], kind: 'init' | 'app', specs: Container[], podKey: string): ContainerView[] {
    return specs.map((c) => {
      const [latest, previous] = instances(containers, kind, c.name);
      const running = latest?.state === 'running';
      return {
        name: c.name,
        image: c.image ?? '',
        latest: latest && this.withMessage(st, c, latest),
        previous: previous && this.withMessage(st, c, previous),
        waiting: st.waiting.get(c.name),
        ready: running && kind === 'app' ? this.probes.ready(podKey, c, latest.id) : running && c.restartPolicy === 'Always',
        started: running && (kind === 'app' ? this.probes.started(podKey, c, latest.id) : true),
      };
    });
  }

  private async writeStatus(key: string, st: PodState, containers: ContainerStatus[], terminating = false): Promise<void> {
    const pod = st.pod;
    const sandbox = st.sandboxes.find((s) => s.state === 'ready') ?? st.sandboxes[0];
    const status = computePodStatus(
      pod,
      {
        runtime: this.o.runtime.name,
        hostIPs: this.o.hostIPs(),
        podIPs: sandbox?.ips ?? [],
        sandboxReady: sandbox?.state === 'ready',
        init: this.views(st, containers, 'init', pod.spec?.initContainers ?? [], key),
        containers: this.views(st, containers, 'app', pod.spec?.containers ?? [], key),
        startTimeMs: st.startTimeMs,
        terminating,
        ...(st.failed ? { failed: st.failed } : {}),
      },
      Date.now(),
    );
    if (terminating) {
      // Upstream (1.27+): a deleted pod ends in a terminal phase once its containers stopped.
      const cs = status.containerStatuses ?? [];
      status.phase = cs.every((c) => c.state?.terminated?.exitCode === 0) && cs.length ? 'Succeeded' : 'Failed';
      for (const c of status.containerStatuses ?? []) c.ready = false;
    }
    if (!podStatusChanged(pod.status, status)) return;
    const updated = await this.o.client.patch<Pod>(resources.pods, pod.metadata!.name!, { metadata: { uid: st.uid }, status }, 'merge', {
      namespace: pod.metadata!.namespace,
      subresource: 'status',
      fieldManager,
    });
    if (this.states.get(key) === st) st.pod = updated;
  }

  /** Pod keys whose containers belong to this uid label (for the relist). */
  static podUidOf(c: { labels: Record<string, string> }): string | undefined {
    return c.labels[podUidLabel];
  }

  /** Stops everything (shutdown of `skiff up`): every pod killed and removed. */
  /**
   * Stops and removes every pod at once (shutdown of `skiff up`). Grace periods are capped at maxGraceSeconds
   * so the whole node stops in bounded time, as the kubelet's graceful node shutdown caps them.
   */
  async removeAll(maxGraceSeconds = shutdownGraceSeconds): Promise<void> {
    this.probes.stop();
    await Promise.all(
      [...this.states].map(async ([key, st]) => {
        await this.killPod(st, Math.min(maxGraceSeconds, this.gracePeriod(st.pod))).catch((e: unknown) => this.o.log(`agent: stopping pod ${key}: ${(e as Error).message}`));
        await this.removePod(key, st).catch((e: unknown) => this.o.log(`agent: removing pod ${key}: ${(e as Error).message}`));
      }),
    );
  }

  /** Removes the sandboxes of a uid the API no longer binds here (found at start or by the relist). */
  async removeOrphan(sandboxes: PodSandboxStatus[]): Promise<void> {
    for (const sb of sandboxes) {
      for (const c of await this.o.runtime.listContainers({ sandboxId: sb.id })) {
        if (c.state === 'running') await this.o.runtime.stopContainer(c.id, minimumGracePeriodSeconds).catch(() => undefined);
      }
      await this.o.runtime.stopPodSandbox(sb.id).catch(() => undefined);
      await this.o.runtime.removePodSandbox(sb.id);
      await PodVolumes.tearDownPod(this.o.layout.dataDir, sb.uid).catch((e: unknown) => this.o.log(`agent: volumes of pod ${sb.uid}: ${(e as Error).message}`));
      rmSync(podDirectory(this.o.layout, sb.uid), { recursive: true, force: true });
      rmSync(`${this.o.layout.dataDir}/pods/logs/${sb.namespace}_${sb.name}_${sb.uid}`, { recursive: true, force: true });
    }
  }

  stopProbes(): void {
    this.probes.stop();
  }
}

function logTail(path: string, lines: number, maxBytes: number): string {
  try {
    const text = readFileSync(path, 'utf8');
    const out = text
      .split('\n')
      .filter(Boolean)
      .slice(-lines)
      .map((l) => l.replace(/^\S+ (stdout|stderr) [FP] /, ''))
      .join('\n');
    return out.slice(-maxBytes);
  } catch {
    return '';
  }
}

