// What the scheduler keeps of a pod (its pod informer's transform): everything the queue, the cache, the
// plugins, preemption and the event recorder read, without what only a node agent needs — containers' env,
// commands, mounts and probes, the container statuses, pod IPs, annotations and managedFields. The cache holds
// every pod in the cluster (150,000 in a large one), so this is most of the scheduler's memory. Pure.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';

/** The container fields scheduling reads: requests (NodeResourcesFit), host ports, image, sidecar policy. */
function containerView(c: Container): Container {
  const out: Container = { name: c.name };
  if (c.image !== undefined) out.image = c.image;
  if (c.resources) out.resources = c.resources;
  if (c.ports) out.ports = c.ports;
  if (c.restartPolicy !== undefined) out.restartPolicy = c.restartPolicy;
  return out;
}

function withoutEphemeral(spec: NonNullable<Pod['spec']>): NonNullable<Pod['spec']> {
  const { ephemeralContainers: _e, ...rest } = spec;
  return rest;
}

export function schedulerPodView(pod: Pod): Pod {
  const { managedFields: _mf, annotations: _a, ...metadata } = pod.metadata ?? {};
  const spec = pod.spec;
  const st = pod.status;
  const scheduled = st?.conditions?.filter((c) => c.type === 'PodScheduled');
  return {
    ...(pod.apiVersion ? { apiVersion: pod.apiVersion } : {}),
    ...(pod.kind ? { kind: pod.kind } : {}),
    metadata,
    ...(spec
      ? {
          spec: {
            ...withoutEphemeral(spec),
            containers: spec.containers.map(containerView),
            ...(spec.initContainers ? { initContainers: spec.initContainers.map(containerView) } : {}),
          },
        }
      : {}),
    ...(st
      ? {
          status: {
            ...(st.phase ? { phase: st.phase } : {}),
            ...(st.nominatedNodeName ? { nominatedNodeName: st.nominatedNodeName } : {}),
            ...(st.startTime ? { startTime: st.startTime } : {}),
            ...(scheduled?.length ? { conditions: scheduled } : {}),
          },
        }
      : {}),
  };
}
