// The set of resources this server serves right now: built-in kinds plus those CRDs add at run time.
// Lookups by URL identity (group/version/resource) and by kind; a generation counter tells caches
// (discovery, OpenAPI) when to rebuild. It must not know how objects are stored or served.
import type { ResourceType } from '../api/resource.js';
import { innerMap } from '../util/nested-map.js';

export class ResourceRegistry {
  private readonly byGVR = new Map<string, ResourceType>();
  /** lookup's index, by group, version and resource: no key string made per request. */
  private readonly index = new Map<string, Map<string, Map<string, ResourceType>>>();
  private readonly listeners: (() => void)[] = [];
  private gen = 0;

  constructor(initial: ResourceType[] = []) {
    for (const rt of initial) this.set(rt);
  }

  private set(rt: ResourceType): void {
    this.byGVR.set(gvrKey(rt.group, rt.version, rt.resource), rt);
    innerMap(innerMap(this.index, rt.group), rt.version).set(rt.resource, rt);
  }

  get generation(): number {
    return this.gen;
  }

  add(rt: ResourceType): void {
    this.set(rt);
    this.changed();
  }

  remove(group: string, version: string, resource: string): void {
    this.index.get(group)?.get(version)?.delete(resource);
    if (this.byGVR.delete(gvrKey(group, version, resource))) this.changed();
  }

  lookup(group: string, version: string, resource: string): ResourceType | undefined {
    return this.index.get(group)?.get(version)?.get(resource);
  }

  /** The served resource for a kind in a group/version (e.g. to resolve a Scale's parent or an ownerRef). */
  byKind(group: string, version: string, kind: string): ResourceType | undefined {
    for (const rt of this.byGVR.values()) {
      if (rt.group === group && rt.version === version && rt.kind === kind) return rt;
    }
    return undefined;
  }

  /** Every served resource, in registration order. */
  all(): ResourceType[] {
    return [...this.byGVR.values()];
  }

  /** Group versions in discovery order: core first, then groups as registered; preferred version first. */
  groupVersions(): { group: string; versions: string[]; preferred: string }[] {
    const groups = new Map<string, { versions: string[]; preferred: string }>();
    for (const rt of this.byGVR.values()) {
      let g = groups.get(rt.group);
      if (!g) {
        g = { versions: [], preferred: '' };
        groups.set(rt.group, g);
      }
      if (!g.versions.includes(rt.version)) g.versions.push(rt.version);
      if (rt.preferred) g.preferred = rt.version;
    }
    const out: { group: string; versions: string[]; preferred: string }[] = [];
    for (const [group, g] of groups) {
      const preferred = g.preferred || g.versions[0];
      const versions = [preferred, ...g.versions.filter((v) => v !== preferred).sort(compareVersions)];
      out.push({ group, versions, preferred });
    }
    out.sort((a, b) => (a.group === '' ? -1 : b.group === '' ? 1 : 0));
    return out;
  }

  resourcesIn(group: string, version: string): ResourceType[] {
    return this.all().filter((rt) => rt.group === group && rt.version === version);
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    this.gen++;
    for (const l of this.listeners) l();
  }
}

function gvrKey(group: string, version: string, resource: string): string {
  return `${group}/${version}/${resource}`;
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (v2 > v1 > v1beta2 > v1beta1 > v1alpha1). */
export function compareVersions(a: string, b: string): number {
  const pa = parseKubeVersion(a);
  const pb = parseKubeVersion(b);
  if (!pa || !pb) return pa ? -1 : pb ? 1 : a.localeCompare(b);
  if (pa.stage !== pb.stage) return pb.stage - pa.stage;
  if (pa.major !== pb.major) return pb.major - pa.major;
  return pb.minor - pa.minor;
}

function parseKubeVersion(v: string): { major: number; stage: number; minor: number } | undefined {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return undefined;
  return { major: Number(m[1]), stage: m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2, minor: Number(m[3] ?? 0) };
}
