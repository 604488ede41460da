// Where a streaming request goes on the node (upstream's LogLocation, ExecLocation, AttachLocation,
// PortForwardLocation and the node proxy location): the agent path and query for pods/log, pods/exec,
// pods/attach, pods/portforward and nodes/proxy, or the Status upstream answers when the request cannot be
// served (no such container, no node yet, a completed pod, a container still waiting). Pure.
import type { Container, ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import { errors } from '../../api/errors.js';

export type PodStreamSubresource = 'log' | 'exec' | 'attach' | 'portforward';

export interface AgentLocation {
  /** Path on the node server, e.g. /containerLogs/default/web/main. */
  path: string;
  query: URLSearchParams;
}

/** Query parameters the node's containerLogs endpoint understands. */
const logParams = ['follow', 'previous', 'sinceSeconds', 'sinceTime', 'timestamps', 'tailLines', 'limitBytes'];
/** Query parameters the node's exec/attach endpoints understand. */
const execParams = ['command', 'stdin', 'stdout', 'stderr', 'tty'];

function allContainers(pod: Pod): Container[] {
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []), ...((pod.spec?.ephemeralContainers ?? []) as Container[])];
}

/** The container a request names, or the pod's only container; upstream's messages otherwise. */
export function resolveContainer(pod: Pod, requested: string | null): string {
  const name = pod.metadata?.name ?? '';
  if (requested) {
    if (!allContainers(pod).some((c) => c.name === requested)) throw errors.badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  const containers = pod.spec?.containers ?? [];
  if (containers.length === 1) return containers[0]!.name;
  const init = (pod.spec?.initContainers ?? []).map((c) => c.name);
  const eph = (pod.spec?.ephemeralContainers ?? []).map((c) => c.name);
  let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.map((c) => c.name).join(' ')}]`;
  if (init.length) msg += ` or one of the init containers: [${init.join(' ')}]`;
  if (eph.length) msg += ` or one of the ephemeral containers: [${eph.join(' ')}]`;
  throw errors.badRequest(msg);
}

function statusOf(pod: Pod, container: string): ContainerStatus | undefined {
  const s = pod.status;
  return [...(s?.containerStatuses ?? []), ...(s?.initContainerStatuses ?? []), ...(s?.ephemeralContainerStatuses ?? [])].find((c) => c.name === container);
}

/** Why the kubelet would refuse to serve this container's log (validateContainerLogStatus), if it would. */
export function logStatusProblem(pod: Pod, container: string, previous: boolean): string | undefined {
  const podName = pod.metadata?.name ?? '';
  const st = statusOf(pod, container);
  if (!st) return `container "${container}" in pod "${podName}" is waiting to start - no logs yet`;
  const last = st.lastState?.terminated;
  if (previous) {
    if (!last || !last.containerID) return `previous terminated container "${container}" in pod "${podName}" not found`;
    return undefined;
  }
  if (st.state?.running) return undefined;
  if (st.state?.terminated) return st.state.terminated.containerID ? undefined : `container "${container}" in pod "${podName}" is terminated`;
  if (last) return last.containerID ? undefined : `container "${container}" in pod "${podName}" is terminated`;
  if (st.state?.waiting) {
    const reason = st.state.waiting.reason ?? '';
    if (reason === 'ErrImagePull' || reason === 'ImagePullBackOff') return `container "${container}" in pod "${podName}" is waiting to start: image can't be pulled`;
    return `container "${container}" in pod "${podName}" is waiting to start: ${reason}`;
  }
  return `container "${container}" in pod "${podName}" is waiting to start - no logs yet`;
}

function pick(query: URLSearchParams, names: string[]): URLSearchParams {
  const out = new URLSearchParams();
  for (const n of names) for (const v of query.getAll(n)) out.append(n, v);
  return out;
}

const seg = encodeURIComponent;

/**
 * The agent location for a pod subresource, or undefined for a log of a pod no node has taken yet (upstream
 * answers such a request with an empty log).
 */
export function podStreamLocation(pod: Pod, sub: PodStreamSubresource, query: URLSearchParams): AgentLocation | undefined {
  const name = pod.metadata?.name ?? '';
  const ns = pod.metadata?.namespace ?? '';
  const node = pod.spec?.nodeName;
  if (sub === 'portforward') {
    if (!node) throw errors.badRequest(`pod ${name} does not have a host assigned`);
    // `ports` is for the WebSocket channel protocol; SPDY clients name ports in stream headers.
    return { path: `/portForward/${seg(ns)}/${seg(name)}`, query: pick(query, ['ports']) };
  }
  const container = resolveContainer(pod, query.get('container'));
  if (sub === 'log') {
    if (!node) return undefined;
    const problem = logStatusProblem(pod, container, query.get('previous') === 'true');
    if (problem) throw errors.badRequest(problem);
    return { path: `/containerLogs/${seg(ns)}/${seg(name)}/${seg(container)}`, query: pick(query, logParams) };
  }
  if (!node) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    throw errors.badRequest(`cannot ${sub === 'exec' ? 'exec into' : 'attach to'} a container in a completed pod; current phase is ${phase}`);
  }
  return { path: `/${sub}/${seg(ns)}/${seg(name)}/${seg(container)}`, query: pick(query, execParams) };
}

/** nodes/{name}/proxy/{path}: the rest of the URL after "/proxy", as the agent path. */
export function nodeProxyLocation(fullPath: string, query: URLSearchParams): AgentLocation {
  const i = fullPath.indexOf('/proxy');
  const rest = i < 0 ? '' : fullPath.slice(i + '/proxy'.length);
  return { path: rest.startsWith('/') ? rest : `/${rest}`, query };
}
