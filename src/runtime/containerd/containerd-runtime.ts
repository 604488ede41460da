// The containerd Runtime: Skiff's Runtime contract over CRI runtime.v1 on containerd's socket. Either uses an
// existing socket or starts (and on close stops) its own containerd (daemon.ts) with the pods' CNI network.
// The pause image is built locally when missing. Beyond CRI it keeps one thing per sandbox: the managed
// /etc/hosts (the kubelet's job upstream), in <dir>/sandboxes/<id>/hosts; and for a managed daemon, the pod
// CIDR's masquerade rule. Also the kubelet's image GC policy (garbageCollectImages). cleanupAll() is for
// `skiff up` shutdown: every sandbox removed, the daemon stopped, and what it leaves behind removed.
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type {
  ContainerConfig, ContainerStats, ContainerStatus, ExecSyncResult, ImageAuth, ImageInfo, PodSandboxConfig, PodSandboxStatus,
  Runtime, RuntimeStatus, StreamOptions, StreamSession,
} from '../runtime.js';
import { primaryAddress } from '../../agent/host-facts.js';
import { CriClient, CriError } from './cri-client.js';
import {
  absoluteCgroupParent, containerStateOf, execTimeoutSeconds, fromCriContainerStatus, fromCriImage, fromCriSandboxStatus, fromCriStats,
  netnsPathFromInfo, renderHostsFile, toCriContainerConfig, toCriSandboxConfig,
} from './cri-mapping.js';
import { defaultPauseImage, type RegistriesConfig } from './containerd-config.js';
import { ManagedContainerd, writeNetwork } from './daemon.js';
import { defaultImageGcPolicy, planImageGc, type GcImage, type ImageGcPlan, type ImageGcPolicy } from './image-gc.js';
import { deleteLink, killShims, removeCgroup, removeNetns, unmountUnder } from './leftovers.js';
import { ensureNetnsDir, netnsDir, netnsDirMessage } from '../../network/cni/netns-dir.js';
import { ensureMasquerade, removeMasquerade } from './masquerade.js';
import { ensurePauseImage } from './pause-image.js';
import { openRemoteCommandSpdy } from './spdy-command.js';
import { openPortForward } from './stream-client.js';
import { Limiter } from '../../util/limiter.js';

export interface ContainerdRuntimeOptions {
  /** The runtime's own directory: the managed daemon (containerd/), hosts files (sandboxes/), the pause image. */
  dir: string;
  /** An already running containerd's socket; absent = start one under `dir`. */
  socket?: string;
  /** Pod network of a managed daemon (ignored with `socket`); the CIDR may also come later (updatePodCIDR). */
  podCidr?: string;
  /** Default "cni0". */
  bridge?: string;
  registries?: RegistriesConfig;
  pauseImage?: string;
  /** The node's addresses, reported as the IPs of host-network sandboxes. Default: the host's primary address. */
  hostIPs?: string[];
  /**
   * At most this many RunPodSandbox calls in flight (the rest wait their turn, in order); unset = no limit, as
   * the kubelet and containerd have none. Sandbox creation is where a pod's start spends its CPU (netns, CNI
   * plugins, shim, runc). Measured with `npm run bench -- containerd --parallel N` (30 pods at once, 2 cores
   * shared with other work): a limit of 2–4 lowered the p50 but raised the p99 (the pods get a smaller share of
   * a busy machine's CPU), so it stays off by default.
   */
  maxParallelSandboxStarts?: number;
  log?: (line: string) => void;
}

function ignoreNotFound(e: unknown): void {
  if (e instanceof CriError && e.notFound) return;
  throw e;
}

/** The top segment of a cgroup parent when it is an agent's own tree ("skiff-<id>/kubepods/..."), else undefined. */
function agentCgroupTop(cgroupParent: string | undefined): string | undefined {
  const top = cgroupParent?.split('/').filter(Boolean)[0];
  return top?.startsWith('skiff-') && cgroupParent!.split('/').filter(Boolean).length > 1 ? top : undefined;
}

