// The pod status a node agent reports, computed from what the runtime holds for the pod (sandbox, each
// container's latest and previous instance), the agent's own verdicts (waiting reasons such as
// CrashLoopBackOff or CreateContainerConfigError, readiness and startup probe results) and the previous
// status (condition transition times). Follows upstream's kubelet: container states and lastState,
// restartCount, getPhase, the PodReadyToStartContainers/Initialized/ContainersReady/Ready conditions and
// their reasons and messages. Pure: nothing here talks to the runtime or the server.
import type { ContainerState as K8sContainerState, ContainerStatus as K8sContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus, RuntimeName } from '../runtime/runtime.js';
import { deepEqual } from '../util/deep-equal.js';
import { rfc3339 } from '../util/wire-time.js';

export interface ContainerView {
  name: string;
  image: string;
  /** The newest instance the runtime holds (undefined = never created). */
  latest?: ContainerStatus;
  /** The instance before it, kept for lastState and `logs --previous`. */
  previous?: ContainerStatus;
  /** Why the container is not running, when the agent decided it (back-off, config error, ...). */
  waiting?: { reason: string; message?: string };
  /** Readiness verdict (true when running without a readiness probe). */
  ready: boolean;
  /** Startup verdict (true when running without a startup probe). */
  started: boolean;
}

export interface PodView {
  runtime: RuntimeName;
  hostIPs: string[];
  /** IPs of the ready sandbox (empty before it exists). */
  podIPs: string[];
  sandboxReady: boolean;
  init: ContainerView[];
  containers: ContainerView[];
  /** When the agent first acknowledged the pod (status.startTime). */
  startTimeMs: number;
  /** Set once the pod is being torn down: containers are reported terminated, never waiting. */
  terminating?: boolean;
  /** The pod failed as a whole (e.g. activeDeadlineSeconds passed): phase Failed with this reason. */
  failed?: { reason: string; message: string };
}

/** Upstream's pod-level deadline: ms left before activeDeadlineSeconds (counted from startTime) passes. */
export function activeDeadlineLeftMs(pod: Pod, startTimeMs: number, nowMs: number): number | undefined {
  const d = pod.spec?.activeDeadlineSeconds;
  if (d === undefined || d === null) return undefined;
  return startTimeMs + d * 1000 - nowMs;
}

