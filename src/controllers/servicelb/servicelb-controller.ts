// The built-in load balancer (k3s's servicelb without its helper pods): keeps status.loadBalancer.ingress of
// every LoadBalancer Service equal to the addresses of the nodes that serve it (ingress.ts). One Service
// per work-queue key; a node change requeues every LoadBalancer Service. Writes only the status
// subresource, and only when the list differs.
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter } from '../../client/rate-limiter.js';
import * as resources from '../../client/resources.js';
import { keyOf, splitKey } from '../../client/indexer.js';
import { runWorkers, WorkQueue } from '../../client/workqueue.js';
import { desiredIngress, sameIngress } from './ingress.js';

export interface ServiceLBControllerOptions {
  client: ApiClient;
  informers: InformerFactory;
  log?: (line: string) => void;
  workers?: number;
}

export class ServiceLBController {
  private readonly services: Informer<Service>;
  private readonly nodes: Informer<Node>;
  private readonly queue = new WorkQueue({
    name: 'servicelb',
    rateLimiter: new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 60_000), new BucketRateLimiter(10, 100)),
  });
  private readonly log: (line: string) => void;
  private readonly removers: (() => void)[] = [];
  private workers: Promise<void> | undefined;

  constructor(private readonly opts: ServiceLBControllerOptions) {
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.services = opts.informers.informerFor(resources.services);
    this.nodes = opts.informers.informerFor(resources.nodes);
    const svc = (s: Service) => this.queue.add(keyOf(s));
    this.removers.push(this.services.addEventHandler({ onAdd: svc, onUpdate: (_o, n) => svc(n) }));
    const allLB = () => {
      for (const s of this.services.indexer.list()) if (s.spec?.type === 'LoadBalancer') this.queue.add(keyOf(s));
    };
    this.removers.push(this.nodes.addEventHandler({ onAdd: allLB, onUpdate: allLB, onDelete: allLB }));
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.services.waitForSync(signal), this.nodes.waitForSync(signal)]);
    if (this.queue.shuttingDown) return;
    this.workers = runWorkers(this.queue, this.opts.workers ?? 1, (key) => this.reconcile(key), {
      onError: (key, err) => this.log(`servicelb controller: syncing service ${key}: ${(err as Error)?.message ?? String(err)}`),
    });
  }

  async stop(): Promise<void> {
    for (const r of this.removers.splice(0)) r();
    this.queue.shutdown();
    await this.workers;
  }

  async reconcile(key: string): Promise<void> {
    const svc = this.services.indexer.get(key);
    if (!svc) return;
    const want = desiredIngress(svc, this.nodes.indexer.list());
    if (want === undefined || sameIngress(want, svc.status?.loadBalancer?.ingress)) return;
    const { namespace, name } = splitKey(key);
    try {
      await this.opts.client.patch(resources.services, name, { status: { loadBalancer: want.length ? { ingress: want } : { ingress: null } } }, 'merge', { namespace, subresource: 'status' });
    } catch (e) {
      if ((e as { code?: number }).code === 404) return;
      throw e;
    }
  }
}
