// What the scheduler keeps of a pod (its pod informer's transform): everything the queue, the cache, the
// plugins, preemption and the event recorder read, without what only a node agent needs — containers' env,
// commands, mounts and probes, volumes other than claims, DNS and security settings, the container statuses,
// pod IPs, annotations and managedFields. The cache holds every pod in the cluster (150,000 in a large one),
// so this is most of the scheduler's memory. Pure.
import type { Container, Pod, PodSpec, PodStatus } from 'kubernetes-types/core/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';

// The view is made for every watch event of every pod (four per pod in its first second), so it is written
// out field by field: named property reads and writes, no object rest or spread (each of those is a
// generic copy, and a spread of a conditional literal allocates one object more).

/** The container fields scheduling reads: requests (NodeResourcesFit), host ports, image, sidecar policy. */
function containerView(c: Container): Container {
  const out: Container = { name: c.name };
  if (c.image !== undefined) out.image = c.image;
  if (c.resources) out.resources = c.resources;
  if (c.ports) out.ports = c.ports;
  if (c.restartPolicy !== undefined) out.restartPolicy = c.restartPolicy;
  return out;
}

function containersView(list: Container[]): Container[] {
  const out: Container[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) out[i] = containerView(list[i]!);
  return out;
}

/** The pod spec fields scheduling reads, in this order; containers, initContainers and volumes trimmed. */
function specView(spec: PodSpec): PodSpec {
  const out = {} as PodSpec;
  if (spec.nodeName !== undefined) out.nodeName = spec.nodeName;
  if (spec.nodeSelector !== undefined) out.nodeSelector = spec.nodeSelector;
  if (spec.affinity !== undefined) out.affinity = spec.affinity;
  if (spec.tolerations !== undefined) out.tolerations = spec.tolerations;
  if (spec.schedulerName !== undefined) out.schedulerName = spec.schedulerName;
  if (spec.schedulingGates !== undefined) out.schedulingGates = spec.schedulingGates;
  if (spec.priority !== undefined) out.priority = spec.priority;
  if (spec.priorityClassName !== undefined) out.priorityClassName = spec.priorityClassName;
  if (spec.preemptionPolicy !== undefined) out.preemptionPolicy = spec.preemptionPolicy;
  if (spec.overhead !== undefined) out.overhead = spec.overhead;
  if (spec.topologySpreadConstraints !== undefined) out.topologySpreadConstraints = spec.topologySpreadConstraints;
  if (spec.hostNetwork !== undefined) out.hostNetwork = spec.hostNetwork;
  out.containers = containersView(spec.containers);
  if (spec.initContainers) out.initContainers = containersView(spec.initContainers);
  // VolumeBinding reads the claims; other volumes (every pod's projected token) are a node's business.
  const volumes = spec.volumes;
  if (volumes) {
    let claims: typeof volumes | undefined;
    for (const v of volumes) if (v.persistentVolumeClaim) (claims ??= []).push(v);
    if (claims) out.volumes = claims;
  }
  return out;
}

/** The metadata less managedFields and annotations (key order kept). */
function metadataView(m: ObjectMeta): ObjectMeta {
  const out: Record<string, unknown> = {};
  for (const k in m) if (k !== 'managedFields' && k !== 'annotations') out[k] = (m as Record<string, unknown>)[k];
  return out as ObjectMeta;
}

function statusView(st: PodStatus): PodStatus {
  const out: PodStatus = {};
  if (st.phase) out.phase = st.phase;
  if (st.nominatedNodeName) out.nominatedNodeName = st.nominatedNodeName;
  if (st.startTime) out.startTime = st.startTime;
  const conditions = st.conditions;
  if (conditions) {
    let scheduled: typeof conditions | undefined;
    for (const c of conditions) if (c.type === 'PodScheduled') (scheduled ??= []).push(c);
    if (scheduled) out.conditions = scheduled;
  }
  return out;
}

export function schedulerPodView(pod: Pod): Pod {
  const out: { -readonly [K in keyof Pod]: Pod[K] } = {};
  if (pod.apiVersion) out.apiVersion = pod.apiVersion;
  if (pod.kind) out.kind = pod.kind;
  out.metadata = pod.metadata ? metadataView(pod.metadata) : {};
  if (pod.spec) out.spec = specView(pod.spec);
  if (pod.status) out.status = statusView(pod.status);
  return out;
}
