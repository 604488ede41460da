// Waiting helpers shared by the e2e tests: poll until a condition holds, and watch a label-selected set of
// pods recording the fewest Ready (not terminating) ones seen — how rollouts and drains are checked.
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../src/client/client.js';
import * as resources from '../../src/client/resources.js';

export const isReadyPod = (p: Pod): boolean =>
  !p.metadata?.deletionTimestamp && !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** Polls fn until it returns a truthy value (returned) or the deadline passes (fails with the last state). */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Watches the pods matching `labelSelector` and records the fewest Ready pods seen, and how many events. */
export async function readyPodsWatch(client: ApiClient, labelSelector: string, namespace = 'default') {
  const ready = new Map<string, boolean>();
  const list = await client.list<Pod>(resources.pods, { namespace, labelSelector });
  for (const p of list.items) ready.set(p.metadata!.name!, isReadyPod(p));
  const count = () => [...ready.values()].filter(Boolean).length;
  const state = { min: count(), events: 0 };
  const w = await client.watch<Pod>(resources.pods, { namespace, labelSelector, resourceVersion: list.resourceVersion });
  const loop = (async () => {
    for await (const ev of w) {
      if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') continue;
      const p = ev.object as Pod;
      if (ev.type === 'DELETED') ready.delete(p.metadata!.name!);
      else ready.set(p.metadata!.name!, isReadyPod(p));
      state.events++;
      state.min = Math.min(state.min, count());
    }
  })();
  return {
    state,
    stop: async () => {
      w.close();
      await loop.catch(() => undefined);
    },
  };
}
