// The ReplicaSet controller (upstream pkg/controller/replicaset): keeps spec.replicas active pods from the
// template, adopts matching orphans and releases owned pods that no longer match, creates in slow-start
// batches and deletes in upstream's preference order, honours expectations so a lagging pod cache never causes
// over-creation, and writes status (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas,
// observedGeneration, ReplicaFailure). One ReplicaSet key per reconcile; it reads only informer caches, except
// the fresh GET upstream makes before adopting.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { ApiClient } from '../../client/client.js';
import { isNotFound, isConflict, isForbidden } from '../../client/errors.js';
import { byControllerUid, byNamespace, keyOf, namespaceIndex } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import { labelSelectorFromObject, type LabelSelector } from '../../util/label-selector.js';
import { burstReplicas, calculateStatus, podsToDelete, slowStartBatches, statusEqual, type ManageError } from './decisions.js';
import { newEventRecorder, type EventRecorder } from '../../client/event-recorder.js';
import { realClock } from '../../client/clock.js';
import { Expectations } from '../expectations.js';
import { controllerRefOf, isPodActive, isPodReady, newControllerRef } from './pod-util.js';

export const controllerUidIndex = 'controllerUid';

export interface ReplicaSetControllerOptions {
  client: ApiClient;
  informers: InformerFactory;
  log?: (line: string) => void;
  /** Concurrent syncs (upstream --concurrent-replicaset-syncs, default 5). */
  workers?: number;
  now?: () => number;
}

export class ReplicaSetController {
  private readonly rsInf: Informer<ReplicaSet>;
  private readonly podInf: Informer<Pod>;
  private readonly queue = new WorkQueue({ name: 'replicaset' });
  readonly expectations: Expectations;
  private readonly log: (line: string) => void;
  private readonly events: EventRecorder;
  private readonly now: () => number;
  private readonly removers: Array<() => void> = [];
  private workers: Promise<void> | undefined;

