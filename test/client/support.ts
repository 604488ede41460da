// Shared setup for the client's integration tests: an in-process API server and an ApiClient for it.
import { ApiClient } from '../../src/client/client.js';
import type { ClientConfig } from '../../src/client/config.js';
import type { TestServer } from '../apiserver/harness.js';

export function clientConfigFor(s: TestServer, servers: string[] = [s.url]): ClientConfig {
  return { servers, ca: s.ca, token: s.token, namespace: 'default' };
}

export function clientFor(s: TestServer, servers?: string[]): ApiClient {
  return ApiClient.fromConfig(clientConfigFor(s, servers), { timeoutMs: 10_000 });
}

/** Polls cond every 10 ms until true or timeoutMs (then throws with msg). */
export async function eventually(cond: () => boolean | Promise<boolean>, msg: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out waiting: ${msg}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
