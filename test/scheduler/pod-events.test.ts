// The scheduler's pod event handling: which updates of a bound pod are cluster events for the queue, which
// pods are pending for us, and what the handlers do to the cache and the queue for each event.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { assignedPodEvent, isPending, podEventHandlers } from '../../src/scheduler/pod-events.js';
import { SchedulerCache } from '../../src/scheduler/cache.js';
import { SchedulingQueue } from '../../src/scheduler/queue.js';
import type { ClusterEvent } from '../../src/scheduler/framework/types.js';

const pod = (o: { node?: string; phase?: string; labels?: Record<string, string>; deleting?: boolean; scheduler?: string; gates?: boolean; cpu?: string; rv?: string } = {}): Pod => ({
  metadata: {
    name: 'p',
    namespace: 'ns',
    uid: 'u1',
    resourceVersion: o.rv ?? '1',
    ...(o.labels ? { labels: o.labels } : {}),
    ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
  },
  spec: {
    ...(o.node ? { nodeName: o.node } : {}),
    ...(o.scheduler ? { schedulerName: o.scheduler } : {}),
    ...(o.gates ? { schedulingGates: [{ name: 'g' }] } : {}),
    containers: [{ name: 'c', resources: { requests: { cpu: o.cpu ?? '100m' } } }],
  },
  status: { phase: o.phase ?? 'Pending' },
});

describe('assignedPodEvent', () => {
  const cases: { name: string; o: Pod; p: Pod; want: ClusterEvent | undefined }[] = [
    { name: 'just bound', o: pod(), p: pod({ node: 'n1' }), want: 'AssignedPodAdd' },
    { name: 'status update (ContainerCreating → Running)', o: pod({ node: 'n1' }), p: pod({ node: 'n1', phase: 'Running' }), want: undefined },
    { name: 'finished: Succeeded', o: pod({ node: 'n1', phase: 'Running' }), p: pod({ node: 'n1', phase: 'Succeeded' }), want: 'AssignedPodDelete' },
    { name: 'finished: Failed', o: pod({ node: 'n1', phase: 'Running' }), p: pod({ node: 'n1', phase: 'Failed' }), want: 'AssignedPodDelete' },
    { name: 'already finished', o: pod({ node: 'n1', phase: 'Failed' }), p: pod({ node: 'n1', phase: 'Failed', labels: { a: 'b' } }), want: 'AssignedPodUpdate' },
    { name: 'label added', o: pod({ node: 'n1' }), p: pod({ node: 'n1', labels: { app: 'web' } }), want: 'AssignedPodUpdate' },
    { name: 'label value changed', o: pod({ node: 'n1', labels: { app: 'web' } }), p: pod({ node: 'n1', labels: { app: 'db' } }), want: 'AssignedPodUpdate' },
    { name: 'label removed', o: pod({ node: 'n1', labels: { app: 'web', x: 'y' } }), p: pod({ node: 'n1', labels: { app: 'web' } }), want: 'AssignedPodUpdate' },
    { name: 'same labels in another order', o: pod({ node: 'n1', labels: { a: '1', b: '2' } }), p: pod({ node: 'n1', labels: { b: '2', a: '1' } }), want: undefined },
    { name: 'empty labels and none', o: pod({ node: 'n1', labels: {} }), p: pod({ node: 'n1' }), want: undefined },
  ];
  for (const c of cases) it(c.name, () => assert.equal(assignedPodEvent(c.o, c.p), c.want));
});

