// Finds a pod's containers and sandbox among what the runtime holds, through the labels the agent puts on
// everything it creates (the kubelet's io.kubernetes.* labels). Choosing is pure; listing is the runtime's.
import type { ContainerStatus, PodSandboxStatus, Runtime } from '../../runtime/runtime.js';
import type { PodRef } from './routes.js';

export const labels = {
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
} as const;
export const restartCountAnnotation = 'io.kubernetes.container.restartCount';

function belongs(l: Record<string, string>, ref: PodRef): boolean {
  return l[labels.podNamespace] === ref.namespace && l[labels.podName] === ref.pod && (!ref.uid || l[labels.podUid] === ref.uid);
}

/** The container's instances, newest first (by attempt, then creation time). */
export function instancesOf(all: ContainerStatus[], ref: PodRef, container: string): ContainerStatus[] {
  return all
    .filter((c) => belongs(c.labels, ref) && (c.labels[labels.containerName] ?? c.name) === container)
    .sort((a, b) => b.attempt - a.attempt || b.createdAtMs - a.createdAtMs);
}

/**
 * The instance a request addresses: the current one (the newest; for exec/attach it must be running), or
 * with `previous` the one before it.
 */
export function pickInstance(instances: ContainerStatus[], previous: boolean): ContainerStatus | undefined {
  return previous ? instances[1] : instances[0];
}

/** The pod's current sandbox (the ready one, else the newest). */
export function pickSandbox(all: PodSandboxStatus[], ref: PodRef): PodSandboxStatus | undefined {
  const mine = all.filter((s) => s.namespace === ref.namespace && s.name === ref.pod && (!ref.uid || s.uid === ref.uid));
  mine.sort((a, b) => (a.state === b.state ? b.attempt - a.attempt || b.createdAtMs - a.createdAtMs : a.state === 'ready' ? -1 : 1));
  return mine[0];
}

export async function findInstances(runtime: Runtime, ref: PodRef, container: string): Promise<ContainerStatus[]> {
  return instancesOf(await runtime.listContainers(), ref, container);
}
