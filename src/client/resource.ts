// How the client names a resource (group, version, plural resource, scope) and turns that into REST paths.
// `Resource<T>` carries the object type so typed clients infer it. Pure; no I/O.
import type { KubeObject } from '../api/types.js';

export interface ResourceRef {
  group: string;
  version: string;
  /** Plural lower-case name, e.g. "deployments". */
  resource: string;
  namespaced: boolean;
  /** The Kind, when known (used to fill kind/apiVersion on create). */
  kind?: string;
}

/** A ResourceRef tagged with the object type it serves (the tag exists only for the type checker). */
export interface Resource<T = KubeObject> extends ResourceRef {
  readonly __objectType?: T;
}

export function defineResource<T>(ref: ResourceRef): Resource<T> {
  return ref as Resource<T>;
}

export function apiVersionFor(r: ResourceRef): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** /api/v1 or /apis/<group>/<version>. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

const seg = (s: string) => encodeURIComponent(s);

/**
 * Collection or item path. A namespaced resource without a namespace addresses all namespaces (list,
 * watch); a cluster-scoped resource ignores the namespace.
 */
export function resourcePath(r: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  let p = groupVersionPath(r.group, r.version);
  if (r.namespaced && namespace) p += `/namespaces/${seg(namespace)}`;
  p += `/${r.resource}`;
  if (name !== undefined) {
    if (name === '') throw new TypeError(`resource name may not be empty (${r.resource})`);
    p += `/${seg(name)}`;
    if (subresource) p += `/${subresource}`;
  }
  return p;
}
