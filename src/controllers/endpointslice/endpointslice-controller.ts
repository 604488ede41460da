// The EndpointSlice controller (upstream pkg/controller/endpointslice): for every Service with a selector,
// EndpointSlices labelled kubernetes.io/service-name and managed-by endpointslice-controller.k8s.io, owned by
// the Service, at most maxEndpointsPerSlice endpoints each, with ready/serving/terminating conditions.
// Keys are Service "namespace/name"; pod and slice changes map back to Services. Slices of other managers
// are never touched; a deleted Service's slices go with it through the garbage collector (owner reference).
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ApiClient } from '../../client/client.js';
import { namespaceIndex, splitKey } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter } from '../../client/rate-limiter.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import { ensureNamespaceIndex, servicesForPods } from '../endpoints/endpoints-controller.js';
import { endpointLabels, selectsPod } from '../endpoints/pod-endpoints.js';
import { controllerName, defaultMaxEndpointsPerSlice, desiredEndpointGroups, managedByLabel, planSlices, serviceNameLabel, type EndpointGroup } from './desired.js';

export interface EndpointSliceControllerOptions {
  client: ApiClient;
  informers: InformerFactory;
  log?: (line: string) => void;
  /** upstream --max-endpoints-per-slice (100). */
  maxEndpointsPerSlice?: number;
  /** upstream --concurrent-service-endpoint-syncs (5). */
  workers?: number;
}

const serviceIndex = 'endpointslice-service';

/** Labels a managed slice carries (service labels, minus the ones the controller owns, plus its own). */
export function sliceLabels(svc: Service): Record<string, string> {
  const out = endpointLabels(svc);
  out[serviceNameLabel] = svc.metadata?.name ?? '';
  out[managedByLabel] = controllerName;
  return out;
}

export function isManaged(slice: EndpointSlice): boolean {
  return slice.metadata?.labels?.[managedByLabel] === controllerName && !!slice.metadata.labels[serviceNameLabel];
}

