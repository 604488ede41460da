// The PersistentVolume controller (upstream persistentvolume-binder): binds claims to volumes (both sides:
// PV claimRef + phase Bound, PVC volumeName + status), assigns the default StorageClass to claims without one,
// hands claims of provisioned classes to their provisioner (annotation volume.kubernetes.io/storage-provisioner),
// and moves volumes through Available → Bound → Released → (reclaim). For WaitForFirstConsumer classes it sets
// volume.kubernetes.io/selected-node from the first scheduled pod using the claim (upstream's scheduler does
// this in its VolumeBinding plugin; see docs/compatibility.md). Keys: "claim/<ns>/<name>" and "volume/<name>".
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { ApiClient } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { realClock } from '../../client/clock.js';
import { byNamespace, namespaceIndex } from '../../client/indexer.js';
import { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter } from '../../client/rate-limiter.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue } from '../../client/workqueue.js';
import { newEventRecorder, type EventRecorder } from '../../client/event-recorder.js';
import { annBetaStorageProvisioner, annBindCompleted, annBoundByController, annSelectedNode, annStorageProvisioner } from './annotations.js';
import { claimUsers, decideClaim, decideVolume } from './decisions.js';
import { defaultStorageClass } from './matching.js';

export interface PersistentVolumeControllerOptions {
  client: ApiClient;
  informers: InformerFactory;
  log?: (line: string) => void;
}

const isConflict = (e: unknown) => [404, 409].includes((e as { code?: number }).code ?? 0);

