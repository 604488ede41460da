// What the API server needs to know about one served resource: its identity for discovery and routing, and
// its strategy (defaults, validation, status split, table columns, field selectors, conversion). Built-in
// kinds are declared in src/api/kinds/; CRDs produce ResourceTypes at run time. This module only declares
// the shapes; it must not import the HTTP server or storage.
import type { KubeObject, GroupVersionKind } from './types.js';
import type { StatusCause } from './errors.js';

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export interface SubresourceInfo {
  /** e.g. "status", "scale", "log", "exec", "portforward", "binding", "eviction", "attach", "proxy". */
  name: string;
  /** Kind the subresource speaks (Scale is autoscaling/v1 Scale; status speaks the parent kind). */
  responseKind: GroupVersionKind;
  verbs: Verb[];
}

export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description: string;
  /** 0 = default columns, 1 = `-o wide`. */
  priority: number;
}

export interface TableConvertor {
  columns: TableColumn[];
  /** One row's cells, in column order. Dates as RFC3339 strings or ages rendered as upstream does. */
  row(obj: KubeObject, now: Date): unknown[];
}

/** How names are validated (upstream's ValidateNameFunc per kind). */
export type NameRule = 'dns1123-subdomain' | 'dns1123-label' | 'dns1035-label' | 'path-segment';

export interface ValidationContext {
  /** True on update; `old` is then the stored object. */
  old?: KubeObject;
  /** The subresource written ('status' for a status write, which keeps everything outside status as stored). */
  subresource?: string;
}

export interface KindStrategy {
  nameRule: NameRule;
  /** Status is a subresource: main-resource writes keep the stored status; status writes keep the rest. */
  statusSubresource: boolean;
  /** metadata.generation is maintained (starts at 1, +1 on every change outside metadata and status). */
  generation: boolean;
  /**
   * Fill in upstream defaults; idempotent; mutates in place. Runs on create, update and patch results; on a
   * status write it sees only apiVersion, kind, metadata and status (the rest stays as stored).
   */
  defaults?(obj: KubeObject): void;
  /**
   * Strategy hooks as upstream's PrepareForCreate/PrepareForUpdate (e.g. reset status on create). `old` is
   * read only and may be the watch cache's shared object: never change it, and copy (never share) what is
   * taken from it into obj.
   */
  prepareForCreate?(obj: KubeObject): void;
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  /** Semantic validation beyond the schema (required fields, enums, immutability); field paths as upstream. */
  validate?(obj: KubeObject, ctx: ValidationContext): StatusCause[];
  /** Table columns for `kubectl get`; absent → NAME/AGE (plus CRD printer columns when set). */
  table?: TableConvertor;
  /** Field selectors beyond metadata.name / metadata.namespace, which every kind supports. */
  fieldSelectors?: Record<string, (obj: KubeObject) => string | undefined>;
  /** JSON paths (dotted, e.g. "spec.replicas") backing the scale subresource. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  /** Pods: seconds of grace a DELETE gets when the client does not say (undefined = delete at once). */
  defaultGracePeriodSeconds?(obj: KubeObject): number | undefined;
}

/**
 * Conversion between the version served and the version stored, for kinds served at several versions
 * (autoscaling/v1 and v2 HPAs, core/v1 and events.k8s.io/v1 Events). Absent = same shape.
 */
export interface VersionConversion {
  toStorage(obj: KubeObject): KubeObject;
  fromStorage(obj: KubeObject): KubeObject;
}

export interface ResourceType {
  group: string;
  version: string;
  /** Plural lower-case name used in URLs ("deployments"). */
  resource: string;
  kind: string;
  listKind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: Verb[];
  subresources: SubresourceInfo[];
  /** Storage key prefix without trailing slash, e.g. "/registry/deployments" (upstream layout). */
  storagePrefix: string;
  /** The version objects are stored in (apiVersion written into stored JSON). */
  storageVersion: string;
  /** The preferred version of this group for discovery ordering. */
  preferred: boolean;
  conversion?: VersionConversion;
  strategy: KindStrategy;
  /** Served from a CustomResourceDefinition (validation errors are 422 with causes, not decode errors). */
  custom?: boolean;
}
