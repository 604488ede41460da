// The e2e harness itself: a cluster that never becomes ready is stopped and its directories removed, so a
// failed start can neither leak a server nor keep the test run waiting on its pipes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, e2eSkipReason } from './harness.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping harness e2e: ${skip}`);

test('a cluster that fails to start leaves no server and no directory behind', { skip }, async () => {
  // A temp directory of its own (this file runs in its own process), so other suites' clusters do not show up.
  const own = mkdtempSync(join(tmpdir(), 'skiff-harness-'));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = own;
  try {
    await assert.rejects(Cluster.start({ extraArgs: ['--runtime', 'no-such-runtime'] }), /exited with \d+ before ready/);
    assert.deepEqual(readdirSync(own), []);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(own, { recursive: true, force: true });
  }
});
