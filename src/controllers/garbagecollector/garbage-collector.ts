// The garbage collector (upstream pkg/controller/garbagecollector): metadata informers over every
// resource that can be listed, watched and deleted feed the DependencyGraph; two work queues of uids act on
// it. attemptToDelete: an object whose owners are all gone is deleted (background, or as its own
// finalizers ask); an owner being deleted in the foreground has its dependents deleted and loses its
// foregroundDeletion finalizer once no blocking dependent is left. attemptToOrphan: an owner deleted with
// the orphan policy has its references removed from every dependent, then loses its orphan finalizer.
// The graph only triggers work: every owner is looked up live (404 or another uid = gone) before anything
// is deleted. Resources are re-discovered periodically and whenever CRDs change.
// It talks to the API only (DESIGN principle 3) and makes no decision outside decisions.ts.
import { setMaxListeners } from 'node:events';
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { ApiClient } from '../../client/client.js';
import { isConflict, isNotFound } from '../../client/errors.js';
import { Informer, stripManagedFields } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import type { ResourceRef } from '../../client/resource.js';
import * as resources from '../../client/resources.js';
import type { BackoffOptions } from '../../client/backoff.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import {
  classifyOwners,
  decideDeletingOwner,
  decideDependent,
  foregroundFinalizer,
  isDeletingDependents,
  orphanFinalizer,
  ownerLookup,
  unblockedOwnerReferences,
  withoutFinalizer,
  withoutOwnerReferences,
  type OwnerState,
} from './decisions.js';
import { DependencyGraph, type GraphEffects, type GraphNode } from './graph.js';
import type { PartialObjectMetadata } from '../../client/metadata-client.js';
import {
  discoverPreferredResources,
  resourceKey,
  supportsAllVerbs,
  type DiscoveredResource,
  type DiscoveryResult,
} from '../../client/resource-discovery.js';

export interface GarbageCollectorOptions {
  client: ApiClient;
  /** Metadata-only client (metadata-client.ts) for the informers and live lookups. */
  metadataClient: ApiClient;
  /** Shared factory; used for the CRD informer that triggers re-discovery. */
  informers: InformerFactory;
  log?: (line: string) => void;
  /** Workers per queue (upstream --concurrent-gc-syncs, default 20). */
  workers?: number;
  /** How often resources are re-discovered (upstream 30 s). */
  resyncPeriodMs?: number;
  /** Wait after a CRD change before re-discovering (lets it become established). */
  crdChangeDelayMs?: number;
  /** "<group>/<resource>" never watched; default the events of core and events.k8s.io (as upstream). */
  ignoredResources?: string[];
  /** Back-off of the metadata informers. */
  informerBackoff?: BackoffOptions;
  discover?: () => Promise<DiscoveryResult>;
}

export const defaultIgnoredResources = ['/events', 'events.k8s.io/events'];

/** Thrown for a reference that can never be resolved; the item is not retried. */
class InvalidReferenceError extends Error {}

interface Monitor {
  resource: DiscoveredResource;
  informer: Informer<PartialObjectMetadata>;
  removeHandler: () => void;
}

const absentCacheSize = 500;

