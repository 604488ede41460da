// Empties a terminating namespace and then finalizes it (upstream pkg/controller/namespace/deletion): for
// every namespaced resource that supports delete — deletecollection where served, else list and delete
// each — with background propagation; then lists what is left. Objects still present because they carry
// finalizers are a normal wait (ResourcesRemainingError with an estimate); anything else left is an error.
// Status conditions record each pass. Once nothing is left the "kubernetes" finalizer is removed through
// /finalize and the server deletes the namespace. Every step is safe to repeat.
// It talks to the API only; it must not decide when to run (the controller's queue does).
import type { Namespace, Pod } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../client/client.js';
import { isConflict, isNotFound } from '../../client/errors.js';
import { resourcePath, type ResourceRef } from '../../client/resource.js';
import * as resources from '../../client/resources.js';
import type { PartialObjectMetadata } from '../../client/metadata-client.js';
import {
  discoverPreferredResources,
  GroupDiscoveryFailedError,
  supportsAllVerbs,
  type DiscoveredResource,
  type DiscoveryResult,
} from '../../client/resource-discovery.js';
import { emptyOutcome, failureConditions, updateConditions, type DeletionOutcome } from './conditions.js';

/** Assumed time for finalizers on remaining content to complete (upstream finalizerEstimateSeconds). */
export const finalizerEstimateSeconds = 15;

/** Content is still being removed; try again in about `estimate` seconds. */
export class ResourcesRemainingError extends Error {
  constructor(readonly estimate: number) {
    super(`some content remains in the namespace, estimate ${estimate} seconds before it is removed`);
    this.name = 'ResourcesRemainingError';
  }
}

export interface NamespaceDeleterOptions {
  client: ApiClient;
  /** Metadata-only client for the listings (see metadata-client.ts). */
  metadataClient: ApiClient;
  /** Default: the server's preferred resources. Injectable for tests. */
  discover?: () => Promise<DiscoveryResult>;
  finalizerToken?: string;
  now?: () => Date;
  log?: (line: string) => void;
}

type Operation = 'list' | 'deletecollection';

export class NamespacedResourcesDeleter {
  private readonly client: ApiClient;
  private readonly meta: ApiClient;
  private readonly discover: () => Promise<DiscoveryResult>;
  private readonly token: string;
  private readonly now: () => Date;
  /** Operations a resource turned out not to support (405/404 despite discovery). */
  private readonly notSupported = new Set<string>();

