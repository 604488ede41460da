// A pod's volumes on this node, as the kubelet's volume manager prepares them before containers start:
// emptyDir, configMap, secret, downwardAPI, projected (configMap, secret, downwardAPI, serviceAccountToken),
// hostPath and persistentVolumeClaim (hostPath/local PVs, e.g. the local-path provisioner's). Volumes live
// under D/pods/<uid>/volumes/<plugin>/<name>; configMap/secret/downwardAPI/projected contents are written
// atomically and refreshed by sync(). The agent knows nothing about volume plugins: it calls setUp, asks
// mountsFor(container) for the runtime's mounts, calls sync() periodically and tearDown() when the pod is gone.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Container, Node, PersistentVolume, PersistentVolumeClaim, Pod, Volume } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../client/client.js';
import * as resources from '../../client/resources.js';
import type { Mount } from '../../runtime/runtime.js';
import { tryParseQuantity } from '../../util/quantity.js';
import { ContainerConfigError } from '../env/errors.js';
import { expand, mappingFuncFor } from '../env/expansion.js';
import { fieldRefValue, type DownwardApiHost } from '../env/downward-api.js';
import { apiSources, nodeIPs, notFoundMessage, podIPsOf, type PodInputSources } from '../env/sources.js';
import { writePayload, type Payload } from './atomic-writer.js';
import { prepareHostPath } from './host-path.js';
import { canMount, mountTmpfs, mountsUnder, unmountAll } from './mounts.js';
import { configMapPayload, defaultFileMode, downwardApiPayload, mergePayloads, secretPayload } from './payloads.js';
import { needsRefresh, requestPodToken, type IssuedToken } from './service-account-token.js';
import { directorySize } from './usage.js';
import { nodeAffinityAdmits } from '../../controllers/persistentvolume/matching.js';

export interface VolumeContext {
  client: ApiClient;
  nodeName: string;
  /** The agent's data dir D. */
  dataDir: string;
  /** Where ConfigMaps, Secrets and the Node are read; default: through `client`. */
  sources?: PodInputSources;
  /** Clock for token renewal (tests). */
  now?: () => number;
}

