// The root CA certificate publisher (upstream root-ca-cert-publisher controller): every active namespace has
// a ConfigMap `kube-root-ca.crt` with the cluster CA under `ca.crt`, so pods (through the injected
// kube-api-access volume) can verify the API server. It is recreated when deleted and corrected when edited.
// One namespace per work-queue key; it never touches other ConfigMaps or terminating namespaces.
import type { ConfigMap, Namespace } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter } from '../../client/rate-limiter.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue } from '../../client/workqueue.js';

export const rootCaConfigMapName = 'kube-root-ca.crt';
export const descriptionAnnotation = 'kubernetes.io/description';
export const rootCaDescription =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export interface RootCaCertPublisherOptions {
  client: ApiClient;
  informers: InformerFactory;
  /** PEM of the cluster CA (upstream --root-ca-file). */
  rootCA: string;
  log?: (line: string) => void;
}

export type PublishAction = { kind: 'none' } | { kind: 'create'; cm: ConfigMap } | { kind: 'update'; cm: ConfigMap };

/** What a namespace needs (pure): nothing, a new ConfigMap, or the existing one corrected. */
export function publishAction(ns: Namespace | undefined, existing: ConfigMap | undefined, rootCA: string): PublishAction {
  if (!ns || ns.metadata?.deletionTimestamp || ns.status?.phase === 'Terminating') return { kind: 'none' };
  const data = { 'ca.crt': rootCA };
  if (!existing) {
    return {
      kind: 'create',
      cm: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: rootCaConfigMapName, annotations: { [descriptionAnnotation]: rootCaDescription } }, data },
    };
  }
  const sameData = existing.data?.['ca.crt'] === rootCA && Object.keys(existing.data ?? {}).length === 1 && !existing.binaryData;
  const annotated = existing.metadata?.annotations?.[descriptionAnnotation] === rootCaDescription;
  if (sameData && annotated) return { kind: 'none' };
  return {
    kind: 'update',
    cm: { ...existing, metadata: { ...existing.metadata, annotations: { ...existing.metadata?.annotations, [descriptionAnnotation]: rootCaDescription } }, data, binaryData: undefined },
  };
}

export class RootCaCertPublisher {
  private readonly namespaces: Informer<Namespace>;
  private readonly configMaps: Informer<ConfigMap>;
  private readonly queue = new WorkQueue({
    name: 'root-ca-cert-publisher',
    rateLimiter: new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 60_000), new BucketRateLimiter(10, 100)),
  });
  private readonly log: (line: string) => void;
  private readonly removers: (() => void)[] = [];
  private workers: Promise<void> | undefined;

  constructor(private readonly opts: RootCaCertPublisherOptions) {
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.namespaces = opts.informers.informerFor(resources.namespaces);
    this.configMaps = opts.informers.informerFor(resources.configMaps);
    const nsKey = (ns: Namespace) => ns.metadata?.name && this.queue.add(ns.metadata.name);
    this.removers.push(this.namespaces.addEventHandler({ onAdd: nsKey, onUpdate: (_o, n) => nsKey(n) }));
    const cmKey = (cm: ConfigMap) => cm.metadata?.name === rootCaConfigMapName && cm.metadata.namespace && this.queue.add(cm.metadata.namespace);
    this.removers.push(this.configMaps.addEventHandler({ onUpdate: (_o, n) => cmKey(n), onDelete: cmKey }));
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.namespaces.waitForSync(signal), this.configMaps.waitForSync(signal)]);
    if (this.queue.shuttingDown) return;
    this.workers = runWorkers(this.queue, 1, (key) => this.reconcile(key), {
      onError: (key, err) => this.log(`root-ca-cert-publisher: syncing namespace ${key}: ${(err as Error)?.message ?? String(err)}`),
    });
  }

  async stop(): Promise<void> {
    for (const r of this.removers.splice(0)) r();
    this.queue.shutdown();
    await this.workers;
  }

  async reconcile(namespace: string): Promise<void> {
    const action = publishAction(this.namespaces.indexer.get(namespace), this.configMaps.indexer.get(`${namespace}/${rootCaConfigMapName}`), this.opts.rootCA);
    try {
      if (action.kind === 'create') await this.opts.client.create(resources.configMaps, action.cm, { namespace });
      else if (action.kind === 'update') await this.opts.client.update(resources.configMaps, action.cm, { namespace });
    } catch (e) {
      const code = (e as { code?: number }).code;
      // Created meanwhile (cache behind), namespace going away or gone: the next event brings us back.
      if (code === 409 || code === 404) return;
      if (code === 403 && /being terminated/.test((e as Error).message)) return;
      throw e;
    }
  }
}
