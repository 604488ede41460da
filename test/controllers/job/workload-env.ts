// Shared setup for the workload controllers' integration tests (job, cronjob, daemonset, statefulset): an
// in-process API server, simulated nodes, the scheduler, the garbage collector, a shared informer factory for the controller under
// test, and a teardown that stops all of it.
import { ApiClient } from '../../../src/client/client.js';
import { InformerFactory } from '../../../src/client/informer-factory.js';
import { GarbageCollector } from '../../../src/controllers/garbagecollector/garbage-collector.js';
import { metadataClientFor } from '../../../src/client/metadata-client.js';
import { startSimNodes, simNodeSpecs, type SimNodes, type SimNodeSpec } from '../../../src/runtime/sim/index.js';
import { startScheduler, type Scheduler } from '../../../src/scheduler/index.js';
import { startTestServer, type TestServer } from '../../apiserver/harness.js';

export interface WorkloadEnv {
  server: TestServer;
  client: ApiClient;
  sim: SimNodes;
  scheduler: Scheduler;
  informers: InformerFactory;
  logs: string[];
  close(): Promise<void>;
}

export async function startWorkloadEnv(o: { nodes?: SimNodeSpec[]; startDelayMs?: number } = {}): Promise<WorkloadEnv> {
  const server = await startTestServer();
  const client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' }, { timeoutMs: 10_000 });
  const logs: string[] = [];
  const log = (l: string) => logs.push(l);
  const sim = await startSimNodes({ client, nodes: o.nodes ?? simNodeSpecs({ count: 2 }), startDelayMs: o.startDelayMs ?? 20, log });
  const scheduler = await startScheduler({ client, initialBackoffMs: 100, maxBackoffMs: 200, recordScheduledEvents: false, log });
  const informers = new InformerFactory(client, { log });
  // The garbage collector runs on its own factory so the controller under test starts from a clean one.
  const gcInformers = new InformerFactory(client, { log });
  const gc = new GarbageCollector({ client, metadataClient: metadataClientFor(client), informers: gcInformers, log });
  gcInformers.start();
  await gc.start();
  return {
    server,
    client,
    sim,
    scheduler,
    informers,
    logs,
    close: async () => {
      await informers.stop();
      await gc.stop();
      await gcInformers.stop();
      await scheduler.stop();
      await sim.stop();
      client.close();
      await server.close();
    },
  };
}
