// Pod status as the kubelet reports it: container states and lastState, restart counts, phase, conditions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus } from '../../src/runtime/runtime.js';
import { activeDeadlineLeftMs, computePodStatus, deadlineExceeded, podStatusChanged, type ContainerView, type PodView } from '../../src/agent/pod-status.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function pod(restartPolicy: 'Always' | 'OnFailure' | 'Never', containers: string[], init: string[] = []): Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
    spec: { restartPolicy, containers: containers.map((name) => ({ name, image: 'img' })), ...(init.length ? { initContainers: init.map((name) => ({ name, image: 'img' })) } : {}) },
    status: { phase: 'Pending', qosClass: 'BestEffort', conditions: [{ type: 'PodScheduled', status: 'True' }] },
  };
}

function inst(name: string, attempt: number, state: 'running' | 'exited' | 'created', exitCode?: number): ContainerStatus {
  return {
    id: `${name}-${attempt}`,
    sandboxId: 's',
    name,
    attempt,
    state,
    image: 'img',
    imageRef: 'process://img',
    createdAtMs: T0,
    startedAtMs: T0 + 1000,
    ...(state === 'exited' ? { finishedAtMs: T0 + 2000, exitCode } : {}),
    logPath: '/x',
    labels: {},
    annotations: {},
  };
}

function view(name: string, o: Partial<ContainerView> = {}): ContainerView {
  return { name, image: 'img', ready: false, started: false, ...o };
}

function podView(o: Partial<PodView>): PodView {
  return { runtime: 'process', hostIPs: ['192.0.2.1'], podIPs: ['10.42.0.5'], sandboxReady: true, init: [], containers: [], startTimeMs: T0, ...o };
}

const cond = (s: ReturnType<typeof computePodStatus>, type: string) => s.conditions?.find((c) => c.type === type);

