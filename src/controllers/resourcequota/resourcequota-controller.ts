// The ResourceQuota controller (upstream pkg/controller/resourcequota): keeps every quota's status.hard
// (= spec.hard) and status.used (recomputed from the objects in its namespace, see evaluate.ts) current —
// on quota changes, on changes of the objects it counts, and by a periodic full resync. It writes only
// ResourceQuota status; the admission plugin charges new objects in between. Keys are "namespace/name".
import type { ConfigMap, PersistentVolumeClaim, Pod, ResourceQuota, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../client/client.js';
import { namespaceIndex, splitKey } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { defineResource, type ResourceRef } from '../../client/resource.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue } from '../../client/workqueue.js';
import { ensureNamespaceIndex } from '../endpoints/endpoints-controller.js';
import { calculateUsed, countedKinds, sameUsage, toUsage, fromUsage, type GroupResource } from './evaluate.js';

export const resourceQuotas = defineResource<ResourceQuota>({ group: '', version: 'v1', resource: 'resourcequotas', kind: 'ResourceQuota', namespaced: true });

export interface ResourceQuotaControllerOptions {
  client: ApiClient;
  informers: InformerFactory;
  log?: (line: string) => void;
  workers?: number;
  /** Full resync period (upstream --resource-quota-sync-period, 5m). */
  resyncMs?: number;
  now?: () => number;
}

/** Preferred versions of the built-in groups, for count/<resource>.<group> kinds without an informer here. */
const groupVersions: Record<string, string> = {
  apps: 'v1',
  batch: 'v1',
  'networking.k8s.io': 'v1',
  'policy': 'v1',
  'rbac.authorization.k8s.io': 'v1',
  'discovery.k8s.io': 'v1',
  'coordination.k8s.io': 'v1',
  'scheduling.k8s.io': 'v1',
  'storage.k8s.io': 'v1',
  autoscaling: 'v2',
  'events.k8s.io': 'v1',
};

export class ResourceQuotaController {
  private readonly quotas: Informer<ResourceQuota>;
  private readonly watched: Map<string, Informer<{ metadata?: { namespace?: string } }>> = new Map();
  private readonly queue = new WorkQueue({ name: 'resourcequota' });
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly removers: (() => void)[] = [];
  private workers: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ResourceQuotaControllerOptions) {
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.now = opts.now ?? Date.now;
    this.quotas = opts.informers.informerFor(resourceQuotas);
    ensureNamespaceIndex(this.quotas);
    const quotaKey = (q: ResourceQuota) => this.queue.add(`${q.metadata?.namespace}/${q.metadata?.name}`);
    this.removers.push(this.quotas.addEventHandler({ onAdd: quotaKey, onUpdate: (_o, n) => quotaKey(n) }));
    const tracked: [string, ResourceRef][] = [
      ['/pods', resources.pods],
      ['/services', resources.services],
      ['/configmaps', resources.configMaps],
      ['/secrets', resources.secrets],
      ['/persistentvolumeclaims', resources.persistentVolumeClaims],
      ['/resourcequotas', resourceQuotas],
    ];
    for (const [key, ref] of tracked) {
      const inf = key === '/resourcequotas' ? (this.quotas as Informer<{ metadata?: { namespace?: string } }>) : opts.informers.informerFor<Pod | Service | ConfigMap | Secret | PersistentVolumeClaim>(ref);
      ensureNamespaceIndex(inf);
      this.watched.set(key, inf);
      if (key === '/resourcequotas') {
        this.removers.push(inf.addEventHandler({ onAdd: (o) => this.forNamespace(o), onDelete: (o) => this.forNamespace(o) }));
        continue;
      }
      this.removers.push(inf.addEventHandler({ onAdd: (o) => this.forNamespace(o), onUpdate: (_o, n) => this.forNamespace(n), onDelete: (o) => this.forNamespace(o) }));
    }
  }

  /** Something a quota may count changed: every quota of its namespace is recomputed. */
  private forNamespace(o: { metadata?: { namespace?: string } }): void {
    for (const q of this.quotas.indexer.byIndex(namespaceIndex, o.metadata?.namespace ?? '')) this.queue.add(`${q.metadata?.namespace}/${q.metadata?.name}`);
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.watched.values()].map((i) => i.waitForSync(signal)));
    if (this.queue.shuttingDown) return;
    const resync = this.opts.resyncMs ?? 5 * 60_000;
    this.timer = setInterval(() => {
      for (const q of this.quotas.indexer.list()) this.queue.add(`${q.metadata?.namespace}/${q.metadata?.name}`);
    }, resync);
    this.timer.unref();
    this.workers = runWorkers(this.queue, this.opts.workers ?? 2, (key) => this.reconcile(key), {
      onError: (key, err) => this.log(`resourcequota controller: syncing ResourceQuota ${key}: ${(err as Error)?.message ?? String(err)}`),
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const r of this.removers.splice(0)) r();
    this.queue.shutdown();
    await this.workers;
  }

  private async objectsOf(gr: GroupResource, ns: string): Promise<unknown[]> {
    const inf = gr.group === '' ? this.watched.get(`/${gr.resource}`) : undefined;
    if (inf) return inf.indexer.byIndex(namespaceIndex, ns);
    const version = gr.group === '' ? 'v1' : groupVersions[gr.group];
    if (!version) return [];
    const ref: ResourceRef = { group: gr.group, version, resource: gr.resource, namespaced: true };
    try {
      return (await this.opts.client.list(ref, { namespace: ns })).items;
    } catch (e) {
      if ((e as { code?: number }).code === 404) return [];
      throw e;
    }
  }

  async reconcile(key: string): Promise<void> {
    const { namespace: ns, name } = splitKey(key);
    const quota = this.quotas.indexer.get(key);
    if (!quota || !ns || !name) return;
    const hardNames = Object.keys(quota.spec?.hard ?? {});
    const objects: { gr: GroupResource; items: unknown[] }[] = [];
    for (const gr of countedKinds(hardNames)) objects.push({ gr, items: await this.objectsOf(gr, ns) });
    const used = calculateUsed(quota, objects, this.now());
    const hard = toUsage(quota.spec?.hard);
    if (sameUsage(hard, toUsage(quota.status?.hard)) && sameUsage(used, toUsage(quota.status?.used))) return;
    await this.opts.client.updateStatus<ResourceQuota>(resourceQuotas, { ...quota, status: { hard: fromUsage(hard), used: fromUsage(used) } }, { namespace: ns });
  }
}