  constructor(private readonly opts: ReplicaSetControllerOptions) {
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.now = opts.now ?? Date.now;
    this.expectations = new Expectations(this.now);
    this.events = newEventRecorder(opts.client, 'replicaset-controller', realClock, this.log, { defaultKind: { apiVersion: 'apps/v1', kind: 'ReplicaSet' } });
    this.rsInf = opts.informers.informerFor(resources.replicaSets);
    this.podInf = opts.informers.informerFor(resources.pods);
    if (!this.rsInf.hasIndex(namespaceIndex)) this.rsInf.addIndexers({ [namespaceIndex]: byNamespace });
    if (!this.podInf.hasIndex(namespaceIndex)) this.podInf.addIndexers({ [namespaceIndex]: byNamespace });
    if (!this.podInf.hasIndex(controllerUidIndex)) this.podInf.addIndexers({ [controllerUidIndex]: byControllerUid });

    this.removers.push(
      this.rsInf.addEventHandler({
        onAdd: (rs) => this.enqueue(rs),
        onUpdate: (_o, rs) => this.enqueue(rs),
        onDelete: (rs) => {
          this.expectations.delete(keyOf(rs));
          this.enqueue(rs);
        },
      }),
      this.podInf.addEventHandler({
        onAdd: (p) => this.onPodAdd(p),
        onUpdate: (o, p) => this.onPodUpdate(o, p),
        onDelete: (p) => this.onPodDelete(p),
      }),
    );
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.rsInf.waitForSync(signal), this.podInf.waitForSync(signal)]);
    if (this.queue.shuttingDown) return;
    this.workers = runWorkers(this.queue, this.opts.workers ?? 5, (key) => this.reconcile(key), {
      onError: (key, err) => this.log(`replicaset controller: sync ${key} failed: ${(err as Error)?.message ?? String(err)}`),
    });
  }

  async stop(): Promise<void> {
    for (const r of this.removers.splice(0)) r();
    await this.queue.shutdownWithDrain();
    await this.workers;
  }

  private enqueue(rs: ReplicaSet, afterMs = 0): void {
    if (afterMs > 0) this.queue.addAfter(keyOf(rs), afterMs);
    else this.queue.add(keyOf(rs));
  }

  private resolveOwner(pod: Pod): ReplicaSet | undefined {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return undefined;
    const rs = this.rsInf.indexer.get(`${pod.metadata?.namespace}/${ref.name}`);
    return rs && rs.metadata?.uid === ref.uid ? rs : undefined;
  }

  private matchingReplicaSets(pod: Pod): ReplicaSet[] {
    const labels = pod.metadata?.labels ?? {};
    if (Object.keys(labels).length === 0) return [];
    return this.rsInf.indexer.byIndex(namespaceIndex, pod.metadata?.namespace ?? '').filter((rs) => {
      try {
        const sel = labelSelectorFromObject(rs.spec?.selector);
        return !sel.empty() && sel.matches(labels);
      } catch {
        return false;
      }
    });
  }

  private onPodAdd(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) return this.onPodDelete(pod);
    if (controllerRefOf(pod)) {
      const rs = this.resolveOwner(pod);
      if (!rs) return;
      this.expectations.creationObserved(keyOf(rs));
      this.enqueue(rs);
      return;
    }
    for (const rs of this.matchingReplicaSets(pod)) this.enqueue(rs);
  }

  private onPodUpdate(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const labelsChanged = JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {});
    if (cur.metadata?.deletionTimestamp) {
      this.onPodDelete(cur);
      if (labelsChanged) this.onPodDelete(old);
      return;
    }
    const oldRef = controllerRefOf(old);
    const curRef = controllerRefOf(cur);
    const refChanged = oldRef?.uid !== curRef?.uid;
    if (refChanged && oldRef) {
      const oldRs = this.resolveOwner(old);
      if (oldRs) this.enqueue(oldRs);
    }
    if (curRef) {
      const rs = this.resolveOwner(cur);
      if (!rs) return;
      this.enqueue(rs);
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(cur)) this.enqueue(rs, minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.matchingReplicaSets(cur)) this.enqueue(rs);
  }

  private onPodDelete(pod: Pod): void {
    const rs = this.resolveOwner(pod);
    if (!rs) return;
    this.expectations.deletionObserved(keyOf(rs), pod);
    this.enqueue(rs);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const rs = this.rsInf.indexer.get(key);
    if (!rs) {
      this.expectations.delete(key);
      return {};
    }
    const needsSync = this.expectations.satisfied(key);
    let selector: LabelSelector;
    try {
      selector = labelSelectorFromObject(rs.spec?.selector);
    } catch (e) {
      this.log(`replicaset controller: ${key}: invalid selector: ${(e as Error).message}`);
      return {};
    }
    const active = this.podInf.indexer.byIndex(namespaceIndex, rs.metadata?.namespace ?? '').filter(isPodActive);
    const owned = await this.claimPods(rs, selector, active);

    let manageError: ManageError | undefined;
    if (needsSync && !rs.metadata?.deletionTimestamp) manageError = await this.manageReplicas(owned, rs, key);

    const status = calculateStatus(rs, owned, manageError, this.now());
    let updated = rs;
    if (!statusEqual(rs.status, status)) updated = await this.writeStatus(rs, status);
    const want = updated.spec?.replicas ?? 1;
    const minReady = updated.spec?.minReadySeconds ?? 0;
    if (manageError) throw new Error(manageError.message);
    if (minReady > 0 && status.readyReplicas === want && status.availableReplicas !== want) return { requeueAfterMs: minReady * 1000 };
    return {};
  }

  /** Pods this ReplicaSet owns after adopting matching orphans and releasing owned pods that stopped matching. */
  private async claimPods(rs: ReplicaSet, selector: LabelSelector, pods: Pod[]): Promise<Pod[]> {
    const uid = rs.metadata?.uid;
    const ns = rs.metadata?.namespace;
    const deleting = !!rs.metadata?.deletionTimestamp;
    const out: Pod[] = [];
    let canAdopt: boolean | undefined;
    for (const pod of pods) {
      const ref = controllerRefOf(pod);
      const matches = !selector.empty() && selector.matches(pod.metadata?.labels ?? {});
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches || deleting) {
          out.push(pod);
          continue;
        }
        await this.release(pod, uid!);
        continue;
      }
      if (deleting || !matches || pod.metadata?.deletionTimestamp) continue;
      if (canAdopt === undefined) {
        try {
          const fresh = await this.opts.client.get<ReplicaSet>(resources.replicaSets, rs.metadata!.name!, { namespace: ns });
          canAdopt = fresh.metadata?.uid === uid && !fresh.metadata?.deletionTimestamp;
        } catch (e) {
          if (!isNotFound(e)) throw e;
          canAdopt = false;
        }
      }
      if (!canAdopt) continue;
      try {
        const adopted = await this.opts.client.patch<Pod>(
          resources.pods,
          pod.metadata!.name!,
          { metadata: { ownerReferences: [...(pod.metadata?.ownerReferences ?? []), newControllerRef(rs, 'apps/v1', 'ReplicaSet')], resourceVersion: pod.metadata?.resourceVersion } },
          'merge',
          { namespace: ns },
        );
        if (isPodActive(adopted)) out.push(adopted);
      } catch (e) {
        if (isNotFound(e) || isConflict(e)) continue;
        throw e;
      }
    }
    return out;
  }

  private async release(pod: Pod, uid: string): Promise<void> {
    try {
      await this.opts.client.patch(
        resources.pods,
        pod.metadata!.name!,
        { metadata: { ownerReferences: (pod.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid), resourceVersion: pod.metadata?.resourceVersion } },
        'merge',
        { namespace: pod.metadata?.namespace },
      );
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }

  private async manageReplicas(owned: Pod[], rs: ReplicaSet, key: string): Promise<ManageError | undefined> {
    const want = rs.spec?.replicas ?? 1;
    let diff = owned.length - want;
    const ns = rs.metadata!.namespace!;
    if (diff < 0) {
      diff = Math.min(-diff, burstReplicas);
      this.expectations.expect(key, diff);
      let attempted = 0;
      let failure: string | undefined;
      for (const size of slowStartBatches(diff)) {
        attempted += size;
        const results = await Promise.allSettled(Array.from({ length: size }, () => this.createPod(rs)));
        for (const r of results) {
          if (r.status === 'fulfilled') continue;
          // This creation will never be observed.
          this.expectations.creationObserved(key);
          const e = r.reason as Error;
          // A namespace being terminated refuses creations; that is not the ReplicaSet's failure.
          if (!(isForbidden(e) && /being terminated/.test(e.message))) failure ??= e.message;
        }
        if (failure) break;
      }
      for (let i = attempted; i < diff; i++) this.expectations.creationObserved(key);
      return failure ? { reason: 'FailedCreate', message: failure } : undefined;
    }
    if (diff > 0) {
      diff = Math.min(diff, burstReplicas);
      const related = this.relatedPods(rs);
      const victims = podsToDelete(owned, related, diff, this.now());
      this.expectations.expect(key, 0, victims);
      let failure: string | undefined;
      await Promise.all(
        victims.map(async (p) => {
          try {
            await this.opts.client.delete(resources.pods, p.metadata!.name!, { namespace: ns });
            this.events.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata!.name}`);
          } catch (e) {
            this.expectations.deletionObserved(key, p);
            if (isNotFound(e)) return;
            failure ??= (e as Error).message;
            this.events.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
          }
        }),
      );
      return failure ? { reason: 'FailedDelete', message: failure } : undefined;
    }
    return undefined;
  }

  private async createPod(rs: ReplicaSet): Promise<Pod> {
    const tmpl = rs.spec?.template ?? {};
    const md = tmpl.metadata ?? {};
    const pod: Pod = {
      metadata: {
        generateName: `${rs.metadata!.name}-`,
        namespace: rs.metadata!.namespace,
        labels: { ...(md.labels ?? {}) },
        annotations: md.annotations ? { ...md.annotations } : undefined,
        finalizers: md.finalizers ? [...md.finalizers] : undefined,
        ownerReferences: [newControllerRef(rs, 'apps/v1', 'ReplicaSet')],
      },
      spec: structuredClone(tmpl.spec ?? { containers: [] }),
    };
    try {
      const created = await this.opts.client.create(resources.pods, pod, { namespace: rs.metadata!.namespace });
      this.events.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`);
      return created;
    } catch (e) {
      this.events.event(rs, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
      throw e;
    }
  }

  /** Pods of every ReplicaSet with the same controller as rs (for ranking by co-location), upstream getIndirectlyRelatedPods. */
  private relatedPods(rs: ReplicaSet): Pod[] {
    const owner = controllerRefOf(rs);
    const siblings = owner
      ? this.rsInf.indexer.byIndex(namespaceIndex, rs.metadata?.namespace ?? '').filter((o) => controllerRefOf(o)?.uid === owner.uid)
      : [rs];
    return siblings.flatMap((s) => this.podInf.indexer.byIndex(controllerUidIndex, s.metadata?.uid ?? ''));
  }

  private async writeStatus(rs: ReplicaSet, status: NonNullable<ReplicaSet['status']>): Promise<ReplicaSet> {
    let cur = rs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.opts.client.updateStatus(resources.replicaSets, { ...cur, status }, { namespace: cur.metadata?.namespace });
      } catch (e) {
        if (isNotFound(e)) return rs;
        if (!isConflict(e) || attempt >= 1) throw e;
        cur = await this.opts.client.get<ReplicaSet>(resources.replicaSets, rs.metadata!.name!, { namespace: rs.metadata?.namespace });
      }
    }
  }
}
