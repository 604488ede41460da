// The built-in local-path provisioner (as k3s ships rancher's local-path-provisioner): StorageClass
// `local-path` (default class, WaitForFirstConsumer, reclaimPolicy Delete) is created at start; a claim of a
// class whose provisioner is rancher.io/local-path, handed over by the PV controller and placed on a node
// (volume.kubernetes.io/selected-node), gets a PV `pvc-<claim uid>`: a hostPath DirectoryOrCreate under the
// node's local-path root (the node agent's annotation skiff.dev/local-path-root, else the class parameter
// `nodePath`, else /var/lib/skiff/storage) with node affinity to that node, pre-bound to the claim. The
// node's agent creates the directory on first mount and, for Released volumes with reclaimPolicy Delete,
// removes the directory and then the PV (src/agent/volumes/local-path-node.ts); for nodes without such an
// agent (simulated nodes) this controller deletes the PV object itself, there being nothing on disk.
import { posix } from 'node:path';
import type { Node, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { ApiClient } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { realClock } from '../../client/clock.js';
import { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter } from '../../client/rate-limiter.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue } from '../../client/workqueue.js';
import { newEventRecorder, type EventRecorder } from '../../client/event-recorder.js';
import { annDynamicallyProvisioned, annLocalPathNode, annLocalPathRoot, annSelectedNode, annStorageProvisioner, localPathProvisioner } from './annotations.js';
import { claimClass, defaultClassAnnotation } from './matching.js';

export const localPathClassName = 'local-path';
export const defaultLocalPathRoot = '/var/lib/skiff/storage';

export function localPathStorageClass(): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: localPathClassName, annotations: { [defaultClassAnnotation]: 'true' } },
    provisioner: localPathProvisioner,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

export type ProvisionDecision = { kind: 'none' } | { kind: 'fail'; message: string } | { kind: 'create'; pv: PersistentVolume };

/** The PV for a claim, or why there is none (pure). `existing` says whether pvc-<uid> exists already. */
export function decideProvision(pvc: PersistentVolumeClaim, cls: StorageClass | undefined, node: Node | undefined, existing: boolean): ProvisionDecision {
  if (existing || pvc.spec?.volumeName || pvc.metadata?.deletionTimestamp) return { kind: 'none' };
  if (!cls || cls.provisioner !== localPathProvisioner || pvc.metadata?.annotations?.[annStorageProvisioner] !== localPathProvisioner) return { kind: 'none' };
  if (pvc.spec?.volumeMode === 'Block') return { kind: 'fail', message: 'failed to provision volume with StorageClass "' + cls.metadata?.name + '": Block volume mode is not supported by the local-path provisioner' };
  if (pvc.spec?.selector) return { kind: 'fail', message: 'claim.Spec.Selector is not supported' };
  const nodeName = pvc.metadata?.annotations?.[annSelectedNode];
  if (!nodeName) {
    return cls.volumeBindingMode === 'WaitForFirstConsumer' ? { kind: 'none' } : { kind: 'fail', message: `failed to provision volume with StorageClass "${cls.metadata?.name}": configuration error, no node was specified` };
  }
  const root = node?.metadata?.annotations?.[annLocalPathRoot] ?? cls.parameters?.['nodePath'] ?? defaultLocalPathRoot;
  const ns = pvc.metadata?.namespace ?? 'default';
  const pvName = `pvc-${pvc.metadata?.uid}`;
  const storage = pvc.spec?.resources?.requests?.['storage'] ?? '0';
  return {
    kind: 'create',
    pv: {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: pvName, annotations: { [annDynamicallyProvisioned]: localPathProvisioner, [annLocalPathNode]: nodeName } },
      spec: {
        capacity: { storage },
        accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: (cls.reclaimPolicy as 'Delete' | 'Retain' | undefined) ?? 'Delete',
        storageClassName: claimClass(pvc),
        volumeMode: 'Filesystem',
        hostPath: { path: posix.join(root, `${pvName}_${ns}_${pvc.metadata?.name}`), type: 'DirectoryOrCreate' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] }] }] } },
        claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: ns, name: pvc.metadata?.name, uid: pvc.metadata?.uid, resourceVersion: pvc.metadata?.resourceVersion },
      },
    },
  };
}

export interface LocalPathProvisionerOptions {
  client: ApiClient;
  informers: InformerFactory;
  log?: (line: string) => void;
}

