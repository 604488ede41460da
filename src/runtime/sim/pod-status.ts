// The pod statuses a simulated kubelet reports at each step of a pod's life (ContainerCreating, Running,
// completed, terminated on deletion), and the annotations that steer the simulation (completion time and
// exit code, simulated resource usage). Pure: returns status patches (strategic-merge form, explicit nulls
// where a container state changes kind); it never talks to the server.
import type { Container, ContainerStatus, Pod, PodCondition, PodSpec, PodStatus } from 'kubernetes-types/core/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { Mutable } from '../../api/types.js';
import { tryParseQuantity } from '../../util/quantity.js';
import { rfc3339 } from './node-object.js';

export const completeAfterAnnotation = 'sim.skiff.dev/complete-after-seconds';
export const exitCodeAnnotation = 'sim.skiff.dev/exit-code';
export const cpuUsageAnnotation = 'sim.skiff.dev/cpu-usage';
export const memoryUsageAnnotation = 'sim.skiff.dev/memory-usage';

export type SimPhase = 'new' | 'creating' | 'running' | 'completed' | 'terminating';

/**
 * The first status a simulated kubelet writes for a new pod, as the kubelet's status manager writes only the
 * newest status: ContainerCreating while the containers would still be starting (the write's turn came before
 * creatingAt + startDelayMs), otherwise Running at once, so a pod that waited in a backlog costs one write.
 */
export function firstStatusWrite(nowMs: number, creatingAtMs: number, startDelayMs: number): 'creating' | 'running' {
  return nowMs - creatingAtMs < startDelayMs ? 'creating' : 'running';
}

/** The pod's completion as its annotations ask (undefined = runs until deleted). */
export function completionPlan(pod: Pod): { afterMs: number; exitCode: number } | undefined {
  const a = pod.metadata?.annotations ?? {};
  const raw = a[completeAfterAnnotation];
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  const code = Number(a[exitCodeAnnotation] ?? '0');
  return { afterMs: Math.round(seconds * 1000), exitCode: Number.isInteger(code) ? code : 1 };
}

/** What happens when the containers exit with exitCode under the pod's restartPolicy. */
export function afterExit(pod: Pod, exitCode: number): 'Succeeded' | 'Failed' | 'restart' {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (policy === 'Always') return 'restart';
  if (exitCode === 0) return 'Succeeded';
  return policy === 'OnFailure' ? 'restart' : 'Failed';
}

const containerId = (pod: Pod, name: string, restarts: number) =>
  `sim://${(pod.metadata?.uid ?? pod.metadata?.name ?? '').slice(0, 18)}-${name}-${restarts}`;

function cond(type: string, status: 'True' | 'False', now: string, reason?: string): PodCondition {
  return { type, status, lastProbeTime: null as unknown as undefined, lastTransitionTime: now, ...(reason ? { reason } : {}) };
}

const none = null as unknown as undefined;

/** Pending with containers waiting in ContainerCreating; hostIP and startTime are known from now on. */
export function creatingStatus(pod: Pod, hostIP: string, nowMs: number): PodStatus {
  return creatingStatusAt(pod, hostIP, rfc3339(nowMs));
}

/** creatingStatus with the time already in its wire format (status-patch.ts fills templates built from it). */
export function creatingStatusAt(pod: Pod, hostIP: string, now: string): PodStatus {
  const init = pod.spec?.initContainers ?? [];
  return {
    phase: 'Pending',
    hostIP,
    hostIPs: [{ ip: hostIP }],
    startTime: now,
    conditions: [
      cond('PodReadyToStartContainers', 'False', now),
      cond('Initialized', init.length ? 'False' : 'True', now, init.length ? 'ContainersNotInitialized' : undefined),
      cond('Ready', 'False', now, 'ContainersNotReady'),
      cond('ContainersReady', 'False', now, 'ContainersNotReady'),
    ],
    ...(init.length
      ? {
          initContainerStatuses: init.map((c) => ({
            name: c.name,
            image: c.image ?? '',
            imageID: '',
            ready: false,
            restartCount: 0,
            started: false,
            state: { waiting: { reason: 'PodInitializing' }, running: none, terminated: none },
          })),
        }
      : {}),
    containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready: false,
      restartCount: 0,
      started: false,
      state: { waiting: { reason: init.length ? 'PodInitializing' : 'ContainerCreating' }, running: none, terminated: none },
    })),
  };
}

