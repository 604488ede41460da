// The DaemonSet controller (upstream pkg/controller/daemon): one daemon pod on every eligible node. Pods
// are created pinned to their node by node affinity (the scheduler binds them), removed from nodes that
// no longer qualify, replaced when they fail, and rolled to a new template with maxUnavailable / maxSurge
// (RollingUpdate) or only when deleted (OnDelete). Templates are recorded as ControllerRevisions; pods
// carry the controller-revision-hash label. Decisions live in decisions.ts.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { ControllerRevision, DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { ApiClient } from '../../client/client.js';
import { realClock, type Clock } from '../../client/clock.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/errors.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { byControllerUid, keyOf } from '../../client/indexer.js';
import { defineResource } from '../../client/resource.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import { newEventRecorder, type EventRecorder } from '../../client/event-recorder.js';
import { Expectations, ownedPodHandlers } from '../expectations.js';
import {
  isPodAvailable,
  isPodReady,
  nodeOfPod,
  nodeShouldRunDaemonPod,
  podForNode,
  revisionHashLabel,
  rollingLimits,
  rollingUpdateStep,
  templateHash,
  type NodeState,
} from './decisions.js';

export const controllerRevisions = defineResource<ControllerRevision>({ group: 'apps', version: 'v1', resource: 'controllerrevisions', kind: 'ControllerRevision', namespaced: true });
const controllerUidIndex = 'controller-uid';
const component = 'daemonset-controller';

export interface DaemonSetControllerOptions {
  client: ApiClient;
  informers: InformerFactory;
  log?: (line: string) => void;
  clock?: Clock;
  workers?: number;
}

function ownerKey(o: { metadata?: { namespace?: string; ownerReferences?: Array<{ kind: string; name: string; controller?: boolean; apiVersion: string }> } }): string | undefined {
  const ref = (o.metadata?.ownerReferences ?? []).find((r) => r.controller);
  if (!ref || ref.kind !== 'DaemonSet' || !ref.apiVersion.startsWith('apps/')) return undefined;
  return `${o.metadata?.namespace}/${ref.name}`;
}

const created = (o: { metadata?: { creationTimestamp?: string; name?: string } }) => Date.parse(o.metadata?.creationTimestamp ?? '') || 0;

export class DaemonSetController {
  private readonly dsInf: Informer<DaemonSet>;
  private readonly podInf: Informer<Pod>;
  private readonly nodeInf: Informer<Node>;
  private readonly crInf: Informer<ControllerRevision>;
  private readonly queue: WorkQueue;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly recorder: EventRecorder;
  private readonly expectations: Expectations;
  private readonly removers: Array<() => void> = [];
  private workers: Promise<void> | undefined;