export class EndpointSliceController {
  private readonly services: Informer<Service>;
  private readonly pods: Informer<Pod>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly queue = new WorkQueue({
    name: 'endpoint_slice',
    rateLimiter: new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 1000_000), new BucketRateLimiter(10, 100)),
  });
  private readonly log: (line: string) => void;
  private readonly removers: (() => void)[] = [];
  private readonly max: number;
  private workers: Promise<void> | undefined;
  /** Writes not yet seen in the slice cache, per service key (upstream endpointSliceTracker). */
  private readonly expectations = new Map<string, { present: Map<string, number>; absent: Set<string>; until: number }>();

  constructor(private readonly opts: EndpointSliceControllerOptions) {
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.max = opts.maxEndpointsPerSlice ?? defaultMaxEndpointsPerSlice;
    this.services = opts.informers.informerFor(resources.services);
    this.pods = opts.informers.informerFor(resources.pods);
    this.slices = opts.informers.informerFor(resources.endpointSlices);
    ensureNamespaceIndex(this.services);
    ensureNamespaceIndex(this.pods);
    if (!this.slices.hasIndex(serviceIndex)) {
      this.slices.addIndexers({ [serviceIndex]: (s) => (isManaged(s) ? [`${s.metadata!.namespace}/${s.metadata!.labels![serviceNameLabel]}`] : []) });
    }
    const svcKey = (s: Service) => this.queue.add(`${s.metadata?.namespace}/${s.metadata?.name}`);
    const podKeys = (...p: (Pod | undefined)[]) => {
      for (const k of servicesForPods(this.services, ...p)) this.queue.add(k);
    };
    const sliceKey = (s: EndpointSlice) => {
      if (isManaged(s)) this.queue.add(`${s.metadata!.namespace}/${s.metadata!.labels![serviceNameLabel]}`);
    };
    this.removers.push(
      this.services.addEventHandler({ onAdd: svcKey, onUpdate: (_o, n) => svcKey(n), onDelete: svcKey }),
      this.pods.addEventHandler({ onAdd: (p) => podKeys(p), onUpdate: (o, n) => podKeys(o, n), onDelete: (p) => podKeys(p) }),
      this.slices.addEventHandler({ onAdd: sliceKey, onUpdate: (_o, n) => sliceKey(n), onDelete: sliceKey }),
    );
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.services.waitForSync(signal), this.pods.waitForSync(signal), this.slices.waitForSync(signal)]);
    if (this.queue.shuttingDown) return;
    this.workers = runWorkers(this.queue, this.opts.workers ?? 5, (key) => this.reconcile(key), {
      onError: (key, err) => this.log(`endpointslice controller: syncing service ${key}: ${(err as Error)?.message ?? String(err)}`),
    });
  }

  async stop(): Promise<void> {
    for (const r of this.removers.splice(0)) r();
    this.queue.shutdown();
    await this.workers;
  }

  /** True while this controller's own earlier writes for the service are not in the cache yet. */
  private cacheBehind(key: string, namespace: string): boolean {
    const exp = this.expectations.get(key);
    if (!exp) return false;
    if (Date.now() > exp.until) {
      this.expectations.delete(key);
      return false;
    }
    for (const [name, rv] of exp.present) {
      const s = this.slices.indexer.get(`${namespace}/${name}`);
      if (!s || Number(s.metadata?.resourceVersion ?? 0) < rv) return true;
    }
    for (const name of exp.absent) if (this.slices.indexer.has(`${namespace}/${name}`)) return true;
    this.expectations.delete(key);
    return false;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace = '' } = splitKey(key);
    if (this.cacheBehind(key, namespace)) return { requeueAfterMs: 50 };
    const exp = { present: new Map<string, number>(), absent: new Set<string>(), until: Date.now() + 10_000 };
    try {
      await this.sync(key, namespace, exp);
    } finally {
      if (exp.present.size || exp.absent.size) this.expectations.set(key, exp);
    }
  }

  private async sync(key: string, namespace: string, exp: { present: Map<string, number>; absent: Set<string> }): Promise<void> {
    const svc = this.services.indexer.get(key);
    const existing = this.slices.indexer.byIndex(serviceIndex, key).filter((s) => !s.metadata?.deletionTimestamp);
    if (!svc) return; // the garbage collector removes owned slices
    const owned = existing.filter((s) => (s.metadata?.ownerReferences ?? []).some((r) => r.uid === svc.metadata?.uid) || !(s.metadata?.ownerReferences ?? []).length);
    if (svc.spec?.type === 'ExternalName') {
      for (const s of owned) {
        await this.deleteSlice(s);
        exp.absent.add(s.metadata!.name!);
      }
      return;
    }
    if (!svc.spec?.selector || Object.keys(svc.spec.selector).length === 0) return;

    const pods = this.pods.indexer.byIndex(namespaceIndex, namespace ?? '').filter((p) => selectsPod(svc, p));
    const plan = planSlices(owned, desiredEndpointGroups(svc, pods), this.max);
    const labels = sliceLabels(svc);
    const c = this.opts.client;
    for (const g of plan.create) {
      try {
        const made = await c.create(resources.endpointSlices, this.newSlice(svc, labels, g), { namespace });
        exp.present.set(made.metadata!.name!, Number(made.metadata?.resourceVersion ?? 0));
      } catch (e) {
        const err = e as { code?: number; message?: string };
        if (err.code === 403 && /being terminated/.test(err.message ?? '')) return;
        throw e;
      }
    }
    const updated = new Set<EndpointSlice>();
    for (const u of plan.update) {
      updated.add(u.slice);
      const done = await c.update(resources.endpointSlices, { ...u.slice, metadata: { ...u.slice.metadata, labels: { ...u.slice.metadata?.labels, ...labels } }, ports: u.ports, endpoints: u.endpoints }, { namespace });
      exp.present.set(done.metadata!.name!, Number(done.metadata?.resourceVersion ?? 0));
    }
    for (const s of plan.delete) {
      await this.deleteSlice(s);
      exp.absent.add(s.metadata!.name!);
    }
    const deleted = new Set(plan.delete);
    for (const s of owned) {
      if (updated.has(s) || deleted.has(s)) continue;
      const cur = s.metadata?.labels ?? {};
      if (Object.entries(labels).some(([k, v]) => cur[k] !== v)) {
        const done = await c.update(resources.endpointSlices, { ...s, metadata: { ...s.metadata, labels: { ...cur, ...labels } } }, { namespace });
        exp.present.set(done.metadata!.name!, Number(done.metadata?.resourceVersion ?? 0));
      }
    }
  }

  private newSlice(svc: Service, labels: Record<string, string>, g: EndpointGroup): EndpointSlice {
    return {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        generateName: `${svc.metadata?.name}-`,
        labels,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata!.name!, uid: svc.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
      },
      addressType: 'IPv4',
      ports: g.ports,
      endpoints: g.endpoints,
    };
  }

  private async deleteSlice(s: EndpointSlice): Promise<void> {
    try {
      await this.opts.client.delete(resources.endpointSlices, s.metadata!.name!, { namespace: s.metadata!.namespace });
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
  }
}
