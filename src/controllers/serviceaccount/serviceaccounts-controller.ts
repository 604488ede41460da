// The service accounts controller (upstream ServiceAccountsController): every active namespace has a
// `default` ServiceAccount; it is created when the namespace appears and recreated when deleted. One
// namespace name per work-queue key; it reads namespaces and service accounts from shared informers and
// never touches other service accounts or terminating namespaces.
import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter } from '../../client/rate-limiter.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue } from '../../client/workqueue.js';

export interface ServiceAccountsControllerOptions {
  client: ApiClient;
  informers: InformerFactory;
  log?: (line: string) => void;
  /** Names ensured in every namespace (upstream default: ["default"]). */
  serviceAccounts?: string[];
  workers?: number;
}

/** Which accounts a namespace is missing (pure). Terminating namespaces get none. */
export function missingServiceAccounts(ns: Namespace | undefined, existing: Set<string>, wanted: string[]): string[] {
  if (!ns || ns.metadata?.deletionTimestamp || ns.status?.phase === 'Terminating') return [];
  return wanted.filter((n) => !existing.has(n));
}

export class ServiceAccountsController {
  private readonly namespaces: Informer<Namespace>;
  private readonly accounts: Informer<ServiceAccount>;
  private readonly queue = new WorkQueue({
    name: 'serviceaccount',
    rateLimiter: new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 60_000), new BucketRateLimiter(10, 100)),
  });
  private readonly wanted: string[];
  private readonly log: (line: string) => void;
  private readonly removers: (() => void)[] = [];
  private workers: Promise<void> | undefined;

  constructor(private readonly opts: ServiceAccountsControllerOptions) {
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.wanted = opts.serviceAccounts ?? ['default'];
    this.namespaces = opts.informers.informerFor(resources.namespaces);
    this.accounts = opts.informers.informerFor(resources.serviceAccounts);
    const nsName = (ns: Namespace) => ns.metadata?.name && this.queue.add(ns.metadata.name);
    this.removers.push(this.namespaces.addEventHandler({ onAdd: nsName, onUpdate: (_o, n) => nsName(n) }));
    this.removers.push(
      this.accounts.addEventHandler({
        onDelete: (sa) => {
          if (sa.metadata?.namespace && this.wanted.includes(sa.metadata.name ?? '')) this.queue.add(sa.metadata.namespace);
        },
      }),
    );
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.namespaces.waitForSync(signal), this.accounts.waitForSync(signal)]);
    if (this.queue.shuttingDown) return;
    this.workers = runWorkers(this.queue, this.opts.workers ?? 1, (key) => this.reconcile(key), {
      onError: (key, err) => this.log(`serviceaccount controller: syncing namespace ${key}: ${(err as Error)?.message ?? String(err)}`),
    });
  }

  async stop(): Promise<void> {
    for (const r of this.removers.splice(0)) r();
    this.queue.shutdown();
    await this.workers;
  }

  async reconcile(namespace: string): Promise<void> {
    const ns = this.namespaces.indexer.get(namespace);
    const existing = new Set(
      this.wanted.filter((n) => this.accounts.indexer.has(`${namespace}/${n}`)),
    );
    for (const name of missingServiceAccounts(ns, existing, this.wanted)) {
      try {
        await this.opts.client.create<ServiceAccount>(resources.serviceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } }, { namespace });
      } catch (e) {
        const code = (e as { code?: number }).code;
        // Already there (cache behind) or the namespace is going away: nothing to do.
        if (code === 409) continue;
        if (code === 403 && /being terminated|not found/.test((e as Error).message)) continue;
        if (code === 404) continue;
        throw e;
      }
    }
  }
}
