// What the scheduler keeps of a pod (its pod informer's transform): everything the queue, the cache, the
// plugins, preemption and the event recorder read, without what only a node agent needs — containers' env,
// commands, mounts and probes, volumes other than claims, DNS and security settings, the container statuses,
// pod IPs, annotations and managedFields. The cache holds every pod in the cluster (150,000 in a large one),
// so this is most of the scheduler's memory. Pure.
import type { Container, Pod, PodSpec } from 'kubernetes-types/core/v1.js';

/** The pod spec fields scheduling reads (besides containers, initContainers and volumes, trimmed below). */
const specFields = [
  'nodeName',
  'nodeSelector',
  'affinity',
  'tolerations',
  'schedulerName',
  'schedulingGates',
  'priority',
  'priorityClassName',
  'preemptionPolicy',
  'overhead',
  'topologySpreadConstraints',
  'hostNetwork',
] as const satisfies readonly (keyof PodSpec)[];

/** The container fields scheduling reads: requests (NodeResourcesFit), host ports, image, sidecar policy. */
function containerView(c: Container): Container {
  const out: Container = { name: c.name };
  if (c.image !== undefined) out.image = c.image;
  if (c.resources) out.resources = c.resources;
  if (c.ports) out.ports = c.ports;
  if (c.restartPolicy !== undefined) out.restartPolicy = c.restartPolicy;
  return out;
}

function specView(spec: PodSpec): PodSpec {
  const out: Record<string, unknown> = {};
  for (const k of specFields) if (spec[k] !== undefined) out[k] = spec[k];
  out['containers'] = spec.containers.map(containerView);
  if (spec.initContainers) out['initContainers'] = spec.initContainers.map(containerView);
  // VolumeBinding reads the claims; other volumes (every pod's projected token) are a node's business.
  const claims = spec.volumes?.filter((v) => v.persistentVolumeClaim);
  if (claims?.length) out['volumes'] = claims;
  return out as unknown as PodSpec;
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
    ...(spec ? { spec: specView(spec) } : {}),
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
