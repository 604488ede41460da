// The Deployment controller (upstream pkg/controller/deployment): owns ReplicaSets by controllerRef (adopting
// matching orphans, releasing non-matching), finds or creates the new ReplicaSet (pod-template-hash,
// revision annotations, collisionCount on a name clash), then runs one step of the strategy: RollingUpdate
// (maxSurge/maxUnavailable), Recreate, proportional scaling when replicas change mid-rollout, paused; cleans
// old ReplicaSets beyond revisionHistoryLimit; writes status and the Available/Progressing/ReplicaFailure
// conditions; requeues for progressDeadlineSeconds. Reads informer caches; writes only ReplicaSets, the
// Deployment's status and its revision annotation, and Events. The arithmetic lives in rolling.ts/util.ts.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Deployment, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { ApiClient } from '../../client/client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/errors.js';
import { byControllerUid, byNamespace, keyOf, namespaceIndex } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import { labelSelectorFromObject, type LabelSelector } from '../../util/label-selector.js';
import { newEventRecorder, type EventRecorder } from '../../client/event-recorder.js';
import { realClock } from '../../client/clock.js';
import { controllerRefOf, newControllerRef } from '../replicaset/pod-util.js';
import {
  byCreation,
  desiredReplicasOf,
  isRollingUpdate,
  maxSurge,
  newRSNewReplicas,
  planOldScaleDown,
  proportionalScale,
  replicasOf,
  sumStatusReplicas,
  type ScaleStep,
} from './rolling.js';
import {
  calculateStatus,
  computeHash,
  deploymentComplete,
  equalIgnoreHash,
  getCondition,
  hasProgressDeadline,
  maxRevision,
  newCondition,
  podTemplateHashLabel,
  reasons,
  replicasAnnotationsNeedUpdate,
  revisionAnnotation,
  revisionOf,
  rolloutStatus,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  statusEqual,
} from './util.js';

const controllerUidIndex = 'controllerUid';

export interface DeploymentControllerOptions {
  client: ApiClient;
  informers: InformerFactory;
  log?: (line: string) => void;
  /** Concurrent syncs (upstream --concurrent-deployment-syncs, default 5). */
  workers?: number;
  now?: () => number;
}

export class DeploymentController {
  private readonly dInf: Informer<Deployment>;
  private readonly rsInf: Informer<ReplicaSet>;
  private readonly podInf: Informer<Pod>;
  private readonly queue = new WorkQueue({ name: 'deployment' });
  private readonly log: (line: string) => void;
  private readonly events: EventRecorder;
  private readonly now: () => number;
  private readonly removers: Array<() => void> = [];
  private workers: Promise<void> | undefined;

