// The Endpoints controller (upstream pkg/controller/endpoint): keeps one Endpoints object per Service with a
// selector, named like the Service, listing its pods' addresses (ready / not ready) per resolved port set.
// Keys are Service "namespace/name"; pod and Endpoints changes map back to Services. Services without a
// selector are left alone (their Endpoints are the user's); a deleted Service's Endpoints are deleted.
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../client/client.js';
import { byNamespace, namespaceIndex, splitKey } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter } from '../../client/rate-limiter.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue } from '../../client/workqueue.js';
import { desiredEndpoints, overCapacityAnnotation } from './desired.js';
import { endpointLabels, selectsPod } from './pod-endpoints.js';

export interface EndpointsControllerOptions {
  client: ApiClient;
  informers: InformerFactory;
  log?: (line: string) => void;
  /** upstream --concurrent-endpoint-syncs (5). */
  workers?: number;
}

/** Services (as queue keys) that select any of these pods. */
export function servicesForPods(services: Informer<Service>, ...pods: (Pod | undefined)[]): string[] {
  const keys = new Set<string>();
  for (const pod of pods) {
    if (!pod?.metadata?.namespace) continue;
    for (const svc of services.indexer.byIndex(namespaceIndex, pod.metadata.namespace)) {
      if (selectsPod(svc, pod)) keys.add(`${svc.metadata!.namespace}/${svc.metadata!.name}`);
    }
  }
  return [...keys];
}

export function ensureNamespaceIndex<T extends { metadata?: { namespace?: string } }>(inf: Informer<T & { metadata?: object }>): void {
  if (!inf.hasIndex(namespaceIndex)) inf.addIndexers({ [namespaceIndex]: byNamespace as (o: T) => string[] });
}

export function hasSelector(svc: Service): boolean {
  return !!svc.spec?.selector && Object.keys(svc.spec.selector).length > 0 && svc.spec.type !== 'ExternalName';
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export class EndpointsController {
  private readonly services: Informer<Service>;
  private readonly pods: Informer<Pod>;
  private readonly endpoints: Informer<Endpoints>;
  private readonly queue = new WorkQueue({
    name: 'endpoint',
    rateLimiter: new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 1000_000), new BucketRateLimiter(10, 100)),
  });
  private readonly log: (line: string) => void;
  private readonly removers: (() => void)[] = [];
  private workers: Promise<void> | undefined;

  constructor(private readonly opts: EndpointsControllerOptions) {
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.services = opts.informers.informerFor(resources.services);
    this.pods = opts.informers.informerFor(resources.pods);
    this.endpoints = opts.informers.informerFor(resources.endpoints);
    ensureNamespaceIndex(this.services);
    ensureNamespaceIndex(this.pods);
    const svcKey = (s: { metadata?: { namespace?: string; name?: string } }) => this.queue.add(`${s.metadata?.namespace}/${s.metadata?.name}`);
    const podKeys = (...p: (Pod | undefined)[]) => {
      for (const k of servicesForPods(this.services, ...p)) this.queue.add(k);
    };
    this.removers.push(
      this.services.addEventHandler({ onAdd: svcKey, onUpdate: (_o, n) => svcKey(n), onDelete: svcKey }),
      this.pods.addEventHandler({ onAdd: (p) => podKeys(p), onUpdate: (o, n) => podKeys(o, n), onDelete: (p) => podKeys(p) }),
      this.endpoints.addEventHandler({
        onDelete: (ep) => {
          if (this.services.indexer.has(`${ep.metadata?.namespace}/${ep.metadata?.name}`)) svcKey(ep);
        },
      }),
    );
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.services.waitForSync(signal), this.pods.waitForSync(signal), this.endpoints.waitForSync(signal)]);
    if (this.queue.shuttingDown) return;
    this.workers = runWorkers(this.queue, this.opts.workers ?? 5, (key) => this.reconcile(key), {
      onError: (key, err) => this.log(`endpoints controller: syncing service ${key}: ${(err as Error)?.message ?? String(err)}`),
    });
  }

  async stop(): Promise<void> {
    for (const r of this.removers.splice(0)) r();
    this.queue.shutdown();
    await this.workers;
  }

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.indexer.get(key);
    const current = this.endpoints.indexer.get(key);
    if (!svc) {
      if (current) await this.ignore404(this.opts.client.delete(resources.endpoints, name, { namespace }));
      return;
    }
    if (!hasSelector(svc)) return;
    const pods = this.pods.indexer.byIndex(namespaceIndex, namespace ?? '').filter((p) => selectsPod(svc, p));
    const { subsets, truncated } = desiredEndpoints(svc, pods);
    const labels = endpointLabels(svc);
    const annotations: Record<string, string> = { ...(current?.metadata?.annotations ?? {}) };
    if (truncated) annotations[overCapacityAnnotation] = 'truncated';
    else delete annotations[overCapacityAnnotation];

    if (!current) {
      const ep: Endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, labels } };
      if (subsets.length) ep.subsets = subsets; // upstream omits an empty list
      if (Object.keys(annotations).length) ep.metadata!.annotations = annotations;
      try {
        await this.opts.client.create(resources.endpoints, ep, { namespace });
      } catch (e) {
        const err = e as { code?: number; message?: string };
        if (err.code === 403 && /being terminated/.test(err.message ?? '')) return;
        throw e;
      }
      return;
    }
    const curSubsets = current.subsets ?? [];
    if (sameJson(curSubsets, subsets) && sameJson(current.metadata?.labels ?? {}, labels) && sameJson(current.metadata?.annotations ?? {}, annotations)) return;
    const next: Endpoints = { ...current, metadata: { ...current.metadata, labels, annotations }, subsets };
    if (!subsets.length) delete next.subsets;
    await this.opts.client.update(resources.endpoints, next, { namespace });
  }

  private async ignore404(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
  }
}
