import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../../../src/api/errors.js';
import { logStatusProblem, nodeProxyLocation, podStreamLocation, resolveContainer } from '../../../src/apiserver/streaming/location.js';

const pod = (extra: { nodeName?: string; phase?: string; containers?: string[]; init?: string[]; statuses?: Pod['status'] } = {}): Pod => ({
  metadata: { name: 'web', namespace: 'ns1' },
  spec: {
    nodeName: extra.nodeName ?? 'n1',
    containers: (extra.containers ?? ['app']).map((name) => ({ name })),
    ...(extra.init ? { initContainers: extra.init.map((name) => ({ name })) } : {}),
  },
  status: { phase: extra.phase ?? 'Running', ...extra.statuses },
});

const running = { containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'x', imageID: '', state: { running: { startedAt: '2024-01-01T00:00:00Z' } } }] };

function statusOf(fn: () => unknown): { code: number; message: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    assert.ok(e instanceof StatusError, String(e));
    return { code: e.code, message: e.message };
  }
}

test('container resolution with upstream messages', () => {
  assert.equal(resolveContainer(pod(), null), 'app');
  assert.equal(resolveContainer(pod({ containers: ['a', 'b'], init: ['i'] }), 'i'), 'i');
  assert.deepEqual(statusOf(() => resolveContainer(pod(), 'nope')), { code: 400, message: 'container nope is not valid for pod web' });
  assert.deepEqual(statusOf(() => resolveContainer(pod({ containers: ['a', 'b'], init: ['i'] }), null)), {
    code: 400,
    message: 'a container name must be specified for pod web, choose one of: [a b] or one of the init containers: [i]',
  });
});

test('log status problems as the kubelet words them', () => {
  const st = (s: Record<string, unknown>, last?: Record<string, unknown>) => ({ containerStatuses: [{ name: 'app', ready: false, restartCount: 1, image: 'x', imageID: '', state: s, ...(last ? { lastState: last } : {}) }] }) as Pod['status'];
  const cases: [string, Pod['status'], boolean, string | undefined][] = [
    ['running', running, false, undefined],
    ['no status yet', {}, false, 'container "app" in pod "web" is waiting to start - no logs yet'],
    ['creating', st({ waiting: { reason: 'ContainerCreating' } }), false, 'container "app" in pod "web" is waiting to start: ContainerCreating'],
    ['image', st({ waiting: { reason: 'ImagePullBackOff' } }), false, 'container "app" in pod "web" is waiting to start: image can\'t be pulled'],
    ['crashloop shows the last run', st({ waiting: { reason: 'CrashLoopBackOff' } }, { terminated: { exitCode: 1, containerID: 'process://c1' } }), false, undefined],
    ['previous present', st({ running: {} }, { terminated: { exitCode: 1, containerID: 'process://c1' } }), true, undefined],
    ['previous absent', running, true, 'previous terminated container "app" in pod "web" not found'],
    ['terminated without id', st({ terminated: { exitCode: 0 } }), false, 'container "app" in pod "web" is terminated'],
  ];
  for (const [name, status, previous, want] of cases) assert.equal(logStatusProblem(pod({ statuses: status }), 'app', previous), want, name);
});

test('agent locations for each subresource', () => {
  const q = new URLSearchParams('container=app&follow=true&tailLines=5&timeout=5s&pretty=true');
  assert.deepEqual(podStreamLocation(pod({ statuses: running }), 'log', q), { path: '/containerLogs/ns1/web/app', query: new URLSearchParams('follow=true&tailLines=5') });
  const ex = podStreamLocation(pod(), 'exec', new URLSearchParams('command=sh&command=-c&command=ls /&container=app&stdout=true&timeout=5s'))!;
  assert.equal(ex.path, '/exec/ns1/web/app');
  assert.deepEqual(ex.query.getAll('command'), ['sh', '-c', 'ls /']);
  assert.equal(ex.query.get('timeout'), null);
  assert.equal(podStreamLocation(pod(), 'attach', new URLSearchParams('stdin=true'))!.path, '/attach/ns1/web/app');
  assert.deepEqual(podStreamLocation(pod(), 'portforward', new URLSearchParams('timeout=5s')), { path: '/portForward/ns1/web', query: new URLSearchParams() });
  assert.deepEqual(podStreamLocation(pod(), 'portforward', new URLSearchParams('ports=80&ports=443')), { path: '/portForward/ns1/web', query: new URLSearchParams('ports=80&ports=443') });
  assert.equal(podStreamLocation(pod({ nodeName: '' }), 'log', new URLSearchParams()), undefined, 'unscheduled pod: empty log');
  const refusals: [Pod, 'exec' | 'attach' | 'portforward', string][] = [
    [pod({ nodeName: '' }), 'exec', 'pod web does not have a host assigned'],
    [pod({ nodeName: '' }), 'portforward', 'pod web does not have a host assigned'],
    [pod({ phase: 'Succeeded' }), 'exec', 'cannot exec into a container in a completed pod; current phase is Succeeded'],
    [pod({ phase: 'Failed' }), 'attach', 'cannot attach to a container in a completed pod; current phase is Failed'],
  ];
  for (const [p, sub, msg] of refusals) assert.deepEqual(statusOf(() => podStreamLocation(p, sub, new URLSearchParams())), { code: 400, message: msg }, msg);
});

test('node proxy path', () => {
  assert.deepEqual(nodeProxyLocation('/api/v1/nodes/n1/proxy/stats/summary', new URLSearchParams('only_cpu_and_memory=true')), {
    path: '/stats/summary',
    query: new URLSearchParams('only_cpu_and_memory=true'),
  });
  assert.equal(nodeProxyLocation('/api/v1/nodes/n1/proxy', new URLSearchParams()).path, '/');
});
