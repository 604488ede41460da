import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, commands } from '../../src/cli/main.js';
import { cliContext as ctx } from '../support/cli-context.js';


test('--help lists every command', async () => {
  const t = ctx();
  assert.equal(await main(['--help'], t.c), 0);
  for (const name of ['up', 'server', 'kubeconfig', 'version', 'help']) assert.match(t.out(), new RegExp(`^  ${name}\\s`, 'm'));
  assert.ok(commands.length >= 4);
});

test('no command prints help and exits 2', async () => {
  const t = ctx();
  assert.equal(await main([], t.c), 2);
  assert.match(t.out(), /Usage: skiff <command>/);
});

test('command help shows its options', async () => {
  for (const argv of [['up', '--help'], ['help', 'up'], ['up', '-h']]) {
    const t = ctx();
    assert.equal(await main(argv, t.c), 0);
    assert.match(t.out(), /Usage: skiff up \[options\]/);
    for (const flag of ['--data-dir DIR', '--api-port N', '--runtime NAME', '--help']) assert.ok(t.out().includes(flag), flag);
    assert.match(t.out(), /\[default: 6443\]/);
  }
  const s = ctx();
  await main(['server', '--help'], s.c);
  assert.ok(!s.out().includes('--runtime'), 'server has no runtime option');
});

test('usage errors exit 2 with a hint', async () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command "frobnicate"\nRun `skiff --help`/],
    [['upp'], /did you mean up\?/],
    [['up', '--api-port', 'x'], /--api-port must be a whole number, not "x"\nRun `skiff up --help`/],
    [['up', 'extra'], /takes no arguments/],
    [['help', 'nope'], /unknown command "nope"/],
  ];
  for (const [argv, re] of cases) {
    const t = ctx();
    assert.equal(await main(argv, t.c), 2, argv.join(' '));
    assert.match(t.err(), re);
  }
});

test('version prints the package version', async () => {
  const t = ctx();
  assert.equal(await main(['version'], t.c), 0);
  assert.match(t.out(), /^skiff v\d+\.\d+\.\d+ \(node v/);
});

test('kubeconfig prints the file or says to run skiff up first', async (tt) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-cli-'));
  tt.after(() => rmSync(dir, { recursive: true, force: true }));
  const missing = ctx();
  assert.equal(await main(['kubeconfig', '--data-dir', dir], missing.c), 1);
  assert.match(missing.err(), /no kubeconfig in .*; start the cluster with `skiff up --data-dir .*` first/);
  writeFileSync(join(dir, 'kubeconfig.yaml'), 'apiVersion: v1\n');
  const ok = ctx({ SKIFF_DATA_DIR: dir });
  assert.equal(await main(['kubeconfig'], ok.c), 0);
  assert.equal(ok.out(), 'apiVersion: v1\n');
});

test('the entry point runs as a script', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Commands:/);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'up', '--bogus'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown option --bogus/);
});