  constructor(private readonly opts: DaemonSetControllerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.dsInf = opts.informers.informerFor(resources.daemonSets);
    this.podInf = opts.informers.informerFor(resources.pods);
    this.nodeInf = opts.informers.informerFor(resources.nodes);
    this.crInf = opts.informers.informerFor(controllerRevisions);
    if (!this.podInf.hasIndex(controllerUidIndex)) this.podInf.addIndexers({ [controllerUidIndex]: byControllerUid });
    if (!this.crInf.hasIndex(controllerUidIndex)) this.crInf.addIndexers({ [controllerUidIndex]: byControllerUid });
    this.queue = new WorkQueue({ name: 'daemonset', clock: this.clock });
    this.expectations = new Expectations(this.clock);
    this.recorder = newEventRecorder(opts.client, component, this.clock, this.log);
    const enqueueAll = () => {
      for (const ds of this.dsInf.indexer.list()) this.queue.add(keyOf(ds));
    };
    this.removers.push(
      this.dsInf.addEventHandler({
        onAdd: (d) => this.queue.add(keyOf(d)),
        onUpdate: (_o, d) => this.queue.add(keyOf(d)),
        onDelete: (d) => this.expectations.delete(keyOf(d)),
      }),
      this.podInf.addEventHandler(ownedPodHandlers(ownerKey, this.expectations, (k) => this.queue.add(k))),
      this.nodeInf.addEventHandler({
        onAdd: enqueueAll,
        onUpdate: (o, n) => {
          if (JSON.stringify([o.metadata?.labels, o.spec?.taints, o.spec?.unschedulable]) !== JSON.stringify([n.metadata?.labels, n.spec?.taints, n.spec?.unschedulable])) enqueueAll();
        },
        onDelete: enqueueAll,
      }),
    );
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.dsInf, this.podInf, this.nodeInf, this.crInf].map((i) => i.waitForSync(signal)));
    if (this.queue.shuttingDown) return;
    this.workers = runWorkers(this.queue, this.opts.workers ?? 2, (key) => this.reconcile(key), {
      onError: (key, err) => {
        if (!isConflict(err)) this.log(`daemonset controller: sync of ${key} failed: ${(err as Error)?.message ?? String(err)}`);
      },
    });
  }

  async stop(): Promise<void> {
    for (const r of this.removers.splice(0)) r();
    await this.queue.shutdownWithDrain();
    await this.workers;
  }

  /** The ControllerRevision of the current template (created or re-numbered as needed) and old ones. */
  private async revisions(ds: DaemonSet): Promise<{ hash: string; history: ControllerRevision[] }> {
    const history = this.crInf.indexer.byIndex(controllerUidIndex, ds.metadata?.uid ?? '').sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
    const tplJson = JSON.stringify(ds.spec?.template ?? {});
    const max = history.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
    const same = history.find((r) => {
      const data = (r.data ?? {}) as { spec?: { template?: Record<string, unknown> } };
      const { $patch: _p, ...tpl } = data.spec?.template ?? {};
      return JSON.stringify(tpl) === tplJson;
    });
    if (same) {
      if ((same.revision ?? 0) < max) {
        await this.opts.client.typed(controllerRevisions).patch(same.metadata!.name!, { revision: max + 1 }, 'merge', { namespace: ds.metadata?.namespace });
      }
      return { hash: same.metadata?.labels?.[revisionHashLabel] ?? '', history: history.filter((r) => r !== same) };
    }
    let collision = ds.status?.collisionCount ?? 0;
    for (;;) {
      const hash = templateHash(ds.spec?.template, collision);
      const cr: ControllerRevision = {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: {
          name: `${ds.metadata?.name}-${hash}`,
          namespace: ds.metadata?.namespace,
          labels: { ...(ds.spec?.template?.metadata?.labels ?? {}), [revisionHashLabel]: hash },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata?.name ?? '', uid: ds.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
        },
        data: { spec: { template: { ...(ds.spec?.template ?? {}), $patch: 'replace' } } },
        revision: max + 1,
      };
      try {
        await this.opts.client.typed(controllerRevisions).create(cr, { namespace: ds.metadata?.namespace });
        return { hash, history };
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        const existing = await this.opts.client.typed(controllerRevisions).get(cr.metadata!.name!, { namespace: ds.metadata?.namespace });
        const sameOwner = existing.metadata?.ownerReferences?.some((r) => r.uid === ds.metadata?.uid);
        if (sameOwner && JSON.stringify(existing.data) === JSON.stringify(cr.data)) return { hash, history };
        collision++;
        await this.opts.client
          .typed(resources.daemonSets)
          .updateStatus({ ...ds, status: { ...(ds.status ?? {}), collisionCount: collision } } as DaemonSet, { namespace: ds.metadata?.namespace })
          .catch(() => undefined);
      }
    }
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const ds = this.dsInf.indexer.get(key);
    if (!ds || ds.metadata?.deletionTimestamp) return {};
    const now = this.clock.now();
    const { hash, history } = await this.revisions(ds);
    const pods = this.podInf.indexer.byIndex(controllerUidIndex, ds.metadata?.uid ?? '').filter((p) => !p.metadata?.deletionTimestamp);
    const nodes = this.nodeInf.indexer.list().sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    const byNode = new Map<string, Pod[]>();
    for (const p of pods) {
      const n = nodeOfPod(p) ?? '';
      byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const satisfied = this.expectations.satisfied(key);
    const toCreate: string[] = [];
    const toDelete: Pod[] = [];
    const states: NodeState[] = [];
    const status: DaemonSetStatus = {
      currentNumberScheduled: 0,
      desiredNumberScheduled: 0,
      numberMisscheduled: 0,
      numberReady: 0,
      numberAvailable: 0,
      updatedNumberScheduled: 0,
      observedGeneration: ds.metadata?.generation,
      collisionCount: ds.status?.collisionCount,
    };
    const surgeAllowed = ds.spec?.updateStrategy?.type !== 'OnDelete' && rollingLimits(ds, 1).maxSurge > 0;

    for (const node of nodes) {
      const name = node.metadata?.name ?? '';
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
      let daemonPods = (byNode.get(name) ?? []).sort((a, b) => created(a) - created(b));
      byNode.delete(name);
      if (shouldRun) status.desiredNumberScheduled!++;
      if (!shouldContinueRunning) {
        if (daemonPods.some((p) => p.spec?.nodeName)) status.numberMisscheduled!++;
        toDelete.push(...daemonPods);
        continue;
      }
      const failed = daemonPods.filter((p) => p.status?.phase === 'Failed');
      for (const p of failed) this.recorder.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${keyOf(p)} on node ${name}, will try to kill it`);
      toDelete.push(...failed);
      daemonPods = daemonPods.filter((p) => p.status?.phase !== 'Failed');
      if (daemonPods.length === 0) {
        if (shouldRun) {
          toCreate.push(name);
          // A node without a pod counts as unavailable in the rolling-update budget.
          states.push({ node: name, newAvailable: false, oldPods: [], oldAvailable: false });
        }
        continue;
      }
      // Too many pods: keep the oldest (and, while surging, the newest pod of the current revision).
      const newest = daemonPods.filter((p) => p.metadata?.labels?.[revisionHashLabel] === hash).pop();
      const keep = new Set<Pod>([daemonPods[0]!]);
      if (surgeAllowed && newest) keep.add(newest);
      const extra = daemonPods.filter((p) => !keep.has(p));
      toDelete.push(...extra);
      daemonPods = daemonPods.filter((p) => keep.has(p));
      if (!shouldRun) continue;
      status.currentNumberScheduled!++;
      const newPod = daemonPods.find((p) => p.metadata?.labels?.[revisionHashLabel] === hash);
      const oldPods = daemonPods.filter((p) => p !== newPod);
      const counted = newPod ?? daemonPods[0]!;
      if (isPodReady(counted)) status.numberReady!++;
      if (isPodAvailable(counted, minReady, now)) status.numberAvailable!++;
      if (newPod) status.updatedNumberScheduled!++;
      states.push({
        node: name,
        newPod,
        newAvailable: !!newPod && isPodAvailable(newPod, minReady, now),
        oldPods,
        oldAvailable: oldPods.some((p) => isPodAvailable(p, minReady, now)),
      });
    }
    // Pods on nodes that no longer exist.
    for (const [, ps] of byNode) toDelete.push(...ps);
    status.numberUnavailable = status.desiredNumberScheduled! - status.numberAvailable!;

    let requeueAfterMs: number | undefined;
    if (satisfied) {
      if (ds.spec?.updateStrategy?.type !== 'OnDelete') {
        const { maxSurge, maxUnavailable } = rollingLimits(ds, status.desiredNumberScheduled!);
        const step = rollingUpdateStep(states, maxSurge, maxUnavailable);
        toDelete.push(...step.deletePods);
        toCreate.push(...step.surgeNodes);
      }
      await this.sync(ds, key, hash, toCreate, [...new Set(toDelete)]);
      await this.truncateHistory(ds, history, pods);
    }
    if (minReady > 0 && status.numberAvailable! < status.numberReady!) requeueAfterMs = 1000;
    if (JSON.stringify(ds.status ?? {}) !== JSON.stringify({ ...(ds.status ?? {}), ...status })) {
      await this.opts.client.typed(resources.daemonSets).updateStatus({ ...ds, status: { ...(ds.status ?? {}), ...status } }, { namespace: ds.metadata?.namespace });
    }
    return requeueAfterMs ? { requeueAfterMs } : {};
  }

  private async sync(ds: DaemonSet, key: string, hash: string, createOn: string[], del: Pod[]): Promise<void> {
    this.expectations.expect(key, createOn.length, del);
    const ns = ds.metadata?.namespace;
    await Promise.all([
      ...createOn.map(async (node) => {
        try {
          const p = await this.opts.client.typed(resources.pods).create(podForNode(ds, node, hash), { namespace: ns });
          this.recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata?.name}`);
        } catch (e) {
          this.expectations.creationObserved(key);
          this.recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
          throw e;
        }
      }),
      ...del.map(async (p) => {
        try {
          await this.opts.client.typed(resources.pods).delete(p.metadata!.name!, { namespace: ns, preconditions: { uid: p.metadata?.uid } });
          this.recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata?.name}`);
        } catch (e) {
          this.expectations.deletionObserved(key, p);
          if (!isNotFound(e)) throw e;
        }
      }),
    ]);
  }

  /** Old revisions beyond revisionHistoryLimit that no pod uses are deleted, oldest first. */
  private async truncateHistory(ds: DaemonSet, history: ControllerRevision[], pods: Pod[]): Promise<void> {
    const limit = ds.spec?.revisionHistoryLimit ?? 10;
    const inUse = new Set(pods.map((p) => p.metadata?.labels?.[revisionHashLabel]));
    const removable = history.filter((r) => !inUse.has(r.metadata?.labels?.[revisionHashLabel]));
    for (const r of removable.slice(0, Math.max(0, removable.length - limit))) {
      await this.opts.client
        .typed(controllerRevisions)
        .delete(r.metadata!.name!, { namespace: ds.metadata?.namespace })
        .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
    }
  }
}