export class ContainerdRuntime implements Runtime {
  /** The agents' top cgroups ("skiff-<id>") this runtime placed pods under; removed by cleanupAll. */
  private readonly agentCgroupTops = new Set<string>();
  readonly name = 'containerd' as const;
  /**
   * What never changes in a sandbox's life and ListPodSandbox does not tell: its network (IPs, netns path, host
   * or pod). Learnt from one verbose status, so listing sandboxes is one RPC plus one per new sandbox.
   */
  private readonly networkOf = new Map<string, Pick<PodSandboxStatus, 'ips' | 'network' | 'netnsPath'>>();
  /** The last ContainerStatus seen per container (see listContainers). */
  private readonly statusOf = new Map<string, ContainerStatus>();
  /**
   * Container → its sandbox (ContainerStatus does not tell), learnt at create and from listings, so a status or
   * stats call is one RPC rather than two (a ListContainers for the sandbox ID).
   */
  private readonly sandboxOf = new Map<string, string>();
  private podCidr: string | undefined;
  /** Image ID → when first seen / last used by a container created here (the kubelet's image records). */
  private readonly imageSeen = new Map<string, number>();
  private readonly imageUsed = new Map<string, number>();
  private readonly sandboxStarts: Limiter | undefined;

  private constructor(
    readonly client: CriClient,
    private readonly opts: ContainerdRuntimeOptions,
    /** Set when this runtime started containerd itself. */
    readonly daemon?: ManagedContainerd,
  ) {
    this.podCidr = opts.podCidr;
    this.sandboxStarts = opts.maxParallelSandboxStarts ? new Limiter(opts.maxParallelSandboxStarts) : undefined;
  }

  get socket(): string {
    return this.client.socket;
  }

  static async start(opts: ContainerdRuntimeOptions): Promise<ContainerdRuntime> {
    const log = opts.log ?? (() => {});
    mkdirSync(opts.dir, { recursive: true });
    // Before containerd binds a sandbox's namespace there (see network/cni/netns-dir.ts).
    const netns = await ensureNetnsDir().catch((e: unknown) => `failed (${(e as Error).message})`);
    if (netns !== 'ready') log(`${netnsDir}: ${netnsDirMessage(netns)}`);
    let daemon: ManagedContainerd | undefined;
    let socket = opts.socket;
    if (!socket) {
      daemon = await ManagedContainerd.start({
        dir: join(opts.dir, 'containerd'),
        podCidr: opts.podCidr,
        bridge: opts.bridge ?? 'cni0',
        registries: opts.registries,
        pauseImage: opts.pauseImage,
      });
      socket = daemon.socket;
      log(`containerd started (pid ${daemon.pid}, socket ${socket})`);
      if (opts.podCidr) await ContainerdRuntime.masquerade(opts.podCidr, opts.bridge ?? 'cni0', log);
    }
    const client = new CriClient(socket);
    const rt = new ContainerdRuntime(client, opts, daemon);
    try {
      await client.waitReady(20_000);
      const pause = opts.pauseImage ?? defaultPauseImage;
      if ((await ensurePauseImage(client, socket, pause, join(opts.dir, 'images'))) === 'imported') log(`pause image ${pause} built and imported`);
    } catch (e) {
      await rt.close();
      throw e;
    }
    return rt;
  }

  /**
   * The node's pod CIDR (CRI UpdateRuntimeConfig): a managed daemon's CNI network is (re)written, which its CRI
   * plugin reloads. With an existing socket the pod network is that containerd's own configuration.
   */
  async updatePodCIDR(cidr: string): Promise<void> {
    if (!this.daemon || cidr === this.podCidr) return;
    const bridge = this.opts.bridge ?? 'cni0';
    if (this.podCidr) await removeMasquerade(this.podCidr, masqueradeComment(bridge));
    await ContainerdRuntime.masquerade(cidr, bridge, this.opts.log ?? (() => {}));
    writeNetwork(this.daemon.paths, bridge, cidr);
    this.podCidr = cidr;
    this.opts.log?.(`containerd: pod network ${cidr} on bridge ${this.opts.bridge ?? 'cni0'}`);
  }

