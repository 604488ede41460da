// The simulated kubelet's pure status decisions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  afterExit,
  completionPlan,
  creatingStatus,
  firstStatusWrite,
  podUsageFromAnnotations,
  runningStatus,
  sameKubeletInputs,
  simPodView,
  terminatedStatus,
} from '../../../src/runtime/sim/pod-status.js';
import { simNodeSummary } from '../../../src/runtime/sim/stats-summary.js';

describe('firstStatusWrite', () => {
  const cases: { name: string; now: number; creatingAt: number; startDelay: number; want: 'creating' | 'running' }[] = [
    { name: 'written at once: ContainerCreating first', now: 1000, creatingAt: 1000, startDelay: 500, want: 'creating' },
    { name: 'written just before the containers start', now: 1499, creatingAt: 1000, startDelay: 500, want: 'creating' },
    { name: 'the write waited for the start delay: Running in one write', now: 1500, creatingAt: 1000, startDelay: 500, want: 'running' },
    { name: 'a pod that waited long in a backlog', now: 60_000, creatingAt: 1000, startDelay: 500, want: 'running' },
    { name: 'no start delay: always Running', now: 1000, creatingAt: 1000, startDelay: 0, want: 'running' },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(firstStatusWrite(c.now, c.creatingAt, c.startDelay), c.want));
  }
});

describe('simPodView', () => {
  const full = (o: Partial<Pod['spec']> & { annotations?: Record<string, string>; deleting?: boolean; status?: Pod['status'] } = {}): Pod => ({
    metadata: {
      name: 'web-1',
      namespace: 'shop',
      uid: 'u-1',
      resourceVersion: '17',
      labels: { app: 'web' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":"x"}', ...o.annotations },
      managedFields: [{ manager: 'kubectl', operation: 'Update' }],
      ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 5 } : {}),
    },
    spec: {
      nodeName: 'sim-node-1',
      restartPolicy: o.restartPolicy ?? 'Always',
      hostNetwork: o.hostNetwork,
      initContainers: o.initContainers,
      containers: o.containers ?? [
        { name: 'app', image: 'nginx', env: [{ name: 'A', value: 'b' }], resources: { requests: { cpu: '100m' } }, terminationMessagePath: '/dev/termination-log' },
        { name: 'side', image: 'envoy', command: ['envoy'] },
      ],
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
      schedulerName: 'default-scheduler',
    },
    status: o.status ?? { phase: 'Running', podIP: '10.0.0.5', startTime: '2026-01-01T00:00:00Z', qosClass: 'Burstable', containerStatuses: [{ name: 'app', image: 'nginx', imageID: '', ready: true, restartCount: 3, state: {} }] },
  });
  const cases: { name: string; pod: Pod }[] = [
    { name: 'a running pod with two containers', pod: full() },
    { name: 'init containers, a Job-like pod with usage annotations', pod: full({ restartPolicy: 'OnFailure', initContainers: [{ name: 'init', image: 'busybox' }], annotations: { 'sim.skiff.dev/complete-after-seconds': '2', 'sim.skiff.dev/exit-code': '3', 'sim.skiff.dev/cpu-usage': '250m', 'sim.skiff.dev/memory-usage': '64Mi' } }) },
    { name: 'host network, being deleted, no status yet', pod: full({ hostNetwork: true, deleting: true, status: undefined }) },
  ];
  for (const c of cases) {
    it(`${c.name}: every status and figure computed from the view equals the full pod's`, () => {
      const v = simPodView(structuredClone(c.pod));
      const both = (f: (p: Pod) => unknown) => assert.deepEqual(f(v), f(c.pod));
      both((p) => creatingStatus(p, '10.1.0.1', 1000));
      both((p) => runningStatus(p, '10.1.0.1', '10.0.0.9', 1000, 2000, 1));
      both((p) => terminatedStatus(p, 3, 1000, 2000, 'Failed', 0));
      both((p) => completionPlan(p));
      both((p) => afterExit(p, 3));
      both((p) => podUsageFromAnnotations(p));
      both((p) => simNodeSummary('sim-node-1', 0, [{ pod: p, usage: podUsageFromAnnotations(p), startedMs: 1000 }], 5000));
      both((p) => [p.metadata?.name, p.metadata?.namespace, p.metadata?.uid, p.metadata?.resourceVersion, p.metadata?.deletionTimestamp, p.metadata?.deletionGracePeriodSeconds]);
      both((p) => [p.spec?.nodeName, !!p.spec?.hostNetwork, p.spec?.restartPolicy, p.status?.phase, p.status?.podIP, p.status?.startTime, p.status?.containerStatuses?.[0]?.restartCount]);
      assert.ok(JSON.stringify(v).length < JSON.stringify(c.pod).length * 0.75, 'the view is smaller');
    });
  }
});