describe('isPending', () => {
  const ours = (p: Pod) => (p.spec?.schedulerName ?? 'default-scheduler') === 'default-scheduler';
  const cases: { name: string; p: Pod; want: boolean }[] = [
    { name: 'new pod of ours', p: pod(), want: true },
    { name: 'bound', p: pod({ node: 'n1' }), want: false },
    { name: 'being deleted', p: pod({ deleting: true }), want: false },
    { name: 'Succeeded', p: pod({ phase: 'Succeeded' }), want: false },
    { name: 'Failed', p: pod({ phase: 'Failed' }), want: false },
    { name: 'another scheduler', p: pod({ scheduler: 'other' }), want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(isPending(c.p, ours), c.want));
});

describe('podEventHandlers', () => {
  const setup = () => {
    const cache = new SchedulerCache();
    cache.addNode({ metadata: { name: 'n1' }, status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } });
    const events: ClusterEvent[] = [];
    const queue = new SchedulingQueue({ less: (a, b) => a.timestamp < b.timestamp, pluginsFor: () => new Set() });
    const onEvent = queue.onEvent.bind(queue);
    queue.onEvent = (e, f) => {
      events.push(e);
      onEvent(e, f);
    };
    const forgotten: (string | undefined)[] = [];
    const h = podEventHandlers({ cache, queue, responsible: (p) => (p.spec?.schedulerName ?? 'default-scheduler') === 'default-scheduler', forget: (u) => forgotten.push(u) });
    return { cache, queue, events, forgotten, h };
  };

  it('a pod goes from the queue to the cache; its status updates change nothing but the cached object', () => {
    const { cache, queue, events, h } = setup();
    const p0 = pod();
    h.onAdd!(p0, false);
    assert.equal(queue.pendingCounts.active, 1);
    const q = queue.tryPop()!;
    cache.assumePod(q.podInfo, 'n1');
    const p1 = pod({ node: 'n1', rv: '2' });
    h.onUpdate!(p0, p1);
    queue.done(q.key);
    assert.equal(queue.has('ns/p'), false);
    assert.deepEqual(events, ['AssignedPodAdd']);
    assert.equal(cache.isAssumed('ns/p'), false);
    const p2 = pod({ node: 'n1', phase: 'Running', rv: '3' });
    h.onUpdate!(p1, p2);
    assert.deepEqual(events, ['AssignedPodAdd']);
    const ni = cache.nodeInfo('n1')!;
    assert.equal(ni.pods.get('ns/p')!.pod, p2);
    assert.equal(ni.requested.milliCPU, 100);
  });

  it('a bound pod whose requests change is recounted; a finished one leaves the cache', () => {
    const { cache, events, h } = setup();
    const p1 = pod({ node: 'n1', phase: 'Running' });
    h.onAdd!(p1, true);
    assert.equal(cache.nodeInfo('n1')!.requested.milliCPU, 100);
    const p2 = pod({ node: 'n1', phase: 'Running', cpu: '300m', rv: '2' });
    h.onUpdate!(p1, p2);
    assert.equal(cache.nodeInfo('n1')!.requested.milliCPU, 300);
    const p3 = pod({ node: 'n1', phase: 'Succeeded', cpu: '300m', rv: '3' });
    h.onUpdate!(p2, p3);
    assert.equal(cache.nodeInfo('n1')!.requested.milliCPU, 0);
    assert.equal(cache.podCount, 0);
    assert.deepEqual(events, ['AssignedPodAdd', 'AssignedPodDelete']);
  });

  it('gated, foreign and deleted pending pods leave the queue; a deleted bound pod leaves the cache', () => {
    const { cache, queue, events, forgotten, h } = setup();
    const p0 = pod();
    h.onAdd!(p0, false);
    h.onUpdate!(p0, pod({ gates: true, rv: '2' }));
    assert.equal(queue.has('ns/p'), false);
    h.onAdd!(pod({ scheduler: 'other' }), false);
    assert.equal(queue.has('ns/p'), false);
    h.onAdd!(p0, false);
    h.onDelete!(p0, { finalStateUnknown: false });
    assert.equal(queue.has('ns/p'), false);
    const b = pod({ node: 'n1', phase: 'Running' });
    h.onAdd!(b, false);
    h.onDelete!(b, { finalStateUnknown: false });
    assert.equal(cache.podCount, 0);
    assert.deepEqual(events, ['AssignedPodAdd', 'AssignedPodDelete']);
    assert.deepEqual(forgotten, ['u1', 'u1']);
  });
});
