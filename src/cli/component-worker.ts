// The entry of a component worker thread (worker-component.ts starts it): runs one control-plane component
// (component-starters.ts) with a client whose requests and watches reach the parent thread's API server
// through a MessagePort (what needs a connection uses the server's unix socket). Messages to the parent:
// {type: 'log', line}, {type: 'started', info}, {type: 'failed', message}, {type: 'answer', id, answer | error},
// {type: 'stopped'}; from the parent: {type: 'query', id, query}, {type: 'stop'}.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { PortEndpoint } from '../client/port-endpoint.js';
import { componentClient, type ComponentConnection } from './component-client.js';
import { componentStarters, type ComponentName, type ComponentOptions, type ComponentQuery } from './component-starters.js';

export interface ComponentWorkerData {
  component: ComponentName;
  connection: ComponentConnection;
  options: ComponentOptions;
  /** The port servePort answers on the parent's side. */
  port: MessagePort;
}

/** A message from the parent thread. */
export type ToComponentWorker = { type: 'stop' } | { type: 'query'; id: number; query: ComponentQuery };

const data = workerData as ComponentWorkerData;
const parent = parentPort!;
const log = (line: string) => parent.postMessage({ type: 'log', line });
const endpoint = new PortEndpoint(data.port);
const client = componentClient(data.connection, endpoint);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

const running = componentStarters[data.component](client, data.options, log);
running.then(
  (r) => parent.postMessage({ type: 'started', info: r.info }),
  (err: unknown) => parent.postMessage({ type: 'failed', message: message(err) }),
);
parent.on('message', (m: ToComponentWorker) => {
  if (m.type === 'query') {
    void (async () => {
      try {
        const r = await running;
        if (!r.answer) throw new Error(`${data.component} answers no queries`);
        parent.postMessage({ type: 'answer', id: m.id, answer: await r.answer(m.query) });
      } catch (err) {
        parent.postMessage({ type: 'answer', id: m.id, error: message(err) });
      }
    })();
    return;
  }
  if (m.type !== 'stop') return;
  void (async () => {
    try {
      await (await running.catch(() => undefined))?.stop();
    } catch (err) {
      log(`${data.component}: stopping: ${message(err)}`);
    }
    client.close();
    endpoint.close();
    parent.postMessage({ type: 'stopped' });
  })();
});
