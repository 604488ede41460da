// Shapes shared by every part of the API machinery: the generic object, group/version/kind/resource
// identities. Kind-specific types come from `kubernetes-types`; this module must stay kind-agnostic.
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';

/** kubernetes-types marks fields readonly; the server sets system fields, so it works on mutable copies. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Any API object as stored and served: typed metadata, everything else open. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: Mutable<ObjectMeta>;
  [field: string]: unknown;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** Plain JSON value, for code that walks arbitrary objects (patches, pruning, field paths). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
