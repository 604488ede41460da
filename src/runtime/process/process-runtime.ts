// The process runtime: the Runtime contract over plain host processes, for machines without a container
// runtime (like Nomad's exec/raw_exec drivers). A container is a process group started by a small shell
// wrapper (wrapper-script.ts) that records its exit status, so state survives an agent restart and is
// re-adopted from the records under the state directory.
//
// Isolated mode (root): each pod gets a network namespace with an IP from the CNI bridge
// (src/network/cni), each container a private mount namespace (volumes at their mountPath, the pod's
// /etc/resolv.conf, /etc/hosts, /etc/hostname) and a UTS namespace, cgroup limits (v1, v2, hybrid), OOM-kill
// detection. Unisolated mode (not root, or asked for): host network, no limits, no mount namespace, and
// status() says so. Never runs images: a container without `command` is refused with a clear message.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsConstants, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { networkInterfaces, constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import type { Duplex, Readable, Writable } from 'node:stream';
import type {
  ContainerConfig,
  ContainerStats,
  ContainerStatus,
  ExecSyncResult,
  ImageInfo,
  PodSandboxConfig,
  PodSandboxStatus,
  Runtime,
  RuntimeStatus,
  StreamOptions,
  StreamSession,
} from '../runtime.js';
import { CniPodNetwork } from '../../network/cni/pod-network.js';
import { skiffPackageVersion } from '../../apiserver/version.js';
import { cgroupPids, cgroupUsage, createCgroup, detectCgroups, oomKilled, removeCgroup, removeCgroupTree, type CgroupLayout } from './cgroups.js';
import { execArgv, signalExitCode, type ExecTarget } from './exec-command.js';
import { LogPump, openFifo } from './log-pump.js';
import { podEtcFiles } from './pod-files.js';
import { allProcStats, childrenOf, isSameProcessAlive, processTree, readProcStat, treeUsage, type ProcStat } from './proc.js';
import { StateStore, type ContainerExit, type ContainerRecord, type SandboxRecord } from './state.js';
import { applet, launcherScript, parseExitFile, wrapperControlFifo, wrapperScript, type WrapperMount } from './wrapper-script.js';
import { shellSpawner } from './shell-spawner.js';
import { applyNetSysctls } from './sysctls.js';
import { Handshake } from './handshake.js';
import { ensureMountPoint, findExecutable, homeOf, hostName, primaryGroupOf, resolvedPath } from './host-paths.js';
import { resizeTerminalOf } from './terminal.js';

export interface ProcessRuntimeOptions {
  /** Records, FIFOs and CNI IPAM state. Private to this runtime; survives agent restarts. */
  stateDir: string;
  /** 'auto': isolate when root; 'none': host network, no limits, no mount namespaces even as root. */
  isolation?: 'auto' | 'none';
  /** Pod network (isolated mode): bridge (default cni0) and pod CIDR (default 10.42.0.0/24; updatePodCIDR). */
  bridge?: string;
  podCIDR?: string;
  cniBinDir?: string;
  ipMasq?: boolean;
  mtu?: number;
  /** The node's addresses, reported as the IPs of host-network sandboxes. Default: the host's IPv4s. */
  hostIPs?: string[];
  /** Where the cgroup file systems are mounted (default /sys/fs/cgroup). */
  cgroupMount?: string;
  /** The agent's own top-level cgroup (e.g. "skiff-<id>"), under which every cgroupParent lies: cleanupAll
   * kills whatever is left below it and removes it. */
  cgroupRoot?: string;
  log?: (line: string) => void;
}

/** The first node's range of the cluster's default pod CIDR (10.42.0.0/16, as k3s). */
export const defaultPodCIDR = '10.42.0.0/24';
export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const handshakeTimeoutMs = 10_000;
const adoptedPollMs = 250;

/** Thrown for calls on sandboxes or containers this runtime does not have (CRI's NotFound). */
export class RuntimeNotFoundError extends Error {}

/** The message a container without `command` fails with (the agent shows it as the waiting message). */
export function cannotRunImageMessage(name: string, image: string): string {
  return `the process runtime cannot run container images: container "${name}" (image "${image}") has no command; set command (and args) to a program on the node, or run the node with the containerd runtime`;
}

interface LiveContainer {
  pump?: LogPump;
  exited: Promise<void>;
  markExited: () => void;
  /** The exit is known and being recorded (after the log drains). */
  exiting?: boolean;
}