export class PersistentVolumeController {
  private readonly claims: Informer<PersistentVolumeClaim>;
  private readonly volumes: Informer<PersistentVolume>;
  private readonly classes: Informer<StorageClass>;
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private readonly queue = new WorkQueue({
    name: 'persistentvolume-binder',
    rateLimiter: new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 60_000), new BucketRateLimiter(10, 100)),
  });
  private readonly log: (line: string) => void;
  private readonly events: EventRecorder;
  private readonly removers: (() => void)[] = [];
  /** The last event reason reported per claim, so a waiting claim is not reported on every sync. */
  private readonly reported = new Map<string, string>();
  private workers: Promise<void> | undefined;

  constructor(private readonly opts: PersistentVolumeControllerOptions) {
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.events = newEventRecorder(opts.client, 'persistentvolume-controller', realClock, this.log);
    this.claims = opts.informers.informerFor(resources.persistentVolumeClaims);
    this.volumes = opts.informers.informerFor(resources.persistentVolumes);
    this.classes = opts.informers.informerFor(resources.storageClasses);
    this.pods = opts.informers.informerFor(resources.pods);
    if (!this.pods.hasIndex(namespaceIndex)) this.pods.addIndexers({ [namespaceIndex]: byNamespace });
    this.nodes = opts.informers.informerFor(resources.nodes);
    const claimKey = (c: PersistentVolumeClaim) => this.queue.add(`claim/${c.metadata?.namespace}/${c.metadata?.name}`);
    const volumeKey = (v: PersistentVolume) => this.queue.add(`volume/${v.metadata?.name}`);
    this.removers.push(
      this.claims.addEventHandler({
        onAdd: claimKey,
        onUpdate: (_o, n) => claimKey(n),
        onDelete: (c) => {
          this.reported.delete(`${c.metadata?.namespace}/${c.metadata?.name}`);
          // Its volume is released.
          const pv = c.spec?.volumeName && this.volumes.indexer.get(c.spec.volumeName);
          if (pv) volumeKey(pv);
        },
      }),
      this.volumes.addEventHandler({
        onAdd: (v) => {
          volumeKey(v);
          this.requeueUnboundClaims();
        },
        onUpdate: (_o, v) => {
          volumeKey(v);
          const ref = v.spec?.claimRef;
          if (ref?.namespace && ref.name) this.queue.add(`claim/${ref.namespace}/${ref.name}`);
          else this.requeueUnboundClaims();
        },
        onDelete: (v) => {
          const ref = v.spec?.claimRef;
          if (ref?.namespace && ref.name) this.queue.add(`claim/${ref.namespace}/${ref.name}`);
        },
      }),
      this.classes.addEventHandler({ onAdd: () => this.requeueUnboundClaims(), onUpdate: () => this.requeueUnboundClaims() }),
      this.pods.addEventHandler({
        onAdd: (p) => this.podChanged(p),
        onUpdate: (o, p) => {
          if (o.spec?.nodeName !== p.spec?.nodeName) this.podChanged(p);
        },
      }),
    );
  }

  private requeueUnboundClaims(): void {
    for (const c of this.claims.indexer.list()) if (!c.spec?.volumeName) this.queue.add(`claim/${c.metadata?.namespace}/${c.metadata?.name}`);
  }

  private podChanged(p: Pod): void {
    if (!p.spec?.nodeName) return;
    for (const v of p.spec.volumes ?? []) {
      if (v.persistentVolumeClaim) this.queue.add(`claim/${p.metadata?.namespace}/${v.persistentVolumeClaim.claimName}`);
    }
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.claims, this.volumes, this.classes, this.pods, this.nodes].map((i) => i.waitForSync(signal)));
    if (this.queue.shuttingDown) return;
    this.workers = runWorkers(this.queue, 1, (key) => this.reconcile(key), {
      onError: (key, err) => this.log(`persistentvolume-binder: syncing ${key}: ${(err as Error)?.message ?? String(err)}`),
    });
  }

  async stop(): Promise<void> {
    for (const r of this.removers.splice(0)) r();
    this.queue.shutdown();
    await this.workers;
  }

  async reconcile(key: string): Promise<void> {
    const [kind, ...rest] = key.split('/');
    try {
      if (kind === 'claim') await this.syncClaim(rest[0]!, rest[1]!);
      else if (kind === 'volume') await this.syncVolume(rest[0]!);
    } catch (e) {
      if (isConflict(e)) {
        this.queue.add(key); // stale cache: the next event or this retry sees the new state
        return;
      }
      throw e;
    }
  }

  private report(pvc: PersistentVolumeClaim, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const id = `${pvc.metadata?.namespace}/${pvc.metadata?.name}`;
    if (this.reported.get(id) === `${reason}:${message}`) return;
    this.reported.set(id, `${reason}:${message}`);
    this.events.event({ ...pvc, apiVersion: 'v1', kind: 'PersistentVolumeClaim' }, type, reason, message);
  }

  private async syncClaim(namespace: string, name: string): Promise<void> {
    const pvc = this.claims.indexer.get(`${namespace}/${name}`);
    if (!pvc) return;
    const classes = this.classes.indexer.list();
    const action = decideClaim({
      pvc,
      volumes: this.volumes.indexer.list(),
      classes: new Map(classes.map((c) => [c.metadata?.name ?? '', c])),
      defaultClass: defaultStorageClass(classes),
      consumers: claimUsers(this.pods.indexer.byIndex(namespaceIndex, namespace), pvc),
      nodes: new Map(this.nodes.indexer.list().map((n) => [n.metadata?.name ?? '', n])),
    });
    const c = this.opts.client;
    switch (action.kind) {
      case 'assignDefaultClass':
        await c.update(resources.persistentVolumeClaims, { ...pvc, spec: { ...pvc.spec, storageClassName: action.className } }, { namespace });
        return;
      case 'selectNode':
        await c.update(resources.persistentVolumeClaims, withAnnotations(pvc, { [annSelectedNode]: action.nodeName }), { namespace });
        return;
      case 'waitForConsumer':
        return this.report(pvc, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      case 'provision':
        await c.update(resources.persistentVolumeClaims, withAnnotations(pvc, { [annStorageProvisioner]: action.provisioner, [annBetaStorageProvisioner]: action.provisioner }), { namespace });
        return this.report(
          pvc,
          'Normal',
          'ExternalProvisioning',
          `Waiting for a volume to be created either by the external provisioner '${action.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
        );
      case 'noVolume':
        return this.report(pvc, 'Normal', 'FailedBinding', action.message);
      case 'lost':
        if (pvc.status?.phase !== 'Lost') {
          await c.updateStatus(resources.persistentVolumeClaims, { ...pvc, status: { ...pvc.status, phase: 'Lost' } }, { namespace });
          this.report(pvc, 'Warning', 'ClaimLost', action.message);
        }
        return;
      case 'bind':
        return this.bind(action.pv, pvc);
      case 'completeBound':
        return this.bind(action.pv, pvc);
      case 'none':
        return;
    }
  }

  /** Both halves of a binding, each step idempotent (upstream's bind: volume first, then claim). */
  private async bind(pv: PersistentVolume, pvc: PersistentVolumeClaim): Promise<void> {
    const c = this.opts.client;
    const ns = pvc.metadata?.namespace;
    let volume = pv;
    const ref = pv.spec?.claimRef;
    if (!ref || ref.uid !== pvc.metadata?.uid) {
      const claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: ns, name: pvc.metadata?.name, uid: pvc.metadata?.uid, resourceVersion: pvc.metadata?.resourceVersion };
      const byController = !ref;
      volume = await c.update(resources.persistentVolumes, { ...(byController ? withAnnotations(pv, { [annBoundByController]: 'yes' }) : pv), spec: { ...pv.spec, claimRef } });
    }
    if (volume.status?.phase !== 'Bound') volume = await c.updateStatus(resources.persistentVolumes, { ...volume, status: { ...volume.status, phase: 'Bound' } });
    let claim = pvc;
    if (pvc.spec?.volumeName !== pv.metadata?.name || pvc.metadata?.annotations?.[annBindCompleted] !== 'yes') {
      const ann: Record<string, string> = { [annBindCompleted]: 'yes' };
      if (!pvc.spec?.volumeName) ann[annBoundByController] = 'yes';
      claim = await c.update(resources.persistentVolumeClaims, { ...withAnnotations(pvc, ann), spec: { ...pvc.spec, volumeName: pv.metadata?.name } }, { namespace: ns });
    }
    const st = claim.status;
    if (st?.phase !== 'Bound' || JSON.stringify(st.capacity) !== JSON.stringify(volume.spec?.capacity)) {
      await c.updateStatus(resources.persistentVolumeClaims, { ...claim, status: { ...st, phase: 'Bound', accessModes: volume.spec?.accessModes, capacity: volume.spec?.capacity } }, { namespace: ns });
    }
    this.reported.delete(`${ns}/${pvc.metadata?.name}`);
  }

  private async syncVolume(name: string): Promise<void> {
    const pv = this.volumes.indexer.get(name);
    if (!pv) return;
    const ref = pv.spec?.claimRef;
    const claim = ref?.namespace && ref.name ? this.claims.indexer.get(`${ref.namespace}/${ref.name}`) : undefined;
    const action = decideVolume(pv, claim);
    const c = this.opts.client;
    if (action.kind === 'phase') {
      await c.updateStatus(resources.persistentVolumes, { ...pv, status: { ...pv.status, phase: action.phase, ...(action.phase === 'Released' ? {} : { message: undefined, reason: undefined }) } });
    } else if (action.kind === 'failed') {
      await c.updateStatus(resources.persistentVolumes, { ...pv, status: { ...pv.status, phase: 'Failed', message: action.message } });
      this.events.event({ ...pv, apiVersion: 'v1', kind: 'PersistentVolume' }, 'Warning', 'VolumeFailedDelete', action.message);
    }
  }
}

function withAnnotations<T extends { metadata?: { annotations?: Record<string, string> } }>(obj: T, ann: Record<string, string>): T {
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata?.annotations, ...ann } } };
}
