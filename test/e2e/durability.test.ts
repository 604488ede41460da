// A single-node `skiff up` on SQLite is SIGKILLed in the middle of a stream of 1,000 writes; after a restart
// on the same data directory every acknowledged write is there, at the resourceVersion it was acknowledged
// with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cluster, e2eSkipReason } from './harness.js';
import { apiFromKubeconfig, listConfigMaps, missingWrites, writeStream } from './write-load.js';

const skip = e2eSkipReason();

test('SIGKILL during 1,000 writes on SQLite: every acknowledged write survives a restart', { skip, timeout: 120_000 }, async (t) => {
  const c = await Cluster.start();
  try {
    await c.k(['create', 'namespace', 'durable']);
    let api = apiFromKubeconfig(c.kubeconfig, undefined, 8);
    const abort = new AbortController();
    let killed: Promise<unknown> | undefined;
    const stream = writeStream({
      apis: [api],
      namespace: 'durable',
      count: 1000,
      concurrency: 8,
      signal: abort.signal,
      onAck: (n) => {
        if (n === 400 && !killed) {
          killed = c.halt('SIGKILL').then(() => abort.abort());
        }
      },
    });
    const result = await stream;
    await killed;
    api.close();
    assert.ok(result.acked.size >= 400, `acknowledged ${result.acked.size}`);
    assert.ok(result.acked.size < 1000, 'the kill interrupted the stream');

    await c.boot();
    api = apiFromKubeconfig(c.kubeconfig);
    try {
      const present = await listConfigMaps(api, 'durable');
      assert.deepEqual(missingWrites(result.acked, present), []);
      t.diagnostic(`${result.acked.size} acknowledged before SIGKILL, all present after restart (${present.size} stored)`);
    } finally {
      api.close();
    }
  } finally {
    await c.stop();
  }
});
