// The disruption controller (upstream pkg/controller/disruption): keeps every PodDisruptionBudget's status
// (expected / desired / current healthy pods, disruptionsAllowed, DisruptionAllowed condition,
// observedGeneration) in line with the pods its selector picks and their controllers' scale, and drops stale
// status.disruptedPods entries. The pods/eviction subresource in the API server consumes disruptionsAllowed;
// this controller never evicts or deletes anything. Keys are PDB "namespace/name".
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { ApiClient } from '../../client/client.js';
import { namespaceIndex, splitKey } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter } from '../../client/rate-limiter.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import { labelSelectorFromObject } from '../../util/label-selector.js';
import { ensureNamespaceIndex } from '../endpoints/endpoints-controller.js';
import { newEventRecorder, type EventRecorder } from '../../client/event-recorder.js';
import { realClock } from '../../client/clock.js';
import { activeDisruptedPods, countHealthy, expectedPods, failSafeStatus, pdbStatus, type ScaleLookup } from './decisions.js';
import { rfc3339 } from '../../util/wire-time.js';

export interface DisruptionControllerOptions {
  client: ApiClient;
  informers: InformerFactory;
  log?: (line: string) => void;
  workers?: number;
  now?: () => number;
}

/** JSON with sorted keys and empty strings dropped (the server may omit them), for change detection. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x === '') return undefined;
    if (x && typeof x === 'object' && !Array.isArray(x)) return Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return x;
  });
}

export function pdbSelects(pdb: PodDisruptionBudget, pod: Pod): boolean {
  if ((pdb.metadata?.namespace ?? '') !== (pod.metadata?.namespace ?? '')) return false;
  try {
    return labelSelectorFromObject(pdb.spec?.selector).matches(pod.metadata?.labels ?? {});
  } catch {
    return false;
  }
}

export class DisruptionController {
  private readonly pdbs: Informer<PodDisruptionBudget>;
  private readonly pods: Informer<Pod>;
  private readonly replicaSets: Informer<ReplicaSet>;
  private readonly deployments: Informer<Deployment>;
  private readonly statefulSets: Informer<StatefulSet>;
  private readonly queue = new WorkQueue({
    name: 'disruption',
    rateLimiter: new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 1000_000), new BucketRateLimiter(10, 100)),
  });
  private readonly log: (line: string) => void;
  private readonly events: EventRecorder;
  private readonly now: () => number;
  private readonly removers: (() => void)[] = [];
  private workers: Promise<void> | undefined;

  constructor(private readonly opts: DisruptionControllerOptions) {
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.now = opts.now ?? Date.now;
    this.events = newEventRecorder(opts.client, 'controllermanager', realClock, this.log);
    this.pdbs = opts.informers.informerFor(resources.podDisruptionBudgets);
    this.pods = opts.informers.informerFor(resources.pods);
    this.replicaSets = opts.informers.informerFor(resources.replicaSets);
    this.deployments = opts.informers.informerFor(resources.deployments);
    this.statefulSets = opts.informers.informerFor(resources.statefulSets);
    ensureNamespaceIndex(this.pdbs);
    ensureNamespaceIndex(this.pods);
    const pdbKey = (p: PodDisruptionBudget) => this.queue.add(`${p.metadata?.namespace}/${p.metadata?.name}`);
    const forPods = (...pods: (Pod | undefined)[]) => {
      for (const pod of pods) {
        if (!pod?.metadata?.namespace) continue;
        for (const pdb of this.pdbs.indexer.byIndex(namespaceIndex, pod.metadata.namespace)) if (pdbSelects(pdb, pod)) pdbKey(pdb);
      }
    };
    // A controller's scale changed: every budget of its namespace may count it.
    const forNamespace = (o: { metadata?: { namespace?: string } }) => {
      for (const pdb of this.pdbs.indexer.byIndex(namespaceIndex, o.metadata?.namespace ?? '')) pdbKey(pdb);
    };
    const scaleChanged = (a: { spec?: { replicas?: number } }, b: { spec?: { replicas?: number }; metadata?: { namespace?: string } }) => {
      if (a.spec?.replicas !== b.spec?.replicas) forNamespace(b);
    };
    this.removers.push(
      this.pdbs.addEventHandler({ onAdd: pdbKey, onUpdate: (_o, n) => pdbKey(n) }),
      this.pods.addEventHandler({ onAdd: (p) => forPods(p), onUpdate: (o, n) => forPods(o, n), onDelete: (p) => forPods(p) }),
      this.replicaSets.addEventHandler({ onAdd: forNamespace, onUpdate: scaleChanged, onDelete: forNamespace }),
      this.deployments.addEventHandler({ onAdd: forNamespace, onUpdate: scaleChanged, onDelete: forNamespace }),
      this.statefulSets.addEventHandler({ onAdd: forNamespace, onUpdate: scaleChanged, onDelete: forNamespace }),
    );
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.pdbs, this.pods, this.replicaSets, this.deployments, this.statefulSets].map((i) => i.waitForSync(signal)));
    if (this.queue.shuttingDown) return;
    this.workers = runWorkers(this.queue, this.opts.workers ?? 1, (key) => this.reconcile(key), {
      onError: (key, err) => this.log(`disruption controller: syncing PodDisruptionBudget ${key}: ${(err as Error)?.message ?? String(err)}`),
    });
  }

  async stop(): Promise<void> {
    for (const r of this.removers.splice(0)) r();
    this.queue.shutdown();
    await this.workers;
  }

  /** The pod's controller scale (upstream finders: ReplicaSet→Deployment, StatefulSet, else scale subresource). */
  private async scaleLookup(pods: Pod[]): Promise<ScaleLookup> {
    const generic = new Map<string, { uid: string; replicas: number } | 'unknown'>();
    for (const pod of pods) {
      const ref = pod.metadata?.ownerReferences?.find((r) => r.controller);
      if (!ref || ['ReplicaSet', 'StatefulSet'].includes(ref.kind) && ref.apiVersion === 'apps/v1') continue;
      if (generic.has(ref.uid)) continue;
      try {
        const rt = await this.opts.client.resourceFor(ref.apiVersion, ref.kind);
        const scale = await this.opts.client.getScale(rt, ref.name, { namespace: pod.metadata?.namespace });
        generic.set(ref.uid, scale.metadata?.uid === ref.uid || !scale.metadata?.uid ? { uid: ref.uid, replicas: scale.spec?.replicas ?? 0 } : 'unknown');
      } catch {
        generic.set(ref.uid, 'unknown');
      }
    }
    return (pod) => {
      const ns = pod.metadata?.namespace ?? '';
      const ref = pod.metadata?.ownerReferences?.find((r) => r.controller);
      if (!ref) return undefined;
      if (ref.kind === 'ReplicaSet' && ref.apiVersion === 'apps/v1') {
        const rs = this.replicaSets.indexer.get(`${ns}/${ref.name}`);
        if (!rs || rs.metadata?.uid !== ref.uid) return 'unknown';
        const dref = rs.metadata?.ownerReferences?.find((r) => r.controller && r.kind === 'Deployment');
        if (dref) {
          const d = this.deployments.indexer.get(`${ns}/${dref.name}`);
          if (d && d.metadata?.uid === dref.uid) return { uid: dref.uid, replicas: d.spec?.replicas ?? 1 };
          return 'unknown';
        }
        return { uid: ref.uid, replicas: rs.spec?.replicas ?? 1 };
      }
      if (ref.kind === 'StatefulSet' && ref.apiVersion === 'apps/v1') {
        const ss = this.statefulSets.indexer.get(`${ns}/${ref.name}`);
        if (!ss || ss.metadata?.uid !== ref.uid) return 'unknown';
        return { uid: ref.uid, replicas: ss.spec?.replicas ?? 1 };
      }
      return generic.get(ref.uid) ?? 'unknown';
    };
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const pdb = this.pdbs.indexer.get(key);
    if (!pdb || pdb.metadata?.deletionTimestamp) return {};
    const { namespace } = splitKey(key);
    const now = this.now();
    const nowText = rfc3339(now);
    const ref = { kind: 'PodDisruptionBudget', apiVersion: 'policy/v1', namespace, name: pdb.metadata?.name, uid: pdb.metadata?.uid };
    const pods = this.pods.indexer.byIndex(namespaceIndex, namespace ?? '').filter((p) => pdbSelects(pdb, p));
    // Events go out with status changes only, so a steady budget does not repeat them on every sync.
    const events: [type: 'Normal' | 'Warning', reason: string, message: string][] = [];
    if (pods.length === 0) events.push(['Normal', 'NoPods', 'No matching pods found']);

    let status;
    let recheckAt: number | undefined;
    try {
      const exp = expectedPods(pdb, pods, await this.scaleLookup(pods));
      if (exp.unmanagedPods.length) {
        events.push([
          'Warning',
          'UnmanagedPods',
          `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec?.selector ?? {})}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
        ]);
      }
      const disrupted = activeDisruptedPods(pdb.status?.disruptedPods, pods, now);
      recheckAt = disrupted.recheckAt;
      status = pdbStatus(pdb, exp, countHealthy(pods, disrupted.map), disrupted.map, nowText);
    } catch (e) {
      const message = (e as Error).message;
      events.push(['Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${message}`]);
      status = failSafeStatus(pdb, message, nowText);
    }
    if (canonical(status) !== canonical(pdb.status ?? {})) {
      for (const [type, reason, message] of events) this.events.event(ref, type, reason, message);
      try {
        await this.opts.client.updateStatus<PodDisruptionBudget>(resources.podDisruptionBudgets, { ...pdb, status }, { namespace });
      } catch (e) {
        if ((e as { code?: number }).code === 404) return {};
        throw e;
      }
    }
    return recheckAt === undefined ? {} : { requeueAfterMs: Math.max(10, recheckAt - now + 10) };
  }
}
