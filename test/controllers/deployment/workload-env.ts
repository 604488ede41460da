// Test environment for the ReplicaSet and Deployment controllers: an in-process API server, three simulated
// nodes (zero start delay), the scheduler, and both controllers running in-process on one informer factory.
import { ApiClient } from '../../../src/client/client.js';
import { InformerFactory } from '../../../src/client/informer-factory.js';
import { DeploymentController } from '../../../src/controllers/deployment/deployment-controller.js';
import { ReplicaSetController } from '../../../src/controllers/replicaset/replicaset-controller.js';
import { startSimNodes, simNodeSpecs, type SimNodes } from '../../../src/runtime/sim/index.js';
import { startScheduler, type Scheduler } from '../../../src/scheduler/index.js';
import { startTestServer, type TestServer } from '../../apiserver/harness.js';

export interface WorkloadEnv {
  server: TestServer;
  client: ApiClient;
  sim: SimNodes;
  logs: string[];
  close(): Promise<void>;
}

/** Starts the controllers against an existing client (also used by the e2e test). */
export async function startWorkloadControllers(client: ApiClient, log: (l: string) => void, which: { deployment?: boolean } = {}): Promise<() => Promise<void>> {
  const informers = new InformerFactory(client, { log });
  const rsc = new ReplicaSetController({ client, informers, log, workers: 2 });
  const dc = which.deployment === false ? undefined : new DeploymentController({ client, informers, log, workers: 2 });
  informers.start();
  await Promise.all([rsc.start(), dc?.start()]);
  return async () => {
    await Promise.all([rsc.stop(), dc?.stop()]);
    await informers.stop();
  };
}

export async function startWorkloadEnv(opts: { deployment?: boolean } = {}): Promise<WorkloadEnv> {
  const server = await startTestServer();
  const client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' }, { timeoutMs: 10_000 });
  const logs: string[] = [];
  const log = (l: string) => {
    logs.push(l);
    if (process.env.WORKLOAD_LOG) process.stderr.write(`${l}\n`);
  };
  const sim = await startSimNodes({ client, nodes: simNodeSpecs({ count: 3 }), startDelayMs: 0, log });
  const sched: Scheduler = await startScheduler({ client, log, initialBackoffMs: 100, maxBackoffMs: 200 });
  const stopControllers = await startWorkloadControllers(client, log, opts);
  return {
    server,
    client,
    sim,
    logs,
    close: async () => {
      await stopControllers();
      await sched.stop();
      await sim.stop();
      client.close();
      await server.close();
    },
  };
}
