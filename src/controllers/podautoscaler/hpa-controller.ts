// The horizontal pod autoscaler controller (upstream pkg/controller/podautoscaler/horizontal.go): every sync
// period each HorizontalPodAutoscaler (autoscaling/v2; v1 objects are the same stored objects) reads its
// target's /scale subresource, asks decide.ts for the new size, status and events, resizes the target
// through /scale and writes status when it changed. As upstream, every enqueue waits one sync period and a
// key already waiting is not added again, so an HPA is processed once per period. The recommendation and
// scale-event history lives here, per HPA key, and is forgotten when the HPA is deleted.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerStatus } from 'kubernetes-types/autoscaling/v2.js';
import type { ApiClient } from '../../client/client.js';
import { namespaceIndex } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue } from '../../client/workqueue.js';
import { deepEqual } from '../../util/deep-equal.js';
import type { LabelSelector } from '../../util/label-selector.js';
import { labelPairs, pinnedPair } from '../../util/label-pairs.js';
import { ensureNamespaceIndex } from '../endpoints/endpoints-controller.js';
import { newEventRecorder, type EventRecorder } from '../../client/event-recorder.js';
import { failedGetScale, failedRescale, syncHpa, type MetricsSource, type SyncResult } from './decide.js';
import { HpaSelectors } from './hpa-selectors.js';
import { ApiMetricsSource } from './metrics-client.js';
import { newScaleHistory, type ScaleHistory } from './normalize.js';
import { defaultCalculatorOptions, type CalculatorOptions } from './replica-calculator.js';

export interface HpaControllerOptions {
  client: ApiClient;
  informers: InformerFactory;
  log?: (line: string) => void;
  /** --horizontal-pod-autoscaler-sync-period, default 15 s. */
  syncPeriodMs?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization, default 5 min. */
  downscaleStabilizationMs?: number;
  calculator?: Partial<CalculatorOptions>;
  workers?: number;
  /** Default: the metrics APIs through `client`. */
  metrics?: MetricsSource;
  now?: () => number;
}

