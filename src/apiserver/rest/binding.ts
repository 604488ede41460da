// pods/binding as upstream's BindingREST: the Binding is checked on its own (target, name), then the pod is
// changed straight in storage (no pod defaults, admission, validation or managed fields): spec.nodeName set
// once, the Binding's annotations merged in, and the PodScheduled condition set True. Pure functions; the
// write is bind() in subresources.ts.
import type { KubeObject } from '../../api/types.js';
import { errors } from '../../api/errors.js';

/** A checked Binding: the node, the annotations to merge, and the optional pod preconditions. */
export interface BindingRequest {
  node: string;
  annotations: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
}

/** Upstream's BindingREST.Create checks and ValidatePodBinding; throws the Status error upstream answers with. */
export function checkBinding(body: unknown, podName: string): BindingRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the body must be a Binding');
  const b = body as { metadata?: { name?: unknown; uid?: unknown; resourceVersion?: unknown; annotations?: unknown }; target?: { kind?: unknown; name?: unknown } };
  const meta = b.metadata ?? {};
  if (typeof meta.name === 'string' && meta.name !== '' && meta.name !== podName) throw errors.badRequest('name in URL does not match name in Binding object');
  const kind = b.target?.kind;
  const node = b.target?.name;
  const causes = [];
  if (kind !== undefined && kind !== null && kind !== '' && kind !== 'Node') {
    causes.push({ reason: 'FieldValueNotSupported', field: 'target.kind', message: `Unsupported value: ${JSON.stringify(kind)}: supported values: "Node", "<empty>"` });
  }
  if (typeof node !== 'string' || node === '') causes.push({ reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' });
  if (causes.length) throw errors.invalid('', 'Binding', podName, causes);
  const annotations: Record<string, string> = {};
  if (meta.annotations && typeof meta.annotations === 'object') {
    for (const [k, v] of Object.entries(meta.annotations as Record<string, unknown>)) if (typeof v === 'string') annotations[k] = v;
  }
  return {
    node: node as string,
    annotations,
    uid: typeof meta.uid === 'string' && meta.uid ? meta.uid : undefined,
    resourceVersion: typeof meta.resourceVersion === 'string' && meta.resourceVersion ? meta.resourceVersion : undefined,
  };
}

interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
}

/**
 * Upstream's UpdatePodCondition for PodScheduled=True: replaces the condition where it is (a new one goes
 * last), without reason or message; lastTransitionTime is `now` unless the condition was True already.
 */
export function withPodScheduled(conditions: readonly PodCondition[] | undefined, now: string): PodCondition[] {
  const out = [...(conditions ?? [])];
  const i = out.findIndex((c) => c?.type === 'PodScheduled');
  const old = i >= 0 ? out[i] : undefined;
  const next: PodCondition = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: old?.status === 'True' ? (old.lastTransitionTime ?? null) : now };
  if (i >= 0) out[i] = next;
  else out.push(next);
  return out;
}

/**
 * Why the pod cannot be bound (upstream's message, answered as a Conflict on pods/binding), or undefined.
 * Preconditions are checked first, as the store does.
 */
export function bindingRefusal(pod: KubeObject, binding: BindingRequest): string | undefined {
  const meta = pod.metadata;
  const name = meta.name ?? '';
  if (binding.uid !== undefined && binding.uid !== meta.uid) return `Precondition failed: UID in precondition: ${binding.uid}, UID in object meta: ${meta.uid ?? ''}`;
  if (binding.resourceVersion !== undefined && binding.resourceVersion !== meta.resourceVersion) {
    return `Precondition failed: ResourceVersion in precondition: ${binding.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion ?? ''}`;
  }
  if (meta.deletionTimestamp) return `pod ${name} is being deleted, cannot be assigned to a host`;
  const spec = (pod['spec'] ?? {}) as { nodeName?: string; schedulingGates?: unknown[] };
  if (spec.nodeName) return `pod ${name} is already assigned to node "${spec.nodeName}"`;
  if (Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0) return `pod ${name} has non-empty .spec.schedulingGates`;
  return undefined;
}

/**
 * The bound pod, built without changing `pod` (which may be the watch cache's shared copy): new top-level,
 * metadata, spec and status objects, everything else shared. Call bindingRefusal first.
 */
export function boundPod(pod: KubeObject, binding: BindingRequest, now: string): KubeObject {
  const metadata = { ...pod.metadata };
  if (Object.keys(binding.annotations).length > 0) metadata.annotations = { ...(metadata.annotations ?? {}), ...binding.annotations };
  const spec = { ...((pod['spec'] ?? {}) as Record<string, unknown>), nodeName: binding.node };
  const status = (pod['status'] ?? {}) as { conditions?: PodCondition[] };
  return { ...pod, metadata, spec, status: { ...status, conditions: withPodScheduled(status.conditions, now) } };
}
