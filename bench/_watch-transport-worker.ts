// A watcher thread of bench/watch-transport.ts: one pod watch of the given namespace with the components'
// client, over the server's unix socket (mode "socket") or the in-process endpoint across a MessagePort
// (mode "port"), iterated as an informer does (ApiClient.watch: each line decoded). Answers "count" with
// the events seen and this thread's CPU time (/proc/thread-self/stat, ms).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { PortEndpoint } from '../src/client/port-endpoint.js';
import { componentClient } from '../src/cli/component-client.js';
import { resources } from '../src/client/index.js';
import { threadCpuMs } from './_thread-cpu.js';

const { mode, port, socketPath, namespace } = workerData as { mode: 'socket' | 'port'; port?: MessagePort; socketPath: string; namespace: string };
const parent = parentPort!;

const endpoint = mode === 'port' ? new PortEndpoint(port!) : undefined;
const client = componentClient({ url: 'http://localhost', socketPath, ca: '', cert: '', key: '' }, endpoint);
const watch = await client.watch(resources.pods, { namespace, resourceVersion: '0', timeoutSeconds: 3600 });
let events = 0;
parent.on('message', (m: string) => {
  if (m === 'count') parent.postMessage({ events, cpuMs: threadCpuMs() });
  else if (m === 'stop') {
    watch.close();
    client.close();
    endpoint?.close();
    parent.close();
  }
});
parent.postMessage({ ready: true });
for await (const ev of watch) if (ev.type !== 'BOOKMARK') events++;