export const defaultHpaSyncPeriodMs = 15_000;
const labelPairIndex = 'hpa-label-pair';

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class HpaController {
  private readonly hpas: Informer<HorizontalPodAutoscaler>;
  private readonly pods: Informer<Pod>;
  private readonly queue = new WorkQueue({ name: 'horizontalpodautoscaler' });
  private readonly history = new Map<string, ScaleHistory>();
  /** Which HPA selects which pods (AmbiguousSelector). */
  private readonly selectors = new HpaSelectors();
  private readonly log: (line: string) => void;
  private readonly events: EventRecorder;
  private readonly metrics: MetricsSource;
  private readonly syncPeriodMs: number;
  private readonly calculator: CalculatorOptions;
  private readonly now: () => number;
  private readonly removers: (() => void)[] = [];
  private workers: Promise<void> | undefined;
  /** Completed reconciles (for tests and benchmarks). */
  syncs = 0;

  constructor(private readonly opts: HpaControllerOptions) {
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.metrics = opts.metrics ?? new ApiMetricsSource(opts.client);
    this.syncPeriodMs = opts.syncPeriodMs ?? defaultHpaSyncPeriodMs;
    const c = opts.calculator ?? {};
    this.calculator = {
      tolerance: c.tolerance ?? defaultCalculatorOptions.tolerance,
      cpuInitializationPeriodMs: c.cpuInitializationPeriodMs ?? defaultCalculatorOptions.cpuInitializationPeriodMs,
      delayOfInitialReadinessStatusMs: c.delayOfInitialReadinessStatusMs ?? defaultCalculatorOptions.delayOfInitialReadinessStatusMs,
    };
    this.now = opts.now ?? Date.now;
    // A failure repeating every sync counts into one Event, as client-go's correlator does.
    this.events = newEventRecorder(opts.client, 'horizontal-pod-autoscaler', { now: this.now }, this.log, { aggregate: true });
    this.hpas = opts.informers.informerFor(resources.horizontalPodAutoscalers);
    this.pods = opts.informers.informerFor(resources.pods);
    ensureNamespaceIndex(this.pods);
    // Scale selectors nearly always pin a label (app=web): pods are found by index, not by scanning.
    if (!this.pods.hasIndex(labelPairIndex)) this.pods.addIndexers({ [labelPairIndex]: (p: Pod) => labelPairs(p.metadata?.labels, p.metadata?.namespace ?? '') });
    const enqueue = (h: HorizontalPodAutoscaler) => {
      const key = `${h.metadata?.namespace}/${h.metadata?.name}`;
      if (!this.selectors.has(key)) this.selectors.put(key, h.metadata?.namespace ?? '', undefined);
      this.queue.addAfter(key, this.syncPeriodMs);
    };
    this.removers.push(
      this.hpas.addEventHandler({
        onAdd: enqueue,
        onUpdate: (_o, n) => enqueue(n),
        onDelete: (h) => {
          this.history.delete(`${h.metadata?.namespace}/${h.metadata?.name}`);
          this.selectors.delete(`${h.metadata?.namespace}/${h.metadata?.name}`);
          this.events.forget(h.metadata?.uid);
        },
      }),
    );
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.hpas.waitForSync(signal), this.pods.waitForSync(signal)]);
    if (this.queue.shuttingDown) return;
    this.workers = runWorkers(this.queue, this.opts.workers ?? 5, (key) => this.reconcile(key), {
      onError: (key, err) => this.log(`horizontal-pod-autoscaler: ${key}: ${errText(err)}`),
    });
  }

  async stop(): Promise<void> {
    for (const r of this.removers.splice(0)) r();
    this.queue.shutdown();
    await this.workers;
  }

  /** Pods of a namespace matching a selector (the controller's pod lister). */
  private listPods(namespace: string, selector: LabelSelector): Pod[] {
    const pinned = pinnedPair(selector, namespace);
    const candidates = pinned ? this.pods.indexer.byIndex(labelPairIndex, pinned) : this.pods.indexer.byIndex(namespaceIndex, namespace);
    return candidates.filter((p) => selector.matches(p.metadata?.labels ?? {}));
  }

  async reconcile(key: string): Promise<{ requeueAfterMs: number } | void> {
    const hpa = this.hpas.indexer.get(key);
    if (!hpa) {
      this.history.delete(key);
      this.selectors.delete(key);
      return;
    }
    try {
      await this.sync(key, hpa);
    } catch (err) {
      this.log(`horizontal-pod-autoscaler: ${key}: ${errText(err)}`);
    }
    this.syncs++;
    return { requeueAfterMs: this.syncPeriodMs };
  }

  private async sync(key: string, hpa: HorizontalPodAutoscaler): Promise<void> {
    const client = this.opts.client;
    const ns = hpa.metadata?.namespace ?? '';
    const ref = hpa.spec?.scaleTargetRef;
    let history = this.history.get(key);
    if (!history) this.history.set(key, (history = newScaleHistory()));
    let target;
    let scale;
    try {
      target = await client.resourceFor(ref?.apiVersion ?? '', ref?.kind ?? '');
      scale = await client.getScale(target, ref?.name ?? '', { namespace: ns });
    } catch (e) {
      const msg = target ? errText(e) : `unable to determine resource for scale target reference: ${errText(e)}`;
      return this.apply(hpa, failedGetScale(hpa, msg, this.now()));
    }
    // One pod listing per selector and sync (the selector check and every metric use it).
    let listed: { sel: LabelSelector; pods: Pod[] } | undefined;
    const listPods = (sel: LabelSelector): Pod[] => (listed?.sel === sel ? listed.pods : (listed = { sel, pods: this.listPods(ns, sel) }).pods);
    let result = await syncHpa({
      hpa,
      scale: { specReplicas: scale.spec?.replicas ?? 0, statusReplicas: scale.status?.replicas ?? 0, selector: scale.status?.selector },
      listPods,
      selectingHpas: (sel) => {
        if (this.selectors.has(key)) this.selectors.put(key, ns, sel);
        return this.selectors.selecting(ns, listPods(sel).map((p) => ({ labels: p.metadata?.labels })));
      },
      metrics: this.metrics,
      history,
      nowMs: this.now(),
      options: this.calculator,
      downscaleStabilizationMs: this.opts.downscaleStabilizationMs,
    });
    if (result.scaleTo !== undefined) {
      try {
        await client.updateScale(target, ref!.name, { ...scale, spec: { ...scale.spec, replicas: result.scaleTo } }, { namespace: ns });
      } catch (e) {
        result = failedRescale(result, hpa, scale.spec?.replicas ?? 0, errText(e), this.now());
      }
    }
    await this.apply(hpa, result);
  }

  private async apply(hpa: HorizontalPodAutoscaler, result: SyncResult): Promise<void> {
    const reference = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: hpa.metadata?.namespace, name: hpa.metadata?.name, uid: hpa.metadata?.uid };
    for (const e of result.events) this.events.event(reference, e.type, e.reason, e.message);
    if (!statusEqual(hpa.status, result.status)) {
      await this.opts.client.updateStatus(resources.horizontalPodAutoscalers, { ...hpa, status: result.status }, { namespace: hpa.metadata?.namespace });
    }
    if (result.error) this.log(`horizontal-pod-autoscaler: ${hpa.metadata?.namespace}/${hpa.metadata?.name}: ${result.error}`);
  }
}

/** Status equality as JSON (undefined fields are absent; quantities are written canonical already). */
function statusEqual(a: HorizontalPodAutoscalerStatus | undefined, b: HorizontalPodAutoscalerStatus): boolean {
  return deepEqual(a ?? {}, b);
}