  private static async masquerade(cidr: string, bridge: string, log: (line: string) => void): Promise<void> {
    if (!(await ensureMasquerade(cidr, masqueradeComment(bridge)))) log(`containerd: cannot install the masquerade rule for ${cidr} (iptables); pods have no outbound NAT`);
  }

  async version(): Promise<{ runtimeName: string; runtimeVersion: string }> {
    const v = await this.client.version();
    return { runtimeName: v.runtimeName, runtimeVersion: v.runtimeVersion };
  }

  async status(): Promise<RuntimeStatus> {
    const s = await this.client.status();
    const cond = (type: string) => s.status?.conditions.find((c) => c.type === type);
    const warnings = (s.status?.conditions ?? []).filter((c) => !c.status).map((c) => `${c.type}=false: ${c.reason} ${c.message}`.trim());
    return { ready: cond('RuntimeReady')?.status === true, networkReady: cond('NetworkReady')?.status === true, warnings };
  }

  private sandboxDir(id: string): string {
    return join(this.opts.dir, 'sandboxes', id);
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    return this.sandboxStarts ? this.sandboxStarts.run(() => this.startSandbox(config)) : this.startSandbox(config);
  }

  private async startSandbox(config: PodSandboxConfig): Promise<string> {
    const top = agentCgroupTop(config.cgroupParent);
    if (top) this.agentCgroupTops.add(top);
    const { podSandboxId } = await this.client.runPodSandbox(toCriSandboxConfig(config));
    if (!config.hostNetwork) {
      const status = await this.podSandboxStatus(podSandboxId);
      const dir = this.sandboxDir(podSandboxId);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'hosts'), renderHostsFile(status?.ips ?? [], config.hostname, config.hostAliases));
    }
    return podSandboxId;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.client.stopPodSandbox(id).catch(ignoreNotFound);
  }

  async removePodSandbox(id: string): Promise<void> {
    let cgroupParent: string | undefined;
    try {
      const st = await this.client.podSandboxStatus(id, true);
      cgroupParent = sandboxCgroupParent(st.info);
    } catch (e) {
      ignoreNotFound(e);
    }
    await this.client.removePodSandbox(id).catch(ignoreNotFound);
    this.networkOf.delete(id);
    rmSync(this.sandboxDir(id), { recursive: true, force: true });
    if (cgroupParent) removeCgroup(cgroupParent);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus | undefined> {
    try {
      const known = this.networkOf.get(id);
      const res = await this.client.podSandboxStatus(id, !known);
      if (!res.status) return undefined;
      const status = fromCriSandboxStatus(res.status, known ? known.netnsPath : netnsPathFromInfo(res.info));
      if (status.network === 'host' && !status.ips.length) status.ips = this.opts.hostIPs?.length ? this.opts.hostIPs : [primaryAddress()];
      if (!known) this.networkOf.set(id, { ips: status.ips, network: status.network, ...(status.netnsPath ? { netnsPath: status.netnsPath } : {}) });
      return status;
    } catch (e) {
      ignoreNotFound(e);
      return undefined;
    }
  }

  async listPodSandboxes(): Promise<PodSandboxStatus[]> {
    const { items } = await this.client.listPodSandbox();
    const out = await Promise.all(
      items.map(async (s) => {
        const net = this.networkOf.get(s.id);
        if (!net) return this.podSandboxStatus(s.id);
        return { ...fromCriSandboxStatus({ ...s, network: null, linux: null }), ...net };
      }),
    );
    const present = new Set(items.map((s) => s.id));
    for (const id of this.networkOf.keys()) if (!present.has(id)) this.networkOf.delete(id);
    return out.filter((s): s is PodSandboxStatus => s !== undefined);
  }

  async pullImage(image: string, auth?: ImageAuth): Promise<string> {
    const { imageRef } = await this.client.pullImage(image, auth && criAuth(auth));
    return imageRef;
  }

  async imageStatus(image: string): Promise<ImageInfo | undefined> {
    const { image: img } = await this.client.imageStatus(image);
    return img ? fromCriImage(img) : undefined;
  }

  async listImages(): Promise<ImageInfo[]> {
    return (await this.client.listImages()).images.map(fromCriImage);
  }

  async removeImage(image: string): Promise<void> {
    await this.client.removeImage(image).catch(ignoreNotFound);
  }

  async createContainer(sandboxId: string, config: ContainerConfig, sandbox: PodSandboxConfig): Promise<string> {
    const hosts = sandbox.hostNetwork ? undefined : join(this.sandboxDir(sandboxId), 'hosts');
    const { containerId } = await this.client.createContainer(sandboxId, toCriContainerConfig(config, sandbox, hosts), toCriSandboxConfig(sandbox));
    this.sandboxOf.set(containerId, sandboxId);
    return containerId;
  }

  async startContainer(id: string): Promise<void> {
    await this.client.startContainer(id);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.client.stopContainer(id, Math.max(0, Math.ceil(timeoutSeconds))).catch(ignoreNotFound);
  }

  async removeContainer(id: string): Promise<void> {
    await this.client.removeContainer(id).catch(ignoreNotFound);
    this.statusOf.delete(id);
    this.sandboxOf.delete(id);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    try {
      const [res, sandboxId] = await Promise.all([this.client.containerStatus(id), this.sandboxIdOf(id)]);
      if (!res.status) return undefined;
      return fromCriContainerStatus(res.status, sandboxId);
    } catch (e) {
      ignoreNotFound(e);
      return undefined;
    }
  }

  /**
   * ListContainers, with a ContainerStatus call only for containers whose state differs from the last status
   * seen: a status only changes with the state (created → running → exited), so a node's containers cost one
   * RPC per listing rather than one per container.
   */
  async listContainers(filter?: { sandboxId?: string }): Promise<ContainerStatus[]> {
    const { containers } = await this.client.listContainers(filter?.sandboxId ? { podSandboxId: filter.sandboxId } : {});
    const out = await Promise.all(
      containers.map(async (c) => {
        this.sandboxOf.set(c.id, c.podSandboxId);
        const cached = this.statusOf.get(c.id);
        if (cached && cached.state === containerStateOf[c.state]) return cached;
        try {
          const res = await this.client.containerStatus(c.id);
          if (!res.status) return undefined;
          const status = fromCriContainerStatus(res.status, c.podSandboxId);
          this.statusOf.set(c.id, status);
          return status;
        } catch (e) {
          ignoreNotFound(e);
          return undefined;
        }
      }),
    );
    if (!filter?.sandboxId) {
      const present = new Set(containers.map((c) => c.id));
      for (const id of this.statusOf.keys()) if (!present.has(id)) this.statusOf.delete(id);
      for (const id of this.sandboxOf.keys()) if (!present.has(id)) this.sandboxOf.delete(id);
    }
    return out.filter((s): s is ContainerStatus => s !== undefined);
  }

  async reopenContainerLog(id: string): Promise<void> {
    await this.client.reopenContainerLog(id);
  }

  async execSync(id: string, cmd: string[], timeoutMs: number): Promise<ExecSyncResult> {
    try {
      const r = await this.client.execSync(id, cmd, execTimeoutSeconds(timeoutMs));
      return { stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr), exitCode: r.exitCode, timedOut: false };
    } catch (e) {
      if (e instanceof CriError && /timeout .* exceeded|deadline exceeded/i.test(e.details)) {
        return { stdout: Buffer.alloc(0), stderr: Buffer.from(e.details), exitCode: -1, timedOut: true };
      }
      throw e;
    }
  }

  async exec(id: string, cmd: string[], opts: StreamOptions): Promise<StreamSession> {
    const { url } = await this.client.exec({
      containerId: id,
      cmd,
      tty: opts.tty,
      stdin: !!opts.stdin,
      stdout: !!opts.stdout,
      stderr: !opts.tty && !!opts.stderr,
    });
    return openRemoteCommandSpdy(url, opts);
  }

  async attach(id: string, opts: StreamOptions): Promise<StreamSession> {
    const { url } = await this.client.attach({
      containerId: id,
      stdin: !!opts.stdin,
      tty: opts.tty,
      stdout: !!opts.stdout,
      stderr: !opts.tty && !!opts.stderr,
    });
    return openRemoteCommandSpdy(url, opts);
  }

  async portForward(sandboxId: string, port: number): Promise<Duplex> {
    const { url } = await this.client.portForward(sandboxId, [port]);
    return openPortForward(url, port);
  }

  async containerStats(id: string): Promise<ContainerStats | undefined> {
    try {
      const [{ stats }, sandboxId] = await Promise.all([this.client.containerStats(id), this.sandboxIdOf(id)]);
      return stats ? fromCriStats(stats, sandboxId) : undefined;
    } catch (e) {
      ignoreNotFound(e);
      return undefined;
    }
  }

  /** A container's sandbox: known since its creation or a listing, else asked (a container made by another client). */
  private async sandboxIdOf(id: string): Promise<string> {
    const known = this.sandboxOf.get(id);
    if (known) return known;
    const sandboxId = (await this.client.listContainers({ id })).containers[0]?.podSandboxId ?? '';
    if (sandboxId) this.sandboxOf.set(id, sandboxId);
    return sandboxId;
  }

  async listContainerStats(): Promise<ContainerStats[]> {
    const [{ stats }, { containers }] = await Promise.all([this.client.listContainerStats(), this.client.listContainers()]);
    const sandboxOf = new Map(containers.map((c) => [c.id, c.podSandboxId]));
    return stats.map((s) => fromCriStats(s, sandboxOf.get(s.attributes?.id ?? '') ?? ''));
  }

  /**
   * Image garbage collection by disk use (the kubelet's policy, image-gc.ts): above the high threshold of the
   * image filesystem, unused images are removed, least recently used first, until the low threshold.
   */
  async garbageCollectImages(policy: ImageGcPolicy = defaultImageGcPolicy): Promise<ImageGcPlan & { errors: string[] }> {
    const now = Date.now();
    const [{ imageFilesystems }, { images }, { containers }] = await Promise.all([this.client.imageFsInfo(), this.client.listImages(), this.client.listContainers()]);
    const mountpoint = imageFilesystems[0]?.fsId?.mountpoint;
    let fs = { capacityBytes: 0, availableBytes: 0 };
    if (mountpoint) {
      const st = statfsSync(mountpoint);
      fs = { capacityBytes: st.blocks * st.bsize, availableBytes: st.bavail * st.bsize };
    }
    const pause = this.opts.pauseImage ?? defaultPauseImage;
    const gcImages: GcImage[] = images.map((i) => {
      if (!this.imageSeen.has(i.id)) this.imageSeen.set(i.id, now);
      return { id: i.id, sizeBytes: Number(i.size) || 0, firstSeenMs: this.imageSeen.get(i.id)!, lastUsedMs: this.imageUsed.get(i.id) ?? 0, pinned: i.pinned || i.repoTags.includes(pause) };
    });
    // Every container the runtime holds, exited ones too, keeps its image (as the kubelet's imagesInUse), and
    // an image in use counts as used now (the kubelet's image manager sets lastUsed when it detects images).
    const inUse = new Set<string>();
    for (const c of containers) {
      if (c.imageRef) inUse.add(c.imageRef);
      if (c.image?.image) inUse.add(c.image.image);
    }
    for (const i of images) if (inUse.has(i.id)) this.imageUsed.set(i.id, now);
    const plan = planImageGc(fs, gcImages, inUse, now, policy);
    const errors: string[] = [];
    for (const id of plan.remove) {
      try {
        await this.client.removeImage(id);
        this.imageSeen.delete(id);
        this.imageUsed.delete(id);
      } catch (e) {
        errors.push(`${id}: ${(e as Error).message}`);
      }
    }
    return { ...plan, errors };
  }

  /** Closes the connection and stops a daemon this runtime started. Pods keep running (their shims do). */
  async close(): Promise<void> {
    this.client.close();
    await this.daemon?.stop();
  }

  /**
   * Shutdown of a node: every sandbox stopped and removed, the daemon stopped, then whatever is left (shims,
   * mounts, network namespaces, pod cgroups and their empty parents, the bridge) removed.
   * Logs a summary.
   */
  async cleanupAll(): Promise<void> {
    const sandboxes = await this.client.listPodSandbox().catch(() => ({ items: [] as { id: string }[] }));
    const cgroups = new Set<string>();
    const netns: string[] = [];
    for (const s of sandboxes.items) {
      try {
        const st = await this.client.podSandboxStatus(s.id, true);
        const cg = sandboxCgroupParent(st.info);
        if (cg) cgroups.add(cg);
        const ns = netnsPathFromInfo(st.info);
        if (ns) netns.push(ns);
        await this.client.stopPodSandbox(s.id);
        await this.client.removePodSandbox(s.id);
      } catch (e) {
        this.opts.log?.(`containerd cleanup: sandbox ${s.id}: ${(e as Error).message}`);
      }
      rmSync(this.sandboxDir(s.id), { recursive: true, force: true });
    }
    await this.close();
    const parts = [`${sandboxes.items.length} sandbox(es) removed`];
    if (this.daemon) {
      const paths = this.daemon.paths;
      const shims = await killShims(paths);
      if (shims) parts.push(`${shims} leftover process(es) killed`);
      const mounts = await unmountUnder(paths.dir);
      if (mounts) parts.push(`${mounts} mount(s) removed`);
      const ns = await removeNetns(netns);
      if (ns) parts.push(`${ns} netns removed`);
      const bridge = this.opts.bridge ?? 'cni0';
      if (await deleteLink(bridge)) parts.push(`bridge ${bridge} deleted`);
      if (this.podCidr) await removeMasquerade(this.podCidr, masqueradeComment(bridge));
      rmSync(paths.ipamDataDir, { recursive: true, force: true });
    }
    for (const cg of cgroups) removeCgroup(cg, cg.split('/').filter(Boolean).length - 1);
    // The agent's own cgroup tree (its QoS tiers outlive the pods removed one by one before): gone with the pods.
    for (const cg of cgroups) {
      const top = agentCgroupTop(cg);
      if (top) this.agentCgroupTops.add(top);
    }
    for (const top of this.agentCgroupTops) removeCgroup(top);
    this.opts.log?.(`containerd cleanup: ${parts.join(', ')}`);
  }
}

/** Names the node-level masquerade rule of a managed containerd's pod network. */
export function masqueradeComment(bridge: string): string {
  return `skiff: masquerade pods of ${bridge}`;
}

/** containerd parses serverAddress as a URL: a bare "host:port" (a docker config key) needs a scheme. */
export function criAuth(auth: ImageAuth): ImageAuth {
  const addr = auth.serverAddress;
  if (!addr || /^[a-z][a-z0-9+.-]*:\/\//i.test(addr)) return auth;
  return { ...auth, serverAddress: `https://${addr}` };
}

/** The cgroup parent a sandbox was created with, from its verbose status info. */
export function sandboxCgroupParent(info: Record<string, string>): string | undefined {
  try {
    const parsed = JSON.parse(info.info ?? '{}') as { config?: { linux?: { cgroup_parent?: string } } };
    const cg = parsed.config?.linux?.cgroup_parent;
    return cg ? absoluteCgroupParent(cg) : undefined;
  } catch {
    return undefined;
  }
}
