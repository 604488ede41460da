// The shared Event recorder against a real API server: upstream's correlator (a repeat of the same event raises
// the count of the first one, a different message makes a new event), source.host for node agents, subjects
// given as references, forget(), a deleted Event started anew, and dropping beyond maxInFlight.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Event } from 'kubernetes-types/core/v1.js';
import { ApiClient, realClock, resources } from '../../src/client/index.js';
import { newEventRecorder } from '../../src/client/event-recorder.js';
import { startTestServer, type TestServer } from '../apiserver/harness.js';
import { eventually } from '../controllers/support.js';

const eventsIn = async (client: ApiClient, ns: string) => (await client.list<Event>(resources.events, { namespace: ns })).items;

describe('event recorder', () => {
  let server: TestServer;
  let client: ApiClient;
  before(async () => {
    server = await startTestServer();
    client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' });
  });
  after(async () => {
    client?.close();
    await server?.close();
  });

  it('counts repeats on the first event', async () => {
    const r = newEventRecorder(client, 'kubelet', realClock, () => {}, { host: 'node-1', aggregate: true });
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1' } };
    r.event(pod, 'Warning', 'Unhealthy', 'Readiness probe failed: x', 'spec.containers{app}');
    await eventually(async () => (await client.list<Event>(resources.events, { namespace: 'default' })).items.length, (n) => n === 1, 'first event');
    r.event(pod, 'Warning', 'Unhealthy', 'Readiness probe failed: x', 'spec.containers{app}');
    r.event(pod, 'Warning', 'Unhealthy', 'Readiness probe failed: x', 'spec.containers{app}');
    r.event(pod, 'Warning', 'Unhealthy', 'Readiness probe failed: y', 'spec.containers{app}');
    const items = await eventually(
      async () => (await client.list<Event>(resources.events, { namespace: 'default' })).items,
      (evs) => evs.length === 2 && evs.some((e) => e.count === 3),
      'aggregated',
    );
    const x = items.find((e) => e.message === 'Readiness probe failed: x')!;
    assert.equal(x.count, 3);
    assert.equal(x.source?.host, 'node-1');
    assert.equal(x.involvedObject.fieldPath, 'spec.containers{app}');
    assert.equal(items.find((e) => e.message === 'Readiness probe failed: y')!.count, 1);
  });

  it('takes references, fills the default kind, and starts anew after forget() or when the Event was deleted', async () => {
    await client.create(resources.namespaces, { metadata: { name: 'ev-ref' } });
    const r = newEventRecorder(client, 'node-controller', realClock, () => {}, { aggregate: true, defaultKind: { apiVersion: 'v1', kind: 'Node' } });
    const ref = { name: 'n1', namespace: 'ev-ref', uid: 'n1-uid' };
    r.event(ref, 'Normal', 'NodeNotReady', 'Node n1 status is now: NodeNotReady');
    const [first] = await eventually(() => eventsIn(client, 'ev-ref'), (evs) => evs.length === 1, 'first event');
    assert.equal(first!.involvedObject.kind, 'Node');
    assert.equal(first!.involvedObject.apiVersion, 'v1');
    assert.equal(first!.source?.component, 'node-controller');
    r.forget('n1-uid');
    r.event(ref, 'Normal', 'NodeNotReady', 'Node n1 status is now: NodeNotReady');
    await eventually(() => eventsIn(client, 'ev-ref'), (evs) => evs.length === 2, 'a new event after forget');
    for (const e of await eventsIn(client, 'ev-ref')) await client.delete(resources.events, e.metadata!.name!, { namespace: 'ev-ref' });
    r.event(ref, 'Normal', 'NodeNotReady', 'Node n1 status is now: NodeNotReady');
    const again = await eventually(() => eventsIn(client, 'ev-ref'), (evs) => evs.length === 1, 'recreated after deletion');
    assert.equal(again[0]!.count, 1);
  });

  it('drops events beyond maxInFlight outstanding writes and counts them', async () => {
    await client.create(resources.namespaces, { metadata: { name: 'ev-drop' } });
    const r = newEventRecorder(client, 'default-scheduler', realClock, () => {}, { maxInFlight: 2 });
    for (let i = 0; i < 5; i++) r.event({ kind: 'Pod', apiVersion: 'v1', name: `p${i}`, namespace: 'ev-drop' }, 'Normal', 'Scheduled', `pod ${i}`);
    assert.equal(r.dropped, 3);
    const evs = await eventually(() => eventsIn(client, 'ev-drop'), (e) => e.length === 2, 'two written');
    assert.deepEqual(evs.map((e) => e.message).sort(), ['pod 0', 'pod 1']);
  });
});
