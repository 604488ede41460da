// The agent's events as upstream's correlator writes them: a repeat of the same event raises the count of the
// first one ("x3 over ..."), a different message makes a new event; source.host names the node.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Event } from 'kubernetes-types/core/v1.js';
import { ApiClient, realClock, resources } from '../../src/client/index.js';
import { newEventRecorder } from '../../src/controllers/job/events.js';
import { startTestServer, type TestServer } from '../apiserver/harness.js';
import { eventually } from '../controllers/support.js';

describe('aggregated events', () => {
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
});
