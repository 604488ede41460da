// One shared Informer per (resource, namespace, selectors) for all the controllers of a process, so each
// kind is listed and watched once. Informers asked for after start() are started at once.
import type { ApiClient, ObjectLike } from './client.js';
import { Informer, type InformerOptions } from './informer.js';
import type { Resource, ResourceRef } from './resource.js';

export interface InformerScope {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export class InformerFactory {
  private readonly informers = new Map<string, Informer<ObjectLike>>();
  private started = false;

  /** defaults apply to every informer this factory creates (e.g. backoff, log, watchTimeoutSeconds). */
  constructor(
    readonly client: ApiClient,
    private readonly defaults: Omit<InformerOptions<ObjectLike>, keyof InformerScope | 'indexers'> = {},
  ) {}

  /** The shared informer for this resource and scope, created on first use. */
  informerFor<T extends ObjectLike>(resource: Resource<T> | ResourceRef, scope: InformerScope = {}): Informer<T> {
    const key = [resource.group, resource.version, resource.resource, scope.namespace ?? '', scope.labelSelector ?? '', scope.fieldSelector ?? ''].join('|');
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer<ObjectLike>(this.client, resource, { ...this.defaults, ...scope });
      this.informers.set(key, inf);
      if (this.started) inf.start();
    }
    return inf as unknown as Informer<T>;
  }

  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  /** Resolves when every informer created so far has synced. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
