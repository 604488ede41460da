// Pure decisions shared by the Endpoints and EndpointSlice controllers: which pods back a Service, whether
// they are ready / serving / terminating, and which container port a service port's targetPort names on a
// given pod (upstream podutil.IsPodReady, endpointutil.ShouldPodBeInEndpoints, podutil.FindPort). No I/O.
import type { ObjectReference, Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { matchesLabels, selectorFromSet } from '../../util/label-selector.js';

export function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Pods in a terminal phase, without an IP, or (unless includeTerminating) being deleted are left out. */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return false;
  if (!pod.status?.podIP && !(pod.status?.podIPs ?? []).length) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

export function podIP(pod: Pod): string | undefined {
  return pod.status?.podIP || pod.status?.podIPs?.[0]?.ip || undefined;
}

/** The number a service port reaches on this pod; undefined when a named targetPort is not declared. */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const tp = sp.targetPort ?? sp.port;
  if (typeof tp === 'number') return tp;
  if (/^\d+$/.test(tp)) return Number(tp);
  const proto = sp.protocol ?? 'TCP';
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  for (const c of [...(pod.spec?.containers ?? []), ...sidecars]) {
    for (const p of c.ports ?? []) if (p.name === tp && (p.protocol ?? 'TCP') === proto) return p.containerPort;
  }
  return undefined;
}

/** Services whose selector picks this pod (same namespace, non-empty selector). */
export function selectsPod(svc: Service, pod: Pod): boolean {
  const sel = svc.spec?.selector;
  if (!sel || Object.keys(sel).length === 0) return false;
  if ((svc.metadata?.namespace ?? '') !== (pod.metadata?.namespace ?? '')) return false;
  return matchesLabels(selectorFromSet(sel), pod.metadata?.labels ?? {});
}

export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

export interface EndpointConditions {
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

/** Upstream podToEndpoint: ready is never true for a terminating pod unless publishNotReadyAddresses. */
export function endpointConditions(pod: Pod, publishNotReadyAddresses: boolean): EndpointConditions {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  return { ready: publishNotReadyAddresses || (serving && !terminating), serving, terminating };
}

/** The hostname a pod publishes for this service (pod.spec.hostname when its subdomain is the service). */
export function endpointHostname(pod: Pod, svc: Service): string | undefined {
  const h = pod.spec?.hostname;
  if (h && pod.spec?.subdomain === svc.metadata?.name && pod.metadata?.namespace === svc.metadata?.namespace) return h;
  return undefined;
}

export function podRef(pod: Pod): ObjectReference {
  return { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid };
}

/** Services' labels copied to their endpoints objects, plus the headless marker. */
export function endpointLabels(svc: Service): Record<string, string> {
  const out: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
  if (isHeadless(svc)) out['service.kubernetes.io/headless'] = '';
  return out;
}