export class ProcessRuntime implements Runtime {
  readonly name = 'process' as const;
  readonly isolated: boolean;
  private readonly store: StateStore;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly live = new Map<string, LiveContainer>();
  /** Running containers whose wrapper an earlier agent started. */
  private readonly adopted = new Set<string>();
  private adoptedTimer: NodeJS.Timeout | undefined;
  private readonly cgroups: CgroupLayout | undefined;
  private podCIDR: string | undefined;
  private network: CniPodNetwork | undefined;
  private readonly log: (line: string) => void;
  private readonly busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));

  private constructor(private readonly options: ProcessRuntimeOptions) {
    this.log = options.log ?? (() => undefined);
    this.isolated = options.isolation !== 'none' && process.getuid?.() === 0;
    this.store = new StateStore(options.stateDir);
    this.cgroups = this.isolated ? detectCgroups(options.cgroupMount) : undefined;
    this.podCIDR = options.podCIDR;
    if (this.isolated && !this.podCIDR) {
      this.podCIDR = defaultPodCIDR;
      this.log(`process runtime: no pod CIDR given; pods get addresses from ${defaultPodCIDR}`);
    }
    this.network = this.makeNetwork();
  }

  /** Opens the runtime and adopts the sandboxes and containers recorded under the state directory. */
  static async open(options: ProcessRuntimeOptions): Promise<ProcessRuntime> {
    const rt = new ProcessRuntime(options);
    await rt.adopt();
    if (rt.adopted.size) rt.startAdoptedPolling();
    return rt;
  }

  private startAdoptedPolling(): void {
    if (this.adoptedTimer) return;
    this.adoptedTimer = setInterval(() => this.pollAdopted(), adoptedPollMs);
    this.adoptedTimer.unref();
  }

  /** Watches a started container whose wrapper's end will not be reported (polled like adopted ones). */
  private watchAdopted(id: string): void {
    const rec = this.containers.get(id);
    if (!rec || rec.exit || rec.startedAtMs === undefined) return;
    this.adopted.add(id);
    this.startAdoptedPolling();
  }

  private makeNetwork(): CniPodNetwork | undefined {
    if (!this.isolated || !this.podCIDR) return undefined;
    return new CniPodNetwork({
      binDir: this.options.cniBinDir ?? '/usr/lib/cni',
      bridge: this.options.bridge ?? 'cni0',
      podCIDR: this.podCIDR,
      dataDir: join(this.options.stateDir, 'cni'),
      ipMasq: this.options.ipMasq ?? true,
      mtu: this.options.mtu,
      busybox: this.busybox,
    });
  }

  /** Sets the node's pod CIDR (CRI UpdateRuntimeConfig); pod networks become available. */
  async updatePodCIDR(cidr: string): Promise<void> {
    if (cidr === this.podCIDR) return;
    this.podCIDR = cidr;
    this.network = this.makeNetwork();
  }

  async version(): Promise<{ runtimeName: string; runtimeVersion: string }> {
    return { runtimeName: 'process', runtimeVersion: skiffPackageVersion() };
  }

  async status(): Promise<RuntimeStatus> {
    const warnings: string[] = [];
    if (!this.isolated) {
      warnings.push(
        process.getuid?.() === 0
          ? 'process runtime without isolation (asked for): pods use the host network, no resource limits, no mount namespaces'
          : 'process runtime not running as root: pods use the host network (their ports can clash), no resource limits, no mount namespaces',
      );
    } else if (!this.cgroups) {
      warnings.push('no usable cgroup controllers (cpu, memory): resource limits are not enforced');
    }
    const networkReady = !this.isolated || !!this.network;
    if (!networkReady) warnings.push('pod network not ready: no pod CIDR assigned to this node yet');
    return { ready: true, networkReady, warnings };
  }

  // ---- sandboxes ----

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const id = randomBytes(32).toString('hex');
    const rec: SandboxRecord = { id, config, createdAtMs: Date.now(), state: 'ready', network: 'host', ips: this.hostIPs() };
    if (this.isolated && !config.hostNetwork) {
      if (!this.network) throw new Error('network is not ready: this node has no pod CIDR yet');
      const planned = await this.network.plan({
        sandboxId: id,
        name: config.name,
        namespace: config.namespace,
        uid: config.uid,
        portMappings: config.portMappings
          .filter((p) => p.hostPort)
          .map((p) => ({ hostPort: p.hostPort!, containerPort: p.containerPort, protocol: p.protocol.toLowerCase(), ...(p.hostIP ? { hostIP: p.hostIP } : {}) })),
      });
      // Recorded first (as "pending"): an agent that dies during the set-up tears it down on its next start.
      this.store.saveSandbox({ ...rec, state: 'notready', network: 'pod', attachment: planned, pending: true });
      try {
        rec.attachment = await this.network.setUp(planned);
      } catch (err) {
        this.store.deleteSandbox(id);
        throw err;
      }
      rec.network = 'pod';
      rec.ips = rec.attachment.ips;
    }
    try {
      if (rec.attachment && config.sysctls && Object.keys(config.sysctls).length) await applyNetSysctls(rec.attachment.netnsPath, config.sysctls);
      if (this.isolated) rec.etcDir = this.writePodFiles(rec);
      this.store.saveSandbox(rec);
    } catch (err) {
      if (rec.attachment) await this.network?.tearDown(rec.attachment).catch(() => undefined);
      this.store.deleteSandbox(id);
      throw err;
    }
    this.sandboxes.set(id, rec);
    return id;
  }

  private writePodFiles(rec: SandboxRecord): string {
    const dir = join(this.store.sandboxPath(rec.id), 'etc');
    mkdirSync(dir, { recursive: true });
    let hostHosts = '';
    try {
      hostHosts = readFileSync('/etc/hosts', 'utf8');
    } catch {
      /* none */
    }
    const files = podEtcFiles(rec.config, rec.network === 'pod' ? rec.ips : [], hostHosts);
    writeFileSync(join(dir, 'hosts'), files.hosts);
    writeFileSync(join(dir, 'hostname'), files.hostname);
    if (files.resolvConf) writeFileSync(join(dir, 'resolv.conf'), files.resolvConf);
    return dir;
  }

  async stopPodSandbox(id: string): Promise<void> {
    const rec = this.sandboxes.get(id);
    if (!rec) return;
    await Promise.all([...this.containers.values()].filter((c) => c.sandboxId === id).map((c) => this.stopContainer(c.id, 0)));
    if (this.cgroups) this.killCgroup(rec.config.cgroupParent);
    if (rec.state === 'notready') return;
    if (rec.attachment) await (this.network ?? this.detachedNetwork()).tearDown(rec.attachment);
    rec.state = 'notready';
    this.store.saveSandbox(rec);
  }

  /** A CNI handle for tearing down when no pod CIDR is set (the attachment carries the config ADD used). */
  private detachedNetwork(): CniPodNetwork {
    return new CniPodNetwork({ binDir: this.options.cniBinDir ?? '/usr/lib/cni', bridge: this.options.bridge ?? 'cni0', podCIDR: '', dataDir: join(this.options.stateDir, 'cni'), ipMasq: false });
  }

  async removePodSandbox(id: string): Promise<void> {
    const rec = this.sandboxes.get(id);
    if (!rec) return;
    await this.stopPodSandbox(id);
    for (const c of [...this.containers.values()]) if (c.sandboxId === id) await this.removeContainer(c.id);
    if (this.cgroups && !removeCgroup(this.cgroups, rec.config.cgroupParent)) {
      this.log(`process runtime: cgroup ${rec.config.cgroupParent} is still busy; left in place`);
    }
    this.store.deleteSandbox(id);
    this.sandboxes.delete(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus | undefined> {
    const rec = this.sandboxes.get(id);
    return rec && sandboxStatus(rec);
  }

  async listPodSandboxes(): Promise<PodSandboxStatus[]> {
    return [...this.sandboxes.values()].map(sandboxStatus);
  }

  // ---- images: the process runtime has none ----

  async pullImage(image: string): Promise<string> {
    return image;
  }

  async imageStatus(image: string): Promise<ImageInfo | undefined> {
    return { id: image, repoTags: [image], repoDigests: [], sizeBytes: 0 };
  }

  async listImages(): Promise<ImageInfo[]> {
    const images = new Set([...this.containers.values()].map((c) => c.config.image));
    return [...images].map((image) => ({ id: image, repoTags: [image], repoDigests: [], sizeBytes: 0 }));
  }

  async removeImage(): Promise<void> {}

  // ---- containers ----

  async createContainer(sandboxId: string, config: ContainerConfig, _sandbox: PodSandboxConfig): Promise<string> {
    const sb = this.sandboxes.get(sandboxId);
    if (!sb) throw new RuntimeNotFoundError(`pod sandbox ${sandboxId} not found`);
    if (sb.state !== 'ready') throw new Error(`pod sandbox ${sandboxId} is not ready`);
    if (!config.command.length) throw new Error(cannotRunImageMessage(config.name, config.image));
    if (!this.isolated && config.security.runAsUser !== undefined && config.security.runAsUser !== process.getuid?.()) {
      throw new Error(`runAsUser ${config.security.runAsUser} needs the process runtime to run as root (it runs as uid ${process.getuid?.()})`);
    }
    const id = randomBytes(32).toString('hex');
    const rec: ContainerRecord = {
      id,
      sandboxId,
      config,
      createdAtMs: Date.now(),
      logPath: join(sb.config.logDirectory, config.logPath),
      createdPaths: [],
    };
    // Only the directory now: the record is first written by startContainer, before anything runs (a
    // container merely created when the agent died has nothing to adopt; its directory is removed on open).
    this.store.createContainerDir(id);
    this.containers.set(id, rec);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const rec = this.mustContainer(id);
    if (rec.startedAtMs !== undefined || rec.exit) throw new Error(`container ${id} was already started`);
    const sb = this.sandboxes.get(rec.sandboxId);
    if (!sb || sb.state !== 'ready') throw new Error(`pod sandbox ${rec.sandboxId} is not ready`);
    const env = this.containerEnv(rec, sb);
    try {
      const missing = findExecutable(rec.config.command[0], env.PATH ?? defaultPath, rec.config.mounts.map((m) => m.containerPath));
      if (missing) throw new Error(missing);
      mkdirSync(dirname(rec.logPath), { recursive: true });
      await this.launch(rec, sb, env);
    } catch (err) {
      rec.exit = { exitCode: 128, finishedAtMs: Date.now(), reason: 'StartError', message: (err as Error).message };
      this.cleanupCreatedPaths(rec);
      if (rec.cgroupPath && this.cgroups) removeCgroup(this.cgroups, rec.cgroupPath);
      this.store.saveContainer(rec);
      throw err;
    }
  }

  private containerEnv(rec: ContainerRecord, sb: SandboxRecord): Record<string, string> {
    const env: Record<string, string> = {};
    for (const kv of rec.config.env) env[kv.name] = kv.value;
    env.PATH ??= defaultPath;
    env.HOSTNAME ??= sb.network === 'pod' ? sb.config.hostname : hostName();
    env.HOME ??= homeOf(rec.config.security.runAsUser ?? process.getuid?.() ?? 0);
    return env;
  }

  private async launch(rec: ContainerRecord, sb: SandboxRecord, env: Record<string, string>): Promise<void> {
    const dir = this.store.containerPath(rec.id);
    const c = rec.config;
    let mounts: WrapperMount[] = [];
    let cgroupProcs: string[] = [];
    let user: { uid: number; gid: number; groups: number[] } | undefined;
    if (this.isolated) {
      mounts = this.prepareMounts(rec, sb);
      if (this.cgroups) {
        rec.cgroupPath = `${sb.config.cgroupParent}/${rec.id}`;
        cgroupProcs = createCgroup(this.cgroups, rec.cgroupPath, c.resources);
      }
      if (c.security.runAsUser !== undefined || c.security.runAsGroup !== undefined) {
        const uid = c.security.runAsUser ?? 0;
        user = { uid, gid: c.security.runAsGroup ?? primaryGroupOf(uid), groups: c.security.supplementalGroups ?? [] };
      }
    }
    const script = wrapperScript({
      dir,
      argv: [...c.command, ...c.args],
      workingDir: c.workingDir || '/',
      tty: c.tty,
      stdin: c.stdin,
      hostname: this.isolated && sb.network === 'pod' ? sb.config.hostname : undefined,
      mounts,
      cgroupProcs,
      user,
      busybox: this.busybox,
    });
    // A start interrupted earlier (agent died mid-handshake) may have left these behind.
    for (const f of ['out', 'err', 'in', wrapperControlFifo, 'wrapper', 'pid', 'exit', 'stdin-holder']) rmSync(join(dir, f), { force: true });
    writeFileSync(join(dir, 'wrapper.sh'), script);
    // By path: busybox's unshare would run its own shell for `sh`.
    let argv = [this.busybox ? '/bin/sh' : 'sh', join(dir, 'wrapper.sh')];
    if (this.isolated) {
      // busybox's applets when there is one: ~0.6 ms less CPU each than util-linux's (statically linked).
      const uts = sb.network === 'pod' ? ['--uts'] : [];
      argv = [...applet('unshare', this.busybox), '--mount', ...uts, '--propagation', 'private', '--', ...argv];
      if (sb.attachment) argv = [...applet('nsenter', this.busybox), `--net=${sb.attachment.netnsPath}`, '--', ...argv];
    }
    writeFileSync(join(dir, 'run.sh'), launcherScript(env, argv));
    this.store.saveContainer(rec); // with its cgroup and mount points, before anything runs
    const spawnedAtMs = Date.now();
    // Started by the script runner (no fork of this process); its job ends when the wrapper exits.
    const handshake = new Handshake();
    const live = this.liveOf(rec.id);
    void shellSpawner.run(dir, { onLine: (l) => handshake.push(l), hold: false }).then(
      () => {
        handshake.end();
        this.onWrapperExit(rec.id);
      },
      (err: Error) => {
        // The runner died: its jobs' ends are not reported any more; the wrapper is watched like an adopted one.
        handshake.end(err.message);
        this.watchAdopted(rec.id);
      },
    );
    // "ready": the FIFOs exist and the wrapper holds them; the pump opens them before the command runs, so no
    // output can be written into a pipe nobody will read. Then "go", and the wrapper answers "started <pid>".
    let line = await handshake.next(handshakeTimeoutMs);
    let wrapperPid: number | undefined;
    if (line.startsWith('ready ')) {
      wrapperPid = Number(line.slice('ready '.length));
      try {
        live.pump = this.openPump(rec);
        sendGo(join(dir, wrapperControlFifo));
        line = await handshake.next(handshakeTimeoutMs);
      } catch (err) {
        line = `error cannot start the container: ${(err as Error).message}`;
      }
    }
    if (!line.startsWith('started ')) {
      if (wrapperPid) killPid(wrapperPid);
      await live.pump?.close();
      live.pump = undefined;
      let detail = '';
      try {
        detail = [readFileSync(join(dir, 'sh.err'), 'utf8'), readFileSync(join(dir, 'wrapper.log'), 'utf8')].join('\n').trim().split('\n').filter(Boolean).slice(-3).join('; ');
      } catch {
        /* none */
      }
      throw new Error(`${line.replace(/^error /, '') || 'the container wrapper exited before starting the command'}${detail ? ` (${detail})` : ''}`);
    }
    const pid = Number(line.slice('started '.length));
    rec.pid = pid;
    rec.pidStart = readProcStat(pid)?.startTime;
    rec.wrapperPid = wrapperPid;
    rec.wrapperStart = wrapperPid ? readProcStat(wrapperPid)?.startTime : undefined;
    rec.startedAtMs = spawnedAtMs;
    this.store.saveContainer(rec);
    if (existsSync(join(dir, 'exit'))) this.onWrapperExit(rec.id);
  }

  private openPump(rec: ContainerRecord): LogPump {
    const dir = this.store.containerPath(rec.id);
    return new LogPump(rec.logPath, rec.config.tty ? { stdout: join(dir, 'out') } : { stdout: join(dir, 'out'), stderr: join(dir, 'err') });
  }

  /** Mount list for the wrapper; creates missing mount points on the host and records them for removal. */
  private prepareMounts(rec: ContainerRecord, sb: SandboxRecord): WrapperMount[] {
    const mounts: WrapperMount[] = [];
    const etc = sb.etcDir;
    if (etc) {
      mounts.push({ source: join(etc, 'hosts'), target: '/etc/hosts', readOnly: false });
      if (sb.network === 'pod') mounts.push({ source: join(etc, 'hostname'), target: '/etc/hostname', readOnly: false });
      if (sb.config.dns) mounts.push({ source: join(etc, 'resolv.conf'), target: '/etc/resolv.conf', readOnly: false });
    }
    for (const m of rec.config.mounts) mounts.push({ source: m.hostPath, target: m.containerPath, readOnly: m.readOnly, propagation: m.propagation });
    for (const m of mounts) {
      if (!existsSync(m.source)) throw new Error(`mount source ${m.source} does not exist`);
      rec.createdPaths.push(...ensureMountPoint(m.target, statSync(m.source).isDirectory()));
      // Mount at the resolved path: a target through a symlink (/var/run → /run) is mounted where the link
      // leads, and the read-only remount looks the mount up by that path.
      m.target = resolvedPath(m.target);
    }
    return mounts;
  }

  /** Removes the mount points this container created, unless another container still uses them. */
  private cleanupCreatedPaths(rec: ContainerRecord): void {
    const inUse = new Set<string>();
    for (const other of this.containers.values()) if (other.id !== rec.id && !other.exit) for (const p of other.createdPaths) inUse.add(p);
    for (const p of [...rec.createdPaths].reverse()) {
      if (inUse.has(p)) continue;
      try {
        if (statSync(p).isDirectory()) rmdirSync(p);
        else if (statSync(p).size === 0) unlinkSync(p);
      } catch {
        /* gone, or not empty: someone else put something there */
      }
    }
    rec.createdPaths = [];
  }

  private liveOf(id: string): LiveContainer {
    let live = this.live.get(id);
    if (!live) {
      let markExited!: () => void;
      const exited = new Promise<void>((r) => (markExited = r));
      live = { exited, markExited };
      this.live.set(id, live);
    }
    return live;
  }

  /** The wrapper exited (or its exit file appeared): record the container's exit once. */
  private onWrapperExit(id: string): void {
    const rec = this.containers.get(id);
    const live = this.live.get(id);
    if (!rec || !live || rec.exit || live.exiting) return;
    if (rec.startedAtMs === undefined) return; // handshake failed; startContainer records it
    const exitFile = this.store.containerPath(id, 'exit');
    let parsed: { exitCode: number; finishedAtMs: number } | undefined;
    try {
      const code = parseExitFile(readFileSync(exitFile, 'utf8'));
      // File times come from the kernel's coarse clock (a tick behind): never before the start.
      if (code !== undefined) parsed = { exitCode: code, finishedAtMs: Math.max(rec.startedAtMs, Math.floor(statSync(exitFile).mtimeMs)) };
    } catch {
      parsed = undefined;
    }
    if (!parsed) {
      // Not written (yet): the wrapper may be writing it, or the container still runs without its supervisor.
      if (rec.wrapperPid && rec.wrapperStart !== undefined && isSameProcessAlive(rec.wrapperPid, rec.wrapperStart)) return;
      if (rec.pid && rec.pidStart !== undefined && isSameProcessAlive(rec.pid, rec.pidStart)) return;
    }
    let exit: ContainerExit;
    if (parsed) {
      exit = { ...parsed, reason: parsed.exitCode === 0 ? 'Completed' : 'Error' };
      if (this.cgroups && rec.cgroupPath && oomKilled(this.cgroups, rec.cgroupPath, parsed.exitCode)) exit.reason = 'OOMKilled';
    } else {
      exit = { exitCode: 255, finishedAtMs: Date.now(), reason: 'Error', message: 'the container supervisor died: the exit status is unknown' };
    }
    // The exit is reported once the output has drained into the log (bounded: a daemon the command left
    // behind may hold its stdout), so whoever sees the container exited also sees its last lines — the
    // agent reads the termination message from them (FallbackToLogsOnError).
    live.exiting = true;
    const record = () => {
      rec.exit = exit;
      this.store.saveContainer(rec);
      live.markExited();
    };
    if (live.pump) void live.pump.finish(2000).then(record, record);
    else record();
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const rec = this.containers.get(id);
    if (!rec || rec.exit || rec.startedAtMs === undefined) return;
    const live = this.liveOf(id);
    if (timeoutSeconds > 0) {
      this.signal(rec, 'SIGTERM');
      if (await waitFor(live.exited, timeoutSeconds * 1000)) return;
    }
    this.signal(rec, 'SIGKILL');
    if (await waitFor(live.exited, 10_000)) return;
    this.onWrapperExit(id);
    await waitFor(live.exited, 3000);
  }

  /** Signals the container's process group (and, with a terminal, the session script(1) started). */
  private signal(rec: ContainerRecord, sig: NodeJS.Signals): void {
    const pid = rec.pid;
    if (!pid || rec.pidStart === undefined || !isSameProcessAlive(pid, rec.pidStart)) {
      if (sig === 'SIGKILL' && this.cgroups && rec.cgroupPath) this.killCgroup(rec.cgroupPath);
      return;
    }
    const targets = rec.config.tty ? childrenOf(pid) : [];
    // script(1) answers SIGTERM by killing its shell and exiting 0; the command itself should get the signal.
    if (!rec.config.tty || sig === 'SIGKILL' || !targets.length) targets.push(pid);
    // Without a cgroup, descendants that left the process group (setsid daemons) are found by parentage,
    // before the leader dies and they are re-parented.
    if (sig === 'SIGKILL' && !(this.cgroups && rec.cgroupPath)) for (const p of processTree(allProcStats(), pid)) targets.push(p.pid);
    for (const t of targets) {
      try {
        process.kill(-t, sig);
      } catch {
        try {
          process.kill(t, sig);
        } catch {
          /* gone */
        }
      }
    }
    if (sig === 'SIGKILL' && this.cgroups && rec.cgroupPath) this.killCgroup(rec.cgroupPath);
  }

  private killCgroup(path: string): void {
    if (!this.cgroups) return;
    for (const p of cgroupPids(this.cgroups, path)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  async removeContainer(id: string): Promise<void> {
    const rec = this.containers.get(id);
    if (!rec) return;
    await this.stopContainer(id, 0);
    const live = this.live.get(id);
    await live?.pump?.close();
    this.live.delete(id);
    this.killHolder(rec);
    this.cleanupCreatedPaths(rec);
    if (this.cgroups && rec.cgroupPath) {
      for (let i = 0; i < 50 && !removeCgroup(this.cgroups, rec.cgroupPath); i++) {
        this.killCgroup(rec.cgroupPath);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    this.store.deleteContainer(id);
    this.containers.delete(id);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const rec = this.containers.get(id);
    return rec && containerStatus(rec);
  }

  async listContainers(filter?: { sandboxId?: string }): Promise<ContainerStatus[]> {
    const out: ContainerStatus[] = [];
    for (const rec of this.containers.values()) if (!filter?.sandboxId || rec.sandboxId === filter.sandboxId) out.push(containerStatus(rec));
    return out;
  }

  async reopenContainerLog(id: string): Promise<void> {
    const rec = this.mustContainer(id);
    const pump = this.live.get(id)?.pump;
    if (!pump) throw new Error(`container ${rec.id} is not running`);
    pump.reopen();
  }

  // ---- exec, attach, port-forward ----

  private execTarget(rec: ContainerRecord): ExecTarget {
    const c = rec.config;
    if (!this.isolated) return { workingDir: c.workingDir || '/', cgroupProcs: [] };
    const user = c.security.runAsUser !== undefined || c.security.runAsGroup !== undefined
      ? { uid: c.security.runAsUser ?? 0, gid: c.security.runAsGroup ?? primaryGroupOf(c.security.runAsUser ?? 0), groups: c.security.supplementalGroups ?? [] }
      : undefined;
    const cgroupProcs = this.cgroups && rec.cgroupPath ? createCgroup(this.cgroups, rec.cgroupPath) : [];
    return { nsPid: rec.pid, workingDir: c.workingDir || '/', cgroupProcs, user };
  }

  private runningContainer(id: string): ContainerRecord {
    const rec = this.mustContainer(id);
    if (rec.exit || rec.startedAtMs === undefined || !rec.pid || rec.pidStart === undefined || !isSameProcessAlive(rec.pid, rec.pidStart)) {
      throw new Error(`container ${id} is not running`);
    }
    return rec;
  }

  /** Spawns an exec'd command; a command that cannot be found is refused with runc's message, as upstream. */
  private spawnExec(rec: ContainerRecord, cmd: string[], tty: boolean): ChildProcess {
    const sb = this.sandboxes.get(rec.sandboxId)!;
    const env = this.containerEnv(rec, sb);
    if (!cmd.length) throw new Error('no command given');
    const missing = findExecutable(cmd[0], env.PATH ?? defaultPath, rec.config.mounts.map((m) => m.containerPath));
    if (missing) throw new Error(missing);
    const argv = execArgv(this.execTarget(rec), cmd, tty);
    return spawn(argv[0], argv.slice(1), {
      env,
      cwd: this.isolated ? '/' : rec.config.workingDir || '/',
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  async execSync(id: string, cmd: string[], timeoutMs: number): Promise<ExecSyncResult> {
    const rec = this.runningContainer(id);
    const child = this.spawnExec(rec, cmd, false);
    child.stdin!.end();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    let timedOut = false;
    const timer = timeoutMs > 0 ? setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, timeoutMs) : undefined;
    const exitCode = await new Promise<number>((resolve) => {
      child.on('error', () => resolve(127));
      child.on('close', (code, signal) => resolve(signalExitCode(signal, code, osConstants.signals)));
    });
    clearTimeout(timer);
    return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode, timedOut };
  }

  /**
   * Runs `cmd` in the container. Output is written to opts.stdout/stderr (never ended: the caller owns them);
   * `done` resolves after the command exited and its output was delivered.
   */
  async exec(id: string, cmd: string[], opts: StreamOptions): Promise<StreamSession> {
    const rec = this.runningContainer(id);
    const child = this.spawnExec(rec, cmd, opts.tty);
    if (opts.stdin) {
      opts.stdin.pipe(child.stdin!);
      child.stdin!.on('error', () => undefined);
    } else child.stdin!.end();
    // pipe (not write): a slow client (kubectl cp of a large file) holds the command back instead of the
    // output piling up in the agent. Never ended here: the caller owns its streams.
    const sink = (from: Readable, to: Writable | undefined) => (to ? from.pipe(to, { end: false }) : from.resume());
    sink(child.stdout!, opts.stdout);
    sink(child.stderr!, opts.tty ? opts.stdout : opts.stderr);
    const done = new Promise<{ exitCode: number }>((resolve) => {
      child.on('error', () => resolve({ exitCode: 127 }));
      child.on('close', (code, signal) => {
        opts.stdin?.unpipe(child.stdin!);
        resolve({ exitCode: signalExitCode(signal, code, osConstants.signals) });
      });
    });
    return {
      done,
      resize: (w, h) => {
        if (opts.tty && child.pid) resizeTerminalOf(child.pid, w, h);
      },
      close: () => killGroup(child, 'SIGKILL'),
    };
  }

  async attach(id: string, opts: StreamOptions): Promise<StreamSession> {
    const rec = this.runningContainer(id);
    const live = this.liveOf(id);
    const unsubscribe = live.pump?.subscribe((stream, data) => {
      (stream === 'stderr' && !opts.tty ? opts.stderr : opts.stdout)?.write(data);
    });
    let stdinSock: Socket | undefined;
    if (opts.stdin && rec.config.stdin) {
      stdinSock = openFifo(this.store.containerPath(id, 'in'), 'write');
      stdinSock.on('error', () => undefined);
      opts.stdin.pipe(stdinSock, { end: false });
      opts.stdin.on('end', () => {
        // With stdinOnce the container's stdin closes when the first attached client closes its stdin.
        if (rec.config.stdinOnce) this.killHolder(rec);
        stdinSock?.end();
      });
    }
    let finish!: (r: { exitCode: number }) => void;
    const done = new Promise<{ exitCode: number }>((r) => (finish = r));
    const close = () => {
      unsubscribe?.();
      if (opts.stdin && stdinSock) opts.stdin.unpipe(stdinSock);
      stdinSock?.destroy();
      finish({ exitCode: rec.exit?.exitCode ?? 0 });
    };
    void live.exited.then(() => setTimeout(close, 50));
    return {
      done,
      resize: (w, h) => {
        if (rec.config.tty && rec.pid) resizeTerminalOf(rec.pid, w, h);
      },
      close,
    };
  }

  async portForward(sandboxId: string, port: number): Promise<Duplex> {
    const sb = this.sandboxes.get(sandboxId);
    if (!sb) throw new RuntimeNotFoundError(`pod sandbox ${sandboxId} not found`);
    const host = sb.network === 'pod' ? sb.ips[0] : '127.0.0.1';
    return new Promise((resolve, reject) => {
      const sock = connect({ host, port });
      sock.once('connect', () => {
        sock.removeListener('error', reject);
        resolve(sock);
      });
      sock.once('error', reject);
    });
  }

  // ---- stats ----

  async containerStats(id: string): Promise<ContainerStats | undefined> {
    return this.statsOf(id);
  }

  private statsOf(id: string, snapshot?: () => ProcStat[]): ContainerStats | undefined {
    const rec = this.containers.get(id);
    if (!rec || rec.exit || !rec.pid) return undefined;
    const base = { id, name: rec.config.name, sandboxId: rec.sandboxId, timestampMs: Date.now() };
    if (this.cgroups && rec.cgroupPath) {
      const u = cgroupUsage(this.cgroups, rec.cgroupPath);
      if (u) return { ...base, cpuUsageCoreNanoSeconds: u.cpuNanos, memoryWorkingSetBytes: u.workingSetBytes, memoryRssBytes: u.rssBytes };
    }
    if (rec.pidStart === undefined || !isSameProcessAlive(rec.pid, rec.pidStart)) return undefined;
    const u = treeUsage(rec.pid, snapshot?.());
    return u && { ...base, cpuUsageCoreNanoSeconds: u.cpuNanos, memoryWorkingSetBytes: u.rssBytes, memoryRssBytes: u.rssBytes };
  }

  async listContainerStats(): Promise<ContainerStats[]> {
    const out: ContainerStats[] = [];
    let procs: ProcStat[] | undefined;
    const snapshot = () => (procs ??= allProcStats());
    for (const id of this.containers.keys()) {
      const s = this.statsOf(id, snapshot);
      if (s) out.push(s);
    }
    return out;
  }

  // ---- life cycle of the runtime itself ----

  /** Stops reading output and watching exits; pods keep running (a later open() adopts them). */
  async close(): Promise<void> {
    if (this.adoptedTimer) clearInterval(this.adoptedTimer);
    this.adoptedTimer = undefined;
    this.adopted.clear();
    for (const live of this.live.values()) await live.pump?.close();
    this.live.clear();
  }

  /** Stops and removes every sandbox and container, the pod bridge and CNI state (node shutdown). */
  async cleanupAll(): Promise<void> {
    // Keep going past a failure: what can be removed is removed, and the failure is said.
    const attempt = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        this.log(`process runtime: cleanup of ${what} failed: ${(err as Error).message}`);
      }
    };
    for (const id of [...this.sandboxes.keys()]) await attempt(`pod sandbox ${id}`, () => this.removePodSandbox(id));
    for (const id of [...this.containers.keys()]) await attempt(`container ${id}`, () => this.removeContainer(id));
    await this.network?.removeBridge();
    rmSync(join(this.options.stateDir, 'cni'), { recursive: true, force: true });
    if (this.cgroups && this.options.cgroupRoot) {
      for (let i = 0; i < 20; i++) {
        const left = removeCgroupTree(this.cgroups, this.options.cgroupRoot);
        if (!left.length) break;
        if (i === 19) this.log(`process runtime: cgroups still busy after cleanup: ${left.join(', ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private async adopt(): Promise<void> {
    for (const sb of this.store.loadSandboxes()) {
      if (sb.pending) {
        // runPodSandbox never finished: undo whatever part of the network exists.
        if (sb.attachment) await (this.network ?? this.detachedNetwork()).tearDown(sb.attachment).catch((err) => this.log(`process runtime: tearing down the unfinished pod network of ${sb.id}: ${(err as Error).message}`));
        this.store.deleteSandbox(sb.id);
        continue;
      }
      this.sandboxes.set(sb.id, sb);
      if (sb.state === 'ready' && sb.attachment && this.network) {
        // CNI CHECK runs the plugins; one failing run on a busy host is looked at again before the pod's
        // sandbox is declared broken (which re-creates it and restarts its containers).
        let problem = await this.network.check(sb.attachment);
        if (problem) {
          this.log(`process runtime: network check of pod sandbox ${sb.id} failed (${problem}); checking again`);
          await new Promise((r) => setTimeout(r, 1000));
          problem = await this.network.check(sb.attachment);
        }
        if (problem) {
          this.log(`process runtime: pod sandbox ${sb.id} (${sb.config.namespace}/${sb.config.name}) lost its network: ${problem}`);
          sb.state = 'notready';
          this.store.saveSandbox(sb);
        }
      }
    }
    for (const rec of this.store.loadContainers()) {
      this.containers.set(rec.id, rec);
      if (!rec.exit && rec.startedAtMs === undefined) this.recoverInterruptedStart(rec);
      if (rec.exit || rec.startedAtMs === undefined) continue;
      const live = this.liveOf(rec.id);
      const wrapperAlive = !!rec.wrapperPid && rec.wrapperStart !== undefined && isSameProcessAlive(rec.wrapperPid, rec.wrapperStart);
      if (wrapperAlive) {
        try {
          live.pump = this.openPump(rec);
        } catch (err) {
          this.log(`process runtime: cannot reopen the output of container ${rec.id}: ${(err as Error).message}`);
        }
        this.adopted.add(rec.id);
      } else {
        this.onWrapperExit(rec.id);
      }
    }
  }

  /**
   * The agent died between the wrapper's "started" and saving the record: the wrapper's pid file (container
   * PID and wrapper PID) tells what runs, so the container is adopted instead of being started twice.
   */
  private recoverInterruptedStart(rec: ContainerRecord): void {
    const pidFile = this.store.containerPath(rec.id, 'pid');
    let text: string;
    try {
      text = readFileSync(pidFile, 'utf8');
    } catch {
      // Never got that far: still "created". A wrapper left waiting for the runtime's "go" is stopped.
      this.killWaitingWrapper(rec);
      return;
    }
    const [pid, wrapperPid] = text.trim().split(' ').map(Number);
    if (!pid || !wrapperPid) return;
    rec.pid = pid;
    rec.pidStart = readProcStat(pid)?.startTime;
    rec.wrapperPid = wrapperPid;
    rec.wrapperStart = readProcStat(wrapperPid)?.startTime;
    rec.startedAtMs = Math.floor(statSync(pidFile).mtimeMs);
    this.store.saveContainer(rec);
  }

  /** Kills the wrapper of a start that never got to "started" (its PID file, checked against its command line). */
  private killWaitingWrapper(rec: ContainerRecord): void {
    try {
      const pid = Number(readFileSync(this.store.containerPath(rec.id, 'wrapper'), 'utf8').trim());
      if (pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.store.containerPath(rec.id, 'wrapper.sh'))) killPid(pid);
    } catch {
      /* no wrapper, or gone */
    }
  }

  /**
   * Wrappers started by an earlier agent are not this process's children, so no exit event arrives: one
   * timer checks them all (the exit file, or the wrapper's death).
   */
  private pollAdopted(): void {
    for (const id of this.adopted) {
      const rec = this.containers.get(id);
      if (!rec || rec.exit) {
        this.adopted.delete(id);
        continue;
      }
      if (!isSameProcessAlive(rec.wrapperPid!, rec.wrapperStart!) || existsSync(this.store.containerPath(id, 'exit'))) this.onWrapperExit(id);
    }
    if (!this.adopted.size && this.adoptedTimer) {
      clearInterval(this.adoptedTimer);
      this.adoptedTimer = undefined;
    }
  }

  private killHolder(rec: ContainerRecord): void {
    try {
      const pid = Number(readFileSync(this.store.containerPath(rec.id, 'stdin-holder'), 'utf8').trim());
      if (pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep')) process.kill(pid, 'SIGKILL');
    } catch {
      /* no holder */
    }
  }

  private mustContainer(id: string): ContainerRecord {
    const rec = this.containers.get(id);
    if (!rec) throw new RuntimeNotFoundError(`container ${id} not found`);
    return rec;
  }

  private hostIPs(): string[] {
    if (this.options.hostIPs?.length) return this.options.hostIPs;
    const ips: string[] = [];
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') ips.push(a.address);
    return ips.length ? ips : ['127.0.0.1'];
  }
}

function sandboxStatus(rec: SandboxRecord): PodSandboxStatus {
  const c = rec.config;
  // A pod whose network namespace vanished (deleted behind the runtime's back) is not ready: the agent
  // re-creates its sandbox, as the kubelet does when the network is gone.
  const state = rec.state === 'ready' && rec.attachment && !existsSync(rec.attachment.netnsPath) ? 'notready' : rec.state;
  return {
    id: rec.id,
    uid: c.uid,
    name: c.name,
    namespace: c.namespace,
    attempt: c.attempt,
    state,
    createdAtMs: rec.createdAtMs,
    ips: rec.ips,
    network: rec.network,
    ...(rec.attachment ? { netnsPath: rec.attachment.netnsPath } : {}),
    labels: c.labels,
    annotations: c.annotations,
  };
}

function containerStatus(rec: ContainerRecord): ContainerStatus {
  const c = rec.config;
  const state = rec.exit ? 'exited' : rec.startedAtMs !== undefined ? 'running' : 'created';
  return {
    id: rec.id,
    sandboxId: rec.sandboxId,
    name: c.name,
    attempt: c.attempt,
    state,
    image: c.image,
    imageRef: `process://${c.command[0] ?? ''}`,
    createdAtMs: rec.createdAtMs,
    ...(rec.startedAtMs !== undefined ? { startedAtMs: rec.startedAtMs } : {}),
    ...(rec.exit ? { finishedAtMs: rec.exit.finishedAtMs, exitCode: rec.exit.exitCode, reason: rec.exit.reason, ...(rec.exit.message ? { message: rec.exit.message } : {}) } : {}),
    logPath: rec.logPath,
    labels: c.labels,
    annotations: c.annotations,
  };
}

/** Tells a wrapper waiting on its control FIFO to start the command (it holds the FIFO open: no blocking). */
function sendGo(fifo: string): void {
  const fd = openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
  try {
    writeSync(fd, 'go\n');
  } finally {
    closeSync(fd);
  }
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    child.kill(sig);
  }
}

function waitFor(p: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}
