// Serves custom resources: watches CustomResourceDefinitions and, for every served version, registers a
// ResourceType (discovery, OpenAPI schema, validation, defaulting, pruning, status/scale subresources,
// printer columns). Keeps CRD status (NamesAccepted, Established, storedVersions) and, when a CRD is
// deleted, removes its custom resources before releasing the cleanup finalizer (as upstream's finalizer
// controller). It must not hold state a restart cannot rebuild from the CRDs themselves.
import type { CustomResourceDefinition, CustomResourceDefinitionVersion } from 'kubernetes-types/apiextensions/v1.js';
import type { ResourceType, Verb } from '../api/resource.js';
import type { KubeObject } from '../api/types.js';
import { errors, StatusError } from '../api/errors.js';
import { crdTableConvertor } from '../api/tables/index.js';
import { applyDefaults, crdVersionSchema, validateCrdSchemas, validateCustomResource } from '../api/schema/crd.js';
import type { CacheEvent } from '../storage/watch-cache.js';
import { compareVersions } from './resource-registry.js';
import { guaranteedUpdate } from './rest/update.js';
import { systemRequest } from './rest/system-request.js';
import { deepEqual } from '../util/deep-equal.js';
import type { RestDeps } from './rest/types.js';

export const cleanupFinalizer = 'customresourcecleanup.apiextensions.k8s.io';
const allVerbs: Verb[] = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