/** A volume could not be set up: the agent records event FailedMount and the pod stays ContainerCreating. */
export class VolumeSetupError extends Error {
  override name = 'VolumeSetupError';
  readonly reason = 'FailedMount';
  constructor(
    readonly volume: string,
    readonly detail: string,
  ) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${detail}`);
  }
}

/** emptyDir usage against its sizeLimit, for the agent's eviction decisions. */
export interface EmptyDirUsage {
  volume: string;
  usedBytes: number;
  limitBytes: number;
  /** Upstream's eviction message when over the limit. */
  message?: string;
}

const pluginDirs = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
} as const;

interface Prepared {
  name: string;
  hostPath: string;
  /** Mounted read-only whatever the volumeMount says (configMap, secret, downwardAPI, projected). */
  forceReadOnly: boolean;
  /** PVC and hostPath volumes may also be read-only by their source. */
  sourceReadOnly: boolean;
  /** Rewrites the contents from current sources (atomic-writer volumes). */
  refresh?: (pod: Pod) => Promise<void>;
  sizeLimitBytes?: number;
  sizeLimit?: string;
  /** Memory-backed (tmpfs) emptyDirs count against memory, not disk. */
  inMemory?: boolean;
}

/** Where a pod's volumes live: D/pods/<uid>/volumes. */
export function podVolumesDir(dataDir: string, uid: string): string {
  return join(dataDir, 'pods', uid, 'volumes');
}

export class PodVolumes {
  /** Things the pod should be told (e.g. medium Memory without root); the agent may log or record them. */
  readonly notes: string[] = [];
  private readonly volumes = new Map<string, Prepared>();
  private readonly tokens = new Map<string, IssuedToken>();
  private pod: Pod;
  private readonly sources: PodInputSources;
  private nodeCache?: Node;

  private constructor(
    private readonly ctx: VolumeContext,
    pod: Pod,
  ) {
    this.pod = pod;
    this.sources = ctx.sources ?? apiSources(ctx.client);
  }

  private get uid(): string {
    return this.pod.metadata?.uid ?? '';
  }

  private get root(): string {
    return podVolumesDir(this.ctx.dataDir, this.uid);
  }

  private now(): number {
    return this.ctx.now?.() ?? Date.now();
  }

  /** Prepares every volume of the pod (idempotent: an agent restart reuses what is there). */
  static async setUp(ctx: VolumeContext, pod: Pod): Promise<PodVolumes> {
    if (!pod.metadata?.uid) throw new VolumeSetupError('', 'pod has no uid');
    const pv = new PodVolumes(ctx, pod);
    const specs = pod.spec?.volumes ?? [];
    // The mount table is read only for pods with volumes (it grows with every pod's network namespace).
    const before = new Set(specs.length ? mountsUnder(pv.root) : []);
    for (const v of specs) {
      try {
        pv.volumes.set(v.name, await pv.prepare(v));
      } catch (e) {
        // Leave no mount this attempt made: nobody holds a PodVolumes to tear it down (the agent retries).
        for (const mp of mountsUnder(pv.root)) if (!before.has(mp)) await unmountAll(mp).catch(() => undefined);
        if (e instanceof VolumeSetupError) throw e;
        throw new VolumeSetupError(v.name, (e as Error).message);
      }
    }
    return pv;
  }

  /** Unmounts and removes the volumes of a pod this agent no longer tracks (e.g. deleted while it was down). */
  static async tearDownPod(dataDir: string, uid: string): Promise<void> {
    const dir = podVolumesDir(dataDir, uid);
    if (!existsSync(dir)) return;
    await unmountAll(dir);
    rmSync(dir, { recursive: true, force: true });
  }

  /** The runtime mounts for one container's volumeMounts (subPath resolved). Throws ContainerConfigError. */
  mountsFor(container: Container): Mount[] {
    const out: Mount[] = [];
    for (const vm of container.volumeMounts ?? []) {
      const vol = this.volumes.get(vm.name);
      if (!vol) throw new ContainerConfigError(`cannot find volume "${vm.name}" to mount into container "${container.name}"`);
      let hostPath = vol.hostPath;
      const sub = vm.subPathExpr ? this.expandSubPath(vm.subPathExpr, container) : (vm.subPath ?? '');
      if (sub) {
        if (isAbsolute(sub) || sub.split('/').includes('..')) {
          throw new ContainerConfigError(`failed to prepare subPath for volumeMount "${vm.name}" of container "${container.name}": subPath ${sub} must be a relative path without '..'`);
        }
        hostPath = join(vol.hostPath, sub);
        if (!existsSync(hostPath)) mkdirSync(hostPath, { recursive: true, mode: 0o755 });
      }
      const propagation = vm.mountPropagation === 'Bidirectional' ? 'bidirectional' : vm.mountPropagation === 'HostToContainer' ? 'hostToContainer' : 'private';
      out.push({ containerPath: vm.mountPath, hostPath, readOnly: vol.forceReadOnly || vol.sourceReadOnly || vm.readOnly === true, propagation });
    }
    return out;
  }

  /** Rewrites configMap, secret, downwardAPI and projected volumes from current sources; renews tokens. */
  async sync(pod: Pod): Promise<void> {
    this.pod = pod;
    this.nodeCache = undefined;
    // Every volume is refreshed even when one fails (its previous contents stay); the first failure is thrown.
    let first: VolumeSetupError | undefined;
    for (const vol of this.volumes.values()) {
      if (!vol.refresh) continue;
      try {
        await vol.refresh(pod);
      } catch (e) {
        first ??= e instanceof VolumeSetupError ? e : new VolumeSetupError(vol.name, (e as Error).message);
      }
    }
    if (first) throw first;
  }

  /** Current emptyDir usage of volumes with a sizeLimit (disk-backed ones; tmpfs enforces its own size). */
  async emptyDirUsage(): Promise<EmptyDirUsage[]> {
    const out: EmptyDirUsage[] = [];
    for (const vol of this.volumes.values()) {
      if (vol.sizeLimitBytes === undefined || vol.inMemory) continue;
      const used = await directorySize(vol.hostPath);
      out.push({
        volume: vol.name,
        usedBytes: used,
        limitBytes: vol.sizeLimitBytes,
        ...(used > vol.sizeLimitBytes ? { message: `Usage of EmptyDir volume "${vol.name}" exceeds the limit "${vol.sizeLimit}". ` } : {}),
      });
    }
    return out;
  }

  async tearDown(): Promise<void> {
    await PodVolumes.tearDownPod(this.ctx.dataDir, this.uid);
    this.volumes.clear();
  }

  // ---- per volume type ----

  private pluginDir(plugin: keyof typeof pluginDirs, name: string): string {
    const dir = join(this.root, pluginDirs[plugin], name);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    return dir;
  }

  private async prepare(v: Volume): Promise<Prepared> {
    const base = { name: v.name, forceReadOnly: false, sourceReadOnly: false };
    if (v.hostPath) {
      prepareHostPath(v.hostPath.path, v.hostPath.type);
      return { ...base, hostPath: v.hostPath.path };
    }
    if (v.emptyDir) return this.prepareEmptyDir(v);
    if (v.persistentVolumeClaim) {
      const hostPath = await this.claimPath(v.persistentVolumeClaim.claimName);
      return { ...base, hostPath, sourceReadOnly: v.persistentVolumeClaim.readOnly === true };
    }
    const written = (plugin: keyof typeof pluginDirs, memory: boolean, build: (pod: Pod) => Promise<Payload | undefined>): Promise<Prepared> =>
      this.prepareWritten(v.name, plugin, memory, build);
    if (v.configMap) {
      const src = v.configMap;
      return written('configMap', false, async () => {
        const cm = await this.sources.configMap(this.ns, src.name ?? '');
        if (!cm) {
          if (src.optional) return new Map();
          throw new Error(notFoundMessage('configmap', src.name ?? ''));
        }
        return configMapPayload(src.items, cm, src.defaultMode ?? defaultFileMode, src.optional === true);
      });
    }
    if (v.secret) {
      const src = v.secret;
      return written('secret', true, async () => {
        const sec = await this.sources.secret(this.ns, src.secretName ?? '');
        if (!sec) {
          if (src.optional) return new Map();
          throw new Error(notFoundMessage('secret', src.secretName ?? ''));
        }
        return secretPayload(src.items, sec, src.defaultMode ?? defaultFileMode, src.optional === true);
      });
    }
    if (v.downwardAPI) {
      const src = v.downwardAPI;
      return written('downwardAPI', false, async (pod) => downwardApiPayload(src.items, pod, await this.host(pod), src.defaultMode ?? defaultFileMode));
    }
    if (v.projected) return written('projected', true, (pod) => this.projectedPayload(v.name, pod, v.projected!));
    const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
    throw new VolumeSetupError(v.name, `volume type ${kind} is not supported by Skiff (supported: emptyDir, configMap, secret, downwardAPI, projected, hostPath, persistentVolumeClaim)`);
  }

  private get ns(): string {
    return this.pod.metadata?.namespace ?? 'default';
  }

  private async host(pod: Pod): Promise<DownwardApiHost> {
    this.nodeCache ??= await this.sources.node(this.ctx.nodeName);
    return { hostIPs: nodeIPs(this.nodeCache), podIPs: podIPsOf(pod), allocatable: (this.nodeCache?.status?.allocatable ?? {}) as Record<string, string> };
  }

  private async prepareEmptyDir(v: Volume): Promise<Prepared> {
    const dir = this.pluginDir('emptyDir', v.name);
    const sizeLimit = v.emptyDir?.sizeLimit;
    const sizeBytes = tryParseQuantity(sizeLimit)?.value();
    const memory = v.emptyDir?.medium === 'Memory';
    let inMemory = false;
    if (memory) {
      if (canMount()) {
        await mountTmpfs(dir, sizeBytes ?? this.podMemoryLimit());
        inMemory = true;
      } else {
        this.notes.push(`emptyDir "${v.name}" has medium Memory but the agent is not root: it is a directory on disk${sizeLimit ? ` and its sizeLimit ${sizeLimit} is checked, not enforced` : ''}`);
      }
    }
    return { name: v.name, hostPath: dir, forceReadOnly: false, sourceReadOnly: false, inMemory, ...(sizeBytes ? { sizeLimitBytes: sizeBytes, sizeLimit } : {}) };
  }

  /** Sum of the containers' memory limits when every container has one (upstream sizes memory emptyDirs so). */
  private podMemoryLimit(): number | undefined {
    let sum = 0;
    for (const c of this.pod.spec?.containers ?? []) {
      const q = tryParseQuantity(c.resources?.limits?.['memory']);
      if (!q) return undefined;
      sum += q.value();
    }
    return sum || undefined;
  }

  private async prepareWritten(name: string, plugin: keyof typeof pluginDirs, memory: boolean, build: (pod: Pod) => Promise<Payload | undefined>): Promise<Prepared> {
    const dir = this.pluginDir(plugin, name);
    // The kubelet keeps secret and projected volumes in memory so credentials never reach the disk.
    if (memory && canMount()) await mountTmpfs(dir);
    const refresh = async (pod: Pod) => {
      const payload = await build(pod);
      if (payload) writePayload(dir, payload);
    };
    await refresh(this.pod);
    return { name, hostPath: dir, forceReadOnly: true, sourceReadOnly: false, refresh };
  }

  private async projectedPayload(volume: string, pod: Pod, projected: NonNullable<Volume['projected']>): Promise<Payload> {
    const mode = projected.defaultMode ?? defaultFileMode;
    const parts: Payload[] = [];
    for (const [i, s] of (projected.sources ?? []).entries()) {
      if (s.configMap) {
        const cm = await this.sources.configMap(this.ns, s.configMap.name ?? '');
        if (!cm) {
          if (s.configMap.optional) continue;
          throw new Error(notFoundMessage('configmap', s.configMap.name ?? ''));
        }
        parts.push(configMapPayload(s.configMap.items, cm, mode, s.configMap.optional === true));
      } else if (s.secret) {
        const sec = await this.sources.secret(this.ns, s.secret.name ?? '');
        if (!sec) {
          if (s.secret.optional) continue;
          throw new Error(notFoundMessage('secret', s.secret.name ?? ''));
        }
        parts.push(secretPayload(s.secret.items, sec, mode, s.secret.optional === true));
      } else if (s.downwardAPI) {
        parts.push(downwardApiPayload(s.downwardAPI.items, pod, await this.host(pod), mode));
      } else if (s.serviceAccountToken) {
        const key = `${volume}/${i}`;
        let t = this.tokens.get(key);
        const now = this.now();
        if (needsRefresh(t, now)) {
          try {
            t = await requestPodToken(this.ctx.client, pod, s.serviceAccountToken, now);
            this.tokens.set(key, t);
          } catch (e) {
            // A renewal that fails keeps the current token while it is valid, as the kubelet does.
            if (!t || now >= t.expiresAtMs) throw e;
          }
        }
        parts.push(new Map([[s.serviceAccountToken.path, { data: Buffer.from(t!.token, 'utf8'), mode }]]));
      }
    }
    return mergePayloads(parts);
  }

  /** The host path behind a bound claim: its PV's hostPath or local path (created for local-path PVs). */
  private async claimPath(claimName: string): Promise<string> {
    let pvc: PersistentVolumeClaim;
    try {
      pvc = await this.ctx.client.get<PersistentVolumeClaim>(resources.persistentVolumeClaims, claimName, { namespace: this.ns });
    } catch (e) {
      if ((e as { code?: number }).code === 404) throw new Error(`persistentvolumeclaim "${claimName}" not found`);
      throw e;
    }
    const volumeName = pvc.spec?.volumeName ?? '';
    const phase = pvc.status?.phase ?? 'Pending';
    if (phase !== 'Bound' || !volumeName) {
      throw new Error(`PVC ${this.ns}/${claimName} has non-bound phase ("${phase}") or empty pvc.Spec.VolumeName ("${volumeName}")`);
    }
    let pv: PersistentVolume;
    try {
      pv = await this.ctx.client.get<PersistentVolume>(resources.persistentVolumes, volumeName);
    } catch (e) {
      if ((e as { code?: number }).code === 404) throw new Error(`persistentvolume "${volumeName}" not found`);
      throw e;
    }
    if (pv.spec?.nodeAffinity) {
      const node = (await this.sources.node(this.ctx.nodeName)) ?? { metadata: { name: this.ctx.nodeName, labels: { 'kubernetes.io/hostname': this.ctx.nodeName } } };
      if (!nodeAffinityAdmits(pv, node)) throw new Error(`PersistentVolume "${volumeName}" cannot be used on node "${this.ctx.nodeName}": volume node affinity conflict`);
    }
    if (pv.spec?.hostPath) {
      prepareHostPath(pv.spec.hostPath.path, pv.spec.hostPath.type);
      return pv.spec.hostPath.path;
    }
    if (pv.spec?.local) {
      if (!existsSync(pv.spec.local.path)) throw new Error(`path "${pv.spec.local.path}" does not exist`);
      return pv.spec.local.path;
    }
    throw new Error(`PersistentVolume "${volumeName}" has a source Skiff cannot mount on a node (supported: hostPath, local)`);
  }

  private expandSubPath(expr: string, container: Container): string {
    const vars = new Map<string, string>();
    for (const e of container.env ?? []) {
      if (e.value !== undefined) vars.set(e.name, e.value);
      else if (e.valueFrom?.fieldRef) {
        try {
          vars.set(e.name, fieldRefValue(e.valueFrom.fieldRef, this.pod, { hostIPs: nodeIPs(this.nodeCache), podIPs: podIPsOf(this.pod) }));
        } catch {
          // left unexpanded
        }
      }
    }
    return expand(expr, mappingFuncFor(vars));
  }
}

/** Mount points a pod's volumes still hold (tests and leak checks). */
export function podMounts(dataDir: string, uid: string): string[] {
  return mountsUnder(podVolumesDir(dataDir, uid));
}
