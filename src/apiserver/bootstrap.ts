// Objects every cluster starts with, created through the normal REST path when missing: the namespaces
// default, kube-system, kube-public and kube-node-lease (as upstream's system namespaces controller), the
// built-in priority classes system-node-critical and system-cluster-critical, and the `kubernetes` Service
// (the first address of the service CIDR, 10.43.0.1:443 by default) whose Endpoints and EndpointSlice list this server's address (upstream's endpoint
// reconciler; with several servers each adds its own address).
import { errors, StatusError } from '../api/errors.js';
import { create } from './rest/create.js';
import { guaranteedUpdate } from './rest/update.js';
import { systemRequest } from './rest/system-request.js';
import type { RestDeps } from './rest/types.js';
import type { KubeObject } from '../api/types.js';
import { systemPriorityClasses } from './admission/priority.js';
import { serviceCidrOf } from '../network/service-cidr.js';

export const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface BootstrapOptions {
  /** Where clients inside the cluster reach this server. */
  advertise?: { address: string; port: number };
  /** The service CIDR (--service-cidr); the `kubernetes` Service takes its first address. */
  serviceCidr?: string;
}

export async function bootstrap(deps: RestDeps, opts: BootstrapOptions = {}): Promise<void> {
  for (const name of systemNamespaces) {
    await ensure(deps, '', 'namespaces', name, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  if (opts.advertise) await kubernetesService(deps, serviceCidrOf(opts.serviceCidr).kubernetesIP, opts.advertise.address, opts.advertise.port);
  for (const pc of systemPriorityClasses) {
    await ensure(deps, 'scheduling.k8s.io', 'priorityclasses', pc.name, {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: pc.name },
      value: pc.value,
      description: pc.description,
    });
  }
}

/** The `kubernetes` Service and its endpoints pointing at this server. */
async function kubernetesService(deps: RestDeps, kubernetesServiceIp: string, address: string, port: number): Promise<void> {
  await ensure(deps, '', 'services', 'kubernetes', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP: kubernetesServiceIp, clusterIPs: [kubernetesServiceIp], ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }], sessionAffinity: 'None' },
  });
  const ports = [{ name: 'https', port, protocol: 'TCP' }];
  await upsert(deps, '', 'v1', 'endpoints', 'kubernetes', (cur) => {
    const addresses = new Set<string>((cur?.['subsets'] as { addresses?: { ip: string }[] }[] | undefined)?.[0]?.addresses?.map((a) => a.ip) ?? []);
    addresses.add(address);
    return {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [{ addresses: [...addresses].sort().map((ip) => ({ ip })), ports }],
    };
  });
  await upsert(deps, 'discovery.k8s.io', 'v1', 'endpointslices', 'kubernetes', (cur) => {
    const addresses = new Set<string>(((cur?.['endpoints'] as { addresses: string[] }[] | undefined) ?? []).flatMap((e) => e.addresses));
    addresses.add(address);
    return {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints: [...addresses].sort().map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      ports,
    };
  });
}

/** Creates or updates a default-namespace object so that it is `desired(current)`. */
async function upsert(deps: RestDeps, group: string, version: string, resource: string, name: string, desired: (cur?: KubeObject) => KubeObject): Promise<void> {
  const rt = deps.registry.lookup(group, version, resource);
  if (!rt) throw errors.internal(`${resource} are not registered`);
  const current = await deps.storage.get(rt, 'default', name);
  if (!current) {
    await create(deps, systemRequest(rt, 'create', { namespace: 'default', body: desired() }));
    return;
  }
  await guaranteedUpdate(deps, systemRequest(rt, 'update', { namespace: 'default', name }), {
    dryRun: false,
    manager: 'skiff-apiserver',
    subresource: '',
    recordManagedFields: true,
    mutate: (cur) => ({ ...desired(cur), metadata: { ...cur.metadata, labels: desired(cur).metadata.labels } }),
  });
}

async function ensure(deps: RestDeps, group: string, resource: string, name: string, body: KubeObject): Promise<void> {
  const rt = deps.registry.lookup(group, 'v1', resource);
  if (!rt) throw errors.internal(`${resource} are not registered`);
  const namespace = body.metadata.namespace ?? '';
  if (await deps.storage.get(rt, namespace, name)) return;
  try {
    await create(deps, systemRequest(rt, 'create', { namespace, body }));
  } catch (err) {
    if (!(err instanceof StatusError && err.reason === 'AlreadyExists')) throw err;
  }
}