export const deadlineExceeded = { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' };

const fromMs = (ms: number | undefined) => rfc3339(ms ?? 0);

function containerId(runtime: RuntimeName, id: string): string {
  return `${runtime}://${id}`;
}

function terminatedOf(runtime: RuntimeName, c: ContainerStatus): NonNullable<K8sContainerState['terminated']> {
  const code = c.exitCode ?? 0;
  return {
    exitCode: code,
    reason: c.reason ?? (code === 0 ? 'Completed' : 'Error'),
    ...(c.message ? { message: c.message } : {}),
    startedAt: fromMs(c.startedAtMs ?? c.createdAtMs),
    finishedAt: fromMs(c.finishedAtMs ?? c.startedAtMs ?? c.createdAtMs),
    containerID: containerId(runtime, c.id),
  };
}

/** State and lastState of one container, as upstream's convertToAPIContainerStatuses. */
export function containerStatusOf(view: ContainerView, runtime: RuntimeName, defaultWaiting: string): K8sContainerStatus {
  const { latest, previous } = view;
  let state: K8sContainerState;
  let lastState: K8sContainerState = {};
  if (latest?.state === 'running') {
    state = { running: { startedAt: fromMs(latest.startedAtMs ?? latest.createdAtMs) } };
    if (previous && previous.state === 'exited') lastState = { terminated: terminatedOf(runtime, previous) };
  } else if (latest?.state === 'exited' && !view.waiting) {
    state = { terminated: terminatedOf(runtime, latest) };
    if (previous && previous.state === 'exited') lastState = { terminated: terminatedOf(runtime, previous) };
  } else {
    const reason = view.waiting?.reason ?? defaultWaiting;
    state = { waiting: { reason, ...(view.waiting?.message ? { message: view.waiting.message } : {}) } };
    // A container waiting to restart shows the instance that last ran.
    if (latest?.state === 'exited') lastState = { terminated: terminatedOf(runtime, latest) };
    else if (previous?.state === 'exited') lastState = { terminated: terminatedOf(runtime, previous) };
  }
  const running = latest?.state === 'running';
  return {
    name: view.name,
    state,
    lastState,
    ready: running && view.ready,
    restartCount: latest?.attempt ?? 0,
    image: view.image,
    imageID: latest?.imageRef ?? '',
    ...(latest ? { containerID: containerId(runtime, latest.id) } : {}),
    started: running && view.started,
  };
}

/** Upstream's getPhase over the regular containers (init containers decide Pending/Failed first). */
export function podPhase(pod: Pod, init: K8sContainerStatus[], containers: K8sContainerStatus[]): 'Pending' | 'Running' | 'Succeeded' | 'Failed' {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  const initSpecs = pod.spec?.initContainers ?? [];
  let pendingInit = 0;
  let failedInit = 0;
  for (const spec of initSpecs) {
    if (spec.restartPolicy === 'Always') {
      // A sidecar counts as initialized once it runs.
      const s = init.find((c) => c.name === spec.name);
      if (!s?.state?.running && !s?.started) pendingInit++;
      continue;
    }
    const s = init.find((c) => c.name === spec.name);
    const t = s?.state?.terminated;
    if (t && t.exitCode === 0) continue;
    if (t && t.exitCode !== 0) failedInit++;
    else if (s?.state?.waiting && s.lastState?.terminated && s.lastState.terminated.exitCode !== 0) failedInit++;
    pendingInit++;
  }
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0) return 'Pending';

  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const spec of pod.spec?.containers ?? []) {
    const s = containers.find((c) => c.name === spec.name);
    if (!s) {
      waiting++;
      continue;
    }
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    }
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(previous: PodCondition[] | undefined, type: string, status: 'True' | 'False', nowMs: number, reason?: string, message?: string): PodCondition {
  const old = previous?.find((c) => c.type === type);
  const t = old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(nowMs);
  return {
    type,
    status,
    lastProbeTime: null as unknown as undefined,
    lastTransitionTime: t,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

const agentConditions = new Set(['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready']);

/** The whole status the agent reports for the pod (conditions set by others are kept). */
export function computePodStatus(pod: Pod, view: PodView, nowMs: number): PodStatus {
  const previous = pod.status;
  const hasInit = view.init.length > 0;
  const initStatuses = view.init.map((c) => containerStatusOf(c, view.runtime, 'PodInitializing'));
  // Before init containers complete, app containers wait in PodInitializing (upstream), afterwards in
  // ContainerCreating until created.
  const initDone = view.init.every((c, i) => {
    const spec = pod.spec?.initContainers?.[i];
    if (spec?.restartPolicy === 'Always') return c.latest?.state === 'running' && c.started;
    return c.latest?.state === 'exited' && (c.latest.exitCode ?? 0) === 0;
  });
  const appDefault = hasInit && !initDone ? 'PodInitializing' : 'ContainerCreating';
  const containerStatuses = view.containers.map((c) => containerStatusOf(c, view.runtime, appDefault));
  let phase = view.failed ? 'Failed' : podPhase(pod, initStatuses, containerStatuses);
  // A terminal phase never goes back (upstream: the kubelet refuses to move a pod out of Succeeded/Failed).
  if (previous?.phase === 'Succeeded' || previous?.phase === 'Failed') phase = previous.phase;
  const terminal = phase === 'Succeeded' || phase === 'Failed';

  const incompleteInit = view.init
    .filter((c, i) => {
      const spec = pod.spec?.initContainers?.[i];
      if (spec?.restartPolicy === 'Always') return !(c.latest?.state === 'running' && c.started);
      return !(c.latest?.state === 'exited' && (c.latest.exitCode ?? 0) === 0);
    })
    .map((c) => c.name);
  const unready = containerStatuses.filter((c) => !c.ready).map((c) => c.name);
  const readinessGates = (pod.spec?.readinessGates ?? []).map((g) => g.conditionType);
  const failedGates = readinessGates.filter((t) => previous?.conditions?.find((c) => c.type === t)?.status !== 'True');

  const prevConds = previous?.conditions;
  const initialized = terminal && !hasInit ? true : incompleteInit.length === 0;
  const containersReady = unready.length === 0 && !terminal;
  const ready = containersReady && failedGates.length === 0;
  const listed = (names: string[]) => `[${names.join(' ')}]`;
  const readyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
  const readyMessage = terminal ? undefined : `containers with unready status: ${listed(unready)}`;
  const conditions: PodCondition[] = [
    condition(prevConds, 'PodReadyToStartContainers', view.sandboxReady && !terminal ? 'True' : 'False', nowMs),
    initialized
      ? condition(prevConds, 'Initialized', 'True', nowMs)
      : condition(prevConds, 'Initialized', 'False', nowMs, 'ContainersNotInitialized', `containers with incomplete status: ${listed(incompleteInit)}`),
    ready
      ? condition(prevConds, 'Ready', 'True', nowMs)
      : containersReady
        ? condition(prevConds, 'Ready', 'False', nowMs, 'ReadinessGatesNotReady', `corresponding condition of pod readiness gate "${failedGates[0]}" does not exist.`)
        : condition(prevConds, 'Ready', 'False', nowMs, readyReason, readyMessage),
    containersReady
      ? condition(prevConds, 'ContainersReady', 'True', nowMs)
      : condition(prevConds, 'ContainersReady', 'False', nowMs, readyReason, readyMessage),
  ];
  const others = (prevConds ?? []).filter((c) => !agentConditions.has(c.type));
  const status: PodStatus = {
    ...(previous?.qosClass ? { qosClass: previous.qosClass } : {}),
    phase,
    conditions: [...others, ...conditions],
    hostIP: view.hostIPs[0],
    hostIPs: view.hostIPs.map((ip) => ({ ip })),
    startTime: previous?.startTime ?? rfc3339(view.startTimeMs),
    ...(view.failed ? { reason: view.failed.reason, message: view.failed.message } : previous?.reason ? { reason: previous.reason, message: previous.message } : {}),
    ...(hasInit ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses,
  };
  const podIPs = view.podIPs.length ? view.podIPs : (previous?.podIPs ?? []).map((p) => p.ip ?? '').filter(Boolean);
  if (podIPs.length) {
    status.podIP = podIPs[0];
    status.podIPs = podIPs.map((ip) => ({ ip }));
  }
  return status;
}

/** The fields the agent owns, for deciding whether a write is needed. */
function owned(s: PodStatus | undefined): unknown {
  if (!s) return undefined;
  return {
    phase: s.phase,
    conditions: s.conditions?.map((c) => ({ ...c, lastProbeTime: undefined })),
    hostIP: s.hostIP,
    hostIPs: s.hostIPs,
    podIP: s.podIP,
    podIPs: s.podIPs,
    startTime: s.startTime,
    initContainerStatuses: s.initContainerStatuses,
    containerStatuses: s.containerStatuses,
    message: s.message,
    reason: s.reason,
  };
}

export function podStatusChanged(current: PodStatus | undefined, next: PodStatus): boolean {
  return !deepEqual(JSON.parse(JSON.stringify(owned(current) ?? null)), JSON.parse(JSON.stringify(owned(next))));
}