  constructor(private readonly opts: DeploymentControllerOptions) {
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.now = opts.now ?? Date.now;
    this.events = newEventRecorder(opts.client, 'deployment-controller', realClock, this.log, { defaultKind: { apiVersion: 'apps/v1', kind: 'Deployment' } });
    this.dInf = opts.informers.informerFor(resources.deployments);
    this.rsInf = opts.informers.informerFor(resources.replicaSets);
    this.podInf = opts.informers.informerFor(resources.pods);
    for (const inf of [this.dInf, this.rsInf, this.podInf] as Informer<Deployment | ReplicaSet | Pod>[]) {
      if (!inf.hasIndex(namespaceIndex)) inf.addIndexers({ [namespaceIndex]: byNamespace });
    }
    if (!this.podInf.hasIndex(controllerUidIndex)) this.podInf.addIndexers({ [controllerUidIndex]: byControllerUid });

    this.removers.push(
      this.dInf.addEventHandler({
        onAdd: (d) => this.enqueue(d),
        onUpdate: (_o, d) => this.enqueue(d),
        onDelete: (d) => this.enqueue(d),
      }),
      this.rsInf.addEventHandler({
        onAdd: (rs) => this.onRS(rs),
        onUpdate: (o, rs) => {
          if (o.metadata?.resourceVersion === rs.metadata?.resourceVersion) return;
          if (controllerRefOf(o)?.uid !== controllerRefOf(rs)?.uid) this.onRS(o);
          this.onRS(rs, JSON.stringify(o.metadata?.labels ?? {}) !== JSON.stringify(rs.metadata?.labels ?? {}));
        },
        onDelete: (rs) => this.onRS(rs),
      }),
      this.podInf.addEventHandler({ onDelete: (p) => this.onPodDelete(p) }),
    );
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.dInf.waitForSync(signal), this.rsInf.waitForSync(signal), this.podInf.waitForSync(signal)]);
    if (this.queue.shuttingDown) return;
    this.workers = runWorkers(this.queue, this.opts.workers ?? 5, (key) => this.reconcile(key), {
      onError: (key, err) => this.log(`deployment controller: sync ${key} failed: ${(err as Error)?.message ?? String(err)}`),
    });
  }

  async stop(): Promise<void> {
    for (const r of this.removers.splice(0)) r();
    await this.queue.shutdownWithDrain();
    await this.workers;
  }

  private enqueue(d: Deployment, afterMs = 0): void {
    if (afterMs > 0) this.queue.addAfter(keyOf(d), afterMs);
    else this.queue.add(keyOf(d));
  }

  private ownerOf(obj: ReplicaSet | Pod, kind: string, lookup: (ns: string, name: string) => { metadata?: { uid?: string } } | undefined) {
    const ref = controllerRefOf(obj);
    if (!ref || ref.kind !== kind) return undefined;
    const o = lookup(obj.metadata?.namespace ?? '', ref.name);
    return o && o.metadata?.uid === ref.uid ? o : undefined;
  }

  private onRS(rs: ReplicaSet, labelsChanged = true): void {
    const d = this.ownerOf(rs, 'Deployment', (ns, n) => this.dInf.indexer.get(`${ns}/${n}`)) as Deployment | undefined;
    if (d) return this.enqueue(d);
    if (controllerRefOf(rs) || !labelsChanged) return;
    const labels = rs.metadata?.labels ?? {};
    for (const cand of this.dInf.indexer.byIndex(namespaceIndex, rs.metadata?.namespace ?? '')) {
      const sel = safeSelector(cand);
      if (sel && !sel.empty() && sel.matches(labels)) this.enqueue(cand);
    }
  }

  private onPodDelete(pod: Pod): void {
    const rs = this.ownerOf(pod, 'ReplicaSet', (ns, n) => this.rsInf.indexer.get(`${ns}/${n}`)) as ReplicaSet | undefined;
    if (!rs) return;
    const d = this.ownerOf(rs, 'Deployment', (ns, n) => this.dInf.indexer.get(`${ns}/${n}`)) as Deployment | undefined;
    if (d && d.spec?.strategy?.type === 'Recreate') this.enqueue(d);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const cached = this.dInf.indexer.get(key);
    if (!cached) return {};
    let d: Deployment = structuredClone(cached);
    const sel = safeSelector(d);
    if (!sel || sel.empty()) {
      this.events.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) await this.writeStatus(d, { ...(d.status ?? {}), observedGeneration: d.metadata?.generation });
      return {};
    }
    const rsList = await this.claimReplicaSets(d, sel);
    if (d.metadata?.deletionTimestamp) {
      const { newRS, oldRSs } = await this.newAndOld(d, rsList, false);
      await this.syncStatusOnly(d, newRS, oldRSs);
      return {};
    }
    d = await this.checkPausedConditions(d);
    if (d.spec?.paused) return this.sync(d, rsList);
    if (await this.isScalingEvent(d, rsList)) return this.sync(d, rsList);
    return d.spec?.strategy?.type === 'Recreate' ? this.rolloutRecreate(d, rsList) : this.rolloutRolling(d, rsList);
  }

  // ---- ownership ----

  private async claimReplicaSets(d: Deployment, sel: LabelSelector): Promise<ReplicaSet[]> {
    const uid = d.metadata?.uid;
    const out: ReplicaSet[] = [];
    const deleting = !!d.metadata?.deletionTimestamp;
    for (const rs of this.rsInf.indexer.byIndex(namespaceIndex, d.metadata?.namespace ?? '')) {
      const ref = controllerRefOf(rs);
      const matches = sel.matches(rs.metadata?.labels ?? {});
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches || deleting) out.push(rs);
        else await this.patchOwners(rs, (rs.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid));
        continue;
      }
      if (deleting || !matches || rs.metadata?.deletionTimestamp) continue;
      const adopted = await this.patchOwners(rs, [...(rs.metadata?.ownerReferences ?? []), newControllerRef(d, 'apps/v1', 'Deployment')]);
      if (adopted) out.push(adopted);
    }
    return out;
  }

  private async patchOwners(rs: ReplicaSet, refs: NonNullable<ReplicaSet['metadata']>['ownerReferences']): Promise<ReplicaSet | undefined> {
    try {
      return await this.opts.client.patch<ReplicaSet>(resources.replicaSets, rs.metadata!.name!, { metadata: { ownerReferences: refs, resourceVersion: rs.metadata?.resourceVersion } }, 'merge', {
        namespace: rs.metadata?.namespace,
      });
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) return undefined;
      throw e;
    }
  }

  // ---- new / old ReplicaSets ----

  private findNew(d: Deployment, rsList: ReplicaSet[]): ReplicaSet | undefined {
    return [...rsList].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
  }

  /** upstream getAllReplicaSetsAndSyncRevision (+ getNewReplicaSet). */
  private async newAndOld(d: Deployment, rsList: ReplicaSet[], create: boolean): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const existing = this.findNew(d, rsList);
    const oldRSs = rsList.filter((rs) => rs !== existing);
    const newRevision = String(maxRevision(oldRSs) + 1);
    if (existing) {
      const ann = { ...(existing.metadata?.annotations ?? {}) };
      const annChanged = setNewReplicaSetAnnotations(d, ann, newRevision, true);
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (annChanged || (existing.spec?.minReadySeconds ?? 0) !== minReady) {
        const updated = await this.opts.client.update<ReplicaSet>(
          resources.replicaSets,
          { ...existing, metadata: { ...existing.metadata, annotations: ann }, spec: { ...existing.spec!, minReadySeconds: minReady } },
          { namespace: existing.metadata?.namespace },
        );
        return { newRS: updated, oldRSs };
      }
      await this.setDeploymentRevision(d, existing.metadata?.annotations?.[revisionAnnotation] ?? '');
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        const status = structuredClone(d.status ?? {});
        setCondition(status, newCondition('Progressing', 'True', reasons.foundNewRS, `Found new replica set "${existing.metadata?.name}"`, this.now()));
        await this.writeStatus(d, status);
      }
      return { newRS: existing, oldRSs };
    }
    if (!create) return { newRS: undefined, oldRSs };

    const hash = computeHash(d.spec?.template, d.status?.collisionCount);
    const template = structuredClone(d.spec!.template);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [podTemplateHashLabel]: hash } };
    const selector = structuredClone(d.spec!.selector);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [podTemplateHashLabel]: hash };
    const annotations: Record<string, string> = {};
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata!.name}-${hash}`,
        namespace: d.metadata!.namespace,
        labels: { ...template.metadata.labels },
        annotations,
        ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    const count = newRSNewReplicas(d, [...oldRSs, rs], rs);
    rs.spec!.replicas = count;
    setNewReplicaSetAnnotations(d, annotations, newRevision, false);
    let created: ReplicaSet;
    let alreadyExisted = false;
    try {
      created = await this.opts.client.create(resources.replicaSets, rs, { namespace: d.metadata!.namespace });
    } catch (e) {
      if (isAlreadyExists(e)) {
        const other = await this.opts.client.get<ReplicaSet>(resources.replicaSets, rs.metadata!.name!, { namespace: d.metadata!.namespace }).catch(() => undefined);
        if (other && controllerRefOf(other)?.uid === d.metadata?.uid && equalIgnoreHash(other.spec?.template, d.spec?.template)) {
          created = other;
          alreadyExisted = true;
        } else {
          // A hash collision: bump collisionCount so the next sync computes another name.
          await this.writeStatus(d, { ...(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 });
          throw e;
        }
      } else {
        const msg = `Failed to create new replica set "${rs.metadata!.name}": ${(e as Error).message}`;
        if (hasProgressDeadline(d)) {
          const status = structuredClone(d.status ?? {});
          setCondition(status, newCondition('Progressing', 'False', reasons.failedRSCreate, msg, this.now()));
          await this.writeStatus(d, status).catch(() => undefined);
        }
        this.events.event(d, 'Warning', reasons.failedRSCreate, msg);
        throw e;
      }
    }
    if (!alreadyExisted && count > 0) this.events.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata?.name} from 0 to ${count}`);
    await this.setDeploymentRevision(d, newRevision);
    if (!alreadyExisted && hasProgressDeadline(d)) {
      const status = structuredClone(d.status ?? {});
      setCondition(status, newCondition('Progressing', 'True', reasons.newRSCreated, `Created new replica set "${created.metadata?.name}"`, this.now()));
      await this.writeStatus(d, status);
    }
    return { newRS: created, oldRSs };
  }

  /** Keeps the Deployment's revision annotation equal to its new ReplicaSet's (a metadata-only patch). */
  private async setDeploymentRevision(d: Deployment, revision: string): Promise<void> {
    if (!revision || d.metadata?.annotations?.[revisionAnnotation] === revision) return;
    const updated = await this.opts.client.patch<Deployment>(resources.deployments, d.metadata!.name!, { metadata: { annotations: { [revisionAnnotation]: revision } } }, 'merge', {
      namespace: d.metadata?.namespace,
    });
    d.metadata = { ...d.metadata, annotations: { ...(d.metadata?.annotations ?? {}), [revisionAnnotation]: revision }, resourceVersion: updated.metadata?.resourceVersion };
  }

  // ---- strategies ----

  private async isScalingEvent(d: Deployment, rsList: ReplicaSet[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.newAndOld(d, rsList, false);
    for (const rs of [...oldRSs, newRS]) {
      if (!rs || (rs.spec?.replicas ?? 0) === 0) continue;
      const desired = desiredReplicasOf(rs);
      if (desired !== undefined && desired !== replicasOf(d)) return true;
    }
    return false;
  }

  /** upstream sync(): scaling (also while paused) and status. */
  private async sync(d: Deployment, rsList: ReplicaSet[]): Promise<ReconcileResult> {
    let { newRS, oldRSs } = await this.newAndOld(d, rsList, false);
    const updated = await this.scale(d, newRS, oldRSs);
    newRS = newRS && (updated.get(newRS.metadata!.name!) ?? newRS);
    oldRSs = oldRSs.map((rs) => updated.get(rs.metadata!.name!) ?? rs);
    if (d.spec?.paused) await this.cleanup(d, oldRSs);
    const all = newRS ? [...oldRSs, newRS] : oldRSs;
    await this.syncStatusOnly(d, newRS, all.filter((rs) => rs !== newRS));
    return {};
  }

  private async scale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<Map<string, ReplicaSet>> {
    const out = new Map<string, ReplicaSet>();
    const replicas = replicasOf(d);
    const active = [...oldRSs, ...(newRS ? [newRS] : [])].filter((rs) => (rs.spec?.replicas ?? 0) > 0);
    let target: ReplicaSet | undefined;
    if (active.length === 1) target = active[0];
    else if (active.length === 0 && (newRS || oldRSs.length > 0)) target = newRS ?? [...oldRSs].sort(byCreation).reverse()[0];
    if (target) {
      if ((target.spec?.replicas ?? 0) !== replicas) await this.scaleRS(d, target, replicas, out);
      return out;
    }
    if (active.length === 0) return out;
    if (newRS && desiredReplicasOf(newRS) === replicas && (newRS.spec?.replicas ?? 0) === replicas && (newRS.status?.availableReplicas ?? 0) === replicas) {
      for (const rs of oldRSs.filter((o) => (o.spec?.replicas ?? 0) > 0)) await this.scaleRS(d, rs, 0, out);
      return out;
    }
    if (isRollingUpdate(d)) {
      for (const step of proportionalScale(d, active)) {
        const rs = active.find((r) => r.metadata?.name === step.name)!;
        await this.scaleRS(d, rs, step.to, out, true);
      }
    }
    return out;
  }

  /** upstream scaleReplicaSet: size and replica annotations in one update, an event when the size changed. */
  private async scaleRS(d: Deployment, rs: ReplicaSet, to: number, out: Map<string, ReplicaSet>, evenIfSameSize = false): Promise<ReplicaSet> {
    const from = rs.spec?.replicas ?? 0;
    const max = replicasOf(d) + maxSurge(d);
    const sizeChange = from !== to;
    if (!sizeChange && !(evenIfSameSize && replicasAnnotationsNeedUpdate(rs, replicasOf(d), max))) return rs;
    const annotations = { ...(rs.metadata?.annotations ?? {}) };
    setReplicasAnnotations(annotations, replicasOf(d), max);
    const updated = await this.opts.client.update<ReplicaSet>(
      resources.replicaSets,
      { ...rs, metadata: { ...rs.metadata, annotations }, spec: { ...rs.spec!, replicas: to } },
      { namespace: rs.metadata?.namespace },
    );
    out.set(rs.metadata!.name!, updated);
    if (sizeChange) this.events.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${from < to ? 'up' : 'down'} replica set ${rs.metadata!.name} from ${from} to ${to}`);
    return updated;
  }

  private async applySteps(d: Deployment, rss: ReplicaSet[], steps: ScaleStep[]): Promise<ReplicaSet[]> {
    const out = new Map<string, ReplicaSet>();
    for (const s of steps) {
      const rs = rss.find((r) => r.metadata?.name === s.name);
      if (rs) await this.scaleRS(d, rs, s.to, out);
    }
    return rss.map((rs) => out.get(rs.metadata!.name!) ?? rs);
  }

  private async rolloutRolling(d: Deployment, rsList: ReplicaSet[]): Promise<ReconcileResult> {
    let { newRS, oldRSs } = await this.newAndOld(d, rsList, true);
    const replicas = replicasOf(d);
    // Scale up the new ReplicaSet as far as maxSurge allows.
    if (newRS && (newRS.spec?.replicas ?? 0) !== replicas) {
      const to = (newRS.spec?.replicas ?? 0) > replicas ? replicas : newRSNewReplicas(d, [...oldRSs, newRS], newRS);
      if (to !== (newRS.spec?.replicas ?? 0)) {
        const out = new Map<string, ReplicaSet>();
        newRS = await this.scaleRS(d, newRS, to, out);
        return this.syncRolloutStatus(d, newRS, oldRSs);
      }
    }
    const steps = planOldScaleDown(d, oldRSs, newRS);
    if (steps.some((s) => s.from !== s.to)) {
      oldRSs = await this.applySteps(d, oldRSs, steps);
      return this.syncRolloutStatus(d, newRS, oldRSs);
    }
    if (deploymentComplete(d, d.status ?? {})) await this.cleanup(d, oldRSs);
    return this.syncRolloutStatus(d, newRS, oldRSs);
  }

  private async rolloutRecreate(d: Deployment, rsList: ReplicaSet[]): Promise<ReconcileResult> {
    let { newRS, oldRSs } = await this.newAndOld(d, rsList, false);
    const activeOld = oldRSs.filter((rs) => (rs.spec?.replicas ?? 0) > 0);
    if (activeOld.length > 0) {
      oldRSs = await this.applySteps(d, oldRSs, activeOld.map((rs) => ({ name: rs.metadata!.name!, from: rs.spec!.replicas!, to: 0 })));
      return this.syncRolloutStatus(d, newRS, oldRSs);
    }
    if (this.oldPodsRunning(newRS, oldRSs)) return this.syncRolloutStatus(d, newRS, oldRSs);
    if (!newRS) ({ newRS, oldRSs } = await this.newAndOld(d, rsList, true));
    if (newRS && (newRS.spec?.replicas ?? 0) !== replicasOf(d)) newRS = await this.scaleRS(d, newRS, replicasOf(d), new Map());
    if (deploymentComplete(d, d.status ?? {})) await this.cleanup(d, oldRSs);
    return this.syncRolloutStatus(d, newRS, oldRSs);
  }

  private oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
    if (sumStatusReplicas(oldRSs) > 0) return true;
    for (const rs of oldRSs) {
      if (rs === newRS) continue;
      for (const p of this.podInf.indexer.byIndex(controllerUidIndex, rs.metadata?.uid ?? '')) {
        const phase = p.status?.phase;
        if (phase !== 'Failed' && phase !== 'Succeeded') return true;
      }
    }
    return false;
  }

  /** upstream cleanupDeployment: delete the oldest idle ReplicaSets beyond revisionHistoryLimit. */
  private async cleanup(d: Deployment, oldRSs: ReplicaSet[]): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit;
    if (limit === undefined || limit === null) return;
    const alive = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
    const diff = alive.length - limit;
    if (diff <= 0) return;
    alive.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of alive.slice(0, diff)) {
      if ((rs.status?.replicas ?? 0) !== 0 || (rs.spec?.replicas ?? 0) !== 0 || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.opts.client.delete(resources.replicaSets, rs.metadata!.name!, { namespace: rs.metadata?.namespace });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  private async checkPausedConditions(d: Deployment): Promise<Deployment> {
    if (!hasProgressDeadline(d)) return d;
    const cond = getCondition(d.status, 'Progressing');
    if (cond?.reason === reasons.timedOut) return d;
    const pausedExists = cond?.reason === reasons.paused;
    let c;
    if (d.spec?.paused && !pausedExists) c = newCondition('Progressing', 'Unknown', reasons.paused, 'Deployment is paused', this.now());
    else if (!d.spec?.paused && pausedExists) c = newCondition('Progressing', 'Unknown', reasons.resumed, 'Deployment is resumed', this.now());
    if (!c) return d;
    const status = structuredClone(d.status ?? {});
    setCondition(status, c);
    await this.writeStatus(d, status);
    return d;
  }

  private async syncStatusOnly(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
    const all = newRS ? [...oldRSs, newRS] : oldRSs;
    const status = calculateStatus(all, newRS, d, this.now());
    if (!statusEqual(d.status, status)) await this.writeStatus(d, status);
  }

  private async syncRolloutStatus(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<ReconcileResult> {
    const all = newRS ? [...oldRSs, newRS] : oldRSs;
    const status = rolloutStatus(all, newRS, d, this.now());
    if (!statusEqual(d.status, status)) {
      await this.writeStatus(d, status);
      return {};
    }
    // Nothing changed: come back when the progress deadline would pass (upstream requeueStuckDeployment).
    const cur = getCondition(d.status, 'Progressing');
    if (!hasProgressDeadline(d) || !cur || deploymentComplete(d, status) || cur.reason === reasons.timedOut) return {};
    const after = Date.parse(cur.lastUpdateTime ?? '') + (d.spec!.progressDeadlineSeconds ?? 600) * 1000 - this.now();
    if (!Number.isFinite(after)) return {};
    return after < 1000 ? { requeue: true } : { requeueAfterMs: after + 1000 };
  }

  /** Writes status on the object d (keeping d's in-memory copy current for the rest of this sync). */
  private async writeStatus(d: Deployment, status: DeploymentStatus): Promise<void> {
    try {
      const updated = await this.opts.client.updateStatus<Deployment>(resources.deployments, { ...d, status }, { namespace: d.metadata?.namespace });
      d.metadata = updated.metadata;
      d.status = updated.status;
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }
}

function safeSelector(d: Deployment): LabelSelector | undefined {
  try {
    return labelSelectorFromObject(d.spec?.selector);
  } catch {
    return undefined;
  }
}