export class LocalPathProvisioner {
  private readonly claims: Informer<PersistentVolumeClaim>;
  private readonly volumes: Informer<PersistentVolume>;
  private readonly classes: Informer<StorageClass>;
  private readonly nodes: Informer<Node>;
  private readonly queue = new WorkQueue({
    name: 'local-path-provisioner',
    rateLimiter: new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 60_000), new BucketRateLimiter(10, 100)),
  });
  private readonly log: (line: string) => void;
  private readonly events: EventRecorder;
  private readonly removers: (() => void)[] = [];
  private readonly failed = new Map<string, string>();
  private workers: Promise<void> | undefined;

  constructor(private readonly opts: LocalPathProvisionerOptions) {
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.events = newEventRecorder(opts.client, `${localPathProvisioner}`, realClock, this.log);
    this.claims = opts.informers.informerFor(resources.persistentVolumeClaims);
    this.volumes = opts.informers.informerFor(resources.persistentVolumes);
    this.classes = opts.informers.informerFor(resources.storageClasses);
    this.nodes = opts.informers.informerFor(resources.nodes);
    const claimKey = (c: PersistentVolumeClaim) => this.queue.add(`claim/${c.metadata?.namespace}/${c.metadata?.name}`);
    const volumeKey = (v: PersistentVolume) => this.queue.add(`volume/${v.metadata?.name}`);
    this.removers.push(
      this.claims.addEventHandler({ onAdd: claimKey, onUpdate: (_o, n) => claimKey(n) }),
      this.volumes.addEventHandler({ onAdd: volumeKey, onUpdate: (_o, n) => volumeKey(n) }),
    );
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.claims, this.volumes, this.classes, this.nodes].map((i) => i.waitForSync(signal)));
    if (this.queue.shuttingDown) return;
    if (!this.classes.indexer.get(localPathClassName)) {
      await this.opts.client.create(resources.storageClasses, localPathStorageClass()).catch((e: unknown) => {
        if ((e as { code?: number }).code !== 409) this.log(`local-path-provisioner: creating StorageClass ${localPathClassName}: ${(e as Error).message}`);
      });
    }
    this.workers = runWorkers(this.queue, 1, (key) => this.reconcile(key), {
      onError: (key, err) => this.log(`local-path-provisioner: syncing ${key}: ${(err as Error)?.message ?? String(err)}`),
    });
  }

  async stop(): Promise<void> {
    for (const r of this.removers.splice(0)) r();
    this.queue.shutdown();
    await this.workers;
  }

  async reconcile(key: string): Promise<void> {
    const [kind, a, b] = key.split('/');
    if (kind === 'claim') return this.syncClaim(a!, b!);
    if (kind === 'volume') return this.syncVolume(a!);
  }

  private async syncClaim(namespace: string, name: string): Promise<void> {
    const pvc = this.claims.indexer.get(`${namespace}/${name}`);
    if (!pvc) return;
    const cls = this.classes.indexer.get(claimClass(pvc));
    const nodeName = pvc.metadata?.annotations?.[annSelectedNode];
    const d = decideProvision(pvc, cls, nodeName ? this.nodes.indexer.get(nodeName) : undefined, this.volumes.indexer.has(`pvc-${pvc.metadata?.uid}`));
    const ref = { ...pvc, apiVersion: 'v1', kind: 'PersistentVolumeClaim' };
    if (d.kind === 'fail') {
      if (this.failed.get(key(pvc)) !== d.message) this.events.event(ref, 'Warning', 'ProvisioningFailed', d.message);
      this.failed.set(key(pvc), d.message);
      return;
    }
    if (d.kind !== 'create') return;
    this.events.event(ref, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${namespace}/${name}"`);
    try {
      await this.opts.client.create(resources.persistentVolumes, d.pv);
    } catch (e) {
      if ((e as { code?: number }).code === 409) return;
      throw e;
    }
    this.failed.delete(key(pvc));
    this.events.event(ref, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${d.pv.metadata?.name}`);
  }

  /** Released local-path volumes on nodes without a local-path agent: nothing on disk, delete the object. */
  private async syncVolume(name: string): Promise<void> {
    const pv = this.volumes.indexer.get(name);
    if (!pv || pv.metadata?.annotations?.[annDynamicallyProvisioned] !== localPathProvisioner) return;
    if (pv.status?.phase !== 'Released' || pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    const node = this.nodes.indexer.get(pv.metadata?.annotations?.[annLocalPathNode] ?? '');
    if (node?.metadata?.annotations?.[annLocalPathRoot]) return; // its agent removes the directory, then the PV
    await this.opts.client.delete(resources.persistentVolumes, name).catch((e: unknown) => {
      if ((e as { code?: number }).code !== 404) throw e;
    });
  }
}

const key = (pvc: PersistentVolumeClaim) => `${pvc.metadata?.namespace}/${pvc.metadata?.name}`;
