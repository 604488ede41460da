// A component worker entry for test/cli/worker-component.test.ts: it watches the ConfigMaps of namespace
// "watched" with the components' client (its watches cross the worker's MessagePort), logs "saw <name>" for
// each one added, and reports started once its watch has started. The first time (no marker file yet) it
// exits with code 3 a moment later, its watch still open, as a component that crashed; started again, it
// runs until told to stop.
import { parentPort, workerData } from 'node:worker_threads';
import { startedCrashingOnce } from './crash-once.js';
import { PortEndpoint } from '../../src/client/port-endpoint.js';
import { componentClient } from '../../src/cli/component-client.js';
import { resources } from '../../src/client/index.js';
import type { ComponentWorkerData } from '../../src/cli/component-worker.js';

const parent = parentPort!;
const data = workerData as ComponentWorkerData;
const endpoint = new PortEndpoint(data.port);
const client = componentClient(data.connection, endpoint);
const watch = await client.watch(resources.configMaps, { namespace: 'watched', resourceVersion: '0' });
startedCrashingOnce(parent, process.env.SKIFF_TEST_WATCHING_WORKER_MARKER!);
void (async () => {
  for await (const ev of watch) if (ev.type === 'ADDED') parent.postMessage({ type: 'log', line: `saw ${ev.object.metadata.name}` });
})().catch((err: unknown) => parent.postMessage({ type: 'log', line: `watch failed: ${String(err)}` }));
parent.on('message', (m: { type: string }) => {
  if (m.type !== 'stop') return;
  watch.close();
  client.close();
  endpoint.close();
  parent.postMessage({ type: 'stopped' });
});
