// A control-plane component in a worker thread (src/cli/worker-component.ts) against a real API server: the
// scheduler running there binds a pod (its requests and watches cross the MessagePort into the server's
// request handling) and stops with its thread; a worker that dies is started again, and the watches of the
// one that died end on the server.
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
import type { InProcessEndpoint } from '../../src/client/in-process-transport.js';

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

test("a worker that dies with a watch open: the server's watch ends with it, its successor watches again", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-worker-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  process.env.SKIFF_TEST_WATCHING_WORKER_MARKER = join(dir, 'died');
  t.after(() => delete process.env.SKIFF_TEST_WATCHING_WORKER_MARKER);
  const client = componentClient(connection(), ts.server.inProcess);
  await client.create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watched' } });
  // The server's side of the workers' streams: how many are open.
  const inProcess = ts.server.inProcess!;
  let open = 0;
  const endpoint: InProcessEndpoint = {
    serve: (req) => inProcess.serve(req),
    stream: (req, sink) => {
      open++;
      sink.onClose(() => open--);
      return inProcess.stream!(req, sink);
    },
  };
  const logs: string[] = [];
  const component = await startComponentWorker({
    component: 'kube-scheduler',
    connection: connection(),
    endpoint,
    options: { rootCA: '' },
    log: (line) => logs.push(line),
    restartDelayMs: 10,
    entry: new URL('./watching-component-worker.ts', import.meta.url),
  });
  try {
    await eventually('the worker started again', async () => logs.includes('started again'), 10_000);
    await eventually("the dead worker's watch ended on the server; its successor's is open", async () => open === 1, 10_000);
    await client.create(resources.configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-restart', namespace: 'watched' } });
    await eventually('the new worker saw the ConfigMap', async () => logs.includes('saw after-restart'), 10_000);
  } finally {
    await component.stop();
    client.close();
  }
  await eventually("the stopped worker's watch ended on the server", async () => open === 0, 10_000);
  assert.ok(!logs.some((l) => l.startsWith('watch failed')), logs.join('\n'));
});
