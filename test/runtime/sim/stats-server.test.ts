// The fleet's stats server (src/runtime/sim/stats-server.ts): a restarted fleet asks for its predecessor's
// port and, when that port is taken, falls back to an ephemeral one only if told to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki } from '../../../src/apiserver/auth/pki.js';
import { startSimStatsServer } from '../../../src/runtime/sim/stats-server.js';

test('a taken port fails the start, or falls back to an ephemeral port when allowed; a free one is taken', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-sim-stats-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = await ensurePki(dir, { hostname: 'localhost', addresses: ['127.0.0.1'] });
  const tls = { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert };
  const summary = () => undefined;
  const portOf = (s: { endpointFor(n: string): string }) => Number(new URL(s.endpointFor('x')).port);
  const first = await startSimStatsServer({ tls, summary });
  const port = portOf(first);
  try {
    await assert.rejects(startSimStatsServer({ tls, summary, port }), (e: NodeJS.ErrnoException) => e.code === 'EADDRINUSE');
    const fallback = await startSimStatsServer({ tls, summary, port, portFallback: true });
    assert.notEqual(portOf(fallback), port);
    await fallback.stop();
  } finally {
    await first.stop();
  }
  const again = await startSimStatsServer({ tls, summary, port, portFallback: true });
  assert.equal(portOf(again), port, 'the freed port is taken again');
  await again.stop();
});
