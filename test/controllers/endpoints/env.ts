// Test setup shared by this helper's controller tests: an in-process API server, a client, and one
// controller built from its registration with a fresh ControllerContext (the lead's manager table is not
// involved).
import { ApiClient } from '../../../src/client/client.js';
import { InformerFactory } from '../../../src/client/informer-factory.js';
import { metadataClientFor } from '../../../src/client/metadata-client.js';
import type { Controller, ControllerContext, ControllerRegistration } from '../../../src/controllers/manager.js';
import { startTestServer, type TestServer } from '../../apiserver/harness.js';

export interface SingleControllerEnv {
  server: TestServer;
  client: ApiClient;
  logs: string[];
  controller: Controller;
  close(): Promise<void>;
}

export async function startWithController(
  make: (ctx: ControllerContext) => Controller,
  opts: { server?: TestServer } = {},
): Promise<SingleControllerEnv> {
  const server = opts.server ?? (await startTestServer());
  const client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' }, { timeoutMs: 10_000 });
  const logs: string[] = [];
  const log = (l: string) => logs.push(l);
  const informers = new InformerFactory(client, { log });
  const ctx: ControllerContext = { client, metadataClient: metadataClientFor(client), informers, log, options: { client } };
  const controller = make(ctx);
  informers.start();
  await controller.start();
  return {
    server,
    client,
    logs,
    controller,
    close: async () => {
      await controller.stop();
      await informers.stop();
      client.close();
      if (!opts.server) await server.close();
    },
  };
}

export const fromRegistration = (reg: ControllerRegistration) => (ctx: ControllerContext) => reg.create(ctx);
