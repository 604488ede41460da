// Shared setup for controller integration tests: an in-process API server, an ApiClient for it, a running
// controller manager, and polling helpers.
import { ApiClient } from '../../src/client/client.js';
import { startControllerManager, type ControllerManager, type ControllerManagerOptions } from '../../src/controllers/manager.js';
import { startTestServer, type TestServer } from '../apiserver/harness.js';

export interface ControllerEnv {
  server: TestServer;
  client: ApiClient;
  manager: ControllerManager;
  logs: string[];
  close(): Promise<void>;
}

export async function startEnv(opts: Omit<ControllerManagerOptions, 'client' | 'log'> = {}, before?: (client: ApiClient) => Promise<void>): Promise<ControllerEnv> {
  const server = await startTestServer();
  const client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' }, { timeoutMs: 10_000 });
  const logs: string[] = [];
  try {
    if (before) await before(client);
    const manager = await startControllerManager({ client, log: (l) => logs.push(l), syncTimeoutMs: 10_000, ...opts });
    return {
      server,
      client,
      manager,
      logs,
      close: async () => {
        await manager.stop();
        client.close();
        await server.close();
      },
    };
  } catch (e) {
    client.close();
    await server.close();
    throw e;
  }
}

/** Polls cond every 25 ms until it holds or timeoutMs passes (then fails with msg and the last value). */
export async function eventually<T>(cond: () => Promise<T> | T, check: (v: T) => boolean, msg: string, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await cond();
    if (check(last)) return last;
    if (Date.now() > end) throw new Error(`timed out waiting: ${msg}; last: ${JSON.stringify(last)?.slice(0, 1000)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Resolves to the object, or undefined on 404. */
export async function getOrUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if ((e as { code?: number }).code === 404) return undefined;
    throw e;
  }
}
