// Maps apiVersion + kind to a resource through the server's discovery documents (GET /api/v1,
// /apis/<group>/<version>), cached per group version. A miss refetches once, so kinds added later (CRDs)
// are found; there is no other expiry. It must not guess plural names.
import { StatusError } from '../api/errors.js';
import { parseApiVersion } from '../api/types.js';
import { apiErrorFromResponse, isNotFound } from './errors.js';
import { groupVersionPath, type ResourceRef } from './resource.js';
import type { Transport } from './transport.js';

export interface ApiResource {
  name: string;
  singularName?: string;
  namespaced: boolean;
  kind: string;
  verbs?: string[];
  shortNames?: string[];
}

export class Discovery {
  private readonly cache = new Map<string, Promise<ApiResource[]>>();

  constructor(private readonly transport: Transport) {}

  /** Resources of one group version (subresources included, e.g. "pods/status"). */
  resources(group: string, version: string, refresh = false): Promise<ApiResource[]> {
    const key = `${group}/${version}`;
    let p = refresh ? undefined : this.cache.get(key);
    if (!p) {
      p = this.fetch(group, version);
      this.cache.set(key, p);
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ResourceRef> {
    const { group, version } = parseApiVersion(apiVersion);
    const find = (list: ApiResource[]) => list.find((r) => r.kind === kind && !r.name.includes('/'));
    let found: ApiResource | undefined;
    try {
      found = find(await this.resources(group, version));
      if (!found) found = find(await this.resources(group, version, true));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (!found) throw new StatusError(404, 'NotFound', `no matches for kind "${kind}" in version "${apiVersion}"`, { group, kind });
    return { group, version, resource: found.name, namespaced: found.namespaced, kind: found.kind };
  }

  invalidate(): void {
    this.cache.clear();
  }

  private async fetch(group: string, version: string): Promise<ApiResource[]> {
    const res = await this.transport.request('GET', groupVersionPath(group, version));
    if (res.status !== 200) throw apiErrorFromResponse(res.status, res.body);
    const doc = JSON.parse(res.body) as { resources?: ApiResource[] };
    return doc.resources ?? [];
  }
}
