// Which resources the server serves, for controllers that act on "every kind" (garbage collector, namespace
// deletion): the preferred version of every group (client-go's ServerPreferredResources), top-level
// resources only, with their verbs. A group version whose document cannot be fetched is reported in
// `failed` and the rest is still returned (client-go's ErrGroupDiscoveryFailed); only a failure of the group
// list itself is fatal. Uses ApiClient.discovery so resourceFor() sees the same fresh documents.
import { parseApiVersion } from '../api/types.js';
import type { ApiClient, CallOptions } from './client.js';
import type { ResourceRef } from './resource.js';

export interface DiscoveredResource extends ResourceRef {
  kind: string;
  verbs: string[];
}

export interface DiscoveryResult {
  resources: DiscoveredResource[];
  /** groupVersion → why its resource list could not be read. */
  failed: Map<string, Error>;
  /** A groupVersion string from the server that does not parse (client-go's GroupVersionResources error). */
  parseError?: Error;
}

interface APIGroupList {
  groups?: Array<{ name: string; preferredVersion?: { groupVersion: string; version: string }; versions?: Array<{ groupVersion: string; version: string }> }>;
}
interface APIVersions {
  versions?: string[];
}

/** client-go's ErrGroupDiscoveryFailed. */
export class GroupDiscoveryFailedError extends Error {
  constructor(readonly groups: Map<string, Error>) {
    const parts = [...groups].map(([gv, e]) => `${gv}: ${e.message}`).sort();
    super(`unable to retrieve the complete list of server APIs: ${parts.join(', ')}`);
    this.name = 'GroupDiscoveryFailedError';
  }
}

/** schema.ParseGroupVersion: "" or "v" or "g/v"; anything else is an error. */
export function parseGroupVersion(gv: string): { group: string; version: string } {
  if (gv === '' || gv === '/') return { group: '', version: '' };
  const parts = gv.split('/');
  if (parts.length > 2 || parts.some((p) => p === '')) throw new Error(`unexpected GroupVersion string: ${gv}`);
  return parseApiVersion(gv);
}

export async function discoverPreferredResources(client: ApiClient, opts: CallOptions = {}): Promise<DiscoveryResult> {
  const [core, groups] = await Promise.all([
    client.call<APIVersions>('GET', '/api', opts),
    client.call<APIGroupList>('GET', '/apis', opts),
  ]);
  const gvs: string[] = [];
  const coreVersion = core.versions?.[0];
  if (coreVersion) gvs.push(coreVersion);
  for (const g of groups.groups ?? []) {
    const gv = g.preferredVersion?.groupVersion ?? g.versions?.[0]?.groupVersion;
    if (gv) gvs.push(gv);
  }
  const failed = new Map<string, Error>();
  let parseError: Error | undefined;
  const lists = await Promise.all(
    gvs.map(async (gv) => {
      let parsed: { group: string; version: string };
      try {
        parsed = parseGroupVersion(gv);
      } catch (e) {
        parseError ??= e as Error;
        return [];
      }
      try {
        const list = await client.discovery.resources(parsed.group, parsed.version, true);
        return list
          .filter((r) => !r.name.includes('/'))
          .map<DiscoveredResource>((r) => ({
            group: parsed.group,
            version: parsed.version,
            resource: r.name,
            namespaced: r.namespaced,
            kind: r.kind,
            verbs: r.verbs ?? [],
          }));
      } catch (e) {
        failed.set(gv, e instanceof Error ? e : new Error(String(e)));
        return [];
      }
    }),
  );
  return { resources: lists.flat(), failed, ...(parseError ? { parseError } : {}) };
}

export function supportsAllVerbs(r: DiscoveredResource, verbs: readonly string[]): boolean {
  return verbs.every((v) => r.verbs.includes(v));
}

/** A stable map key for a group/version/resource. */
export function resourceKey(r: { group: string; version: string; resource: string }): string {
  return `${r.group}/${r.version}/${r.resource}`;
}
