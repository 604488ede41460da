import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseRuntime, selectRuntime, socketAnswers, type SelectedRuntime } from '../../src/runtime/select.js';

test('chooseRuntime decides per --runtime and what answers', () => {
  const cases: [Parameters<typeof chooseRuntime>, string][] = [
    [['process', true, true], 'process'],
    [['auto', true, true], 'containerd'],
    [['auto', false, true], 'process'],
    [['auto', true, false], 'process'],
    [['containerd', false, true], 'containerd'],
  ];
  for (const [args, want] of cases) assert.equal(chooseRuntime(...args).runtime, want, args.join(' '));
  assert.throws(() => chooseRuntime('containerd', true, false), /not available/);
});

test('selectRuntime probes the socket and falls back to the process runtime', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-sel-'));
  const sock = join(dir, 'c.sock');
  try {
    assert.equal(await socketAnswers(sock), false);
    const started: (string | undefined)[] = [];
    const fake = { name: 'containerd' } as SelectedRuntime;
    const startContainerd = async (s: string | undefined) => {
      started.push(s);
      return fake;
    };
    const none = await selectRuntime({ choice: 'auto', containerdSocket: sock, process: { stateDir: join(dir, 'p1'), isolation: 'none' }, startContainerd });
    assert.equal(none.runtime.name, 'process');
    assert.match(none.reason, /no containerd socket/);
    const srv = createServer(() => undefined);
    await new Promise<void>((r) => srv.listen(sock, r));
    const picked = await selectRuntime({ choice: 'auto', containerdSocket: sock, process: { stateDir: join(dir, 'p2'), isolation: 'none' }, startContainerd });
    assert.equal(picked.runtime, fake);
    assert.deepEqual(started, [sock]);
    const failing = await selectRuntime({ choice: 'auto', containerdSocket: sock, process: { stateDir: join(dir, 'p3'), isolation: 'none' }, startContainerd: async () => { throw new Error('boom'); } });
    assert.equal(failing.runtime.name, 'process');
    srv.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