describe('computePodStatus', () => {
  it('ContainerCreating before any container exists; hostIP, podIP and startTime are set', () => {
    const p = pod('Always', ['app']);
    const s = computePodStatus(p, podView({ containers: [view('app')] }), T0);
    assert.equal(s.phase, 'Pending');
    assert.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: 'ContainerCreating' } });
    assert.equal(s.hostIP, '192.0.2.1');
    assert.equal(s.podIP, '10.42.0.5');
    assert.equal(s.startTime, '2026-01-01T00:00:00Z');
    assert.equal(s.qosClass, 'BestEffort');
    assert.equal(cond(s, 'PodScheduled')?.status, 'True', 'conditions of others are kept');
    assert.equal(cond(s, 'PodReadyToStartContainers')?.status, 'True');
    assert.equal(cond(s, 'Ready')?.reason, 'ContainersNotReady');
    assert.equal(cond(s, 'Ready')?.message, 'containers with unready status: [app]');
  });

  it('Running and Ready when every container runs and is ready', () => {
    const p = pod('Always', ['a', 'b']);
    const s = computePodStatus(p, podView({ containers: [view('a', { latest: inst('a', 0, 'running'), ready: true, started: true }), view('b', { latest: inst('b', 0, 'running'), ready: true, started: true })] }), T0);
    assert.equal(s.phase, 'Running');
    assert.equal(cond(s, 'Ready')?.status, 'True');
    assert.equal(cond(s, 'ContainersReady')?.status, 'True');
    assert.equal(s.containerStatuses?.[0]?.containerID, 'process://a-0');
    assert.equal(s.containerStatuses?.[0]?.started, true);
  });

  it('CrashLoopBackOff shows the waiting reason, the last termination and the restart count', () => {
    const p = pod('Always', ['app']);
    const s = computePodStatus(
      p,
      podView({ containers: [view('app', { latest: inst('app', 3, 'exited', 1), previous: inst('app', 2, 'exited', 1), waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=app pod=p_ns(u1)' } })] }),
      T0,
    );
    const c = s.containerStatuses![0]!;
    assert.equal(c.state?.waiting?.reason, 'CrashLoopBackOff');
    assert.equal(c.lastState?.terminated?.exitCode, 1);
    assert.equal(c.lastState?.terminated?.reason, 'Error');
    assert.equal(c.restartCount, 3);
    assert.equal(s.phase, 'Running', 'restartPolicy Always: a restarting container keeps the pod Running');
  });

  it('a running container after restarts shows lastState from the previous instance', () => {
    const s = computePodStatus(pod('Always', ['app']), podView({ containers: [view('app', { latest: inst('app', 1, 'running'), previous: inst('app', 0, 'exited', 137), ready: true, started: true })] }), T0);
    const c = s.containerStatuses![0]!;
    assert.ok(c.state?.running);
    assert.equal(c.lastState?.terminated?.exitCode, 137);
    assert.equal(c.restartCount, 1);
  });

  const phases: { policy: 'Always' | 'OnFailure' | 'Never'; codes: number[]; want: string }[] = [
    { policy: 'Never', codes: [0, 0], want: 'Succeeded' },
    { policy: 'Never', codes: [0, 1], want: 'Failed' },
    { policy: 'OnFailure', codes: [0, 0], want: 'Succeeded' },
    { policy: 'OnFailure', codes: [1, 0], want: 'Running' },
    { policy: 'Always', codes: [0, 0], want: 'Running' },
  ];
  for (const row of phases) {
    it(`restartPolicy ${row.policy} with exit codes ${row.codes.join(',')} → ${row.want}`, () => {
      const names = row.codes.map((_, i) => `c${i}`);
      const s = computePodStatus(pod(row.policy, names), podView({ containers: names.map((n, i) => view(n, { latest: inst(n, 0, 'exited', row.codes[i]) })) }), T0);
      assert.equal(s.phase, row.want);
      if (row.want === 'Succeeded' || row.want === 'Failed') assert.equal(cond(s, 'Ready')?.reason, 'PodCompleted');
    });
  }

  it('init containers: Init pending, app containers wait in PodInitializing', () => {
    const p = pod('Always', ['app'], ['i1', 'i2']);
    const s = computePodStatus(p, podView({ init: [view('i1', { latest: inst('i1', 0, 'exited', 0) }), view('i2', { latest: inst('i2', 0, 'running') })], containers: [view('app')] }), T0);
    assert.equal(s.phase, 'Pending');
    assert.equal(s.initContainerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
    assert.ok(s.initContainerStatuses?.[1]?.state?.running);
    assert.equal(s.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
    assert.equal(cond(s, 'Initialized')?.status, 'False');
    assert.equal(cond(s, 'Initialized')?.message, 'containers with incomplete status: [i2]');
  });

  it('a failed init container with restartPolicy Never fails the pod', () => {
    const p = pod('Never', ['app'], ['i1']);
    const s = computePodStatus(p, podView({ init: [view('i1', { latest: inst('i1', 0, 'exited', 2) })], containers: [view('app')] }), T0);
    assert.equal(s.phase, 'Failed');
    assert.equal(s.initContainerStatuses?.[0]?.state?.terminated?.reason, 'Error');
  });

  it('the agent\'s waiting reasons are reported (CreateContainerConfigError)', () => {
    const s = computePodStatus(pod('Always', ['app']), podView({ containers: [view('app', { waiting: { reason: 'CreateContainerConfigError', message: 'configmap "x" not found' } })] }), T0);
    assert.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: 'CreateContainerConfigError', message: 'configmap "x" not found' } });
  });

  it('OOMKilled and termination messages from the runtime are reported', () => {
    const oom = { ...inst('app', 0, 'exited', 137), reason: 'OOMKilled', message: 'bye' };
    const s = computePodStatus(pod('Never', ['app']), podView({ containers: [view('app', { latest: oom })] }), T0);
    assert.equal(s.containerStatuses?.[0]?.state?.terminated?.reason, 'OOMKilled');
    assert.equal(s.containerStatuses?.[0]?.state?.terminated?.message, 'bye');
  });

  it('a pod past activeDeadlineSeconds fails with reason DeadlineExceeded', () => {
    const p = pod('Always', ['app']);
    p.spec!.activeDeadlineSeconds = 30;
    assert.equal(activeDeadlineLeftMs(p, T0, T0 + 10_000), 20_000);
    assert.equal(activeDeadlineLeftMs(pod('Always', ['app']), T0, T0), undefined);
    const s = computePodStatus(p, podView({ containers: [view('app', { latest: inst('app', 0, 'exited', 137) })], failed: deadlineExceeded }), T0);
    assert.equal(s.phase, 'Failed');
    assert.equal(s.reason, 'DeadlineExceeded');
    assert.equal(s.message, 'Pod was active on the node longer than the specified deadline');
  });

  it('a terminal phase never goes back', () => {
    const p = pod('Never', ['app']);
    p.status!.phase = 'Succeeded';
    const s = computePodStatus(p, podView({ containers: [view('app')] }), T0);
    assert.equal(s.phase, 'Succeeded');
  });

  it('keeps lastTransitionTime while a condition holds; change detection ignores equal statuses', () => {
    const p = pod('Always', ['app']);
    const first = computePodStatus(p, podView({ containers: [view('app')] }), T0);
    const second = computePodStatus({ ...p, status: first }, podView({ containers: [view('app')] }), T0 + 60_000);
    assert.equal(cond(second, 'Ready')?.lastTransitionTime, cond(first, 'Ready')?.lastTransitionTime);
    assert.equal(podStatusChanged(first, second), false);
    const running = computePodStatus({ ...p, status: first }, podView({ containers: [view('app', { latest: inst('app', 0, 'running'), ready: true, started: true })] }), T0 + 60_000);
    assert.equal(podStatusChanged(first, running), true);
    assert.equal(cond(running, 'Ready')?.lastTransitionTime, '2026-01-01T00:01:00Z');
  });
});