/** Running and Ready: init containers completed, every container running since startedMs. */
export function runningStatus(pod: Pod, hostIP: string, podIP: string, startedMs: number, nowMs: number, restartCount: number): PodStatus {
  return runningStatusAt(pod, hostIP, podIP, rfc3339(startedMs), rfc3339(nowMs), restartCount);
}

/** runningStatus with the times already in their wire format (status-patch.ts fills templates built from it). */
export function runningStatusAt(pod: Pod, hostIP: string, podIP: string, started: string, now: string, restartCount: number): PodStatus {
  const init = pod.spec?.initContainers ?? [];
  return {
    phase: 'Running',
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP,
    podIPs: [{ ip: podIP }],
    conditions: [
      cond('PodReadyToStartContainers', 'True', now),
      cond('Initialized', 'True', now),
      cond('Ready', 'True', now),
      cond('ContainersReady', 'True', now),
    ].map((c) => ({ ...c, reason: none })),
    ...(init.length
      ? {
          initContainerStatuses: init.map((c) => ({
            name: c.name,
            image: c.image ?? '',
            imageID: `sim://${c.image ?? ''}`,
            containerID: containerId(pod, c.name, 0),
            ready: true,
            restartCount: 0,
            started: false,
            state: {
              waiting: none,
              running: none,
              terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: started, containerID: containerId(pod, c.name, 0) },
            },
          })),
        }
      : {}),
    containerStatuses: (pod.spec?.containers ?? []).map(
      (c): ContainerStatus => ({
        name: c.name,
        image: c.image ?? '',
        imageID: `sim://${c.image ?? ''}`,
        containerID: containerId(pod, c.name, restartCount),
        ready: true,
        restartCount,
        started: true,
        state: { waiting: none, running: { startedAt: started }, terminated: none },
      }),
    ),
  };
}

/**
 * Every container terminated with exitCode (reason Completed for 0, Error otherwise). phase is the pod's
 * phase afterwards: Succeeded/Failed for a finished Job-like pod; left out for a pod being deleted.
 */
export function terminatedStatus(pod: Pod, exitCode: number, startedMs: number, nowMs: number, phase: 'Succeeded' | 'Failed' | undefined, restartCount: number): PodStatus {
  const reason = exitCode === 0 ? 'Completed' : 'Error';
  const readyReason = phase ? 'PodCompleted' : 'ContainersNotReady';
  const now = rfc3339(nowMs);
  return {
    ...(phase ? { phase } : {}),
    conditions: [
      cond('PodReadyToStartContainers', 'False', now),
      cond('Ready', 'False', now, readyReason),
      cond('ContainersReady', 'False', now, readyReason),
    ],
    containerStatuses: (pod.spec?.containers ?? []).map(
      (c): ContainerStatus => ({
        name: c.name,
        image: c.image ?? '',
        imageID: `sim://${c.image ?? ''}`,
        containerID: containerId(pod, c.name, restartCount),
        ready: false,
        restartCount,
        started: false,
        state: {
          waiting: none,
          running: none,
          terminated: { exitCode, reason, startedAt: rfc3339(startedMs), finishedAt: now, containerID: containerId(pod, c.name, restartCount) },
        },
      }),
    ),
  };
}

/** Annotations the simulation reads (completion, exit code, usage); others are not kept. */
const simAnnotations = [completeAfterAnnotation, exitCodeAnnotation, cpuUsageAnnotation, memoryUsageAnnotation];

/**
 * What a simulated kubelet keeps of a pod (its informer's transform): the fields this module and the
 * simulator read, nothing else, so 150,000 pods take a fraction of their full objects' memory. Statuses
 * computed from the view equal those computed from the whole pod. It runs on every watch event of every
 * bound pod (three per pod), so it builds each object once, without spreading temporary ones.
 */