export class CrdManager {
  private watch?: { close(): void };
  /** CRD name → the ResourceTypes it registered. */
  private readonly served = new Map<string, ResourceType[]>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: RestDeps,
    private readonly log: (line: string) => void,
  ) {
    deps.admission.register({
      name: 'CustomResourceDefinitionValidation',
      validate: (attrs) => {
        if (attrs.rt.group !== 'apiextensions.k8s.io' || attrs.rt.resource !== 'customresourcedefinitions' || !attrs.object) return;
        const crd = attrs.object as unknown as CustomResourceDefinition;
        const causes = validateCrdSchemas(crd);
        const expected = `${crd.spec?.names?.plural}.${crd.spec?.group}`;
        if (crd.metadata?.name !== expected) {
          causes.push({ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${crd.metadata?.name}": must be spec.names.plural+"."+spec.group` });
        }
        if (causes.length) throw errors.invalid('apiextensions.k8s.io', 'CustomResourceDefinition', crd.metadata?.name ?? '', causes);
      },
    });
  }

  private crdType(): ResourceType {
    const rt = this.deps.registry.lookup('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
    if (!rt) throw errors.internal('customresourcedefinitions are not registered');
    return rt;
  }

  async start(): Promise<void> {
    const rt = this.crdType();
    const cache = await this.deps.storage.cache(rt);
    const snapshot = cache.list(`${rt.storagePrefix}/`);
    for (const crd of snapshot.items) this.enqueue(crd);
    this.watch = cache.watch(`${rt.storagePrefix}/`, snapshot.revision, undefined, {
      onEvent: (e: CacheEvent) => this.enqueue(e.object, e.type === 'DELETED'),
      onClose: () => undefined,
    });
    await this.chain;
  }

  stop(): void {
    this.watch?.close();
  }

  /** Reconciles one CRD at a time, in event order. */
  private enqueue(obj: KubeObject, deleted = false): void {
    this.chain = this.chain
      .then(() => this.reconcile(obj as unknown as CustomResourceDefinition, deleted))
      .catch((err: unknown) => this.log(`crd ${obj.metadata.name}: ${err instanceof Error ? err.message : String(err)}`));
  }

  private async reconcile(crd: CustomResourceDefinition, deleted: boolean): Promise<void> {
    const name = crd.metadata?.name ?? '';
    if (deleted) {
      this.unregister(name);
      return;
    }
    if (crd.metadata?.deletionTimestamp) {
      await this.cleanup(crd);
      return;
    }
    this.register(crd);
    await this.updateStatus(crd);
  }

  private register(crd: CustomResourceDefinition): void {
    const name = crd.metadata?.name ?? '';
    const types = resourceTypesFor(crd);
    const before = this.served.get(name) ?? [];
    for (const old of before) {
      if (!types.some((t) => t.version === old.version && t.resource === old.resource)) {
        this.deps.registry.remove(old.group, old.version, old.resource);
      }
    }
    for (const v of crd.spec.versions) {
      const schema = v.served ? crdVersionSchema(crd, v.name) : undefined;
      if (schema) this.deps.schemas.setCustomResource(crd.spec.group, v.name, crd.spec.names.kind, schema);
      else this.deps.schemas.removeCustomResource(crd.spec.group, v.name, crd.spec.names.kind);
    }
    for (const t of types) this.deps.registry.add(t);
    this.served.set(name, types);
  }

  private unregister(name: string): void {
    for (const t of this.served.get(name) ?? []) {
      this.deps.registry.remove(t.group, t.version, t.resource);
      this.deps.schemas.removeCustomResource(t.group, t.version, t.kind);
    }
    const first = this.served.get(name)?.[0];
    if (first) this.deps.storage.dropCache(first.storagePrefix);
    this.served.delete(name);
  }

  private async updateStatus(crd: CustomResourceDefinition): Promise<void> {
    const rt = this.crdType();
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const storageVersion = crd.spec.versions.find((v) => v.storage)?.name;
    const desiredNames = acceptedNames(crd);
    const current = crd.status;
    const stored = new Set(current?.storedVersions ?? []);
    if (storageVersion) stored.add(storageVersion);
    const needsFinalizer = !(crd.metadata?.finalizers ?? []).includes(cleanupFinalizer);
    const condOk = (type: string) => current?.conditions?.some((c) => c.type === type && c.status === 'True');
    if (
      !needsFinalizer &&
      condOk('NamesAccepted') &&
      condOk('Established') &&
      deepEqual(current?.acceptedNames, desiredNames) &&
      deepEqual([...stored].sort(), [...(current?.storedVersions ?? [])].sort())
    ) {
      return;
    }
    const name = crd.metadata?.name ?? '';
    if (needsFinalizer) {
      await guaranteedUpdate(this.deps, systemRequest(rt, 'update', { name }), {
        dryRun: false,
        manager: 'skiff-apiextensions',
        subresource: '',
        recordManagedFields: false,
        mutate: (cur) => {
          if (cur.metadata.deletionTimestamp) return cur;
          cur.metadata.finalizers = [...new Set([...(cur.metadata.finalizers ?? []), cleanupFinalizer])];
          return cur;
        },
      });
    }
    await guaranteedUpdate(this.deps, systemRequest(rt, 'update', { name, subresource: 'status' }), {
      dryRun: false,
      manager: 'skiff-apiextensions',
      subresource: 'status',
      recordManagedFields: false,
      mutate: (cur) => {
        const c = cur as unknown as CustomResourceDefinition;
        const conditions = (c.status?.conditions ?? []).filter((x) => x.type !== 'NamesAccepted' && x.type !== 'Established');
        const keep = (type: string) => c.status?.conditions?.find((x) => x.type === type && x.status === 'True')?.lastTransitionTime ?? now;
        conditions.push(
          { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: keep('NamesAccepted') },
          { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: keep('Established') },
        );
        c.status = { ...(c.status ?? {}), conditions, acceptedNames: desiredNames, storedVersions: [...stored] };
        return cur;
      },
    });
  }

  /** CRD deletion: delete every custom resource, then drop the cleanup finalizer. */
  private async cleanup(crd: CustomResourceDefinition): Promise<void> {
    const name = crd.metadata?.name ?? '';
    const store = this.deps.storage.store;
    const prefix = `/registry/${crd.spec.group}/${crd.spec.names.plural}/`;
    for (;;) {
      const page = await store.list(prefix, { limit: 500 });
      for (const kv of page.items) {
        try {
          await store.delete(kv.key);
        } catch {
          // already gone
        }
      }
      if (!page.more) break;
    }
    this.unregister(name);
    if (!(crd.metadata?.finalizers ?? []).includes(cleanupFinalizer)) return;
    try {
      await guaranteedUpdate(this.deps, systemRequest(this.crdType(), 'update', { name }), {
        dryRun: false,
        manager: 'skiff-apiextensions',
        subresource: '',
        recordManagedFields: false,
        mutate: (cur) => {
          cur.metadata.finalizers = (cur.metadata.finalizers ?? []).filter((f) => f !== cleanupFinalizer);
          return cur;
        },
      });
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }
}

function acceptedNames(crd: CustomResourceDefinition) {
  const n = crd.spec.names;
  const out: Record<string, unknown> = {
    plural: n.plural,
    singular: n.singular || n.kind.toLowerCase(),
    kind: n.kind,
    listKind: n.listKind || `${n.kind}List`,
  };
  if (n.shortNames?.length) out['shortNames'] = n.shortNames;
  if (n.categories?.length) out['categories'] = n.categories;
  return out as unknown as NonNullable<CustomResourceDefinition['status']>['acceptedNames'];
}

/** One ResourceType per served version of a CRD (pure). */
export function resourceTypesFor(crd: CustomResourceDefinition): ResourceType[] {
  const spec = crd.spec;
  const served = spec.versions.filter((v) => v.served);
  const storage = spec.versions.find((v) => v.storage)?.name ?? served[0]?.name ?? '';
  const preferred = [...served].sort((a, b) => compareVersions(a.name, b.name))[0]?.name;
  return served.map((v) => resourceTypeFor(crd, v, storage, v.name === preferred));
}

function resourceTypeFor(crd: CustomResourceDefinition, v: CustomResourceDefinitionVersion, storageVersion: string, preferred: boolean): ResourceType {
  const spec = crd.spec;
  const n = spec.names;
  const group = spec.group;
  const sub = v.subresources ?? {};
  const subresources: ResourceType['subresources'] = [];
  if (sub.status) subresources.push({ name: 'status', responseKind: { group, version: v.name, kind: n.kind }, verbs: ['get', 'patch', 'update'] });
  if (sub.scale) subresources.push({ name: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] });
  const schema = crdVersionSchema(crd, v.name);
  const table = crdTableConvertor(v.additionalPrinterColumns ?? []);
  return {
    group,
    version: v.name,
    resource: n.plural,
    kind: n.kind,
    listKind: n.listKind || `${n.kind}List`,
    singular: n.singular || n.kind.toLowerCase(),
    namespaced: spec.scope === 'Namespaced',
    shortNames: n.shortNames ?? [],
    categories: n.categories ?? [],
    verbs: allVerbs,
    subresources,
    storagePrefix: `/registry/${group}/${n.plural}`,
    storageVersion,
    preferred,
    custom: true,
    strategy: {
      nameRule: 'dns1123-subdomain',
      statusSubresource: !!sub.status,
      generation: true,
      defaults: schema ? (obj) => applyDefaults(obj, schema) : undefined,
      validate: schema ? (obj) => validateCustomResource(obj, schema) : undefined,
      table,
      scale: sub.scale
        ? {
            specReplicasPath: sub.scale.specReplicasPath.replace(/^\./, ''),
            statusReplicasPath: sub.scale.statusReplicasPath.replace(/^\./, ''),
            labelSelectorPath: sub.scale.labelSelectorPath?.replace(/^\./, ''),
          }
        : undefined,
    },
  };
}
