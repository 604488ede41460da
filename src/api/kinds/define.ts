// Small builders shared by the kind declarations: verb sets, subresource entries and a ResourceType
// constructor that fills the parts every built-in shares (listKind, singular, table). Declarations only;
// this module must not hold kind-specific rules.
import type { KindStrategy, ResourceType, SubresourceInfo, Verb, VersionConversion } from '../resource.js';
import { tableFor } from '../tables/index.js';

export const ALL_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
/** Namespaces and a few others serve no deletecollection upstream. */
export const VERBS_NO_DELETECOLLECTION: Verb[] = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
export const CREATE_ONLY: Verb[] = ['create'];
export const GET_PATCH_UPDATE: Verb[] = ['get', 'patch', 'update'];
/** Connect-style subresources (proxy) list these verbs in discovery. */
export const PROXY_VERBS: Verb[] = ['create', 'delete', 'get', 'patch', 'update'];

export function statusSub(group: string, version: string, kind: string): SubresourceInfo {
  return { name: 'status', responseKind: { group, version, kind }, verbs: GET_PATCH_UPDATE };
}

export function scaleSub(): SubresourceInfo {
  return { name: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: GET_PATCH_UPDATE };
}

export interface ResourceSpec {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: Verb[];
  subresources?: SubresourceInfo[];
  /** Defaults to `/registry/<resource>`; '' for resources that are never stored (reviews, bindings). */
  storagePrefix?: string;
  storageVersion?: string;
  preferred?: boolean;
  conversion?: VersionConversion;
  strategy: KindStrategy;
}

export function defineResource(s: ResourceSpec): ResourceType {
  const strategy: KindStrategy = { ...s.strategy };
  const table = tableFor(s.group, s.kind);
  if (table) strategy.table = table;
  const rt: ResourceType = {
    group: s.group,
    version: s.version,
    resource: s.resource,
    kind: s.kind,
    listKind: `${s.kind}List`,
    singular: s.kind.toLowerCase(),
    namespaced: s.namespaced,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    verbs: s.verbs ?? ALL_VERBS,
    subresources: s.subresources ?? [],
    storagePrefix: s.storagePrefix ?? `/registry/${s.resource}`,
    storageVersion: s.storageVersion ?? s.version,
    preferred: s.preferred ?? true,
    strategy,
  };
  if (s.conversion) rt.conversion = s.conversion;
  return rt;
}