export function simPodView(pod: Pod): Pod {
  const m = pod.metadata ?? {};
  const metadata: Mutable<ObjectMeta> = { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion };
  const all = m.annotations;
  if (all) {
    for (const k of simAnnotations) {
      const v = all[k];
      if (v !== undefined) (metadata.annotations ??= {})[k] = v;
    }
  }
  if (m.deletionTimestamp) {
    metadata.deletionTimestamp = m.deletionTimestamp;
    metadata.deletionGracePeriodSeconds = m.deletionGracePeriodSeconds;
  }
  const spec = pod.spec;
  const nodeName = spec?.nodeName;
  const restartPolicy = spec?.restartPolicy;
  const containers = spec?.containers ? spec.containers.map(containerView) : [];
  // Whole literals (properties in the object itself, no separate backing store: 150,000 of them are kept).
  const viewSpec: Mutable<PodSpec> = spec?.hostNetwork ? { nodeName, hostNetwork: true, restartPolicy, containers } : { nodeName, restartPolicy, containers };
  if (spec?.initContainers?.length) viewSpec.initContainers = spec.initContainers.map(containerView);
  const view: Mutable<Pod> = { metadata, spec: viewSpec };
  const st = pod.status;
  if (st) {
    const restarts = st.containerStatuses?.[0]?.restartCount;
    view.status = {
      phase: st.phase,
      podIP: st.podIP || undefined,
      startTime: st.startTime || undefined,
      containerStatuses: restarts === undefined ? undefined : [{ restartCount: restarts } as ContainerStatus],
    };
  }
  return view;
}

const containerView = (c: { name: string; image?: string }): Container => ({ name: c.name, image: c.image });

/**
 * Whether two views (simPodView) of one pod differ only in what a simulated kubelet never acts on: the
 * resourceVersion and the status (its own writes coming back, as the kubelet's pod config treats an update
 * that changes only the status as no change). Everything else in the view — uid, deletion, the annotations
 * it keeps, node, restart policy, host network, containers — is compared. Pure.
 */
export function sameKubeletInputs(a: Pod, b: Pod): boolean {
  const am = a.metadata ?? {};
  const bm = b.metadata ?? {};
  if (am.uid !== bm.uid || am.deletionTimestamp !== bm.deletionTimestamp || am.deletionGracePeriodSeconds !== bm.deletionGracePeriodSeconds) return false;
  const aa = am.annotations;
  const ba = bm.annotations;
  if (aa !== ba) {
    if (!aa || !ba) return false;
    for (const k of simAnnotations) if (aa[k] !== ba[k]) return false;
  }
  const as = a.spec;
  const bs = b.spec;
  if (as === bs) return true;
  if (!as || !bs) return false;
  return (
    as.nodeName === bs.nodeName &&
    as.restartPolicy === bs.restartPolicy &&
    !as.hostNetwork === !bs.hostNetwork &&
    sameContainers(as.containers, bs.containers) &&
    sameContainers(as.initContainers, bs.initContainers)
  );
}

function sameContainers(a: Container[] | undefined, b: Container[] | undefined): boolean {
  if (a === b) return true;
  const an = a?.length ?? 0;
  if (an !== (b?.length ?? 0)) return false;
  for (let i = 0; i < an; i++) if (a![i]!.name !== b![i]!.name || a![i]!.image !== b![i]!.image) return false;
  return true;
}

export interface PodUsage {
  /** CPU in millicores. */
  cpuMilli: number;
  /** Memory in bytes. */
  memoryBytes: number;
}

/** Default usage of a pod without usage annotations: a little, so metrics are never empty. */
export const defaultUsage: PodUsage = { cpuMilli: 1, memoryBytes: 1 << 20 };

/** Simulated usage of a pod from its annotations (sim.skiff.dev/cpu-usage, sim.skiff.dev/memory-usage). */
export function podUsageFromAnnotations(pod: Pod): PodUsage {
  const a = pod.metadata?.annotations ?? {};
  const cpu = safeQuantity(a[cpuUsageAnnotation]);
  const mem = safeQuantity(a[memoryUsageAnnotation]);
  return {
    cpuMilli: cpu ? Math.max(0, cpu.milliValue()) : defaultUsage.cpuMilli,
    memoryBytes: mem ? Math.max(0, mem.value()) : defaultUsage.memoryBytes,
  };
}

function safeQuantity(s: string | undefined) {
  if (s === undefined) return undefined;
  try {
    return tryParseQuantity(s);
  } catch {
    return undefined;
  }
}
