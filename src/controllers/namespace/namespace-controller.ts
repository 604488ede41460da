// The namespace controller: a namespace with a deletionTimestamp is emptied and finalized by the
// NamespacedResourcesDeleter, one namespace name per work-queue key. Content still going away is retried
// after about half its estimated time (upstream: estimate/2 + 1 s), other failures with exponential
// back-off (5 ms doubling to 60 s, as upstream's nsControllerRateLimiter). It reads namespaces from the
// shared informer and never deletes anything itself.
import type { Namespace } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter } from '../../client/rate-limiter.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import type { DiscoveryResult } from '../../client/resource-discovery.js';
import { NamespacedResourcesDeleter, ResourcesRemainingError } from './deleter.js';

export interface NamespaceControllerOptions {
  client: ApiClient;
  metadataClient: ApiClient;
  informers: InformerFactory;
  log?: (line: string) => void;
  /** Concurrent namespace syncs (upstream --concurrent-namespace-syncs, default 10). */
  workers?: number;
  /** Overrides the estimate-based wait while content is still going away (tests). */
  remainingContentRequeueMs?: number;
  discover?: () => Promise<DiscoveryResult>;
}

/** Upstream's wait after ResourcesRemainingError: estimate/2 + 1 seconds. */
export function remainingContentDelayMs(estimateSeconds: number): number {
  return (Math.floor(estimateSeconds / 2) + 1) * 1000;
}

export class NamespaceController {
  private readonly informer: Informer<Namespace>;
  private readonly queue: WorkQueue;
  private readonly deleter: NamespacedResourcesDeleter;
  private readonly log: (line: string) => void;
  private removeHandler: (() => void) | undefined;
  private workers: Promise<void> | undefined;

  constructor(private readonly opts: NamespaceControllerOptions) {
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.informer = opts.informers.informerFor(resources.namespaces);
    this.queue = new WorkQueue({
      name: 'namespace',
      rateLimiter: new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 60_000), new BucketRateLimiter(10, 100)),
    });
    this.deleter = new NamespacedResourcesDeleter({
      client: opts.client,
      metadataClient: opts.metadataClient,
      discover: opts.discover,
      log: this.log,
    });
    const enqueue = (ns: Namespace) => {
      if (ns.metadata?.deletionTimestamp && ns.metadata.name) this.queue.add(ns.metadata.name);
    };
    this.removeHandler = this.informer.addEventHandler({ onAdd: enqueue, onUpdate: (_old, ns) => enqueue(ns) });
  }

  /** Waits for the namespace cache, then runs the workers (in the background). */
  async start(signal?: AbortSignal): Promise<void> {
    await this.informer.waitForSync(signal);
    if (this.queue.shuttingDown) return;
    this.workers = runWorkers(this.queue, this.opts.workers ?? 10, (key) => this.reconcile(key), {
      onError: (key, err) => this.log(`namespace controller: deletion of namespace ${key} failed: ${(err as Error)?.message ?? String(err)}`),
    });
  }

  async stop(): Promise<void> {
    this.removeHandler?.();
    this.removeHandler = undefined;
    await this.queue.shutdownWithDrain();
    await this.workers;
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const ns = this.informer.indexer.get(name);
    if (!ns?.metadata?.deletionTimestamp) return {};
    try {
      await this.deleter.delete(name);
      return {};
    } catch (e) {
      if (e instanceof ResourcesRemainingError) {
        return { requeueAfterMs: this.opts.remainingContentRequeueMs ?? remainingContentDelayMs(e.estimate) };
      }
      throw e;
    }
  }
}
