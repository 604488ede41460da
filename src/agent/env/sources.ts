// Where pod inputs come from: the ConfigMaps, Secrets, Services and the Node a pod's environment and volumes
// are built from. `apiSources` reads them through the API; an agent holding informer caches may pass its own.
// A missing object is `undefined` (callers decide whether that is an error, e.g. `optional`); other failures
// propagate.
import type { ConfigMap, Node, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../client/client.js';
import * as resources from '../../client/resources.js';

export interface PodInputSources {
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
  /** The Services of `namespace` plus those of "default" (service environment variables need both). */
  services(namespace: string): Promise<Service[]>;
  node(name: string): Promise<Node | undefined>;
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if ((e as { code?: number }).code === 404) return undefined;
    throw e;
  }
}

export function apiSources(client: ApiClient): PodInputSources {
  return {
    configMap: (namespace, name) => orUndefined(client.get<ConfigMap>(resources.configMaps, name, { namespace })),
    secret: (namespace, name) => orUndefined(client.get<Secret>(resources.secrets, name, { namespace })),
    services: async (namespace) => {
      const namespaces = namespace === 'default' ? ['default'] : [namespace, 'default'];
      const lists = await Promise.all(namespaces.map((ns) => client.list<Service>(resources.services, { namespace: ns })));
      return lists.flatMap((l) => l.items);
    },
    node: (name) => orUndefined(client.get<Node>(resources.nodes, name)),
  };
}

/** upstream's watch-based configmap/secret managers answer a missing object with these messages. */
export const notFoundMessage = (kind: 'configmap' | 'secret', name: string) => `${kind} "${name}" not found`;

/** Secret data (base64 in the API) as bytes. */
export function secretBytes(secret: Secret, key: string): Buffer | undefined {
  const v = secret.data?.[key];
  if (v !== undefined) return Buffer.from(v, 'base64');
  const s = secret.stringData?.[key];
  return s !== undefined ? Buffer.from(s, 'utf8') : undefined;
}

/** The node's IPs for status.hostIP(s): InternalIP addresses first, then ExternalIP. */
export function nodeIPs(node: Node | undefined): string[] {
  const addrs = node?.status?.addresses ?? [];
  const pick = (t: string) => addrs.filter((a) => a.type === t).map((a) => a.address);
  return [...pick('InternalIP'), ...pick('ExternalIP')];
}

/** A pod's IPs as its status reports them. */
export function podIPsOf(pod: Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip ?? "").filter(Boolean);
  if (ips.length) return ips;
  return pod.status?.podIP ? [pod.status.podIP] : [];
}
