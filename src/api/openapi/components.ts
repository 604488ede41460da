// What both OpenAPI renderers share: which definition serves a kind (including list kinds synthesized for
// custom resources), the set of definitions reachable from a group version's operations, the cache key of a
// resource list, and per-registry memoization. No rendering of paths here.
import type { ResourceType } from '../resource.js';
import type { GroupVersionKind } from '../types.js';
import { REF_PREFIX, refName, type SchemaRegistry } from '../schema/registry.js';
import type { Schema } from '../schema/types.js';
import { DEF, type KindLookup, type PathItem, resourcePaths } from './operations.js';

/** The Kubernetes version the documents describe (what /version reports). */
export const OPENAPI_INFO = { title: 'Kubernetes', version: 'v1.32.5' } as const;

export interface Document {
  body: string;
  etag: string;
}

/** Definitions visible to a document: the registry's plus list kinds synthesized for custom resources. */
export class DefinitionSet {
  private readonly extra = new Map<string, Schema>();

  constructor(private readonly registry: SchemaRegistry) {}

  get(name: string): Schema | undefined {
    return this.extra.get(name) ?? this.registry.definition(name);
  }

  readonly lookup: KindLookup = (gvk: GroupVersionKind) => this.registry.definitionNameForKind(gvk.group, gvk.version, gvk.kind);

  /** Lookup that also answers list kinds of custom resources (synthesizing "<kind definition>List"). */
  lookupFor(rt: ResourceType): KindLookup {
    return (gvk) => {
      const found = this.lookup(gvk);
      if (found || gvk.kind !== rt.listKind || gvk.group !== rt.group || gvk.version !== rt.version) return found;
      const item = this.lookup({ group: rt.group, version: rt.version, kind: rt.kind });
      if (!item) return undefined;
      const name = `${item}List`;
      if (!this.extra.has(name) && !this.registry.definition(name)) this.extra.set(name, listSchema(rt, item));
      return name;
    };
  }

  pathsFor(rt: ResourceType): PathItem[] {
    return resourcePaths(rt, this.lookupFor(rt), this.registry.isCustomResource(rt.group, rt.version, rt.kind));
  }

  /** Names of every definition reachable from `roots`, sorted. */
  closure(roots: Iterable<string>): string[] {
    const seen = new Set<string>();
    const stack = [...roots];
    while (stack.length) {
      const name = stack.pop()!;
      if (seen.has(name)) continue;
      const def = this.get(name);
      if (!def) continue;
      seen.add(name);
      collectRefs(def, stack);
    }
    return [...seen].sort();
  }
}

function collectRefs(v: unknown, out: string[]): void {
  if (Array.isArray(v)) {
    for (const x of v) collectRefs(x, out);
    return;
  }
  if (!v || typeof v !== 'object') return;
  for (const [k, x] of Object.entries(v)) {
    if (k === '$ref' && typeof x === 'string') {
      const n = refName(x);
      if (n) out.push(n);
    } else if (typeof x === 'object') collectRefs(x, out);
  }
}

function listSchema(rt: ResourceType, itemDef: string): Schema {
  return {
    description: `${rt.listKind} is a list of ${rt.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: {
        type: 'string',
        description:
          'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
      },
      items: {
        type: 'array',
        description: `List of ${rt.resource}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
        items: { $ref: REF_PREFIX + itemDef },
      },
      kind: {
        type: 'string',
        description:
          'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      },
      metadata: {
        allOf: [{ $ref: REF_PREFIX + DEF.listMeta }],
        description:
          'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      },
    },
    'x-kubernetes-group-version-kind': [{ group: rt.group, version: rt.version, kind: rt.listKind }],
  };
}

/** Definition names an operation list refers to directly. */
export function operationRoots(items: PathItem[]): string[] {
  const roots = new Set<string>([DEF.status]);
  for (const item of items) {
    for (const op of item.operations) {
      if (op.body?.definition) roots.add(op.body.definition);
      for (const r of op.responses) if (r.definition && r.definition !== 'text') roots.add(r.definition);
    }
  }
  return [...roots];
}

// ---- cache keys and memoization ----

const keyCache = new WeakMap<readonly ResourceType[], string>();

export function resourcesKey(resources: readonly ResourceType[]): string {
  let key = keyCache.get(resources);
  if (key === undefined) {
    key = resources
      .map(
        (r) =>
          `${r.group}/${r.version}/${r.resource}/${r.kind}/${r.listKind}/${r.namespaced ? 'n' : 'c'}/${r.verbs.join(',')}/${r.subresources
            .map((s) => `${s.name}:${s.responseKind.group}.${s.responseKind.version}.${s.responseKind.kind}:${s.verbs.join(',')}`)
            .join(';')}`,
      )
      .join('|');
    keyCache.set(resources, key);
  }
  return key;
}

interface MemoEntry {
  key: string;
  docs: Map<string, Document | null>;
}

const memo = new WeakMap<SchemaRegistry, MemoEntry>();

/** Returns the cached document for (registry generation, resources, name), building it when missing. */
export function memoized(
  registry: SchemaRegistry,
  resources: readonly ResourceType[],
  name: string,
  build: () => Document | null,
): Document | null {
  const key = `${registry.generation}#${resourcesKey(resources)}`;
  let entry = memo.get(registry);
  if (!entry || entry.key !== key) {
    entry = { key, docs: new Map() };
    memo.set(registry, entry);
  }
  let doc = entry.docs.get(name);
  if (doc === undefined) {
    doc = build();
    entry.docs.set(name, doc);
  }
  return doc;
}
