// The containerd runtime's entry points for the node: probing whether containerd can back it, the factory
// for src/runtime/select.ts (registries.yaml from the data directory rendered into the daemon's config).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { containerdStarter, probeContainerd, readRegistries } from '../../../src/runtime/containerd/index.js';
import { RegistriesConfigError } from '../../../src/runtime/containerd/containerd-config.js';
import { containerdSkipReason } from '../../support/images.js';

describe('registries.yaml in the data directory', () => {
  it('is optional, parsed when present, and an error when malformed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-reg-'));
    try {
      assert.equal(readRegistries(dir), undefined);
      writeFileSync(join(dir, 'registries.yaml'), 'mirrors:\n  docker.io:\n    endpoint: ["http://127.0.0.1:5000"]\n');
      assert.deepEqual(readRegistries(dir), { mirrors: { 'docker.io': { endpoint: ['http://127.0.0.1:5000'] } }, configs: {} });
      writeFileSync(join(dir, 'registries.yaml'), 'mirrors: [oops]\n');
      assert.throws(() => readRegistries(dir), RegistriesConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('probing for containerd', () => {
  it('says why a given socket cannot be used', async () => {
    const p = await probeContainerd('/nonexistent/containerd.sock');
    assert.equal(p.usable, false);
    assert.match(p.usable ? '' : p.reason, /no containerd socket at \/nonexistent/);
  });

  const skip = containerdSkipReason();
  it('finds a managed containerd possible here, and a started one by its socket; the factory renders registries.yaml', { skip }, async () => {
    const managed = await probeContainerd();
    // A system containerd may also answer on the default socket; either way containerd is usable here.
    assert.equal(managed.usable, true);
    // As the node lays it out: the runtime directory is <data dir>/agent/runtime, registries.yaml in <data dir>.
    const skiffDir = mkdtempSync(join(tmpdir(), 'skiff-probe-'));
    const dataDir = join(skiffDir, 'agent', 'runtime');
    writeFileSync(join(skiffDir, 'registries.yaml'), 'configs:\n  "127.0.0.1:5999":\n    auth: {username: u, password: p}\n');
    const rt = await containerdStarter({ dataDir, bridge: `sk7p${randomBytes(3).toString('hex')}` })(undefined);
    try {
      const config = readFileSync(join(dataDir, 'containerd', 'containerd', 'config.toml'), 'utf8');
      assert.match(config, /\[plugins\."io\.containerd\.grpc\.v1\.cri"\.registry\.configs\."127\.0\.0\.1:5999"\.auth\]\n {2}username = "u"/);
      const bySocket = await probeContainerd(rt.socket);
      assert.equal(bySocket.usable && bySocket.mode, 'socket');
      assert.match(bySocket.usable ? bySocket.version : '', /^1\./);
    } finally {
      await rt.cleanupAll();
      rmSync(skiffDir, { recursive: true, force: true });
    }
  });
});