  constructor(opts: NamespaceDeleterOptions) {
    this.client = opts.client;
    this.meta = opts.metadataClient;
    this.discover = opts.discover ?? (() => discoverPreferredResources(opts.client));
    this.token = opts.finalizerToken ?? 'kubernetes';
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * One pass over namespace `name`. Resolves when there is nothing (more) to do; throws
   * ResourcesRemainingError when content is still going away, other errors to be retried with back-off.
   */
  async delete(name: string): Promise<void> {
    let ns: Namespace;
    try {
      ns = await this.client.get(resources.namespaces, name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (!ns.metadata?.deletionTimestamp) return;
    ns = await this.retryOnConflict(ns, (n) => this.ensureTerminating(n));
    if (!ns.metadata?.deletionTimestamp) return;
    if (!(ns.spec?.finalizers ?? []).includes(this.token)) return;

    const estimate = await this.deleteAllContent(ns);
    if (estimate > 0) throw new ResourcesRemainingError(estimate);
    try {
      await this.retryOnConflict(ns, (n) => this.finalize(n));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  private async ensureTerminating(ns: Namespace): Promise<Namespace> {
    if (!ns.metadata?.deletionTimestamp || ns.status?.phase === 'Terminating') return ns;
    return this.client.updateStatus(resources.namespaces, { ...ns, status: { ...ns.status, phase: 'Terminating' } });
  }

  private finalize(ns: Namespace): Promise<Namespace> {
    const finalizers = [...new Set((ns.spec?.finalizers ?? []).filter((f) => f !== this.token))].sort();
    const body: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: ns.metadata, spec: { ...ns.spec, finalizers } };
    return this.client.call<Namespace>('PUT', resourcePath(resources.namespaces, undefined, ns.metadata!.name!, 'finalize'), { body });
  }

  /** Applies fn, re-reading the namespace after each conflict; a changed uid means it is a new namespace. */
  private async retryOnConflict(ns: Namespace, fn: (ns: Namespace) => Promise<Namespace>): Promise<Namespace> {
    let latest = ns;
    for (;;) {
      try {
        return await fn(latest);
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
      const prev = latest;
      latest = await this.client.get(resources.namespaces, ns.metadata!.name!);
      if (prev.metadata?.uid !== latest.metadata?.uid) throw new Error('namespace uid has changed across retries');
    }
  }

  /** Deletes everything deletable in the namespace; returns seconds to wait for what is still going away. */
  private async deleteAllContent(ns: Namespace): Promise<number> {
    const namespace = ns.metadata!.name!;
    const outcome: DeletionOutcome = emptyOutcome();
    const errs: Error[] = [];
    let discovered: DiscoveredResource[] = [];
    try {
      const d = await this.discover();
      discovered = d.resources;
      if (d.failed.size > 0) {
        const err = new GroupDiscoveryFailedError(d.failed);
        errs.push(err);
        outcome.discoveryError = { message: err.message, failedGroups: d.failed.size };
      }
      if (d.parseError) {
        errs.push(d.parseError);
        outcome.groupVersionError = d.parseError.message;
      }
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      errs.push(err);
      outcome.discoveryError = { message: err.message };
    }
    const deletable = discovered.filter((r) => r.namespaced && supportsAllVerbs(r, ['delete']));
    for (const r of deletable) {
      if (!supportsAllVerbs(r, ['list'])) this.notSupported.add(opKey('list', r));
      if (!supportsAllVerbs(r, ['deletecollection'])) this.notSupported.add(opKey('deletecollection', r));
    }

    let estimate = 0;
    const contentErrs: Error[] = [];
    for (const r of deletable) {
      try {
        const res = await this.deleteAllContentFor(r, namespace);
        estimate = Math.max(estimate, res.estimate);
        if (res.remaining > 0) outcome.remainingByResource.set(`${r.resource}.${r.group}`, res.remaining);
        for (const [f, n] of res.finalizers) outcome.remainingByFinalizer.set(f, (outcome.remainingByFinalizer.get(f) ?? 0) + n);
      } catch (e) {
        const err = e as Error & { remaining?: number; estimate?: number };
        if (err.remaining) outcome.remainingByResource.set(`${r.resource}.${r.group}`, err.remaining);
        estimate = Math.max(estimate, err.estimate ?? 0);
        contentErrs.push(err);
      }
    }
    if (contentErrs.length > 0) {
      errs.push(...contentErrs);
      outcome.deleteContentErrors = contentErrs.map((e) => e.message);
    }

    const now = this.now();
    const { conditions, changed } = updateConditions(ns.status?.conditions, failureConditions(outcome, now), now);
    if (changed) {
      try {
        await this.client.updateStatus(resources.namespaces, { ...ns, status: { ...ns.status, conditions } });
      } catch {
        // best effort, as upstream: the next pass writes them again
      }
    }
    if (errs.length === 1) throw errs[0];
    if (errs.length > 1) throw new Error(`[${errs.map((e) => e.message).join(', ')}]`);
    return estimate;
  }

  private async deleteAllContentFor(
    r: DiscoveredResource,
    namespace: string,
  ): Promise<{ estimate: number; remaining: number; finalizers: Map<string, number> }> {
    let estimate = 0;
    if (r.group === '' && r.resource === 'pods') estimate = await this.estimatePodTermination(namespace);

    const collectionDone = await this.deleteCollection(r, namespace);
    if (!collectionDone) await this.deleteEachItem(r, namespace);

    const items = await this.listCollection(r, namespace);
    const finalizers = new Map<string, number>();
    if (!items) return { estimate, remaining: 0, finalizers };
    if (items.length > 0 && estimate === 0) {
      for (const item of items) {
        const fs = item.metadata?.finalizers ?? [];
        if (fs.length === 0) continue;
        estimate = finalizerEstimateSeconds;
        for (const f of fs) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
      }
      if (estimate === 0) {
        throw Object.assign(
          new Error(`unexpected items still remain in namespace: ${namespace} for gvr: ${r.group}/${r.version}, Resource=${r.resource}`),
          { remaining: items.length, estimate },
        );
      }
    }
    return { estimate, remaining: items.length, finalizers };
  }

  /** The longest grace period of the namespace's non-terminal pods (upstream estimateGracefulTermination). */
  private async estimatePodTermination(namespace: string): Promise<number> {
    const pods = await this.client.list<Pod>(resources.pods, { namespace });
    let estimate = 0;
    for (const p of pods.items) {
      const phase = p.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      const grace = p.spec?.terminationGracePeriodSeconds;
      if (grace !== undefined && grace > estimate) estimate = grace;
    }
    return estimate;
  }

  /** true when deletecollection was served (whatever it deleted). */
  private async deleteCollection(r: ResourceRef, namespace: string): Promise<boolean> {
    const key = opKey('deletecollection', r);
    if (this.notSupported.has(key)) return false;
    try {
      await this.client.deleteCollection(r, { namespace, propagationPolicy: 'Background' });
      return true;
    } catch (e) {
      if (isMethodNotSupportedOrNotFound(e)) {
        this.notSupported.add(key);
        return false;
      }
      throw e;
    }
  }

  /** undefined when listing is not supported. */
  private async listCollection(r: ResourceRef, namespace: string): Promise<PartialObjectMetadata[] | undefined> {
    const key = opKey('list', r);
    if (this.notSupported.has(key)) return undefined;
    try {
      return (await this.meta.list<PartialObjectMetadata>(r, { namespace })).items;
    } catch (e) {
      if (isMethodNotSupportedOrNotFound(e)) {
        this.notSupported.add(key);
        return undefined;
      }
      throw e;
    }
  }

  private async deleteEachItem(r: ResourceRef, namespace: string): Promise<void> {
    const items = await this.listCollection(r, namespace);
    for (const item of items ?? []) {
      const name = item.metadata?.name;
      if (!name) continue;
      try {
        await this.client.delete(r, name, { namespace, propagationPolicy: 'Background' });
      } catch (e) {
        if (!isNotFound(e) && !isMethodNotAllowed(e)) throw e;
      }
    }
  }
}

function opKey(op: Operation, r: ResourceRef): string {
  return `${op} ${r.group}/${r.version}/${r.resource}`;
}

function isMethodNotAllowed(e: unknown): boolean {
  return (e as { code?: unknown })?.code === 405;
}

function isMethodNotSupportedOrNotFound(e: unknown): boolean {
  return isMethodNotAllowed(e) || isNotFound(e);
}
