// What a pod worker needs besides the runtime: the pod's volumes (set up before the sandbox, mounted into
// containers, refreshed, torn down) and each container's resolved environment, command and args. The
// real implementations are src/agent/volumes (PodVolumes) and src/agent/env (resolveContainerEnv); this
// module names the seam and wires them, so pod-workers.ts depends on neither directly.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { KeyValue, Mount } from '../runtime/runtime.js';
import type { ApiClient } from '../client/client.js';
import type { Informer } from '../client/informer.js';
import { apiSources, type PodInputSources } from './env/sources.js';

export interface PodVolumesHandle {
  mountsFor(container: Container): Mount[];
  /** Refreshes configMap/secret/projected/downwardAPI contents. */
  sync(pod: Pod): Promise<void>;
  tearDown(): Promise<void>;
}

export interface PodInputs {
  /** Throws VolumeSetupError (the pod stays ContainerCreating; event FailedMount). */
  setUpVolumes(pod: Pod): Promise<PodVolumesHandle>;
  /** Throws ContainerConfigError (waiting reason CreateContainerConfigError). */
  resolveEnv(pod: Pod, container: Container): Promise<{ env: KeyValue[]; command: string[]; args: string[]; warnings?: { reason: string; message: string }[] }>;
}

/** The real pod inputs: PodVolumes (src/agent/volumes) and resolveContainerEnv (src/agent/env). */
export async function podInputs(ctx: { client: ApiClient; nodeName: string; dataDir: string; sources?: PodInputSources }): Promise<PodInputs> {
  const [{ PodVolumes }, { resolveContainerEnv }] = await Promise.all([import('./volumes/index.js'), import('./env/index.js')]);
  return {
    setUpVolumes: (pod) => PodVolumes.setUp(ctx, pod),
    resolveEnv: (pod, container) => resolveContainerEnv(ctx, pod, container),
  };
}

/**
 * Sources backed by what the agent already watches, as the kubelet's service lister: Services from an
 * informer (every container start needs them for its environment) and the node from the agent's own copy;
 * ConfigMaps and Secrets are read when needed.
 */
export function cachedSources(client: ApiClient, services: Informer<Service>, node: () => Node | undefined): PodInputSources {
  const api = apiSources(client);
  return {
    configMap: api.configMap,
    secret: api.secret,
    services: async (namespace) => {
      const all = services.indexer.list();
      return all.filter((s) => s.metadata?.namespace === namespace || s.metadata?.namespace === 'default');
    },
    node: async (name) => node() ?? api.node(name),
  };
}
