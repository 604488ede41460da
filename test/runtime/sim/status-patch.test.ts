// The simulated kubelet's status PATCH bodies from templates are byte for byte the JSON of the statuses
// pod-status.ts builds, for every pod shape (and the same template serves the next pod of that shape).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { creatingStatus, runningStatus, simPodView } from '../../../src/runtime/sim/pod-status.js';
import { creatingPatch, runningPatch, statusPatch } from '../../../src/runtime/sim/status-patch.js';
import { rfc3339 } from '../../../src/util/wire-time.js';

const pod = (o: { uid?: string; name?: string; containers?: { name: string; image?: string }[]; init?: { name: string; image?: string }[] } = {}): Pod => ({
  metadata: { name: o.name ?? 'web-1', namespace: 'shop', ...(o.uid === undefined ? {} : { uid: o.uid }) },
  spec: { nodeName: 'sim-node-1', containers: o.containers ?? [{ name: 'app', image: 'nginx:1.27' }], ...(o.init ? { initContainers: o.init } : {}) },
});

const uid = '7d0f5c1e-2b4a-4f6e-9c3d-1a2b3c4d5e6f';
const cases: { name: string; pod: Pod; hostIP?: string; podIP?: string }[] = [
  { name: 'one container', pod: pod({ uid }) },
  { name: 'another pod of the same shape (the template is reused)', pod: pod({ uid: 'a1b2c3d4-0000-4000-8000-000000000001', name: 'web-2' }) },
  { name: 'two containers, one without an image', pod: pod({ uid, containers: [{ name: 'app', image: 'nginx' }, { name: 'side' }] }) },
  { name: 'init containers', pod: pod({ uid, init: [{ name: 'init', image: 'busybox' }, { name: 'init2', image: 'busybox:1' }] }) },
  { name: 'no containers at all', pod: pod({ uid, containers: [] }) },
  { name: 'images and names that JSON escapes', pod: pod({ uid, containers: [{ name: 'a"b', image: 'r\u00e9g/\u2028img:"x"' }, { name: 'c', image: 'emoji-\ud83d\ude00' }] }) },
  { name: 'a backslash in an image (not templated)', pod: pod({ uid, containers: [{ name: 'app', image: 'a\\u00001\\u0000b' }] }) },
  { name: 'a NUL in an image (not templated)', pod: pod({ uid, containers: [{ name: 'app', image: 'a\u00001\u0000b' }] }) },
  { name: 'a uid that JSON escapes, cut inside a surrogate pair', pod: pod({ uid: 'abc"def\\ghi\n12345\ud83d\ude00tail' }) },
  { name: 'no uid (the container IDs take the name)', pod: pod({ name: 'nameless-uid-pod-with-a-long-name' }) },
  { name: 'addresses that JSON escapes', pod: pod({ uid }), hostIP: 'host"1', podIP: 'pod\\2' },
  { name: 'the fleet\'s view of a pod', pod: simPodView({ ...pod({ uid, init: [{ name: 'i', image: 'busybox' }] }), status: { phase: 'Pending' } }) },
];

describe('status patches', () => {
  const t0 = 1_780_000_000_400;
  for (const c of cases) {
    const hostIP = c.hostIP ?? '172.16.0.5';
    const podIP = c.podIP ?? '10.42.3.7';
    const u = c.pod.metadata?.uid;
    it(`${c.name}: ContainerCreating`, () => {
      for (const t of [t0, t0 + 700, t0 + 61_000]) assert.equal(creatingPatch(c.pod, hostIP, t), JSON.stringify({ metadata: { uid: u }, status: creatingStatus(c.pod, hostIP, t) }));
    });
    it(`${c.name}: Running, after restarts`, () => {
      for (const restarts of [0, 0, 3, 12]) {
        const want = JSON.stringify({ metadata: { uid: u }, status: runningStatus(c.pod, hostIP, podIP, t0, t0 + 2500, restarts) });
        assert.equal(runningPatch(c.pod, hostIP, podIP, t0, t0 + 2500, restarts), want);
      }
    });
    it(`${c.name}: Running as the first write, with its startTime`, () => {
      const want = JSON.stringify({ metadata: { uid: u }, status: { ...runningStatus(c.pod, hostIP, podIP, t0 + 900, t0 + 900, 0), startTime: rfc3339(t0) } });
      assert.equal(runningPatch(c.pod, hostIP, podIP, t0 + 900, t0 + 900, 0, t0), want);
      assert.equal(runningPatch(c.pod, hostIP, podIP, t0 + 900, t0 + 900, 0, t0), want);
    });
  }

  it('the bodies are valid JSON with the explicit nulls a strategic merge needs', () => {
    const p = pod({ uid });
    const running = JSON.parse(runningPatch(p, '172.16.0.5', '10.42.3.7', t0, t0, 0)) as { metadata: { uid: string }; status: { containerStatuses: { state: Record<string, unknown> }[] } };
    assert.equal(running.metadata.uid, uid);
    assert.deepEqual(running.status.containerStatuses[0]!.state, { waiting: null, running: { startedAt: rfc3339(t0) }, terminated: null });
    assert.equal(statusPatch(uid, { phase: 'Failed' }), `{"metadata":{"uid":"${uid}"},"status":{"phase":"Failed"}}`);
  });
});