describe('sameKubeletInputs', () => {
  const pod = (o: { rv?: string; uid?: string; node?: string; image?: string; init?: boolean; restartPolicy?: string; hostNetwork?: boolean; annotations?: Record<string, string>; deleting?: boolean; status?: Pod['status'] } = {}): Pod =>
    simPodView({
      metadata: {
        name: 'web-1',
        namespace: 'shop',
        uid: o.uid ?? 'u-1',
        resourceVersion: o.rv ?? '10',
        annotations: { 'other.example/x': o.rv ?? '10', ...o.annotations },
        ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 } : {}),
      },
      spec: {
        nodeName: o.node ?? 'sim-node-1',
        restartPolicy: o.restartPolicy ?? 'Always',
        hostNetwork: o.hostNetwork,
        initContainers: o.init ? [{ name: 'init', image: 'busybox' }] : undefined,
        containers: [{ name: 'app', image: o.image ?? 'nginx' }],
      },
      status: o.status,
    });
  const creating: Pod['status'] = { phase: 'Pending', startTime: '2026-01-01T00:00:00Z', containerStatuses: [{ name: 'app', image: 'nginx', imageID: '', ready: false, restartCount: 0 }] };
  const running: Pod['status'] = { phase: 'Running', podIP: '10.42.0.2', startTime: '2026-01-01T00:00:00Z', containerStatuses: [{ name: 'app', image: 'nginx', imageID: '', ready: true, restartCount: 0 }] };
  const cases: { name: string; a: Pod; b: Pod; want: boolean }[] = [
    { name: 'its own ContainerCreating write coming back', a: pod(), b: pod({ rv: '11', status: creating }), want: true },
    { name: 'its own Running write coming back', a: pod({ status: creating }), b: pod({ rv: '12', status: running }), want: true },
    { name: 'an annotation it does not keep changed', a: pod({ rv: '11' }), b: pod({ rv: '12' }), want: true },
    { name: 'the same object', a: pod(), b: pod(), want: true },
    { name: 'deletion requested', a: pod({ status: running }), b: pod({ rv: '13', status: running, deleting: true }), want: false },
    { name: 'recreated under the same name (new uid)', a: pod(), b: pod({ uid: 'u-2' }), want: false },
    { name: 'completion annotation added', a: pod(), b: pod({ annotations: { 'sim.skiff.dev/complete-after-seconds': '5' } }), want: false },
    { name: 'usage annotation changed', a: pod({ annotations: { 'sim.skiff.dev/cpu-usage': '100m' } }), b: pod({ annotations: { 'sim.skiff.dev/cpu-usage': '200m' } }), want: false },
    { name: 'container image changed', a: pod(), b: pod({ image: 'nginx:2' }), want: false },
    { name: 'init container added', a: pod(), b: pod({ init: true }), want: false },
    { name: 'restart policy changed', a: pod(), b: pod({ restartPolicy: 'Never' }), want: false },
    { name: 'host network changed', a: pod(), b: pod({ hostNetwork: true }), want: false },
    { name: 'another node', a: pod(), b: pod({ node: 'sim-node-2' }), want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(sameKubeletInputs(c.a, c.b), c.want));
});
