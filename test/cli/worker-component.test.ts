// A control-plane component in a worker thread (src/cli/worker-component.ts) against a real API server: the
// scheduler running there binds a pod (its requests cross the MessagePort into the server's request handling,
// its watches use the unix socket) and stops with its thread; a worker that dies is started again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startTestServer, type TestServer } from '../apiserver/harness.js';
import { startComponentWorker } from '../../src/cli/worker-component.js';
import { componentClient } from '../../src/cli/component-client.js';
import { buildNode } from '../../src/runtime/sim/node-object.js';
import { simNodeSpecs } from '../../src/runtime/sim/index.js';
import { resources } from '../../src/client/index.js';
import { eventually } from '../e2e/wait.js';

let ts: TestServer;

before(async () => {
  ts = await startTestServer({ localSocket: true });
});

after(async () => {
  await ts?.close();
});

const connection = () => ({ url: ts.url, socketPath: ts.socketPath, ca: '', cert: '', key: '' });

test('the scheduler in a worker thread binds a pod through the server of the parent thread', async () => {
  const client = componentClient(connection(), ts.server.inProcess);
  const logs: string[] = [];
  const scheduler = await startComponentWorker({
    component: 'kube-scheduler',
    connection: connection(),
    endpoint: ts.server.inProcess!,
    options: { rootCA: '' },
    log: (line) => logs.push(line),
  });
  try {
    const [spec] = simNodeSpecs({ count: 1, cpu: '4', memory: '8Gi', pods: 110 });
    await client.create(resources.nodes, buildNode({ ...spec!, name: 'worker-node' }, 0, Date.now()));
    await client.create<Pod>(resources.pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'to-bind', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'pause' }] },
    });
    const bound = await eventually(
      'the pod bound by the scheduler in the worker',
      async () => (await client.get<Pod>(resources.pods, 'to-bind', { namespace: 'default' })).spec?.nodeName,
      15_000,
    );
    assert.equal(bound, 'worker-node');
  } finally {
    await scheduler.stop();
    client.close();
  }
  assert.ok(!logs.some((l) => /worker thread (failed|exited)/.test(l)), logs.join('\n'));
});

test('a worker thread that dies is started again, and stop() ends the new one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-worker-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  process.env.SKIFF_TEST_DYING_WORKER_MARKER = join(dir, 'died');
  t.after(() => delete process.env.SKIFF_TEST_DYING_WORKER_MARKER);
  const logs: string[] = [];
  const component = await startComponentWorker({
    component: 'kube-scheduler',
    connection: connection(),
    endpoint: ts.server.inProcess!,
    options: { rootCA: '' },
    log: (line) => logs.push(line),
    restartDelayMs: 10,
    entry: new URL('./dying-component-worker.ts', import.meta.url),
  });
  await eventually('the worker started again', async () => logs.includes('started again'), 10_000);
  assert.deepEqual(logs, ['first start', 'kube-scheduler: worker thread exited unexpectedly (code 3); starting it again', 'started again']);
  await component.stop();
});
