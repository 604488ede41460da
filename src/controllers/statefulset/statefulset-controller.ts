// The StatefulSet controller (upstream pkg/controller/statefulset): pods <set>-<ordinal> with stable
// identities and PVCs from volumeClaimTemplates that outlive the pods (persistentVolumeClaimRetentionPolicy
// decides when they go), OrderedReady or Parallel pod management, RollingUpdate with partition and
// maxUnavailable, OnDelete, ControllerRevisions (controller-revision-hash on pods) and status with
// currentRevision / updateRevision. Decisions live in decisions.ts, revision bookkeeping in history.ts.
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { ApiClient } from '../../client/client.js';
import { realClock, type Clock } from '../../client/clock.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/errors.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { byControllerUid, keyOf } from '../../client/indexer.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import { newEventRecorder, type EventRecorder } from '../../client/event-recorder.js';
import { Expectations, ownedPodHandlers } from '../expectations.js';
import { claimsFor, isRunningAndReady, ordinalOf, podFor, revisionFor, revisionHashLabel, startOrdinal, syncStep } from './decisions.js';
import { controllerRevisions, ensureRevision, templateOf, truncateHistory } from './history.js';

const controllerUidIndex = 'controller-uid';
const component = 'statefulset-controller';

export interface StatefulSetControllerOptions {
  client: ApiClient;
  informers: InformerFactory;
  log?: (line: string) => void;
  clock?: Clock;
  workers?: number;
}

function ownerKey(p: Pod): string | undefined {
  const ref = (p.metadata?.ownerReferences ?? []).find((r) => r.controller);
  if (!ref || ref.kind !== 'StatefulSet' || !ref.apiVersion.startsWith('apps/')) return undefined;
  return `${p.metadata?.namespace}/${ref.name}`;
}

export class StatefulSetController {
  private readonly setInf: Informer<StatefulSet>;
  private readonly podInf: Informer<Pod>;
  private readonly crInf: Informer<ControllerRevision>;
  private readonly queue: WorkQueue;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly recorder: EventRecorder;
  private readonly expectations: Expectations;
  private readonly removers: Array<() => void> = [];
  private workers: Promise<void> | undefined;