export class GarbageCollector {
  private readonly graph = new DependencyGraph();
  private readonly attemptToDelete = new WorkQueue({ name: 'garbage_collector_attempt_to_delete' });
  private readonly attemptToOrphan = new WorkQueue({ name: 'garbage_collector_attempt_to_orphan' });
  private readonly monitors = new Map<string, Monitor>();
  /** Owners proved absent (uid + coordinates): a uid never comes back, so this never goes stale. */
  private readonly absentOwners = new Map<string, true>();
  private readonly log: (line: string) => void;
  private readonly ignored: Set<string>;
  private readonly discover: () => Promise<DiscoveryResult>;
  private readonly abort = new AbortController();
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private crdTimer: NodeJS.Timeout | undefined;
  private removeCrdHandler: (() => void) | undefined;
  /** Set while new monitors fill their caches: workers wait so they never act on a half-built graph. */
  private pendingSync: Promise<void> | undefined;
  private syncing: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: GarbageCollectorOptions) {
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.ignored = new Set(opts.ignoredResources ?? defaultIgnoredResources);
    this.discover = opts.discover ?? (() => discoverPreferredResources(opts.client, { signal: this.abort.signal }));
    // Every monitor and in-flight lookup listens on this one signal.
    setMaxListeners(0, this.abort.signal);
  }

  /** Number of nodes in the graph (status and tests). */
  get graphSize(): number {
    return this.graph.size;
  }

  /** Starts monitors for every deletable resource, waits for the graph to fill, then runs the workers. */
  async start(): Promise<void> {
    const signal = this.abort.signal;
    const crdInformer = this.opts.informers.informerFor(resources.customResourceDefinitions);
    this.removeCrdHandler = crdInformer.addEventHandler({
      onAdd: (_crd: CustomResourceDefinition, initial: boolean) => {
        if (!initial) this.scheduleCrdResync();
      },
      onUpdate: () => this.scheduleCrdResync(),
      onDelete: () => this.scheduleCrdResync(),
    });
    // Discovery must work once before anything can be collected; retry until it does (or we stop).
    for (let delay = 500; ; delay = Math.min(delay * 2, 30_000)) {
      try {
        await this.resyncMonitors();
        break;
      } catch (e) {
        if (signal.aborted) return;
        this.log(`garbage collector: resource discovery failed: ${(e as Error).message}; retrying`);
        await sleep(delay, signal).catch(() => undefined);
        if (signal.aborted) return;
      }
    }
    await this.pendingSync;
    if (signal.aborted) return;
    const n = this.opts.workers ?? 20;
    const onError = (what: string) => (key: string, err: unknown) =>
      this.log(`garbage collector: ${what} ${this.describe(key)}: ${(err as Error)?.message ?? String(err)}`);
    this.workers = [
      runWorkers(this.attemptToDelete, n, (uid) => this.gated(() => this.attemptToDeleteItem(uid)), { onError: onError('attemptToDelete') }),
      runWorkers(this.attemptToOrphan, n, (uid) => this.gated(() => this.attemptToOrphanItem(uid)), { onError: onError('attemptToOrphan') }),
    ];
    this.scheduleResync();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort(new Error('garbage collector stopped'));
    clearTimeout(this.resyncTimer);
    clearTimeout(this.crdTimer);
    this.removeCrdHandler?.();
    await Promise.all([this.attemptToDelete.shutdownWithDrain(), this.attemptToOrphan.shutdownWithDrain()]);
    await Promise.all(this.workers);
    await this.syncing?.catch(() => undefined);
    await Promise.all([...this.monitors.values()].map((m) => this.stopMonitor(m)));
    this.monitors.clear();
  }

  // ---- monitors ----

  private scheduleResync(): void {
    if (this.stopped) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncMonitors()
        .catch((e) => this.log(`garbage collector: resource discovery failed: ${(e as Error).message}`))
        .finally(() => this.scheduleResync());
    }, this.opts.resyncPeriodMs ?? 30_000);
    this.resyncTimer.unref();
  }

  private scheduleCrdResync(): void {
    if (this.stopped) return;
    clearTimeout(this.crdTimer);
    this.crdTimer = setTimeout(() => {
      this.resyncMonitors().catch((e) => this.log(`garbage collector: resource discovery failed: ${(e as Error).message}`));
    }, this.opts.crdChangeDelayMs ?? 200);
    this.crdTimer.unref();
  }

  /** Discovers resources and starts/stops monitors to match; one at a time. */
  private resyncMonitors(): Promise<void> {
    const run = async () => {
      const d = await this.discover();
      if (this.stopped) return;
      const wanted = new Map<string, DiscoveredResource>();
      for (const r of d.resources) {
        if (!supportsAllVerbs(r, ['delete', 'list', 'watch'])) continue;
        if (this.ignored.has(`${r.group}/${r.resource}`)) continue;
        wanted.set(resourceKey(r), r);
      }
      const failedGVs = new Set(d.failed.keys());
      for (const [gv, e] of d.failed) this.log(`garbage collector: discovery of ${gv} failed: ${e.message}`);
      const started: Monitor[] = [];
      for (const [key, r] of wanted) {
        if (this.monitors.has(key)) continue;
        const m = this.startMonitor(r);
        this.monitors.set(key, m);
        started.push(m);
      }
      for (const [key, m] of this.monitors) {
        if (wanted.has(key)) continue;
        // A group whose discovery failed keeps its monitors (as upstream): its resources may still exist.
        const gv = m.resource.group ? `${m.resource.group}/${m.resource.version}` : m.resource.version;
        if (failedGVs.has(gv)) continue;
        this.monitors.delete(key);
        await this.stopMonitor(m);
      }
      if (started.length > 0) {
        const synced = Promise.all(started.map((m) => m.informer.waitForSync(this.abort.signal))).then(() => undefined);
        const gate = this.withTimeout(synced, this.opts.resyncPeriodMs ?? 30_000).finally(() => {
          if (this.pendingSync === gate) this.pendingSync = undefined;
        });
        this.pendingSync = gate;
      }
    };
    const p = (this.syncing ?? Promise.resolve()).catch(() => undefined).then(run);
    this.syncing = p;
    return p;
  }

  private startMonitor(r: DiscoveredResource): Monitor {
    const informer = new Informer<PartialObjectMetadata>(this.opts.metadataClient, r, {
      log: this.log,
      // The graph reads owner references, finalizers and deletion state only.
      transform: stripManagedFields,
      ...(this.opts.informerBackoff ? { backoff: this.opts.informerBackoff } : {}),
    });
    const removeHandler = informer.addEventHandler({
      onAdd: (o) => this.observe(r, o),
      onUpdate: (_old, o) => this.observe(r, o),
      onDelete: (o) => {
        const uid = o.metadata?.uid;
        if (uid) this.enqueue(this.graph.remove(uid));
      },
    });
    informer.start();
    return { resource: r, informer, removeHandler };
  }

  private async stopMonitor(m: Monitor): Promise<void> {
    m.removeHandler();
    await m.informer.stop();
  }

  private observe(r: DiscoveredResource, o: PartialObjectMetadata): void {
    const md = o.metadata;
    if (!md?.uid || !md.name) return;
    this.enqueue(
      this.graph.observe(r, {
        uid: md.uid,
        name: md.name,
        ...(md.namespace ? { namespace: md.namespace } : {}),
        ...(md.ownerReferences ? { ownerReferences: md.ownerReferences } : {}),
        ...(md.deletionTimestamp ? { deletionTimestamp: md.deletionTimestamp } : {}),
        ...(md.finalizers ? { finalizers: md.finalizers } : {}),
      }),
    );
  }

  private enqueue(fx: GraphEffects): void {
    for (const uid of fx.attemptToDelete) this.attemptToDelete.add(uid);
    for (const uid of fx.attemptToOrphan) this.attemptToOrphan.add(uid);
  }

  private async gated(fn: () => Promise<ReconcileResult>): Promise<ReconcileResult> {
    while (this.pendingSync) await this.pendingSync;
    return fn();
  }

  // ---- attemptToDelete ----

  private async attemptToDeleteItem(uid: string): Promise<ReconcileResult> {
    const node = this.graph.get(uid);
    if (!node) return;
    if (!node.observed) return this.verifyVirtualNode(node);
    if (node.beingDeleted && !node.deletingDependents) return;

    const latest = await this.getLive(node.resource!, node.identity.name, node.identity.namespace);
    if (!latest || latest.metadata.uid !== uid) {
      // Gone (the informer has not told us yet): treat it as deleted.
      this.enqueue(this.graph.remove(uid));
      return;
    }
    const md = latest.metadata;
    if (isDeletingDependents(md)) return this.processDeletingDependents(node);
    if (md.deletionTimestamp) return;
    const refs = md.ownerReferences ?? [];
    if (refs.length === 0) return;

    const states = new Map<string, OwnerState>();
    try {
      for (const ref of refs) states.set(ref.uid, await this.ownerState(ref, md.namespace));
    } catch (e) {
      if (e instanceof InvalidReferenceError) {
        this.log(`garbage collector: ${this.describe(uid)}: ${e.message}; not retrying`);
        return;
      }
      throw e;
    }
    const dependents = [...node.dependents];
    const action = decideDependent({
      owners: classifyOwners(refs, (r) => states.get(r.uid)!),
      finalizers: md.finalizers ?? [],
      hasDependents: dependents.length > 0,
      dependentDeletingDependents: dependents.some((d) => d.deletingDependents),
    });
    switch (action.kind) {
      case 'none':
        return;
      case 'removeOwnerReferences':
        await this.patchOwnerReferences(node, (current) => withoutOwnerReferences(current, action.uids));
        return;
      case 'delete':
        if (action.unblockOwnerReferences) await this.patchOwnerReferences(node, unblockedOwnerReferences);
        this.log(`garbage collector: deleting ${this.describe(uid)} (propagationPolicy=${action.policy})`);
        await this.deleteObject(node, action.policy);
        return;
    }
  }

  /** An owner known only from references: does it exist? If not, its dependents are re-checked. */
  private async verifyVirtualNode(node: GraphNode): Promise<ReconcileResult> {
    const id = node.identity;
    const r = await this.opts.client.resourceFor(id.apiVersion, id.kind);
    const lookup = ownerLookup(id.namespace, r.namespaced);
    const found = lookup.kind === 'lookup' ? await this.getLive(r, id.name, lookup.namespace) : undefined;
    if (!found || found.metadata.uid !== id.uid) {
      this.enqueue(this.graph.virtualNodeAbsent(id.uid));
      return;
    }
    // It exists but no informer has shown it yet: look again later (upstream issue 56121).
    if (!this.graph.get(id.uid)?.observed) return { requeue: true };
  }

  private processDeletingDependents(node: GraphNode): Promise<void> | void {
    const blocking = new Set(this.graph.blockingDependents(node));
    const action = decideDeletingOwner(
      [...node.dependents].map((d) => ({ id: d.identity.uid, blocking: blocking.has(d), deletingDependents: d.deletingDependents })),
    );
    if (action.kind === 'removeFinalizer') return this.removeFinalizer(node, foregroundFinalizer);
    for (const uid of action.attemptToDelete) this.attemptToDelete.add(uid);
  }

  /** Live state of one owner reference of a dependent in namespace ns. */
  private async ownerState(ref: OwnerReference, ns: string | undefined): Promise<OwnerState> {
    const base = `${ref.apiVersion}|${ref.kind}|${ref.name}|${ref.uid}`;
    if (this.absentOwners.has(`${base}|`) || this.absentOwners.has(`${base}|${ns ?? ''}`)) return { kind: 'absent' };
    // A kind the server does not know is an error (retried): the type may appear with the next discovery.
    const r = await this.opts.client.resourceFor(ref.apiVersion, ref.kind);
    const lookup = ownerLookup(ns, r.namespaced);
    if (lookup.kind === 'invalid') throw new InvalidReferenceError(`${lookup.reason} (${ref.kind} ${ref.name})`);
    const owner = await this.getLive(r, ref.name, lookup.namespace);
    if (!owner || owner.metadata.uid !== ref.uid) {
      this.rememberAbsent(`${base}|${lookup.namespace ?? ''}`);
      return { kind: 'absent' };
    }
    return { kind: 'present', deletingDependents: isDeletingDependents(owner.metadata) };
  }

  private rememberAbsent(key: string): void {
    this.absentOwners.delete(key);
    this.absentOwners.set(key, true);
    if (this.absentOwners.size > absentCacheSize) this.absentOwners.delete(this.absentOwners.keys().next().value!);
  }

  // ---- attemptToOrphan ----

  private async attemptToOrphanItem(uid: string): Promise<ReconcileResult> {
    const owner = this.graph.get(uid);
    if (!owner?.observed) return;
    const failures: string[] = [];
    for (const dep of [...owner.dependents]) {
      if (!dep.observed) continue;
      try {
        await this.patchOwnerReferences(dep, (current) => withoutOwnerReferences(current, [uid]));
      } catch (e) {
        failures.push(`${this.describe(dep.identity.uid)}: ${(e as Error).message}`);
      }
    }
    if (failures.length > 0) throw new Error(`orphaning dependents failed: ${failures.join('; ')}`);
    await this.removeFinalizer(owner, orphanFinalizer);
  }

  // ---- writes ----

  private async getLive(r: ResourceRef, name: string, namespace: string | undefined): Promise<PartialObjectMetadata | undefined> {
    try {
      const o = await this.opts.metadataClient.get<PartialObjectMetadata>(r, name, { namespace, signal: this.abort.signal });
      return o.metadata ? o : undefined;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async deleteObject(node: GraphNode, policy: 'Background' | 'Foreground' | 'Orphan'): Promise<void> {
    try {
      await this.opts.client.delete(node.resource!, node.identity.name, {
        namespace: node.identity.namespace,
        propagationPolicy: policy,
        preconditions: { uid: node.identity.uid },
      });
    } catch (e) {
      // Gone already, or replaced by a new object of the same name (uid precondition): nothing to do.
      if (isNotFound(e) || isConflict(e)) return;
      throw e;
    }
  }

  /**
   * Rewrites the object's ownerReferences with change(current) (undefined = no change), conditional on the
   * resourceVersion it was computed from; conflicts retry on a fresh read.
   */
  private async patchOwnerReferences(node: GraphNode, change: (refs: OwnerReference[]) => OwnerReference[] | undefined): Promise<void> {
    await this.conditionalPatch(node, (md) => {
      const next = change(md.ownerReferences ?? []);
      return next === undefined ? undefined : { ownerReferences: next.length > 0 ? next : null };
    });
  }

  private async removeFinalizer(node: GraphNode, finalizer: string): Promise<void> {
    await this.conditionalPatch(node, (md) => {
      const next = withoutFinalizer(md.finalizers, finalizer);
      return next === undefined ? undefined : { finalizers: next.length > 0 ? next : null };
    });
  }

  private async conditionalPatch(
    node: GraphNode,
    compute: (md: PartialObjectMetadata['metadata']) => Record<string, unknown> | undefined,
  ): Promise<void> {
    const r = node.resource!;
    const { name, namespace, uid } = node.identity;
    for (let attempt = 0; ; attempt++) {
      const latest = await this.getLive(r, name, namespace);
      if (!latest || latest.metadata.uid !== uid) return;
      const patch = compute(latest.metadata);
      if (!patch) return;
      try {
        await this.opts.client.patch(r, name, { metadata: { uid, resourceVersion: latest.metadata.resourceVersion, ...patch } }, 'merge', {
          namespace,
        });
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e) || attempt >= 4) throw e;
      }
    }
  }

  // ---- helpers ----

  private describe(uid: string): string {
    const n = this.graph.get(uid);
    if (!n) return `uid ${uid}`;
    const id = n.identity;
    return `${id.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name} (${id.apiVersion}, uid ${uid})`;
  }

  private withTimeout(p: Promise<void>, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.log('garbage collector: timed out waiting for new monitors to sync; continuing');
        resolve();
      }, ms);
      t.unref();
      p.then(
        () => {
          clearTimeout(t);
          resolve();
        },
        () => {
          clearTimeout(t);
          resolve();
        },
      );
    });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
