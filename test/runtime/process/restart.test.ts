// An agent process dies while its container runs; the next agent process adopts the container: it is still
// running, the output written while no agent read it is in the log (no line lost), and its exit status is
// recorded although the new agent is not the wrapper's parent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessRuntime } from '../../../src/runtime/process/index.js';
import { until } from './support.js';

test('a container outlives its agent process and is adopted by the next one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-prr-'));
  const state = join(dir, 'state');
  let rt: ProcessRuntime | undefined;
  try {
    const id = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'restart-child.ts'), state], { encoding: 'utf8' }).trim();
    rt = await ProcessRuntime.open({ stateDir: state, isolation: 'none' });
    const st = await rt.containerStatus(id);
    assert.equal(st?.state, 'running');
    const done = await until('exit after adoption', async () => {
      const s = await rt!.containerStatus(id);
      return s?.state === 'exited' ? s : undefined;
    }, 15_000);
    assert.equal(done.exitCode, 9);
    assert.equal(done.reason, 'Error');
    const ticks = await until('every line', () => {
      const lines = readFileSync(done.logPath, 'utf8').split('\n').filter((l) => l.includes(' stdout F tick'));
      return lines.length === 40 ? lines : undefined;
    });
    assert.deepEqual(ticks.map((l) => l.split(' ').at(-1)), Array.from({ length: 40 }, (_, i) => `tick${i}`));
  } finally {
    await rt?.cleanupAll();
    await rt?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a wrapper left waiting for "go" by an agent that died is stopped by the next one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-prr-'));
  const state = join(dir, 'state');
  let rt: ProcessRuntime | undefined;
  try {
    const id = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'restart-child.ts'), state, 'die-before-go'], { encoding: 'utf8' }).trim();
    const wrapperPid = Number(readFileSync(join(state, 'containers', id, 'wrapper'), 'utf8'));
    assert.ok(existsSync(`/proc/${wrapperPid}`), 'the wrapper waits');
    rt = await ProcessRuntime.open({ stateDir: state, isolation: 'none' });
    const gone = () => {
      try {
        return readFileSync(`/proc/${wrapperPid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z'); // a zombie until reaped
      } catch {
        return true;
      }
    };
    await until('the waiting wrapper is gone', () => gone() || undefined);
    assert.equal((await rt.containerStatus(id))?.state, 'created', 'never started');
  } finally {
    await rt?.cleanupAll();
    await rt?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