  constructor(private readonly opts: StatefulSetControllerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.setInf = opts.informers.informerFor(resources.statefulSets);
    this.podInf = opts.informers.informerFor(resources.pods);
    this.crInf = opts.informers.informerFor(controllerRevisions);
    if (!this.podInf.hasIndex(controllerUidIndex)) this.podInf.addIndexers({ [controllerUidIndex]: byControllerUid });
    if (!this.crInf.hasIndex(controllerUidIndex)) this.crInf.addIndexers({ [controllerUidIndex]: byControllerUid });
    this.queue = new WorkQueue({ name: 'statefulset', clock: this.clock });
    this.expectations = new Expectations(this.clock);
    this.recorder = newEventRecorder(opts.client, component, this.clock, this.log);
    this.removers.push(
      this.setInf.addEventHandler({
        onAdd: (s) => this.queue.add(keyOf(s)),
        onUpdate: (_o, s) => this.queue.add(keyOf(s)),
        onDelete: (s) => this.expectations.delete(keyOf(s)),
      }),
      this.podInf.addEventHandler(ownedPodHandlers(ownerKey, this.expectations, (k) => this.queue.add(k))),
    );
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.setInf, this.podInf, this.crInf].map((i) => i.waitForSync(signal)));
    if (this.queue.shuttingDown) return;
    this.workers = runWorkers(this.queue, this.opts.workers ?? 5, (key) => this.reconcile(key), {
      onError: (key, err) => {
        if (!isConflict(err)) this.log(`statefulset controller: sync of ${key} failed: ${(err as Error)?.message ?? String(err)}`);
      },
    });
  }

  async stop(): Promise<void> {
    for (const r of this.removers.splice(0)) r();
    await this.queue.shutdownWithDrain();
    await this.workers;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const set = this.setInf.indexer.get(key);
    if (!set || set.metadata?.deletionTimestamp) return {};
    const ns = set.metadata?.namespace;
    const allHistory = this.crInf.indexer.byIndex(controllerUidIndex, set.metadata?.uid ?? '');
    const { updateRevision, history, collisionCount } = await ensureRevision(this.opts.client, set, allHistory);
    const updateHash = updateRevision.metadata?.labels?.[revisionHashLabel] ?? '';
    let currentHash = set.status?.currentRevision ? (allHistory.find((r) => r.metadata?.name === set.status?.currentRevision)?.metadata?.labels?.[revisionHashLabel] ?? updateHash) : updateHash;
    const currentRev = allHistory.find((r) => r.metadata?.labels?.[revisionHashLabel] === currentHash);
    const currentTemplate = (currentRev && templateOf(currentRev)) ?? set.spec?.template ?? {};
    if (!currentRev) currentHash = updateHash;

    const owned = this.podInf.indexer.byIndex(controllerUidIndex, set.metadata?.uid ?? '');
    const pods = new Map<number, Pod>();
    for (const p of owned) {
      const o = ordinalOf(set, p);
      if (o !== undefined) pods.set(o, p);
    }

    if (this.expectations.satisfied(key)) {
      const step = syncStep({ set, pods, updateRevision: updateHash });
      this.expectations.expect(key, step.create.length, step.delete);
      await Promise.all([
        ...step.create.map(async (o) => {
          const which = revisionFor(set, o, currentHash, updateHash);
          const pod = which === 'current' ? podFor(set, currentTemplate, o, currentHash) : podFor(set, set.spec?.template ?? {}, o, updateHash);
          try {
            await this.createClaims(set, o, pod.metadata!.name!);
            await this.opts.client.typed(resources.pods).create(pod, { namespace: ns });
            this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} successful`);
          } catch (e) {
            this.expectations.creationObserved(key);
            if (isAlreadyExists(e)) return;
            this.recorder.event(set, 'Warning', 'FailedCreate', `create Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} failed error: ${(e as Error).message}`);
            throw e;
          }
        }),
        ...step.delete.map(async (p) => {
          const o = ordinalOf(set, p) ?? 0;
          const condemned = o < startOrdinal(set) || o >= startOrdinal(set) + (set.spec?.replicas ?? 1);
          try {
            if (condemned && set.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') await this.ownClaimsByPod(set, o, p);
            await this.opts.client.typed(resources.pods).delete(p.metadata!.name!, { namespace: ns, preconditions: { uid: p.metadata?.uid } });
            this.recorder.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${p.metadata?.name} in StatefulSet ${set.metadata?.name} successful`);
          } catch (e) {
            this.expectations.deletionObserved(key, p);
            if (!isNotFound(e)) throw e;
          }
        }),
      ]);
    }

    // Status.
    const replicas = set.spec?.replicas ?? 1;
    const live = owned.filter((p) => !p.metadata?.deletionTimestamp);
    const status: StatefulSetStatus = {
      observedGeneration: set.metadata?.generation,
      replicas: live.length,
      readyReplicas: live.filter(isRunningAndReady).length,
      availableReplicas: live.filter(isRunningAndReady).length,
      currentReplicas: live.filter((p) => p.metadata?.labels?.[revisionHashLabel] === currentHash).length,
      updatedReplicas: live.filter((p) => p.metadata?.labels?.[revisionHashLabel] === updateHash).length,
      currentRevision: currentRev?.metadata?.name ?? updateRevision.metadata?.name,
      updateRevision: updateRevision.metadata?.name,
      collisionCount,
    };
    // Rolling update complete: the update revision becomes current.
    if (status.updatedReplicas === replicas && status.readyReplicas === replicas && status.replicas === replicas) {
      status.currentRevision = status.updateRevision;
      status.currentReplicas = status.updatedReplicas;
    }
    if (JSON.stringify({ ...(set.status ?? {}), ...status }) !== JSON.stringify(set.status ?? {})) {
      await this.opts.client.typed(resources.statefulSets).updateStatus({ ...set, status: { ...(set.status ?? {}), ...status } }, { namespace: ns });
    }
    const liveHashes = new Set([...owned.map((p) => p.metadata?.labels?.[revisionHashLabel] ?? ''), currentHash, updateHash]);
    await truncateHistory(this.opts.client, set, history, liveHashes);
    return {};
  }

  /** Creates the ordinal's PVCs that do not exist yet (existing ones are reused: identity survives). */
  private async createClaims(set: StatefulSet, ord: number, pod: string): Promise<void> {
    for (const pvc of claimsFor(set, ord)) {
      try {
        await this.opts.client.typed(resources.persistentVolumeClaims).create(pvc, { namespace: set.metadata?.namespace });
        this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${pvc.metadata?.name} Pod ${pod} in StatefulSet ${set.metadata?.name} success`);
      } catch (e) {
        if (isAlreadyExists(e)) continue;
        this.recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${pvc.metadata?.name} for Pod ${pod} in StatefulSet ${set.metadata?.name} failed error: ${(e as Error).message}`);
        throw e;
      }
    }
  }

  /** whenScaled: Delete — the condemned pod's PVCs get the pod as owner, so they go with it. */
  private async ownClaimsByPod(set: StatefulSet, ord: number, pod: Pod): Promise<void> {
    for (const want of claimsFor(set, ord)) {
      let pvc: PersistentVolumeClaim;
      try {
        pvc = await this.opts.client.typed(resources.persistentVolumeClaims).get(want.metadata!.name!, { namespace: set.metadata?.namespace });
      } catch (e) {
        if (isNotFound(e)) continue;
        throw e;
      }
      const refs = pvc.metadata?.ownerReferences ?? [];
      if (refs.some((r) => r.uid === pod.metadata?.uid)) continue;
      const podRef = { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '', blockOwnerDeletion: true };
      await this.opts.client
        .typed(resources.persistentVolumeClaims)
        .update({ ...pvc, metadata: { ...pvc.metadata, ownerReferences: [...refs.map((r) => ({ ...r, controller: false })), podRef] } }, { namespace: set.metadata?.namespace });
    }
  }
}
