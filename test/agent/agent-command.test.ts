// `skiff agent` and the agent flags: usage errors, --kube-reserved and log rotation flags, bridge names, and a join that
// cannot reach its server failing with a readable message.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { agentOptions, agentSettings, parseLogMaxSize, parseReservation } from '../../src/cli/agent-options.js';
import { parseOptions } from '../../src/cli/args.js';
import { cliContext as ctx } from '../support/cli-context.js';


describe('skiff agent', () => {
  it('needs a server and a token', async () => {
    const t = ctx();
    assert.equal(await main(['agent'], t.c), 2);
    assert.match(t.err(), /--server https:\/\/HOST:PORT --token TOKEN/);
  });

  it('refuses --runtime sim and a bridge name longer than an interface name', async () => {
    const t = ctx();
    assert.equal(await main(['agent', '--server', 'https://127.0.0.1:1', '--token', 'x', '--runtime', 'sim'], t.c), 2);
    const u = ctx();
    assert.equal(await main(['agent', '--server', 'https://127.0.0.1:1', '--token', 'x', '--cni-bridge', 'a-very-long-bridge-name'], u.c), 2);
    assert.match(u.err(), /at most 15/);
  });

  it('says so when the server cannot be reached', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-agent-cmd-'));
    try {
      const t = ctx();
      assert.equal(await main(['agent', '--server', 'https://127.0.0.1:1', '--token', 'K10' + '0'.repeat(64) + '::node:x', '--data-dir', dir], t.c), 1);
      assert.match(t.err(), /error: .*ECONNREFUSED/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses --kube-reserved', () => {
    assert.deepEqual(parseReservation('cpu=250m,memory=1Gi,ephemeral-storage=2Gi'), { cpuMillis: 250, memoryBytes: 2 ** 30, ephemeralStorageBytes: 2 * 2 ** 30 });
    assert.deepEqual(parseReservation(undefined), { cpuMillis: 0, memoryBytes: 0, ephemeralStorageBytes: 0 });
    assert.throws(() => parseReservation('gpu=1'), /bad --kube-reserved resource "gpu"/);
    assert.throws(() => parseReservation('cpu=lots'), /bad --kube-reserved entry/);
  });

  it('parses the log rotation flags (the kubelet\'s defaults: 10Mi, 5 files)', () => {
    assert.deepEqual(agentSettings(parseOptions(agentOptions, [], {})).logRotation, { maxSizeBytes: 10 * 2 ** 20, maxFiles: 5 });
    const set = agentSettings(parseOptions(agentOptions, ['--container-log-max-size', '64Ki', '--container-log-max-files', '2'], {}));
    assert.deepEqual(set.logRotation, { maxSizeBytes: 64 * 1024, maxFiles: 2 });
    assert.equal(parseLogMaxSize('1M'), 1_000_000);
    assert.throws(() => parseLogMaxSize('big'), /--container-log-max-size big: a positive quantity/);
    assert.throws(() => parseLogMaxSize('0'), /a positive quantity/);
    assert.throws(() => parseOptions(agentOptions, ['--container-log-max-files', '1'], {}), /container-log-max-files/);
  });
});
